/**
 * The per-API changelog: consecutive listed versions of the same API are diffed by the
 * governance engine (Redocly's diff), and the portal shows the result on a changelog page
 * linked from each version's page.
 */
import fc from "fast-check";
import { OpenApi } from "../../constructs/index";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { buildChangelogs, buildPortal, generatePortal } from "../../portal-site/index";
import { compareVersions, versionPairs } from "../../portal-site/changelog";
import { detectContractChanges } from "../../policies/governance/breaking-changes";
import { acmePlatform } from "../../stacks/acme";
import { compileOk, itemsApi, itemsContract, testPlatform } from "../helpers/declaration";

type Json = Record<string, any>;

/** items 1.0.0, 2.0.0 (getItem removed, a required query parameter on listItems, a new operation) and 3.0.0 (a new optional field), declared out of order; and a lone "widgets". */
async function versionedManifest(): Promise<GatewayConfig> {
  const platform = testPlatform();
  const v2 = (document: Json) => {
    delete document.paths["/items/{itemId}"].get;
    document.paths["/items"].get.parameters.push({ name: "tenant", in: "query", required: true, schema: { type: "string" } });
    document.paths["/items/{itemId}/archive"] = {
      parameters: [{ name: "itemId", in: "path", required: true, schema: { type: "string" } }],
      post: { operationId: "archiveItem", summary: "Archive an item", responses: { "204": { description: "Archived." } } },
    };
  };
  const v3 = (document: Json) => {
    v2(document);
    document.components.schemas.Item.properties.colour = { type: "string" };
  };
  itemsApi(platform, "items-three", { name: "items", version: "3.0.0", contract: OpenApi.fromDocument(itemsContract((document) => v3(document as Json))) });
  itemsApi(platform, "items-one", { name: "items", version: "1.0.0" });
  itemsApi(platform, "items-two", { name: "items", version: "2.0.0", contract: OpenApi.fromDocument(itemsContract((document) => v2(document as Json))) });
  itemsApi(platform, "widgets", { version: "1.0.0" });
  return compileOk(platform);
}

