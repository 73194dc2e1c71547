/**
 * The API catalog: every listed API as a card (readable without JavaScript), with full-text
 * search over the prebuilt index and filters by tag, product, lifecycle and authentication.
 */
import { html } from "../html";
import { firstParagraph } from "../markdown";
import { type PageSpec, type Site, lifecycleBadge, link } from "../layout";
import { AUTH_LABELS, authOf, listedApis, listedProducts, productsOf } from "../model";
import { LIFECYCLE_STATES } from "../../constructs/manifest/schema";

export function catalogPage(site: Site): PageSpec {
  const path = "catalog/index.html";
  const to = (target: string) => link(path, target);
  const apis = listedApis(site.manifest);
  const tags = [...new Set(apis.flatMap((api) => api.tags))].sort();
  const products = listedProducts(site.manifest);
  const lifecycles = LIFECYCLE_STATES.filter((state) => apis.some((api) => api.lifecycle === state));
  const cards = apis.map((api) => {
    const auth = authOf(site.manifest, api);
    const apiProducts = productsOf(site.manifest, api);
    return html`<li class="card" data-api-id="${api.id}" data-tags="${JSON.stringify(api.tags)}" data-products="${JSON.stringify(apiProducts.map((product) => product.name))}" data-lifecycle="${api.lifecycle}" data-auth="${JSON.stringify(auth.kinds)}">
<h2><a href="${to(`apis/${api.id}/`)}">${api.title} <span class="muted">${api.version}</span></a> ${lifecycleBadge(api.lifecycle)}</h2>
<p>${firstParagraph(api.description)}</p>
<p>${api.tags.map((tag) => html`<span class="tag">${tag}</span>`)}</p>
<p class="muted">${apiProducts.length > 0 ? html`In ${apiProducts.map((product, index) => html`${index > 0 ? ", " : ""}<a href="${to(`products/${product.name}/`)}">${product.title}</a>`)} · ` : ""}${auth.kinds.map((kind) => AUTH_LABELS[kind]).join(", ")} · ${api.operations.length} operations</p>
</li>
`;
  });
  const select = (id: string, label: string, options: readonly { value: string; label: string }[]) =>
    html`<div class="field"><label for="${id}">${label}</label><select id="${id}" name="${id}"><option value="">Any</option>${options.map((option) => html`<option value="${option.value}">${option.label}</option>`)}</select></div>`;
  const body = html`<h1>API catalog</h1>
<p class="lead">Every API on the platform, with its versions. Search by name, description, tag or operation.</p>
<form class="search" role="search" id="catalog-search" data-index="search-index.json" aria-label="Search the catalog">
<div class="field"><label for="q">Search</label><input id="q" name="q" type="search" autocomplete="off" placeholder="e.g. refund"></div>
${select("tag", "Tag", tags.map((tag) => ({ value: tag, label: tag })))}
${select("product", "Product", products.map((product) => ({ value: product.name, label: product.title })))}
${select("lifecycle", "Lifecycle", lifecycles.map((state) => ({ value: state, label: state.charAt(0).toUpperCase() + state.slice(1) })))}
${select("auth", "Authentication", (["apiKey", "jwt", "mtls", "none"] as const).map((kind) => ({ value: kind, label: AUTH_LABELS[kind] })))}
</form>
<p id="catalog-status" role="status" aria-live="polite">${apis.length} APIs</p>
<ul class="cards" id="catalog-results">
${cards}</ul>`;
  return { path, title: "API catalog", section: "catalog", body, scripts: [site.assets.minisearch, site.assets.catalog], description: `The ${apis.length} APIs of ${site.manifest.spec.platform.title}` };
}
