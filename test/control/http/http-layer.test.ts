/**
 * The control API's HTTP layer, whatever the route: unknown routes, wrong methods, media
 * types, body size and JSON errors, an unavailable store, and a property test that no JSON
 * body or query string makes it answer 500 or anything but JSON.
 */
import { request } from "node:http";
import fc from "fast-check";
import { ControlStoreError } from "../../../gateway-image/src/control/control-store";
import { ADMIN, BOOTSTRAP_TOKEN, type Harness, PORTAL, type PortalSession, signUp, startHarness } from "./harness";

let harness: Harness;
let session: PortalSession;
let appId: string;
let keyId: string;
let subscriptionId: string;

beforeAll(async () => {
  harness = await startHarness();
  session = await signUp(harness, "layer@example.com");
  appId = (await harness.call("POST", `${PORTAL}/apps`, { session, body: { name: "Layer" } })).body.id;
  keyId = (await harness.call("POST", `${PORTAL}/apps/${appId}/keys`, { session, body: {} })).body.credential.id;
  subscriptionId = (await harness.call("POST", `${PORTAL}/apps/${appId}/subscriptions`, { session, body: { product: "partners", plan: "gold" } })).body.id;
});
afterAll(() => harness.close());

it("answers 404 for unknown routes and 405 with Allow for a wrong method", async () => {
  const unknown = await harness.call("GET", "/_turnpike/nothing-here", { token: BOOTSTRAP_TOKEN });
  expect(unknown.status).toBe(404);
  expect(unknown.body).toMatchObject({ type: "https://turnpike.dev/problems/not-found", status: 404 });
  expect((await harness.call("GET", `${ADMIN}/apps/`, { token: BOOTSTRAP_TOKEN })).status).toBe(404);
  const wrong = await harness.call("DELETE", `${ADMIN}/apps/${appId}`, { token: BOOTSTRAP_TOKEN });
  expect(wrong.status).toBe(405);
  expect(wrong.headers.get("allow")).toBe("GET, PATCH, HEAD");
  expect((await harness.call("PUT", `${PORTAL}/signup`)).headers.get("allow")).toBe("POST");
});

it("answers HEAD like GET without a body", async () => {
  const head = await harness.call("HEAD", `${ADMIN}/catalog`, { token: BOOTSTRAP_TOKEN });
  expect(head.status).toBe(200);
  expect(head.text).toBe("");
});

it("requires application/json for bodies (415) and parses it strictly (400)", async () => {
  const form = await harness.call("POST", `${PORTAL}/signin`, { raw: "email=a&password=b", headers: { "content-type": "application/x-www-form-urlencoded" } });
  expect(form.status).toBe(415);
  expect(form.body.type).toBe("https://turnpike.dev/problems/unsupported-media-type");
  const noType = await harness.call("POST", `${PORTAL}/signin`, { raw: '{"email":"a","password":"b"}' });
  expect(noType.status).toBe(415);
  const broken = await harness.call("POST", `${PORTAL}/signin`, { raw: '{"email": "a",', headers: { "content-type": "application/json; charset=utf-8" } });
  expect(broken.status).toBe(400);
  expect(broken.body.detail).toMatch(/^the request body is not valid JSON/);
  const array = await harness.call("POST", `${PORTAL}/signin`, { body: ["not", "an", "object"] });
  expect(array.status).toBe(400);
  expect(array.body.errors).toEqual([{ field: "(root)", message: expect.any(String) }]);
});

it("refuses bodies over 64 KiB with 413, by Content-Length and while streaming", async () => {
  const big = JSON.stringify({ email: "a@example.com", password: "x".repeat(70 * 1024) });
  const declared = await harness.call("POST", `${PORTAL}/signin`, { raw: big, headers: { "content-type": "application/json" } });
  expect(declared.status).toBe(413);
  expect(declared.body.type).toBe("https://turnpike.dev/problems/payload-too-large");

  // Chunked, so the size is only known while reading.
  const status = await new Promise<number>((resolve, reject) => {
    const url = new URL(`${harness.url}${PORTAL}/signin`);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    for (let i = 0; i < 80; i++) req.write("x".repeat(1024));
    req.end();
  });
  expect(status).toBe(413);
});

