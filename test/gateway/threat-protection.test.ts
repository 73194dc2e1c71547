/**
 * threatProtection at the gateway: real requests through the gateway bundle. Rejections are
 * 400 problem+json naming the location and rule without echoing the value, and never reach
 * the upstream; ordinary requests are forwarded untouched.
 */
import { Consumer, Credential, Plan, Product, Secret, apiKey, threatProtection } from "../../constructs/index";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type RecordedRequest, type TestUpstream, startUpstream } from "../helpers/upstream";

const KEY = "threat-key-0123456789";
let upstream: TestUpstream;
let gateway: RunningGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  const platform = testPlatform();
  const target = { upstream: { targets: [{ url: upstream.url }] } };
  const strict = threatProtection({
    json: { maxDepth: 8, maxObjectKeys: 20, maxKeyLength: 32, maxArrayItems: 100, maxStringLength: 1_000 },
    xml: { maxDepth: 8 },
    injection: { patterns: ["\\$where"], locations: ["path", "query", "headers", "body"] },
  });
  // Encoded slashes let through (the gateway refuses them by default, before any policy) so that this policy is what screens them.
  const items = itemsApi(platform, "items", { upstream: { ...target.upstream, encodedSlashes: "forward" }, policies: [apiKey(), strict] });
  const defaults = itemsApi(platform, "defaults", { ...target, policies: [apiKey(), threatProtection()] });
  const product = new Product(platform, "shop", { apis: [items, defaults], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "app", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("APP_KEY") })] });
  gateway = await startGateway(platform, { env: { APP_KEY: KEY } });
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

interface Problem {
  type: string;
  status: number;
  detail: string;
  location: string;
  rule: string;
}

async function send(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; contentType: string | null; text: string; reached: boolean }> {
  const before = upstream.requests.length;
  const response = await fetch(`${gateway.url}${path}`, { method: init.method ?? "GET", headers: { "x-api-key": KEY, ...init.headers }, body: init.body });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get("content-type"), text, reached: upstream.requests.length > before };
}

const postJson = (body: string, api = "items") => send(`/${api}/v1/items`, { method: "POST", headers: { "content-type": "application/json" }, body });
const postXml = (body: string) => send("/items/v1/items", { method: "POST", headers: { "content-type": "application/xml" }, body });

/** Asserts a threat-detected rejection that never reached the upstream and returns its problem. */
function rejected(answer: Awaited<ReturnType<typeof send>>, kind = "threat-detected"): Problem {
  expect([answer.status, answer.contentType, answer.reached]).toEqual([400, "application/problem+json", false]);
  const problem = JSON.parse(answer.text) as Problem;
  expect(problem.type).toBe(`https://turnpike.dev/problems/${kind}`);
  return problem;
}

function forwarded(answer: Awaited<ReturnType<typeof send>>): RecordedRequest {
  expect([answer.status, answer.reached]).toEqual([200, true]);
  return upstream.requests.at(-1)!;
}

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

describe("JSON structure limits", () => {
  it("rejects a body nested deeper than maxDepth, and survives absurd depths", async () => {
    expect(rejected(await postJson(nested(9)))).toMatchObject({ location: "body", rule: "json.maxDepth", detail: "the JSON body nests objects and arrays deeper than 8 levels" });
    expect(rejected(await postJson(nested(200_000))).rule).toBe("json.maxDepth");
    forwarded(await postJson(nested(8)));
  });

  it("rejects too many array items, a too long string, too many keys and a too long key", async () => {
    const cases: [string, string][] = [
      [JSON.stringify(Array.from({ length: 101 }, (_, index) => index)), "json.maxArrayItems"],
      [JSON.stringify({ name: "x".repeat(1_001) }), "json.maxStringLength"],
      [JSON.stringify(Object.fromEntries(Array.from({ length: 21 }, (_, index) => [`k${index}`, index]))), "json.maxObjectKeys"],
      [JSON.stringify({ ["k".repeat(33)]: 1 }), "json.maxKeyLength"],
    ];
    for (const [body, rule] of cases) expect(rejected(await postJson(body)).rule).toBe(rule);
  });

  it("forwards JSON within the limits byte for byte", async () => {
    const body = JSON.stringify({ name: "O'Brien — \u00e9\u{1f600}", tags: Array.from({ length: 100 }, (_, index) => `t${index}`), nested: { a: [1, 2.5e3, -0, true, null] } }, null, 2);
    const seen = forwarded(await postJson(body));
    expect(seen.body).toBe(body);
    expect(seen.headers["content-type"]).toBe("application/json");
  });

  it("answers malformed JSON with 400 bad-request", async () => {
    expect(rejected(await postJson('{"name": "x",}'), "bad-request")).toMatchObject({ location: "body", rule: "malformed-json" });
  });

  it("refuses a compressed JSON body it cannot inspect with 415", async () => {
    const answer = await send("/items/v1/items", { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: "\u001f\u008b" });
    expect([answer.status, answer.reached, (JSON.parse(answer.text) as Problem).type]).toEqual([415, false, "https://turnpike.dev/problems/unsupported-media-type"]);
  });
});

