/** The diff report as a pull-request comment, for a crafted change set. */
import type { DiffReport } from "../../policies/governance/declaration-diff";
import { renderDiffMarkdown } from "../../policies/governance/diff-markdown";

const report: DiffReport = {
  base: { ref: "origin/main", revision: "sha256:aaaa" },
  head: { revision: "sha256:bbbb" },
  apis: [
    {
      id: "orders-v2",
      status: "changed",
      version: { base: "2.1.0", head: "2.2.0" },
      contract: [
        { kind: "parameter-removed", rating: "breaking", impact: "major", pointer: "/paths/~1orders/get/parameters/0/name", side: "revision", operation: "GET /orders", message: "`limit` query parameter was renamed to `max`." },
        { kind: "path-removed", rating: "breaking", impact: "major", pointer: "/paths/~1legacy", side: "base", operation: null, message: "Path `/legacy` was removed." },
        { kind: "operation-deprecated", rating: "non-breaking", impact: "minor", pointer: "/paths/~1orders/post/deprecated", side: "revision", operation: "POST /orders", message: "Operation `POST /orders` was deprecated." },
      ],
      lifecycle: [{ field: "version", base: "2.1.0", head: "2.2.0", consumerAffecting: false }],
      policies: [
        {
          policy: "rateLimit",
          scope: "orders-v2/createOrder/rateLimit:consumer",
          change: "changed",
          fields: [{ field: "requests", base: "2", head: "1", consumerAffecting: false }],
          consumerAffecting: true,
        },
        { policy: "cors", scope: "orders-v2/cors", change: "removed", fields: [], consumerAffecting: false },
      ],
      breakingWithoutMajor: true,
    },
    { id: "orders-v3", status: "added", version: { base: null, head: "3.0.0" }, contract: [], lifecycle: [], policies: [], breakingWithoutMajor: false },
    {
      id: "orders-v1",
      status: "changed",
      version: { base: "1.4.0", head: "1.4.0" },
      contract: [],
      lifecycle: [
        { field: "lifecycle", base: "published", head: "deprecated", consumerAffecting: true },
        { field: "sunset", base: "(none)", head: "2027-06-30", consumerAffecting: true },
      ],
      policies: [],
      breakingWithoutMajor: false,
    },
  ],
  plans: [
    {
      name: "pro",
      status: "changed",
      changes: [
        { field: "price", base: "49 USD/month", head: "59 USD/month", consumerAffecting: true },
        { field: "title", base: "Pro", head: "Pro | Teams", consumerAffecting: false },
      ],
      consumerAffecting: true,
    },
    { name: "gold", status: "added", changes: [], consumerAffecting: false },
  ],
  products: [
    {
      name: "shop",
      status: "changed",
      changes: [
        { field: "APIs removed", base: "payments-v1", head: "(none)", consumerAffecting: true },
        { field: "plans added", base: "(none)", head: "gold", consumerAffecting: false },
        { field: "approval", base: "auto", head: "manual", consumerAffecting: true },
      ],
      consumerAffecting: true,
    },
    { name: "legacy", status: "removed", changes: [], consumerAffecting: true },
  ],
  consumers: { added: ["northwind"], removed: ["demo"], changed: [] },
  artifacts: { added: ["kubernetes/eu-west-1/ConfigMap/turnpike-manifest-bbbb"], changed: ["aws/eu-west-1/orders-v2.json"], removed: ["kubernetes/eu-west-1/ConfigMap/turnpike-manifest-aaaa"] },
  breakingWithoutMajor: ["orders-v2"],
};

