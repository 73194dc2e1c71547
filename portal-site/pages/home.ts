/** The home page: what the platform offers and the getting-started journey to a first call. */
import { html } from "../html";
import { firstParagraph, markdown } from "../markdown";
import { type PageSpec, type Site, link } from "../layout";
import { listedApis, listedProducts, tryableOperations } from "../model";

export function homePage(site: Site): PageSpec {
  const path = "index.html";
  const to = (target: string) => link(path, target);
  const { platform } = site.manifest.spec;
  const apis = listedApis(site.manifest);
  // The first call: a GET with an API key and no required parameters, preferring a published API.
  const candidates = apis
    .filter((api) => api.lifecycle === "published")
    .concat(apis.filter((api) => api.lifecycle !== "published"))
    .flatMap((api) => tryableOperations(site.manifest, api).map((operation) => ({ api, operation })));
  const first = candidates[0];
  const firstCall = first
    ? html`<pre><code>curl ${first.operation.key.in === "header" ? html`-H '${first.operation.key.displayName}: YOUR_API_KEY' ` : ""}'<span data-gateway-origin>https://YOUR-GATEWAY</span>${first.operation.route}${first.operation.key.in === "query" ? `?${first.operation.key.name}=YOUR_API_KEY` : ""}'</code></pre>
<p>This calls <a href="${to(`apis/${first.api.id}/`)}">${first.api.title} ${first.api.version}</a> (<code>${first.operation.operationId}</code>). The try-it form on your app's page sends it for you.</p>`
    : html`<p>Every API's page shows how to authenticate and the operations you can call.</p>`;
  const body = html`<h1>${platform.title}</h1>
<div class="lead">${markdown(platform.description, 1)}</div>
<p><a class="button" href="${to("account/signup/")}">Get started: create an account</a> <a href="${to("catalog/")}">Browse the ${apis.length} APIs</a></p>
<section aria-labelledby="getting-started">
<h2 id="getting-started">Getting started</h2>
<ol class="steps">
<li><h3>Sign up</h3><p><a href="${to("account/signup/")}">Create a developer account</a> with your e-mail address (or <a href="${to("account/signin/")}">sign in</a>).</p></li>
<li><h3>Create an app</h3><p>An app is what calls the APIs: its usage and keys are its own. Create one on <a href="${to("account/")}">My apps</a>.</p></li>
<li><h3>Subscribe to a plan</h3><p>Pick a <a href="${to("products/")}">product</a> and one of its <a href="${to("plans/")}">plans</a>; the plan sets your rate limit and quota.</p></li>
<li><h3>Create a key</h3><p>On your app's page, create an API key. It is shown once: copy it somewhere safe.</p></li>
<li><h3>Make your first call</h3>${firstCall}</li>
</ol>
</section>
<section aria-labelledby="products-heading">
<h2 id="products-heading">Products</h2>
<ul class="cards">
${listedProducts(site.manifest).map((product) => html`<li class="card"><h3><a href="${to(`products/${product.name}/`)}">${product.title}</a></h3><p>${firstParagraph(product.description)}</p></li>\n`)}</ul>
</section>`;
  return { path, title: platform.title, section: "home", body };
}
