/**
 * The frame every page shares: landmarks (header with the site navigation, main, footer), a
 * skip link, the stylesheet, and links written relative to the page so the site works under
 * any prefix (the gateway's `/_turnpike/portal/`, a bucket, a CDN path).
 */
import type { GatewayConfig } from "../constructs/manifest/schema";
import type { Changelogs } from "./changelog";
import { type SafeHtml, html } from "./html";

/** Hashed asset paths (relative to the site root), by role. */
export interface AssetPaths {
  readonly css: string;
  readonly common: string;
  readonly catalog: string;
  readonly account: string;
  /** The API page's script: code sample tabs, copy buttons, try-it forms. */
  readonly api: string;
  readonly minisearch: string;
  readonly reference: string;
}

/** What every page generator gets. */
export interface Site {
  readonly manifest: GatewayConfig;
  /** Where the portal is served, e.g. `/_turnpike/portal/` (ends with `/`). */
  readonly basePath: string;
  /** The portal API the self-service pages call (same origin), e.g. `/_turnpike/portal/v1`. */
  readonly portalApi: string;
  readonly assets: AssetPaths;
  /** Each API's changelog between its versions, by API name (see changelog.ts). */
  readonly changelogs: Changelogs;
}

export type NavSection = "home" | "catalog" | "products" | "plans" | "account" | "signin" | "none";

export interface PageSpec {
  /** File path in the site, e.g. `apis/orders-v1/index.html`. */
  readonly path: string;
  readonly title: string;
  readonly section: NavSection;
  readonly body: SafeHtml;
  /** Classic scripts (asset paths relative to the root), loaded deferred in order. */
  readonly scripts?: readonly string[];
  /** Module scripts (asset paths relative to the root). */
  readonly modules?: readonly string[];
  /** `data-page` of the body, for the self-service script. */
  readonly pageName?: string;
  /** Full-width main (the reference renderer lays out its own columns). */
  readonly wide?: boolean;
  readonly description?: string;
}

/** `../` per directory level of `path`, or `./` at the root. */
export function rootOf(path: string): string {
  const depth = path.split("/").length - 1;
  return depth === 0 ? "./" : "../".repeat(depth);
}

/** A link from the page at `from` to the site path `to` (a directory ends with `/`). */
export function link(from: string, to: string): string {
  const root = rootOf(from);
  if (to === "" || to === "./") return root;
  return root === "./" ? to : `${root}${to}`;
}

const NAV: readonly { section: NavSection; label: string; to: string }[] = [
  { section: "home", label: "Home", to: "" },
  { section: "catalog", label: "API catalog", to: "catalog/" },
  { section: "products", label: "Products", to: "products/" },
  { section: "plans", label: "Plans and pricing", to: "plans/" },
  { section: "account", label: "My apps", to: "account/" },
  { section: "signin", label: "Sign in", to: "account/signin/" },
];

/** A complete HTML document. */
export function renderPage(site: Site, page: PageSpec): string {
  const platform = site.manifest.spec.platform;
  const to = (target: string) => link(page.path, target);
  const title = page.title === platform.title ? platform.title : `${page.title} · ${platform.title}`;
  const document = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<meta name="description" content="${page.description ?? platform.description}">
<meta name="turnpike-portal-api" content="${site.portalApi}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${to(site.assets.css)}">
<script defer src="${to(site.assets.common)}"></script>
${(page.scripts ?? []).map((script) => html`<script defer src="${to(script)}"></script>\n`)}${(page.modules ?? []).map((script) => html`<script type="module" src="${to(script)}"></script>\n`)}</head>
<body${page.pageName ? html` data-page="${page.pageName}"` : ""}>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
<div class="inner">
<a class="brand" href="${to("")}">${platform.title}</a>
<nav class="site-nav" aria-label="Main">
<ul>
${NAV.map((item) => html`<li><a href="${to(item.to)}"${item.section === page.section ? html` aria-current="page"` : ""}>${item.label}</a></li>\n`)}</ul>
</nav>
</div>
</header>
<main id="main" tabindex="-1"${page.wide ? html` class="wide"` : html` class="inner"`}>
${page.body}
</main>
<footer class="site-footer">
<div class="inner">
<p>${platform.title}. Generated from manifest revision <code>${site.manifest.metadata.revision.slice(0, 19)}</code>: what this portal shows is what the gateway enforces.</p>
</div>
</footer>
</body>
</html>
`;
  return document.value;
}

/** The lifecycle badge of an API. */
export function lifecycleBadge(lifecycle: string): SafeHtml {
  const label = lifecycle.charAt(0).toUpperCase() + lifecycle.slice(1);
  return html`<span class="badge badge-${lifecycle}" data-lifecycle="${lifecycle}">${label}</span>`;
}
