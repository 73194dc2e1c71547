/**
 * One page per API version (overview, authentication how-to from the policies the gateway
 * runs, limits per plan, lifecycle and deprecation banner, operations) and its reference page
 * (the contract rendered in the browser by Redoc).
 */
import type { Api, GatewayConfig, Plan } from "../../constructs/manifest/schema";
import { type SafeHtml, formatNumber, html, safeLinkUrl } from "../html";
import { markdown } from "../markdown";
import { type PageSpec, type Site, lifecycleBadge, link } from "../layout";
import { AUTH_LABELS, authOf, limitsOf, listedApis, maskedFieldText, maskingOf, perWindow, priceText, productsOf, sdkApis } from "../model";
import { packageName, sdkCredentials } from "../sdk/client-source";
import { operationAnchors, operationBlocks } from "./operations";

/** Where an API's files are. */
export function apiDir(api: Api): string {
  return `apis/${api.id}/`;
}

/** The lifecycle banner: deprecated (sunset date, successor) or retired. Empty for other states. */
export function lifecycleBanner(manifest: GatewayConfig, api: Api, from: string): SafeHtml {
  if (api.lifecycle !== "deprecated" && api.lifecycle !== "retired") return html``;
  const successor = api.successor === null ? undefined : listedApis(manifest).find((candidate) => candidate.id === api.successor);
  const successorLink = successor
    ? html`<p>Use <a href="${link(from, apiDir(successor))}" data-successor="${successor.id}">${successor.title} ${successor.version}</a> instead.</p>`
    : html``;
  if (api.lifecycle === "retired") {
    return html`<aside class="banner retired" aria-label="Retired version" data-banner="retired"><p><strong>This version is retired.</strong> The gateway answers its calls with 410 Gone.</p>${successorLink}</aside>`;
  }
  return html`<aside class="banner" aria-label="Deprecation notice" data-banner="deprecated">
<p><strong>This version is deprecated</strong>${api.deprecatedSince ? html` since <time datetime="${api.deprecatedSince}">${api.deprecatedSince}</time>` : ""}.${api.sunset ? html` It stops working on <time datetime="${api.sunset}" data-sunset>${api.sunset}</time> (sunset).` : " No sunset date is set yet."}</p>
${successorLink}
<p class="muted">Responses carry <code>Deprecation</code>${api.sunset ? html` and <code>Sunset</code>` : ""} headers.</p>
</aside>`;
}

/** Text of a plan's rate limit, with the raw values as data attributes for checks. */
function rateLimitCell(plan: Plan): SafeHtml {
  if (plan.rateLimit === null) return html`<td data-plan="${plan.name}" data-field="rateLimit">No rate limit</td>`;
  const { requests, perSeconds } = plan.rateLimit;
  const burst = plan.rateLimit.burst ?? requests;
  return html`<td data-plan="${plan.name}" data-field="rateLimit"><span data-field="rateLimit.requests" data-value="${requests}">${formatNumber(requests)}</span> requests <span data-field="rateLimit.perSeconds" data-value="${perSeconds}">${perWindow(perSeconds)}</span>, bursts of <span data-field="rateLimit.burst" data-value="${burst}">${formatNumber(burst)}</span></td>`;
}

function quotaCell(plan: Plan): SafeHtml {
  if (plan.quota === null) return html`<td data-plan="${plan.name}" data-field="quota">No quota</td>`;
  return html`<td data-plan="${plan.name}" data-field="quota"><span data-field="quota.requests" data-value="${plan.quota.requests}">${formatNumber(plan.quota.requests)}</span> requests per <span data-field="quota.period" data-value="${plan.quota.period}">${plan.quota.period}</span>${plan.quota.timeZone !== "UTC" ? ` (${plan.quota.timeZone})` : ""}</td>`;
}

