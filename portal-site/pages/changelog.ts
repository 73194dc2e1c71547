/**
 * An API's changelog page: per pair of consecutive versions, what changed for consumers, as
 * the engine rates it by semver impact: breaking changes (major), then additions (minor), then
 * documentation and example changes (patch, folded), each with its operation and place.
 */
import type { Api } from "../../constructs/manifest/schema";
import type { ContractChange } from "../../policies/governance/breaking-changes";
import type { ChangelogEntry } from "../changelog";
import { html } from "../html";
import { type PageSpec, type Site, link } from "../layout";
import { apiDir } from "./api";

/** Where an API version's changelog page is. */
export function changelogPath(api: Api): string {
  return `${apiDir(api)}changelog.html`;
}

/** The API's changelog entries; empty when it has one listed version. */
export function changelogOf(site: Site, api: Api): readonly ChangelogEntry[] {
  return site.changelogs.get(api.name) ?? [];
}

/** The engine's message, whose `backticked` names become code. */
function message(text: string) {
  return text.split("`").map((part, index) => (index % 2 === 1 ? html`<code>${part}</code>` : html`${part}`));
}

function changeList(changes: readonly ContractChange[]) {
  return html`<ul class="changes">
${changes.map(
  (change) => html`<li data-change="${change.kind}" data-rating="${change.rating}">${change.operation ? html`<code>${change.operation}</code>: ` : ""}${message(change.message)} <span class="muted">(<code>${change.pointer}</code>)</span></li>\n`,
)}</ul>`;
}

export function changelogPage(site: Site, api: Api): PageSpec {
  const path = changelogPath(api);
  const to = (target: string) => link(path, target);
  const entries = changelogOf(site, api);
  const body = html`<p><a href="${to("catalog/")}">API catalog</a> › <a href="./">${api.title} ${api.version}</a> › Changelog</p>
<h1>${api.title} changelog</h1>
<p class="lead">What changed for callers from one version to the next, from the two versions' contracts. A breaking change needs a change in your code before you move to the newer version.</p>
${entries.map((entry) => {
  const breaking = entry.changes.filter((change) => change.impact === "major");
  const features = entry.changes.filter((change) => change.impact === "minor");
  const documentation = entry.changes.filter((change) => change.impact === "patch");
  const id = `v${entry.to.version.replace(/[^A-Za-z0-9]+/g, "-")}`;
  return html`<section aria-labelledby="${id}" data-from="${entry.from.id}" data-to="${entry.to.id}">
<h2 id="${id}"><a href="${to(`apis/${entry.to.id}/`)}">${entry.to.version}</a> <span class="muted">from <a href="${to(`apis/${entry.from.id}/`)}">${entry.from.version}</a></span></h2>
${entry.changes.length === 0 ? html`<p>No change to the contract.</p>` : ""}
${breaking.length > 0 ? html`<h3>Breaking changes (${breaking.length})</h3>\n${changeList(breaking)}` : ""}
${features.length > 0 ? html`<h3>Additions and other changes (${features.length})</h3>\n${changeList(features)}` : ""}
${documentation.length > 0 ? html`<details><summary>Documentation and example changes (${documentation.length})</summary>\n${changeList(documentation)}</details>` : ""}
</section>\n`;
})}`;
  return { path, title: `${api.title} changelog`, section: "catalog", body };
}