describe("compareVersions", () => {
  const core = fc.tuple(fc.nat(50), fc.nat(50), fc.nat(50));
  it("orders by major, minor, patch numerically, like tuple comparison", () => {
    fc.assert(
      fc.property(core, core, (a, b) => {
        const expected = Math.sign(a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
        expect(Math.sign(compareVersions(a.join("."), b.join(".")))).toBe(expected);
        expect(Math.sign(compareVersions(b.join("."), a.join(".")))).toBe(-expected);
      }),
    );
  });
  it("puts a pre-release before its release", () => {
    fc.assert(fc.property(core, fc.stringMatching(/^[a-z]+\.[0-9]$/), (version, tag) => expect(compareVersions(`${version.join(".")}-${tag}`, version.join("."))).toBeLessThan(0)));
    expect(compareVersions("10.0.0", "9.9.9")).toBeGreaterThan(0);
  });
});

describe("the changelog of an API", () => {
  let manifest: GatewayConfig;
  beforeAll(async () => {
    manifest = await versionedManifest();
  });

  it("pairs consecutive listed versions of the same API, in version order", () => {
    const pairs = versionPairs(manifest);
    expect([...pairs.keys()]).toEqual(["items"]);
    expect(pairs.get("items")!.map(([older, newer]) => [older.version, newer.version])).toEqual([
      ["1.0.0", "2.0.0"],
      ["2.0.0", "3.0.0"],
    ]);
  });

  it("holds what the governance engine finds between each pair, newest first", async () => {
    const changelogs = await buildChangelogs(manifest);
    const entries = changelogs.get("items")!;
    expect(entries.map((entry) => [entry.from.version, entry.to.version])).toEqual([
      ["2.0.0", "3.0.0"],
      ["1.0.0", "2.0.0"],
    ]);
    const [one, two] = [manifest.spec.apis.find((api) => api.version === "1.0.0" && api.name === "items")!, manifest.spec.apis.find((api) => api.version === "2.0.0")!];
    expect(entries[1]!.changes).toEqual(await detectContractChanges(one.contract.document, two.contract.document));
    const breaking = entries[1]!.changes.filter((change) => change.rating === "breaking");
    expect(breaking.map((change) => [change.kind, change.operation, change.pointer])).toEqual([
      ["parameter-became-required", "GET /items", "/paths/~1items/get/parameters/1/required"],
      ["operation-removed", "GET /items/{itemId}", "/paths/~1items~1{itemId}/get"],
    ]);
    // The new operation is an addition a caller can use.
    expect(entries[1]!.changes.some((change) => change.impact === "minor" && change.pointer.startsWith("/paths/~1items~1{itemId}~1archive"))).toBe(true);
    // Adding an optional response field is not breaking.
    expect(entries[0]!.changes.some((change) => change.rating === "breaking")).toBe(false);
    expect(entries[0]!.changes.length).toBeGreaterThan(0);
  });

  it("is a page linked from every version's page, breaking changes first; a lone API has none", async () => {
    const files = generatePortal(manifest, { changelogs: await buildChangelogs(manifest) });
    const byPath = new Map(files.map((file) => [file.path, file.bytes.toString("utf8")]));
    const items = manifest.spec.apis.filter((api) => api.name === "items");
    for (const api of items) {
      expect(byPath.get(`apis/${api.id}/index.html`)).toContain('href="changelog.html"');
      const page = byPath.get(`apis/${api.id}/changelog.html`)!;
      expect(page).toContain("<h1>Items API changelog</h1>");
      // Newest pair first; within it, breaking before additions.
      expect(page.indexOf('data-to="items-v3"') < page.indexOf('data-to="items-v2"')).toBe(true);
      const start = page.indexOf('data-to="items-v2"');
      const section = page.slice(start, page.indexOf("</section>", start));
      expect(section).toContain("<h3>Breaking changes (2)</h3>");
      expect(section.indexOf("Breaking changes")).toBeLessThan(section.indexOf("Additions and other changes"));
      expect([...section.matchAll(/data-change="([^"]+)" data-rating="breaking"/g)].map((match) => match[1])).toEqual(["parameter-became-required", "operation-removed"]);
      expect(section).toContain("Required <code>tenant</code> query parameter was added.");
    }
    const widgets = manifest.spec.apis.find((api) => api.name === "widgets")!;
    expect(byPath.has(`apis/${widgets.id}/changelog.html`)).toBe(false);
    expect(byPath.get(`apis/${widgets.id}/index.html`)).not.toContain("changelog.html");
  });
});

describe("buildPortal on the acme example", () => {
  it("writes the orders changelog from 1.4.0 to 2.1.0 with its breaking changes, and every SDK", async () => {
    const manifest = await compileOk(acmePlatform());
    const files = await buildPortal(manifest);
    const byPath = new Map(files.map((file) => [file.path, file.bytes.toString("utf8")]));
    const page = byPath.get("apis/orders-v2/changelog.html")!;
    expect(page).toContain('data-from="orders-v1" data-to="orders-v2"');
    // orders v2 renamed /orders/{orderId}/cancel and made an Idempotency-Key header required.
    expect(page).toContain('data-change="path-removed" data-rating="breaking"');
    expect(page).toContain('data-change="parameter-became-required" data-rating="breaking"');
    expect(page).toContain("Idempotency-Key");
    expect(byPath.get("apis/orders-v1/index.html")).toContain('href="changelog.html"');
    expect(byPath.get("apis/orders-v1/changelog.html")).toContain('data-from="orders-v1" data-to="orders-v2"');
    for (const api of manifest.spec.apis.filter((candidate) => candidate.lifecycle !== "draft" && candidate.lifecycle !== "retired")) expect(byPath.has(`apis/${api.id}/sdk/sdk.tgz`)).toBe(true);
    expect(files.map((file) => file.path)).toEqual([...files.map((file) => file.path)].sort());
  });
});