/** The price cell: text, and each number of the pricing as a data attribute. */
export function priceCell(plan: Plan): SafeHtml {
  const pricing = plan.pricing;
  const values = html` data-plan="${plan.name}" data-field="pricing" data-model="${pricing.model}"${"monthlyPrice" in pricing ? html` data-monthly-price="${pricing.monthlyPrice}" data-currency="${pricing.currency}"` : ""}${"pricePer1000Requests" in pricing ? html` data-price-per-1000="${pricing.pricePer1000Requests}"` : ""}`;
  if (pricing.model === "custom") {
    const url = safeLinkUrl(pricing.contact);
    return html`<td${values}>Custom pricing: ${url ? html`<a href="${url}">${pricing.contact.replace(/^mailto:/i, "")}</a>` : pricing.contact}</td>`;
  }
  return html`<td${values}>${priceText(pricing)}</td>`;
}

/** A table of plans with price, rate limit and quota (the API page, products and plans pages). */
export function planTable(plans: readonly { plan: Plan; product?: { name: string; title: string } }[], from: string, caption: string): SafeHtml {
  const withProduct = plans.some((row) => row.product !== undefined);
  return html`<div class="table-wrap"><table class="plans">
<caption>${caption}</caption>
<thead><tr>${withProduct ? html`<th scope="col">Product</th>` : ""}<th scope="col">Plan</th><th scope="col">Price</th><th scope="col">Rate limit</th><th scope="col">Quota</th></tr></thead>
<tbody>
${plans.map(({ plan, product }) => html`<tr data-plan-row="${plan.name}"${product ? html` data-product="${product.name}"` : ""}>${product ? html`<td><a href="${link(from, `products/${product.name}/`)}">${product.title}</a></td>` : withProduct ? html`<td></td>` : ""}<th scope="row"><a href="${link(from, `plans/${plan.name}/`)}">${plan.title}</a></th>${priceCell(plan)}${rateLimitCell(plan)}${quotaCell(plan)}</tr>\n`)}</tbody>
</table></div>`;
}

