/**
 * Self-service pages: static shells that `account.js` fills by calling the portal API (same
 * origin, session cookie, CSRF token from sign-in or `GET /me`). The choices they offer (the
 * products and plans to subscribe to, the operations to try) come from the manifest.
 */
import { MIN_PASSWORD_LENGTH } from "../../gateway-image/src/control/http/password-hash";
import { html, scriptJson } from "../html";
import { type PageSpec, type Site, link } from "../layout";
import { listedApis, listedProducts, priceText, tryableOperations } from "../model";

const ERROR_REGION = html`<div class="error" role="alert" data-error></div>`;

export function signUpPage(site: Site): PageSpec {
  const path = "account/signup/index.html";
  const body = html`<h1>Create your developer account</h1>
<form id="signup-form" class="form-narrow" data-form="signup">
<div class="field"><label for="email">E-mail address</label><input id="email" name="email" type="email" autocomplete="email" required></div>
<div class="field"><label for="name">Name</label><input id="name" name="name" autocomplete="name" required maxlength="200"></div>
<div class="field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" aria-describedby="password-hint"><p id="password-hint" class="hint">At least ${MIN_PASSWORD_LENGTH} characters.</p></div>
${ERROR_REGION}
<button type="submit">Create account</button>
</form>
<p>Already have an account? <a href="${link(path, "account/signin/")}">Sign in</a>.</p>`;
  return { path, title: "Sign up", section: "signin", body, scripts: [site.assets.account], pageName: "signup" };
}

export function signInPage(site: Site): PageSpec {
  const path = "account/signin/index.html";
  const body = html`<h1>Sign in</h1>
<form id="signin-form" class="form-narrow" data-form="signin">
<div class="field"><label for="email">E-mail address</label><input id="email" name="email" type="email" autocomplete="username" required></div>
<div class="field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
${ERROR_REGION}
<button type="submit">Sign in</button>
</form>
<p>New here? <a href="${link(path, "account/signup/")}">Create an account</a>.</p>`;
  return { path, title: "Sign in", section: "signin", body, scripts: [site.assets.account], pageName: "signin" };
}

export function appsPage(site: Site): PageSpec {
  const path = "account/index.html";
  const body = html`<h1>My apps</h1>
<p data-signed-in hidden>Signed in as <strong data-developer-name></strong> (<span data-developer-email></span>). <button type="button" class="secondary" data-signout>Sign out</button></p>
${ERROR_REGION}
<section aria-labelledby="apps-heading">
<h2 id="apps-heading">Apps</h2>
<p data-empty hidden>You have no apps yet: create one below.</p>
<ul id="app-list" class="cards" aria-live="polite"></ul>
</section>
<section aria-labelledby="create-app-heading">
<h2 id="create-app-heading">Create an app</h2>
<form id="create-app-form" class="form-narrow" data-form="create-app">
<div class="field"><label for="app-name">Name</label><input id="app-name" name="name" required maxlength="200"></div>
<div class="field"><label for="app-description">Description <span class="muted">(optional)</span></label><textarea id="app-description" name="description" rows="3" maxlength="2000"></textarea></div>
<button type="submit">Create app</button>
</form>
</section>`;
  return { path, title: "My apps", section: "account", body, scripts: [site.assets.account], pageName: "apps" };
}

export function appPage(site: Site): PageSpec {
  const path = "account/app/index.html";
  const apis = new Map(listedApis(site.manifest).map((api) => [api.id, api]));
  const plans = new Map(site.manifest.spec.plans.map((plan) => [plan.name, plan]));
  const products = listedProducts(site.manifest);
  // Try-it choices per product: what a subscription to it lets the new key call.
  const data = {
    products: products.map((product) => ({
      name: product.name,
      title: product.title,
      approval: product.approval,
      operations: product.apis.flatMap((id) => {
        const api = apis.get(id);
        return api === undefined ? [] : tryableOperations(site.manifest, api).map((operation) => ({ api: api.id, title: `${api.title} ${api.version}`, route: operation.route, summary: operation.summary, keyIn: operation.key.in, keyName: operation.key.name }));
      }),
    })),
  };
  const body = html`<p><a href="${link(path, "account/")}">My apps</a> › <span data-app-name>App</span></p>
<h1 data-app-title>App</h1>
${ERROR_REGION}
<div class="notice" role="status" data-notice></div>
<section aria-labelledby="subscriptions-heading">
<h2 id="subscriptions-heading">Subscriptions</h2>
<div class="table-wrap"><table><caption class="visually-hidden">Subscriptions of this app</caption><thead><tr><th scope="col">Product</th><th scope="col">Plan</th><th scope="col">State</th><th scope="col">Since</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody id="subscription-list"></tbody></table></div>
<form id="subscribe-form" class="form-narrow" data-form="subscribe">
<div class="field"><label for="subscribe-target">Product and plan</label><select id="subscribe-target" name="target" required>
${products.map((product) => html`<optgroup label="${product.title}">${product.plans.map((name) => {
    const plan = plans.get(name);
    return plan === undefined ? "" : html`<option value="${product.name}/${plan.name}">${product.title}: ${plan.title} (${priceText(plan.pricing)})</option>`;
  })}</optgroup>`)}
</select><p class="hint">Compare them on <a href="${link(path, "plans/")}">Plans and pricing</a>.</p></div>
<button type="submit">Subscribe</button>
</form>
</section>
<section aria-labelledby="keys-heading">
<h2 id="keys-heading">API keys</h2>
<div class="notice" role="status" data-new-key hidden>
<p><strong>Your new API key.</strong> It is shown this once: copy it now.</p>
<div class="secret"><output id="new-key" data-key-value></output><button type="button" class="secondary" data-copy="new-key">Copy</button><span data-copied role="status"></span></div>
</div>
<div class="table-wrap"><table><caption class="visually-hidden">Keys of this app</caption><thead><tr><th scope="col">Key</th><th scope="col">Label</th><th scope="col">Created</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody id="key-list"></tbody></table></div>
<form id="create-key-form" class="form-narrow" data-form="create-key">
<div class="field"><label for="key-label">Label <span class="muted">(optional)</span></label><input id="key-label" name="label" maxlength="200"></div>
<button type="submit">Create key</button>
</form>
</section>
<section aria-labelledby="usage-heading">
<h2 id="usage-heading">Usage and remaining quota</h2>
<div id="usage" aria-live="polite"><p class="muted">Loading…</p></div>
<button type="button" class="secondary" data-refresh-usage>Refresh usage</button>
</section>
<section aria-labelledby="try-heading">
<h2 id="try-heading">Try it</h2>
<p>Sends a real request through the gateway with a key of this app. New subscriptions and keys take up to a second to reach the gateway.</p>
<form class="try-it form-narrow" data-try-it>
<div class="field"><label for="try-operation">Operation</label><select id="try-operation" name="operation"></select></div>
<div class="field"><label for="try-key">API key</label><input id="try-key" name="key" autocomplete="off" required spellcheck="false"></div>
<button type="submit">Send</button>
<div class="error" role="alert" data-try-error></div>
<div data-try-result hidden><p>Status: <strong data-try-status></strong></p><pre><code data-try-body></code></pre></div>
</form>
</section>
<script type="application/json" id="portal-offers">${scriptJson(data)}</script>`;
  return { path, title: "App", section: "account", body, scripts: [site.assets.account], pageName: "app" };
}