it("answers 400 for a malformed path escape and ignores query strings of routes without a query schema", async () => {
  expect((await harness.call("GET", `${ADMIN}/apps/%E0%A4%A`, { token: BOOTSTRAP_TOKEN })).status).toBe(400);
  expect((await harness.call("GET", `${ADMIN}/catalog?cache=bust`, { token: BOOTSTRAP_TOKEN })).status).toBe(200);
});

it("answers 503 when the store is unavailable, and 500 without details for other failures", async () => {
  const failing = await startHarness();
  try {
    const store = failing.store;
    store.listApps = async () => {
      throw new ControlStoreError("unavailable", "connection refused to 10.0.0.7:5432");
    };
    store.listDevelopers = async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'rows')");
    };
    const unavailable = await failing.call("GET", `${ADMIN}/apps`, { token: BOOTSTRAP_TOKEN });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get("retry-after")).toBe("5");
    expect(unavailable.text).not.toContain("10.0.0.7");
    const bug = await failing.call("GET", `${ADMIN}/developers`, { token: BOOTSTRAP_TOKEN });
    expect(bug.status).toBe(500);
    expect(bug.text).not.toContain("rows");
    expect(bug.text).not.toContain("at ");
  } finally {
    await failing.close();
  }
});

describe("property: no input makes the control API fail", () => {
  /** Routes with a body, for both APIs, with what they need to get past authentication. */
  const targets = () => [
    { path: `${PORTAL}/signup` },
    { path: `${PORTAL}/signin` },
    { path: `${PORTAL}/apps`, session },
    { path: `${PORTAL}/apps/${appId}/subscriptions`, session },
    { path: `${PORTAL}/apps/${appId}/keys`, session },
    { path: `${PORTAL}/apps/${appId}/keys/${keyId}/rotate`, session },
    { path: `${ADMIN}/apps`, token: BOOTSTRAP_TOKEN },
    { path: `${ADMIN}/subscriptions`, token: BOOTSTRAP_TOKEN },
    { path: `${ADMIN}/subscriptions/${subscriptionId}/suspend`, token: BOOTSTRAP_TOKEN },
    { path: `${ADMIN}/apps/${appId}/keys`, token: BOOTSTRAP_TOKEN },
    { path: `${ADMIN}/admin-tokens`, token: BOOTSTRAP_TOKEN },
  ];

  /** Objects shaped like the real bodies more often than pure noise would be. */
  const bodies = fc.oneof(
    fc.jsonValue(),
    fc.dictionary(fc.constantFrom("email", "name", "password", "product", "plan", "appId", "developerId", "label", "expiresAt", "overlapSeconds", "role", "apis", "state", "reason", "__proto__", "constructor"), fc.jsonValue()),
  );

  it("answers every JSON body with 2xx or 4xx JSON, never 500", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: targets().length - 1 }), bodies, async (index, body) => {
        const target = targets()[index]!;
        const result = await harness.call("POST", target.path, { body, session: target.session, token: target.token });
        expect(result.status).toBeLessThan(500);
        expect(result.headers.get("content-type")).toMatch(/^application\/(problem\+)?json/);
        if (result.status >= 400) expect(result.body).toMatchObject({ type: expect.stringMatching(/^https:\/\/turnpike\.dev\/problems\//), status: result.status });
        if (result.status === 400 && result.body.type.endsWith("bad-request") && !result.body.detail.startsWith("the request body is not valid JSON")) {
          expect(result.body.errors.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("answers every query string with 2xx or 4xx, never 500", async () => {
    const paths = [`${ADMIN}/audit`, `${ADMIN}/apps`, `${ADMIN}/subscriptions`, `${ADMIN}/apps/${appId}/usage`, `${ADMIN}/developers`, `${ADMIN}/admin-tokens`];
    const keys = fc.constantFrom("limit", "cursor", "from", "to", "actor", "state", "appId", "origin", "consumerName", "entityId", "x");
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.array(fc.tuple(keys, fc.string({ maxLength: 40 })), { maxLength: 4 }), async (path, pairs) => {
        const query = new URLSearchParams(pairs).toString();
        const result = await harness.call("GET", `${path}?${query}`, { token: BOOTSTRAP_TOKEN });
        expect(result.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });
});
