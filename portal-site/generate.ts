/**
 * The portal generator: manifest → the files of a static site (HTML pages, one stylesheet,
 * a few small scripts, the search index, each API's contract, and Redoc's standalone bundle
 * for the reference pages). Pure and deterministic: the same manifest gives the same bytes.
 * Nothing is loaded from another origin.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { GatewayConfig } from "../constructs/manifest/schema";
import { type AssetPaths, type PageSpec, type Site, renderPage } from "./layout";
import { appPage, appsPage, signInPage, signUpPage } from "./pages/account";
import { apiDir, apiPage, publishedContract, referencePage } from "./pages/api";
import { catalogPage } from "./pages/catalog";
import { changelogOf, changelogPage } from "./pages/changelog";
import type { Changelogs } from "./changelog";
import { homePage } from "./pages/home";
import { planPage, plansIndexPage, productPage, productsIndexPage } from "./pages/products";
import { listedApis, listedPlans, listedProducts } from "./model";
import { buildSearchIndex } from "./search-index";

/** One file of the site. */
export interface PortalFile {
  /** Path relative to the site's root, `/`-separated, e.g. `apis/orders-v1/index.html`. */
  readonly path: string;
  readonly bytes: Buffer;
}

export interface PortalOptions {
  /**
   * Path the site is served under, ending with `/`. The pages link to each other relatively;
   * this places the portal API the self-service pages call.
   * @default "/_turnpike/portal/"
   */
  readonly basePath?: string;
  /**
   * The portal API (same origin).
   * @default `${basePath}v1`
   */
  readonly portalApi?: string;
  /**
   * Each API's changelog between its versions, from `buildChangelogs(manifest)` (async, so
   * computed beforehand); an API with entries gets a changelog page linked from its page.
   * @default none: no changelog pages
   */
  readonly changelogs?: Changelogs;
}

/** Where the generator's own browser files are. */
const ASSET_DIR = join(__dirname, "assets");

/** Redoc's standalone bundle (an ES module exporting `init`), shipped inside @redocly/cli. */
export function redocBundlePath(): string {
  return join(dirname(require.resolve("@redocly/cli/package.json")), "lib", "chunks", "redoc.standalone.js");
}

/** MiniSearch's browser build (a UMD script defining `window.MiniSearch`). */
export function miniSearchBundlePath(): string {
  return join(dirname(require.resolve("minisearch")), "..", "umd", "index.js");
}

function hashed(name: string, extension: string, bytes: Buffer): string {
  return `assets/${name}.${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}.${extension}`;
}

/** Cached between calls: dev regenerates on every change, and the Redoc bundle is 2 MB. */
let vendorCache: { redoc: Buffer; minisearch: Buffer } | null = null;

/**
 * Redoc's bundle names two images on Redocly's CDNs: its "powered by" logo and an icon set.
 * The portal loads nothing from another origin (and its CSP would block them), so those URLs
 * become empty `data:` URLs in the copy; Redoc hides an image that fails to load.
 */
const REDOC_CDN_URLS = /https:\/\/cdn\.redoc(?:ly)?\.(?:ly|com)\/[^`'"\s]*/g;

function vendorFiles(): { redoc: Buffer; minisearch: Buffer } {
  vendorCache ??= {
    redoc: Buffer.from(readFileSync(redocBundlePath(), "utf8").replace(REDOC_CDN_URLS, "data:,")),
    minisearch: readFileSync(miniSearchBundlePath()),
  };
  return vendorCache;
}

/** The static assets, named by content hash (the gateway caches those for a year). */
function assets(): { paths: AssetPaths; files: PortalFile[] } {
  const files: PortalFile[] = [];
  const add = (name: string, extension: string, bytes: Buffer) => {
    const path = hashed(name, extension, bytes);
    files.push({ path, bytes });
    return path;
  };
  const own = (file: string) => readFileSync(join(ASSET_DIR, file));
  const vendor = vendorFiles();
  const redoc = add("redoc.standalone", "js", vendor.redoc);
  // The module imports the bundle by its hashed name, so it is hashed after the bundle.
  const reference = add("reference", "js", Buffer.from(own("reference.js").toString("utf8").replace("./__REDOC__", `./${redoc.slice("assets/".length)}`)));
  const paths: AssetPaths = {
    css: add("portal", "css", own("portal.css")),
    common: add("common", "js", own("common.js")),
    catalog: add("catalog", "js", own("catalog.js")),
    account: add("account", "js", own("account.js")),
    api: add("api", "js", own("api.js")),
    minisearch: add("minisearch", "js", vendor.minisearch),
    reference,
  };
  return { paths, files };
}

/**
 * Generates the portal for a manifest. Lists APIs that are not drafts and public products.
 * Everything taken from the manifest is escaped.
 */
export function generatePortal(manifest: GatewayConfig, options: PortalOptions = {}): PortalFile[] {
  const basePath = options.basePath ?? "/_turnpike/portal/";
  if (!basePath.startsWith("/") || !basePath.endsWith("/")) throw new Error(`basePath must start and end with "/", not "${basePath}"`);
  const { paths, files } = assets();
  const site: Site = { manifest, basePath, portalApi: options.portalApi ?? `${basePath}v1`, assets: paths, changelogs: options.changelogs ?? new Map() };
  const apis = listedApis(manifest);
  const pages: PageSpec[] = [
    homePage(site),
    catalogPage(site),
    ...apis.flatMap((api) => [apiPage(site, api), referencePage(site, api)]),
    ...apis.filter((api) => changelogOf(site, api).length > 0).map((api) => changelogPage(site, api)),
    productsIndexPage(site),
    ...listedProducts(manifest).map((product) => productPage(site, product)),
    plansIndexPage(site),
    ...listedPlans(manifest).map((plan) => planPage(site, plan)),
    signUpPage(site),
    signInPage(site),
    appsPage(site),
    appPage(site),
  ];
  for (const page of pages) files.push({ path: page.path, bytes: Buffer.from(renderPage(site, page)) });
  files.push({ path: "catalog/search-index.json", bytes: Buffer.from(JSON.stringify(buildSearchIndex(manifest))) });
  for (const api of apis) files.push({ path: `${apiDir(api)}openapi.json`, bytes: Buffer.from(`${JSON.stringify(publishedContract(api), null, 2)}\n`) });
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
