/**
 * What the gateway does with how an upstream frames its answer, on both upstream clients
 * (the native one and undici): bodies it can pass on are passed on whole, answers it cannot
 * pass on faithfully are a 502, and nothing else about the gateway changes.
 */
import { type Server, createServer } from "node:net";
import { Consumer, Credential, Plan, Product, Secret } from "../../constructs/index";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { otherTransferCoding } from "../../gateway-image/src/upstream/upstream";

/** Raw answers by the query's first word, each on a connection of its own (the upstream closes after it). */
const ANSWERS: Record<string, string> = {
  "close-delimited": "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nclose-delimited body",
  "http-1.0": "HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nan HTTP/1.0 body",
  trailers: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-checksum\r\n\r\n5\r\nhello\r\n0\r\nx-checksum: 1\r\n\r\n",
  "gzip-chunked": "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  "gzip-alone": "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nhello",
  "length-and-chunked": "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  "two-lengths": "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!",
  "folded-header": "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-a: 1\r\n x-b: 2\r\n\r\nhello",
};

let upstream: Server;
const gateways: Record<"native" | "undici", RunningGateway> = {} as never;

beforeAll(async () => {
  upstream = createServer((socket) => {
    let head = "";
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.end(ANSWERS[/\?([\w.-]+)/.exec(head)?.[1] ?? ""] ?? "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const platform = testPlatform();
  const api = itemsApi(platform, "items", { upstream: { targets: [{ url: `http://127.0.0.1:${(upstream.address() as { port: number }).port}` }], timeoutMs: 2_000 } });
  const product = new Product(platform, "shop", { apis: [api], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "app", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("APP_KEY") })] });
  gateways.native = await startGateway(platform, { env: { APP_KEY: "test-key-0123456789" } });
  gateways.undici = await startGateway(platform, { env: { APP_KEY: "test-key-0123456789", TURNPIKE_UPSTREAM_CLIENT: "undici" } });
});

afterAll(async () => {
  await Promise.all(Object.values(gateways).map((gateway) => gateway?.stop()));
  upstream?.close();
});

describe.each(["native", "undici"] as const)("with the %s upstream client", (client) => {
  const get = async (key: string) => {
    const response = await fetch(`${gateways[client].url}/items/v1/health?${key}`);
    return { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
  };

  it("passes on a close-delimited body, an HTTP/1.0 one and a chunked one with trailers, whole", async () => {
    expect(await get("close-delimited")).toMatchObject({ status: 200, body: "close-delimited body" });
    expect(await get("http-1.0")).toMatchObject({ status: 200, body: "an HTTP/1.0 body" });
    expect(await get("trailers")).toMatchObject({ status: 200, body: "hello" });
  });

  it("answers 502 to a transfer coding other than chunked, which the client would get undecoded and unannounced", async () => {
    for (const key of ["gzip-chunked", "gzip-alone"]) {
      const answer = await get(key);
      expect({ key, status: answer.status, type: answer.type }).toEqual({ key, status: 502, type: "application/problem+json" });
      expect(answer.body).not.toContain("hello");
    }
  });

  it("answers 502 to ambiguous framing and folded headers, and goes on serving", async () => {
    for (const key of ["length-and-chunked", "two-lengths", "folded-header"]) expect({ key, status: (await get(key)).status }).toEqual({ key, status: 502 });
    expect(await get("trailers")).toMatchObject({ status: 200, body: "hello" });
  });
});

describe("otherTransferCoding", () => {
  it("finds any coding but chunked, in any case, in a Transfer-Encoding value", () => {
    expect(otherTransferCoding("chunked")).toBeNull();
    expect(otherTransferCoding(" Chunked ")).toBeNull();
    expect(otherTransferCoding("GZip, chunked")).toBe("gzip");
    expect(otherTransferCoding("chunked, deflate")).toBe("deflate");
    expect(otherTransferCoding("br,chunked")).toBe("br");
  });
});
