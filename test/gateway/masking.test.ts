/**
 * masking through the real gateway (the bundle) to a real upstream: what the client gets for
 * JSON answers, compressed answers, answers that cannot be masked, HEAD and conditional
 * answers, plan-level rules, and a cache in front of the upstream.
 */
import { request } from "node:http";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { Consumer, Credential, Plan, Product, Secret, apiKey, cache, masking } from "../../constructs/index";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type RecordedRequest, type TestUpstream, startUpstream } from "../helpers/upstream";
import type { ServerResponse } from "node:http";

const FREE_KEY = "key-free-0123456789abcdef";
const GOLD_KEY = "key-gold-0123456789abcdef";

/** What the upstream answers next; each test sets it. */
let answer: (request: RecordedRequest, res: ServerResponse) => void;
let upstream: TestUpstream;
let gateway: RunningGateway;

const json = (body: string | Buffer, headers: Record<string, string> = {}, status = 200) => (_request: RecordedRequest, res: ServerResponse) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body);
};

beforeAll(async () => {
  upstream = await startUpstream((recorded, res) => answer(recorded, res));
  const platform = testPlatform();
  const target = { targets: [{ url: upstream.url }] };
  const rules = masking({
    fields: [
      { path: "$..email" },
      { path: "$.card.number", keepLast: 4 },
      { path: "$..password", action: "remove" },
      { path: "$.items[*].secret", action: "remove" },
    ],
    maxBodyBytes: 4_096,
  });
  const masked = itemsApi(platform, "masked", { upstream: target, policies: [apiKey(), rules] });
  const passing = itemsApi(platform, "passing", { upstream: target, policies: [apiKey(), masking({ fields: [{ path: "$..email" }], nonJson: "pass" })] });
  const cached = itemsApi(platform, "cached", { upstream: target, policies: [apiKey(), masking({ fields: [{ path: "$..email" }] }), cache({ ttlSeconds: 60, perConsumer: false })] });
  const product = new Product(platform, "shop", {
    apis: [masked, passing, cached],
    plans: [new Plan(platform, "free", { policies: [masking({ fields: [{ path: "$..name", replacement: "[hidden]" }] })] }), new Plan(platform, "gold")],
  });
  new Consumer(platform, "free-app", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("FREE_KEY") })] });
  new Consumer(platform, "gold-app", { subscriptions: [{ product, plan: "gold" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("GOLD_KEY") })] });
  gateway = await startGateway(platform, { env: { FREE_KEY, GOLD_KEY } });
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request with node:http, which (unlike fetch) neither asks for nor undoes a content coding. */
function send(path: string, options: { method?: string; key?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, gateway.url);
    const req = request(url, { method: options.method ?? "GET", headers: { "x-api-key": options.key ?? GOLD_KEY, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const lastUpstreamRequest = () => upstream.requests.at(-1)!;
const problemType = (answer: Answer) => (JSON.parse(answer.body.toString()) as { type: string }).type;
const UNREWRITABLE = "https://turnpike.dev/problems/unrewritable-response";

describe("masking a JSON answer", () => {
  it("redacts and removes the named fields and keeps everything else exactly, numbers included", async () => {
    answer = json('{"id": 1234567890123456789, "price": 1.10, "email": "a@example.com", "card": {"number": "4111111111111111", "exp": "12/29"},\n "password": "x", "nested": [{"email": "b@example.com", "password": "y", "n": 1e2}], "items": [{"secret": 1, "keep": true}]}');
    const response = await send("/masked/v1/items");
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('{"id":1234567890123456789,"price":1.10,"email":"****","card":{"number":"****1111","exp":"12/29"},"nested":[{"email":"****","n":1e2}],"items":[{"keep":true}]}');
    expect(response.headers["content-length"]).toBe(String(response.body.length));
    expect(response.headers["content-type"]).toBe("application/json");
  });

  it("asks the upstream for the whole, uncoded document", async () => {
    answer = json('{"a":1}');
    await send("/masked/v1/items", { headers: { range: "bytes=0-10", "if-range": '"v1"', "accept-encoding": "gzip, br" } });
    const seen = lastUpstreamRequest();
    expect(seen.headers.range).toBeUndefined();
    expect(seen.headers["if-range"]).toBeUndefined();
    expect(seen.headers["accept-encoding"]).toBe("identity");
  });

  it("sends an answer no rule matches byte for byte", async () => {
    const body = '{\n  "id": 1.0,\n  "name": "widget"\n}\n';
    answer = json(body, { etag: '"v7"' });
    const response = await send("/masked/v1/items");
    expect(response.body.toString()).toBe(body);
    expect(response.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
  });

  it("masks +json media types and problem documents", async () => {
    answer = json('{"email":"a@example.com"}', { "content-type": "application/vnd.api+json; charset=utf-8" });
    expect((await send("/masked/v1/items")).body.toString()).toBe('{"email":"****"}');
    answer = json('{"type":"about:blank","detail":"user a@example.com","email":"a@example.com"}', { "content-type": "application/problem+json" }, 404);
    const response = await send("/masked/v1/items/7");
    expect([response.status, response.body.toString()]).toEqual([404, '{"type":"about:blank","detail":"user a@example.com","email":"****"}']);
  });

  it("weakens a strong ETag and drops what described the upstream's bytes", async () => {
    answer = json('{"email":"a@example.com"}', { etag: '"abc"', "content-digest": "sha-256=:AAAA:", "accept-ranges": "bytes", "content-md5": "Q2hlY2sgSW50ZWdyaXR5IQ==" });
    const response = await send("/masked/v1/items");
    expect(response.headers.etag).toBe('W/"abc"');
    for (const name of ["content-digest", "accept-ranges", "content-md5"]) expect(response.headers[name]).toBeUndefined();
    answer = json('{"email":"a@example.com"}', { etag: 'W/"weak"' });
    expect((await send("/masked/v1/items")).headers.etag).toBe('W/"weak"');
  });

  it("gives HEAD and 304 answers the same headers, without a length it cannot know", async () => {
    answer = json('{"email":"a@example.com"}', { etag: '"abc"' });
    const head = await send("/masked/v1/items", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBeUndefined();
    expect(head.headers.etag).toBe('W/"abc"');
    answer = (_request, res) => {
      res.writeHead(304, { etag: '"abc"' });
      res.end();
    };
    const notModified = await send("/masked/v1/items", { headers: { "if-none-match": 'W/"abc"' } });
    expect([notModified.status, notModified.headers.etag]).toEqual([304, 'W/"abc"']);
    expect(lastUpstreamRequest().headers["if-none-match"]).toBe('W/"abc"');
  });

  it("lets a body-less answer through", async () => {
    answer = (_request, res) => {
      res.writeHead(204);
      res.end();
    };
    expect((await send("/masked/v1/items/1", { method: "DELETE" })).status).toBe(204);
  });
});

describe("compressed answers", () => {
  const document = '{"email":"a@example.com","n":12345678901234567890}';
  const masked = '{"email":"****","n":12345678901234567890}';
  it.each([
    ["gzip", gzipSync(document)],
    ["x-gzip", gzipSync(document)],
    ["br", brotliCompressSync(document)],
    ["deflate", deflateSync(document)],
    ["deflate", deflateRawSync(document)],
    ["gzip, br", brotliCompressSync(gzipSync(document))],
  ])("decodes %s from an upstream that compresses anyway, and sends the masked document uncoded", async (coding, body) => {
    answer = json(body, { "content-encoding": coding });
    const response = await send("/masked/v1/items", { headers: { "accept-encoding": "gzip" } });
    expect([response.status, response.headers["content-encoding"], response.body.toString()]).toEqual([200, undefined, masked]);
  });

  it("refuses a coding it cannot decode", async () => {
    answer = json(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), { "content-encoding": "zstd" });
    const response = await send("/masked/v1/items");
    expect([response.status, problemType(response)]).toEqual([502, UNREWRITABLE]);
    expect(JSON.parse(response.body.toString()).detail).toMatch(/content coding "zstd"/);
  });

  it("refuses a compressed body that inflates past the limit, without inflating it all", async () => {
    const bomb = gzipSync(Buffer.alloc(4_000_000, 0x20));
    expect(bomb.length).toBeLessThan(4_096);
    answer = json(bomb, { "content-encoding": "gzip" });
    const response = await send("/masked/v1/items");
    expect([response.status, problemType(response)]).toEqual([502, UNREWRITABLE]);
    expect(JSON.parse(response.body.toString()).detail).toMatch(/larger than 4096 bytes once decoded/);
  });

  it("refuses data that is not what its coding says", async () => {
    answer = json("not gzip at all", { "content-encoding": "gzip" });
    expect((await send("/masked/v1/items")).status).toBe(502);
  });
});

describe("answers that cannot be masked are never sent as they came", () => {
  it.each([
    ["HTML", "text/html", "<p>a@example.com</p>", /not JSON/],
    ["truncated JSON", "application/json", '{"email": "a@example.com"', /JSON answer cannot be read to mask it: found the end of the text at offset 25/],
    ["JSON with a name twice", "application/json", '{"email": "a@example.com", "email": "b@example.com"}', /twice/],
    ["JSON that is not UTF-8", "application/json", Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), /not valid UTF-8/],
    ["an empty JSON answer", "application/json", "", /empty/],
    ["JSON over maxBodyBytes", "application/json", `{"email":"${"x".repeat(5_000)}"}`, /larger than 4096 bytes, the most/],
  ])("%s gets a 502 problem", async (_name, type, body, reason) => {
    answer = json(body, { "content-type": type });
    const response = await send("/masked/v1/items");
    expect(response.status).toBe(502);
    expect(response.headers["content-type"]).toBe("application/problem+json");
    expect(problemType(response)).toBe(UNREWRITABLE);
    expect(JSON.parse(response.body.toString()).detail).toMatch(reason);
    expect(response.body.toString()).not.toMatch(/example\.com/);
  });

  it("refuses a 206 part of a document", async () => {
    answer = json('{"email":"a', { "content-range": "bytes 0-10/30" }, 206);
    const response = await send("/masked/v1/items");
    expect([response.status, problemType(response)]).toEqual([502, UNREWRITABLE]);
  });

  it("answers 502 when the upstream cuts its answer off, instead of a truncated body", async () => {
    answer = (_request, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"email":"a@example.com",');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const response = await send("/masked/v1/items");
    expect([response.status, problemType(response)]).toEqual([502, UNREWRITABLE]);
  });

  it("keeps serving afterwards", async () => {
    answer = json('{"email":"a@example.com"}');
    expect((await send("/masked/v1/items")).body.toString()).toBe('{"email":"****"}');
  });

  it("passes a non-JSON answer unchanged where nonJson is pass", async () => {
    answer = json("<p>a@example.com</p>", { "content-type": "text/html", "content-length": "20" });
    const response = await send("/passing/v1/items");
    expect([response.status, response.body.toString(), response.headers["content-length"]]).toEqual([200, "<p>a@example.com</p>", "20"]);
  });
});

describe("plans and caches", () => {
  it("applies a plan's rules to its consumers only, after the API's", async () => {
    answer = json('{"name":"Ada","email":"ada@example.com","items":[{"name":"widget"}]}');
    expect((await send("/masked/v1/items", { key: FREE_KEY })).body.toString()).toBe('{"name":"[hidden]","email":"****","items":[{"name":"[hidden]"}]}');
    expect((await send("/masked/v1/items", { key: GOLD_KEY })).body.toString()).toBe('{"name":"Ada","email":"****","items":[{"name":"widget"}]}');
  });

  it("masks answers served from the cache, for each plan as it masks", async () => {
    let calls = 0;
    answer = (recorded, res) => {
      calls++;
      json('{"name":"Ada","email":"ada@example.com"}', { "cache-control": "max-age=60" })(recorded, res);
    };
    const first = await send("/cached/v1/items/42", { key: GOLD_KEY });
    const hit = await send("/cached/v1/items/42", { key: FREE_KEY });
    const again = await send("/cached/v1/items/42", { key: GOLD_KEY });
    expect(calls).toBe(1);
    expect([first.headers["x-cache"], hit.headers["x-cache"], again.headers["x-cache"]]).toEqual(["MISS", "HIT", "HIT"]);
    expect(first.body.toString()).toBe('{"name":"Ada","email":"****"}');
    expect(hit.body.toString()).toBe('{"name":"[hidden]","email":"****"}');
    expect(again.body.toString()).toBe('{"name":"Ada","email":"****"}');
    expect(again.headers["content-length"]).toBe(String(again.body.length));
  });
});
