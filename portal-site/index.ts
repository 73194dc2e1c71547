/**
 * The developer portal generator: `generatePortal(manifest)` → the files of a static site,
 * `generatePortalSdks(manifest)` → each API's generated TypeScript SDK (async, beside it),
 * `writePortal(dir, files)` → written to disk (what `turnpike synth` and `turnpike dev` do,
 * into dist/portal; the gateway serves it with `--portal-dir`).
 */
export { type PortalFile, type PortalOptions, generatePortal, miniSearchBundlePath, redocBundlePath } from "./generate";
export { writePortal } from "./write";
export { generatePortalSdks, sdkDir } from "./sdk/generate";
export { buildSearchIndex, searchIndex, type SearchIndexFile } from "./search-index";
export { authOf, limitsOf, listedApis, listedPlans, listedProducts } from "./model";

/** Where the gateway serves the portal by default. */
export const DEFAULT_PORTAL_BASE_PATH = "/_turnpike/portal/";