describe("XML", () => {
  it("rejects a document with a DTD, without expanding anything", async () => {
    const lolz = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
    expect(rejected(await postXml(lolz))).toMatchObject({ location: "body", rule: "xml.dtd" });
  });

  it("rejects elements nested deeper than xml.maxDepth and forwards the rest", async () => {
    const deep = (depth: number) => "<a>".repeat(depth) + "</a>".repeat(depth);
    expect(rejected(await postXml(deep(9))).rule).toBe("xml.maxDepth");
    const fine = `<?xml version="1.0"?><!-- a comment --><item id="a>b"><name><![CDATA[<x>]]></name><empty/></item>`;
    expect(forwarded(await postXml(fine)).body).toBe(fine);
  });
});

describe("injection screening", () => {
  it("rejects SQL injection in the query without echoing it, and lets O'Brien and the word select through", async () => {
    const problem = rejected(await send("/items/v1/items?q=1' OR '1'='1"));
    expect(problem).toMatchObject({ location: "query", rule: "sql-injection", detail: 'the query parameter "q" matches the SQL injection rule' });
    expect(JSON.stringify(problem)).not.toMatch(/'1'='1|OR/);
    forwarded(await send("/items/v1/items?name=O'Brien"));
    forwarded(await send("/items/v1/items?q=select&sort=updated%20desc"));
    expect(rejected(await send("/items/v1/items?q=1%20UNION%20SELECT%20password%20FROM%20users")).rule).toBe("sql-injection");
  });

  it("rejects script in a header", async () => {
    const problem = rejected(await send("/items/v1/items", { headers: { "x-note": "<script>alert(1)</script>" } }));
    expect(problem).toMatchObject({ location: "headers", rule: "script-injection", detail: "the header x-note matches the script injection rule" });
  });

  it("rejects path traversal, encoded and double-encoded", async () => {
    expect(rejected(await send("/items/v1/items/..%2f..%2fetc%2fpasswd"))).toMatchObject({ location: "path", rule: "path-traversal" });
    expect(rejected(await send("/items/v1/items/%252e%252e%252fetc%252fpasswd")).rule).toBe("path-traversal");
    forwarded(await send("/items/v1/items/file.tar.gz"));
  });

  it("applies custom patterns, in the query and in JSON strings", async () => {
    expect(rejected(await send("/items/v1/items?filter=%24where")).rule).toBe("pattern-1");
    expect(rejected(await postJson(JSON.stringify({ name: { nested: ["this.$where"] } })))).toMatchObject({ location: "body", rule: "pattern-1", detail: "a JSON string in the body matches the custom pattern #1 rule" });
  });

  it("screens JSON strings after unescaping them, and only where the body is a screened location", async () => {
    const body = JSON.stringify({ name: "\u003cscript>alert(1)" }).replace("<", "\\u003c");
    expect(body).toContain("\\u003cscript");
    expect(rejected(await postJson(body)).rule).toBe("script-injection");
    // The defaults screen path, query and headers: the body goes through untouched.
    expect(forwarded(await postJson(body, "defaults")).body).toBe(body);
  });

  it("rejects form fields that match", async () => {
    const answer = await send("/items/v1/items", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "name=x&bio=%3Cscript%3Ealert(1)" });
    expect(rejected(answer)).toMatchObject({ location: "body", rule: "script-injection", detail: 'the form field "bio" matches the script injection rule' });
  });
});