function authSection(manifest: GatewayConfig, api: Api, from: string): SafeHtml {
  const auth = authOf(manifest, api);
  const operationList = (ids: readonly string[]) => (ids.length === api.operations.length ? html`all operations` : html`${ids.map((id, index) => html`${index > 0 ? ", " : ""}<code>${id}</code>`)}`);
  const apiKey = auth.apiKey.map(
    (key) => html`<div class="auth" data-auth-kind="apiKey" data-key-in="${key.in}" data-key-name="${key.name}">
<h3>API key</h3>
<p>For ${operationList(key.operations)}: send your app's key in the ${key.in === "header" ? html`<code>${key.displayName}</code> header` : html`<code>${key.name}</code> query parameter`}. Create a key on <a href="${link(from, "account/")}">My apps</a> after subscribing to a plan of ${productsOf(manifest, api).map((product, index) => html`${index > 0 ? " or " : ""}<a href="${link(from, `products/${product.name}/`)}">${product.title}</a>`)}.</p>
<pre><code>${key.in === "header" ? `curl -H '${key.displayName}: YOUR_API_KEY' '` : "curl '"}<span data-gateway-origin>https://YOUR-GATEWAY</span>${api.basePath}/…${key.in === "query" ? `?${key.name}=YOUR_API_KEY` : ""}'</code></pre>
<p class="muted">A missing or unknown key is answered 401; a key whose app has no active subscription to the API, 403.</p>
</div>`,
  );
  const jwt = auth.jwt.map(
    (token) => html`<div class="auth" data-auth-kind="jwt" data-issuer="${token.issuer}">
<h3>JWT bearer token (OAuth 2.0)</h3>
<p>For ${operationList(token.operations)}: send an access token as <code>${token.header === "authorization" ? "Authorization" : token.header}: Bearer &lt;token&gt;</code>.</p>
<dl class="facts">
<dt>Issuer (<code>iss</code>)</dt><dd><code>${token.issuer}</code></dd>
<dt>Audience (<code>aud</code>)</dt><dd>one of ${token.audiences.map((audience, index) => html`${index > 0 ? ", " : ""}<code>${audience}</code>`)}</dd>
<dt>Signing algorithms</dt><dd>${token.algorithms.join(", ")}</dd>
${token.requiredScopes.length > 0 ? html`<dt>Scopes on every call</dt><dd>${token.requiredScopes.map((scope, index) => html`${index > 0 ? ", " : ""}<code>${scope}</code>`)}</dd>` : ""}
</dl>
</div>`,
  );
  const mtls = auth.mtls.map(
    (entry) => html`<div class="auth" data-auth-kind="mtls">
<h3>Mutual TLS</h3>
<p>For ${operationList(entry.operations)}: connect with a client certificate signed by the platform's certificate authority${entry.allowedSubjects.length > 0 ? html`; accepted subjects: ${entry.allowedSubjects.map((subject, index) => html`${index > 0 ? ", " : ""}<code>${subject}</code>`)}` : ""}. Ask the API's owner${api.owner ? html` (${api.owner})` : ""} for a certificate.</p>
</div>`,
  );
  const scopes =
    auth.scopes.length > 0
      ? html`<div class="table-wrap"><table><caption>Scopes each operation requires</caption><thead><tr><th scope="col">Operation</th><th scope="col">Scopes</th></tr></thead><tbody>${auth.scopes.map((entry) => html`<tr><td><code>${entry.operationId}</code></td><td>${entry.scopes.map((scope, index) => html`${index > 0 ? ", " : ""}<code>${scope}</code>`)}</td></tr>`)}</tbody></table></div>`
      : html``;
  const anonymous = auth.anonymous.length > 0 ? html`<p data-auth-kind="none">${auth.anonymous.length === api.operations.length ? "Every operation" : html`${operationList(auth.anonymous)}`} can be called without authentication (limits then count per client IP).</p>` : html``;
  return html`<section aria-labelledby="auth-heading">
<h2 id="auth-heading">Authentication</h2>
<p>Generated from the policies the gateway runs for this API: ${auth.kinds.map((kind) => AUTH_LABELS[kind]).join(", ")}.</p>
${apiKey}${jwt}${mtls}${scopes}${anonymous}
</section>`;
}

function limitsSection(manifest: GatewayConfig, api: Api, from: string): SafeHtml {
  const { plans, shared } = limitsOf(manifest, api);
  const keyText = { consumer: "per app", ip: "per client IP", global: "for all callers together" } as const;
  return html`<section aria-labelledby="limits-heading">
<h2 id="limits-heading">Rate limits and quotas</h2>
${plans.length > 0 ? planTable(plans.map(({ plan, product }) => ({ plan, product })), from, "Per plan, for each subscribed app") : html`<p>This API is not in any public product.</p>`}
${
  shared.length > 0
    ? html`<h3>Limits for every caller</h3><ul>${shared.map(
        (limit) => html`<li data-limit-scope="${limit.scope}" data-policy="${limit.policy}" data-requests="${limit.requests}">${
          limit.policy === "rateLimit"
            ? html`${formatNumber(limit.requests)} requests ${perWindow(limit.perSeconds!)} (bursts of ${formatNumber(limit.burst!)})`
            : html`${formatNumber(limit.requests)} requests per ${limit.period}`
        } ${keyText[limit.key]}, on ${limit.all ? "every operation" : html`${limit.operations.map((id, index) => html`${index > 0 ? ", " : ""}<code>${id}</code>`)}`}.</li>`,
      )}</ul>`
    : ""
}
<p class="muted">Over a limit the gateway answers 429 with <code>Retry-After</code> and <code>RateLimit</code> headers.</p>
</section>`;
}

/** The response fields the gateway masks, so that a redacted value is not taken for a bug. */
function maskingSection(manifest: GatewayConfig, api: Api, from: string): SafeHtml {
  const maskings = maskingOf(manifest, api);
  if (maskings.length === 0) return html``;
  return html`<section aria-labelledby="masking-heading">
<h2 id="masking-heading">Masked response fields</h2>
<p>The gateway changes these fields of JSON responses before your app receives them (fields named by JSONPath; <code>..</code> means at any depth).</p>
<ul>${maskings.map(
    (masking) => html`<li data-masking-plan="${masking.plan === null ? "" : `${masking.plan.product.name}/${masking.plan.plan.name}`}">${
      masking.plan === null ? html`For every app` : html`For apps on the <a href="${link(from, `plans/${masking.plan.plan.name}/`)}">${masking.plan.plan.title}</a> plan of <a href="${link(from, `products/${masking.plan.product.name}/`)}">${masking.plan.product.title}</a>`
    }, on ${masking.all ? "every operation" : html`${masking.operations.map((id, index) => html`${index > 0 ? ", " : ""}<code>${id}</code>`)}`}: ${masking.fields.map(
      (field, index) => html`${index > 0 ? "; " : ""}<code data-masked-path="${field.path}">${field.path}</code> ${maskedFieldText(field)}`,
    )}.</li>`,
  )}</ul>
</section>`;
}

/** The generated TypeScript SDK: download, install, first call (the files are made by `generatePortalSdks`). */
function sdkSection(site: Site, api: Api): SafeHtml {
  if (!sdkApis(site.manifest).some((candidate) => candidate.id === api.id)) return html``;
  const name = packageName(site.manifest, api);
  const credentials = sdkCredentials(api, authOf(site.manifest, api));
  // npm pack's file name for the package: scope and name joined by "-", then the version.
  const fileName = `${name.slice(1).replace("/", "-")}-${api.version}.tgz`;
  const options = [...(credentials.apiKey.length > 0 ? ["apiKey: process.env.API_KEY!"] : []), ...(credentials.bearerHeaders.length > 0 ? ["token: process.env.ACCESS_TOKEN!"] : [])];
  return html`<section aria-labelledby="sdk-heading">
<h2 id="sdk-heading">TypeScript SDK</h2>
<p>A typed client generated from this version's contract (openapi-typescript types, openapi-fetch requests) that adds the base path and ${credentials.apiKey.length > 0 || credentials.bearerHeaders.length > 0 ? "your credentials" : "nothing else"} to every request.</p>
<p class="actions"><a class="button" href="sdk/sdk.tgz" download="${fileName}" data-sdk-package="${name}" data-sdk-version="${api.version}">Download ${name} ${api.version} (npm package)</a></p>
<pre><code>npm install ./${fileName}</code></pre>
<pre><code>import { createClient } from "${name}";

const client = createClient({ baseUrl: "<span data-gateway-origin>https://YOUR-GATEWAY</span>"${options.map((option) => `, ${option}`)} });</code></pre>
<p class="muted">The package has <code>index.ts</code> (with its compiled <code>index.js</code> and <code>index.d.ts</code>), the generated types in <code>schema.d.ts</code> and a README.</p>
</section>`;
}

export function apiPage(site: Site, api: Api): PageSpec {
  const path = `${apiDir(api)}index.html`;
  const to = (target: string) => link(path, target);
  const manifest = site.manifest;
  const products = productsOf(manifest, api);
  const others = listedApis(manifest).filter((candidate) => candidate.name === api.name && candidate.id !== api.id);
  const anchors = operationAnchors(api);
  const body = html`<p><a href="${to("catalog/")}">API catalog</a> › ${api.title}</p>
<h1>${api.title} <span class="muted">${api.version}</span> ${lifecycleBadge(api.lifecycle)}</h1>
${lifecycleBanner(manifest, api, path)}
<p class="actions"><a class="button" href="reference.html">API reference</a> <a class="button secondary" href="openapi.json" download="${api.id}.openapi.json">Download the contract (OpenAPI ${api.contract.openapi}, JSON)</a>${site.changelogs.has(api.name) ? html` <a class="button secondary" href="changelog.html">Changelog</a>` : ""}</p>
<section aria-labelledby="overview-heading">
<h2 id="overview-heading">Overview</h2>
${markdown(api.description, 1)}
<dl class="facts">
<dt>Version</dt><dd>${api.version}</dd>
<dt>Base path</dt><dd><code>${api.basePath}</code> on the gateway</dd>
${api.owner ? html`<dt>Owner</dt><dd>${api.owner}</dd>` : ""}
<dt>Lifecycle</dt><dd>${lifecycleBadge(api.lifecycle)}${api.deprecatedSince ? html` since ${api.deprecatedSince}` : ""}${api.sunset ? html`, sunset ${api.sunset}` : ""}</dd>
${api.tags.length > 0 ? html`<dt>Tags</dt><dd>${api.tags.map((tag) => html`<span class="tag">${tag}</span>`)}</dd>` : ""}
<dt>Products</dt><dd>${products.length > 0 ? products.map((product, index) => html`${index > 0 ? ", " : ""}<a href="${to(`products/${product.name}/`)}">${product.title}</a>`) : "none"}</dd>
${others.length > 0 ? html`<dt>Other versions</dt><dd>${others.map((other, index) => html`${index > 0 ? ", " : ""}<a href="${to(apiDir(other))}">${other.version}</a> ${lifecycleBadge(other.lifecycle)}`)}</dd>` : ""}
</dl>
</section>
${authSection(manifest, api, path)}
${limitsSection(manifest, api, path)}
${maskingSection(manifest, api, path)}
<section aria-labelledby="operations-heading">
<h2 id="operations-heading">Operations</h2>
<div class="table-wrap"><table>
<caption class="visually-hidden">Operations of ${api.title} ${api.version}</caption>
<thead><tr><th scope="col">Method</th><th scope="col">Path on the gateway</th><th scope="col">Summary</th><th scope="col">Operation</th></tr></thead>
<tbody>
${api.operations.map((operation) => html`<tr${operation.deprecated ? html` class="deprecated"` : ""}><td class="method">${operation.method}</td><td><a href="#${anchors.get(operation.operationId)!}"><code>${operation.route}</code></a></td><td>${operation.summary ?? ""}${operation.deprecated ? html` <span class="badge badge-deprecated">Deprecated</span>` : ""}</td><td><code>${operation.operationId}</code></td></tr>\n`)}</tbody>
</table></div>
<p class="muted">Each operation below has code samples in curl, JavaScript, Python, Go and Java${api.lifecycle === "retired" ? "" : ", and a form to try it"}.</p>
${operationBlocks(manifest, api, to)}
</section>
${sdkSection(site, api)}`;
  return { path, title: `${api.title} ${api.version}`, section: "catalog", body, scripts: [site.assets.api], description: api.description.split("\n")[0] };
}

/** The reference page: Redoc renders `openapi.json` (beside it) in the browser. */
export function referencePage(site: Site, api: Api): PageSpec {
  const path = `${apiDir(api)}reference.html`;
  const body = html`<div class="reference-bar">
<h1>${api.title} ${api.version} reference</h1>
<a href="./">Overview</a>
<a href="openapi.json" download="${api.id}.openapi.json">Download the contract</a>
${api.lifecycle === "deprecated" || api.lifecycle === "retired" ? lifecycleBadge(api.lifecycle) : ""}
</div>
${lifecycleBanner(site.manifest, api, path)}
<div id="redoc-container" data-spec-url="openapi.json"><p class="inner">Loading the reference… (it needs JavaScript; the <a href="openapi.json">contract</a> can be downloaded without.)</p></div>`;
  return { path, title: `${api.title} ${api.version} reference`, section: "catalog", body, modules: [site.assets.reference], wide: true };
}

/**
 * The contract served beside the pages: the bundled document, with `servers` set to the API's
 * base path on the gateway (relative, so it resolves against wherever the portal is served),
 * because developers call the gateway, never the upstream the contract may name.
 */
export function publishedContract(api: Api): Record<string, unknown> {
  return { ...api.contract.document, servers: [{ url: api.basePath, description: "The API gateway" }] };
}
