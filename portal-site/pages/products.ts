/** Product and plan pages: what a subscription contains, what it costs and the limits it gives. */
import type { Plan, Product } from "../../constructs/manifest/schema";
import { html } from "../html";
import { firstParagraph, markdown } from "../markdown";
import { type PageSpec, type Site, lifecycleBadge, link } from "../layout";
import { listedApis, listedPlans, listedProducts, maskedFieldText, maskingOf } from "../model";
import { apiDir, planTable } from "./api";

function plansOf(site: Site, product: Product): Plan[] {
  const plans = new Map(site.manifest.spec.plans.map((plan) => [plan.name, plan]));
  return product.plans.flatMap((name) => {
    const plan = plans.get(name);
    return plan === undefined ? [] : [plan];
  });
}

export function productsIndexPage(site: Site): PageSpec {
  const path = "products/index.html";
  const to = (target: string) => link(path, target);
  const products = listedProducts(site.manifest);
  const body = html`<h1>Products</h1>
<p class="lead">A product is a set of APIs you subscribe to with one of its plans.</p>
<ul class="cards">
${products.map(
  (product) => html`<li class="card" data-product="${product.name}"><h2><a href="${to(`products/${product.name}/`)}">${product.title}</a></h2>
<p>${firstParagraph(product.description)}</p>
<p class="muted">${product.apis.length} APIs · plans: ${plansOf(site, product).map((plan) => plan.title).join(", ")} · ${product.approval === "auto" ? "instant access" : "subscriptions are reviewed"}</p></li>\n`,
)}</ul>`;
  return { path, title: "Products", section: "products", body };
}

export function productPage(site: Site, product: Product): PageSpec {
  const path = `products/${product.name}/index.html`;
  const to = (target: string) => link(path, target);
  const apis = listedApis(site.manifest).filter((api) => product.apis.includes(api.id));
  const body = html`<p><a href="${to("products/")}">Products</a> › ${product.title}</p>
<h1>${product.title}</h1>
<div class="lead">${markdown(product.description, 1)}</div>
<p data-approval="${product.approval}">${product.approval === "auto" ? "Subscriptions are active at once." : "Subscriptions are reviewed by the product's owners before they become active."} <a href="${to("account/")}">Subscribe from your app's page</a>.</p>
<h2>Plans</h2>
${planTable(plansOf(site, product).map((plan) => ({ plan })), path, `Plans of ${product.title}`)}
<h2>APIs</h2>
<ul class="cards">
${apis.map((api) => html`<li class="card"><h3><a href="${to(apiDir(api))}">${api.title} <span class="muted">${api.version}</span></a> ${lifecycleBadge(api.lifecycle)}</h3><p>${firstParagraph(api.description)}</p></li>\n`)}</ul>`;
  return { path, title: product.title, section: "products", body, description: product.description };
}

export function plansIndexPage(site: Site): PageSpec {
  const path = "plans/index.html";
  const plans = listedPlans(site.manifest);
  const body = html`<h1>Plans and pricing</h1>
<p class="lead">Each subscription is to one plan of a product. The gateway enforces exactly these limits.</p>
${planTable(plans.map((plan) => ({ plan })), path, "Every plan")}`;
  return { path, title: "Plans and pricing", section: "plans", body };
}

/** The response fields this plan's apps receive masked, per API (from the plan's masking policies). */
function planMasking(site: Site, plan: Plan, path: string) {
  const rows = listedApis(site.manifest).flatMap((api) => maskingOf(site.manifest, api).filter((masking) => masking.plan?.plan.name === plan.name).map((masking) => ({ api, masking })));
  if (rows.length === 0) return html``;
  return html`<h2>Masked response fields</h2>
<p>Apps on this plan receive these fields of JSON responses changed by the gateway:</p>
<ul>${rows.map(
    ({ api, masking }) => html`<li data-masking-api="${api.id}"><a href="${link(path, apiDir(api))}">${api.title} ${api.version}</a> (${masking.plan!.product.title}): ${masking.fields.map(
      (field, index) => html`${index > 0 ? "; " : ""}<code data-masked-path="${field.path}">${field.path}</code> ${maskedFieldText(field)}`,
    )}.</li>`,
  )}</ul>`;
}

export function planPage(site: Site, plan: Plan): PageSpec {
  const path = `plans/${plan.name}/index.html`;
  const to = (target: string) => link(path, target);
  const products = listedProducts(site.manifest).filter((product) => product.plans.includes(plan.name));
  const body = html`<p><a href="${to("plans/")}">Plans and pricing</a> › ${plan.title}</p>
<h1>${plan.title}</h1>
<div class="lead">${markdown(plan.description, 1)}</div>
${planTable([{ plan }], path, `The ${plan.title} plan`)}
<h2>Offered in</h2>
<ul>${products.map((product) => html`<li><a href="${to(`products/${product.name}/`)}">${product.title}</a></li>`)}</ul>
${planMasking(site, plan, path)}`;
  return { path, title: `${plan.title} plan`, section: "plans", body, description: plan.description };
}