describe("renderDiffMarkdown", () => {
  it("renders the verdict, then contract, plan, policy and lifecycle, consumer and artifact changes", () => {
    expect(renderDiffMarkdown(report)).toBe(`## Turnpike diff: \`origin/main\` → working tree

❌ **Breaking contract changes without a new major version: \`orders-v2\`.** Release them as a new major version (a new \`Api\` with the next major \`version\`, the old one deprecated), or make them compatible.

### Contract changes

#### \`orders-v2\` 2.1.0 → 2.2.0 · 2 breaking, 1 non-breaking

| Rating | Change | Operation | Where | Details |
| --- | --- | --- | --- | --- |
| 🔴 breaking | \`parameter-removed\` | \`GET /orders\` | \`/paths/~1orders/get/parameters/0/name\` | \`limit\` query parameter was renamed to \`max\`. |
| 🔴 breaking | \`path-removed\` |  | \`/paths/~1legacy\` (base) | Path \`/legacy\` was removed. |
| 🟢 non-breaking | \`operation-deprecated\` | \`POST /orders\` | \`/paths/~1orders/post/deprecated\` | Operation \`POST /orders\` was deprecated. |

#### \`orders-v3\` added (3.0.0)

### Plans

| Plan | Change | Before | After | Consumers |
| --- | --- | --- | --- | --- |
| \`pro\` | price | 49 USD/month | 59 USD/month | ⚠️ affected |
| \`pro\` | title | Pro | Pro \\| Teams |  |
| \`gold\` | added |  |  |  |

### Products

| Product | Change | Before | After | Consumers |
| --- | --- | --- | --- | --- |
| \`shop\` | APIs removed | payments-v1 | (none) | ⚠️ affected |
| \`shop\` | plans added | (none) | gold |  |
| \`shop\` | approval | auto | manual | ⚠️ affected |
| \`legacy\` | removed |  |  | ⚠️ affected |

### Policies and lifecycle

| API | Change | Before | After | Consumers |
| --- | --- | --- | --- | --- |
| \`orders-v2\` | version | 2.1.0 | 2.2.0 |  |
| \`orders-v2\` | \`rateLimit\` \`orders-v2/createOrder/rateLimit:consumer\`: requests | 2 | 1 | ⚠️ affected |
| \`orders-v2\` | \`cors\` \`orders-v2/cors\` removed |  |  |  |
| \`orders-v1\` | lifecycle | published | deprecated | ⚠️ affected |
| \`orders-v1\` | sunset | (none) | 2027-06-30 | ⚠️ affected |

### Consumers

- Added: \`northwind\`
- Removed: \`demo\`

### Synthesized artifacts

1 added, 1 changed, 1 removed.

| Artifact | Change |
| --- | --- |
| \`kubernetes/eu-west-1/ConfigMap/turnpike-manifest-bbbb\` | added |
| \`aws/eu-west-1/orders-v2.json\` | changed |
| \`kubernetes/eu-west-1/ConfigMap/turnpike-manifest-aaaa\` | removed |
`);
  });

  it("keeps a table row on one line whatever line break a value holds (CR, LF or CRLF)", () => {
    const titles: DiffReport = {
      ...report,
      apis: [],
      consumers: { added: [], removed: [], changed: [] },
      artifacts: { added: [], changed: [], removed: [] },
      breakingWithoutMajor: [],
      plans: [{ name: "pro", status: "changed", changes: [{ field: "title", base: "Pro\rplan", head: "Pro\r\nTeams\nplan", consumerAffecting: false }], consumerAffecting: false }],
    };
    expect(renderDiffMarkdown(titles)).toContain("\n| `pro` | title | Pro plan | Pro Teams plan |  |\n");
  });

  it("says so when nothing changed, and gives the all-clear verdict", () => {
    const empty: DiffReport = { ...report, apis: [], plans: [], products: [], consumers: { added: [], removed: [], changed: [] }, artifacts: { added: [], changed: [], removed: [] }, breakingWithoutMajor: [] };
    expect(renderDiffMarkdown(empty)).toBe(
      "## Turnpike diff: `origin/main` → working tree\n\n✅ No breaking contract change without a new major version.\n\nNo changes to APIs, plans, products, policies, consumers or synthesized artifacts.\n",
    );
  });
});
