/**
 * The developer portal generator: `buildPortal(manifest)` → every file of the static site:
 * the pages of `generatePortal(manifest, { changelogs })` (sync), each API's changelog from
 * `buildChangelogs(manifest)` and each API's TypeScript SDK from `generatePortalSdks(manifest)`
 * (both async);
 * `writePortal(dir, files)` → written to disk (what `turnpike synth` and `turnpike dev` do,
 * into dist/portal; the gateway serves it with `--portal-dir`).
 */
export { type PortalFile, type PortalOptions, generatePortal, miniSearchBundlePath, redocBundlePath } from "./generate";
export { writePortal } from "./write";
export { buildPortal } from "./build-portal";
export { buildChangelogs, type ChangelogEntry, type Changelogs } from "./changelog";
export { generatePortalSdks, sdkDir } from "./sdk/generate";
export { buildSearchIndex, searchIndex, type SearchIndexFile } from "./search-index";
export { authOf, limitsOf, listedApis, listedPlans, listedProducts } from "./model";

/** Where the gateway serves the portal by default. */
export const DEFAULT_PORTAL_BASE_PATH = "/_turnpike/portal/";
