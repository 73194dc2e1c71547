/**
 * One reading of the path, through the real gateway: a request cannot be routed as one
 * operation (with its policies) and reach the upstream as another.
 */
import { connect } from "node:net";
import { Consumer, Credential, OpenApi, Plan, Product, Secret } from "../../constructs/index";
import { itemsApi, itemsContract, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

const KEY = "test-key-0123456789";
let upstream: TestUpstream;
let gateway: RunningGateway;

/** The items contract plus a public `GET /public/{slug}` and a keyed `GET /admin`. */
function contract(): ReturnType<typeof itemsContract> {
  return itemsContract((document) => {
    const paths = document.paths as Record<string, unknown>;
    paths["/public/{slug}"] = {
      parameters: [{ name: "slug", in: "path", required: true, schema: { type: "string" } }],
      get: { operationId: "getPublic", summary: "Public page", security: [], responses: { "200": { description: "A page." } } },
    };
    paths["/admin"] = { get: { operationId: "getAdmin", summary: "Admin", responses: { "200": { description: "Admin." } } } };
  });
}

beforeAll(async () => {
  upstream = await startUpstream();
  const platform = testPlatform();
  const strict = itemsApi(platform, "strict", { contract: OpenApi.fromDocument(contract()), upstream: { targets: [{ url: upstream.url }] } });
  const lenient = itemsApi(platform, "lenient", { contract: OpenApi.fromDocument(contract()), upstream: { targets: [{ url: upstream.url }], encodedSlashes: "forward" } });
  const product = new Product(platform, "shop", { apis: [strict, lenient], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "app", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("APP_KEY") })] });
  gateway = await startGateway(platform, { env: { APP_KEY: KEY } });
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** The path the upstream received, or null when the request never reached it. */
  readonly upstreamUrl: string | null;
}

/** Sends the target byte for byte (fetch would resolve its dot segments first). */
async function send(target: string, headers: Record<string, string> = {}): Promise<Answer> {
  const before = upstream.requests.length;
  const { port } = new URL(gateway.url);
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.write(`GET ${target} HTTP/1.1\r\nHost: api.example\r\n${lines}Connection: close\r\n\r\n`));
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("end", () => resolve(received));
    socket.on("error", reject);
  });
  const headEnd = text.indexOf("\r\n\r\n");
  const head = text.slice(0, headEnd).split("\r\n");
  const contentType = head.find((line) => line.toLowerCase().startsWith("content-type:"))?.slice(13).trim() ?? "";
  const received = upstream.requests.slice(before);
  return { status: Number(head[0]!.split(" ")[1]), contentType, body: text.slice(headEnd + 4), upstreamUrl: received.length === 0 ? null : received[received.length - 1]!.url };
}

const keyed = { "X-API-Key": KEY };

describe("the path the gateway routes is the path it forwards", () => {
  it("refuses /public/..%2Fadmin, which an upstream decoding %2F would serve as /admin without the key /admin needs", async () => {
    for (const target of ["/strict/v1/public/..%2Fadmin", "/strict/v1/public/%2e%2e%2fadmin", "/strict/v1/public/..%5Cadmin", "/strict/v1/public/a%2F..%2F..%2Fadmin"]) {
      const answer = await send(target);
      expect({ target, status: answer.status, upstreamUrl: answer.upstreamUrl }).toEqual({ target, status: 400, upstreamUrl: null });
      expect(answer.contentType).toBe("application/problem+json");
      expect(JSON.parse(answer.body)).toMatchObject({ type: "https://turnpike.dev/problems/bad-request", status: 400, detail: expect.stringContaining("upstream.encodedSlashes") });
    }
  });

  it("resolves dot segments before routing: /public/x/../../admin is /admin, with /admin's policies, and is forwarded as /admin", async () => {
    for (const target of ["/strict/v1/public/x/../../admin", "/strict/v1/public/%2e%2e/admin", "/strict/v1/./public/.%2E/admin"]) {
      expect({ target, status: (await send(target)).status }).toEqual({ target, status: 401 });
      const answer = await send(target, keyed);
      expect({ target, status: answer.status, upstreamUrl: answer.upstreamUrl }).toEqual({ target, status: 200, upstreamUrl: "/admin" });
    }
    // A trailing dot segment leaves its slash: /public/. is /public/ (an empty slug).
    expect((await send("/strict/v1/public/a/..?next=../x")).upstreamUrl).toBe("/public/?next=../x");
  });

  it("decodes unreserved characters before routing, so an encoded base path is stripped whole: /%73trict/v1/%61dmin is /admin", async () => {
    expect((await send("/%73trict/v1/%61dmin")).status).toBe(401);
    expect((await send("/%73tr%69ct/v%31/%61dmin", keyed)).upstreamUrl).toBe("/admin");
    expect((await send("/%73trict/v1/public/caf%C3%A9%7E")).upstreamUrl).toBe("/public/caf%C3%A9~");
  });

  it("refuses what servers read in different ways: a fragment, a backslash, a dot segment with parameters", async () => {
    for (const [target, words] of [
      ["/strict/v1/public/a#x", "fragment"],
      ["/strict/v1/public/a?b=1#x", "fragment"],
      ["/strict/v1/public/a\\..\\admin", "backslash"],
      ["/strict/v1/public/..;/admin", "servlet containers"],
    ] as const) {
      const answer = await send(target);
      expect({ target, status: answer.status, upstreamUrl: answer.upstreamUrl }).toEqual({ target, status: 400, upstreamUrl: null });
      expect(JSON.parse(answer.body).detail).toContain(words);
    }
  });

  it("forwards an encoded slash as sent where the upstream says it reads one as data (encodedSlashes: forward)", async () => {
    const answer = await send("/lenient/v1/public/group%2Fproject");
    expect({ status: answer.status, upstreamUrl: answer.upstreamUrl }).toEqual({ status: 200, upstreamUrl: "/public/group%2Fproject" });
    // Dot segments are still resolved there.
    expect((await send("/lenient/v1/public/x/../../admin", keyed)).upstreamUrl).toBe("/admin");
  });

  it("routes an absolute-form target (a client using the gateway as its proxy) by its path, when its host is the Host header's", async () => {
    const answer = await send("http://api.example/strict/v1/public/x/../abs?q=1");
    expect({ status: answer.status, upstreamUrl: answer.upstreamUrl }).toEqual({ status: 200, upstreamUrl: "/public/abs?q=1" });
    expect((await send("HTTP://API.EXAMPLE/strict/v1/admin")).status).toBe(401);
    expect((await send("http://api.example/strict/v1/admin", keyed)).upstreamUrl).toBe("/admin");
    for (const target of ["http://other.example/strict/v1/public/abs", "http://u@api.example/strict/v1/public/abs", "api.example:443"]) {
      const refused = await send(target);
      expect({ target, status: refused.status, upstreamUrl: refused.upstreamUrl }).toEqual({ target, status: 400, upstreamUrl: null });
    }
  });

  it("leaves ordinary paths, dotted names and queries as they are", async () => {
    for (const [target, forwarded] of [
      ["/strict/v1/public/file.tar.gz", "/public/file.tar.gz"],
      ["/strict/v1/public/.well-known", "/public/.well-known"],
      ["/strict/v1/public/caf%C3%A9?q=%2F..%2F&next=/a/../b", "/public/caf%C3%A9?q=%2F..%2F&next=/a/../b"],
    ] as const) {
      const answer = await send(target);
      expect({ target, status: answer.status, upstreamUrl: answer.upstreamUrl }).toEqual({ target, status: 200, upstreamUrl: forwarded });
    }
  });
});
