/**
 * The bench's open-loop load generator (cli/bench/open-loop/open-loop-load.c), compiled with
 * the system's C compiler and run against real local HTTP servers: it holds the asked rate,
 * counts a server's stall from each request's due time (the stall a closed loop hides), reads
 * Content-Length, chunked and close-framed answers, and counts failures instead of dying.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildOpenLoopLoad, runOpenLoop } from "../../cli/bench/open-loop";

let dir: string;
let binary: string;
const servers: Server[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "open-loop-"));
  binary = buildOpenLoopLoad(dir);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, index: number) => void): Promise<string> {
  let index = 0;
  const server = createServer((req, res) => handler(req, res, index++));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/items?x=1`;
}

const json = (res: ServerResponse, status = 200) => {
  res.writeHead(status, { "content-type": "application/json", "content-length": "11" });
  res.end('{"ok":true}');
};

describe("open-loop-load", () => {
  it("holds the asked rate and sends the path and headers asked for", async () => {
    const seen = new Set<string>();
    const url = await serve((req, res) => {
      seen.add(`${req.url} ${req.headers["x-api-key"]}`);
      json(res);
    });
    const result = await runOpenLoop(binary, { url, rate: 2000, durationSeconds: 2, warmupSeconds: 0.5, connections: 16, headers: { "X-API-Key": "k1" } });
    expect(result.requests).toBeGreaterThan(2000 * 2 * 0.95);
    expect(result.requests).toBeLessThan(2000 * 2 * 1.05);
    expect(result.requestsPerSecond).toBeCloseTo(result.requests / 2, 5);
    expect(result.errors + result.non2xx + result.timeouts).toBe(0);
    expect(result.latencyMs.p50).toBeGreaterThan(0);
    expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p99);
    expect(result.latencyMs.p99).toBeLessThanOrEqual(result.latencyMs.max);
    expect([...seen]).toEqual(["/items?x=1 k1"]);
  });

  it("counts a stall from each request's due time, not from when a connection was free", async () => {
    // Every answer is held back for 300 ms once, half a second into the run: with 4
    // connections, the requests that fall due meanwhile wait in the generator's queue.
    let stallUntil = 0;
    const started = Date.now();
    const url = await serve((_req, res) => {
      const now = Date.now();
      if (stallUntil === 0 && now - started > 500) stallUntil = now + 300;
      if (now < stallUntil) setTimeout(() => json(res), stallUntil - now);
      else json(res);
    });
    const result = await runOpenLoop(binary, { url, rate: 500, durationSeconds: 2, connections: 4 });
    expect(result.errors).toBe(0);
    expect(result.backlogMax).toBeGreaterThan(50);
    // ~150 of ~1,000 requests fell due in the stall, waiting up to 300 ms: p90 ≈ 100 ms.
    expect(result.latencyMs.max).toBeGreaterThan(250);
    expect(result.latencyMs.p90).toBeGreaterThan(40);
    // Timed from their own write, the queued requests look fast: what a closed loop reports.
    expect(result.serviceMs.p90).toBeLessThan(result.latencyMs.p90 / 2);
  });

  it("reads chunked and close-delimited answers, and opens a closed connection again", async () => {
    const url = await serve((_req, res, index) => {
      if (index % 3 === 0) {
        res.writeHead(200, { "content-type": "text/plain" }); // chunked
        res.write("first,");
        res.end("second");
      } else if (index % 3 === 1) {
        res.writeHead(200, { "content-length": "2", connection: "close" });
        res.end("ok");
      } else json(res, 503);
    });
    const result = await runOpenLoop(binary, { url, rate: 300, durationSeconds: 1.5, connections: 8 });
    expect(result.errors + result.timeouts).toBe(0);
    expect(result.requests).toBeGreaterThan(300 * 1.5 * 0.9);
    expect(result.reconnects).toBeGreaterThan(result.requests / 3 - 20);
    expect(Math.abs(result.non2xx - result.requests / 3)).toBeLessThan(20);
  });

  it("counts connections dropped under a request as errors and keeps going", async () => {
    const url = await serve((req, res, index) => {
      if (index % 4 === 0) req.socket.destroy();
      else json(res);
    });
    const result = await runOpenLoop(binary, { url, rate: 400, durationSeconds: 1.5, connections: 8 });
    expect(result.errors).toBeGreaterThan(400 * 1.5 * 0.25 * 0.8);
    expect(result.errors).toBeLessThan(400 * 1.5 * 0.25 * 1.2);
    expect(result.requests).toBeGreaterThan(400 * 1.5 * 0.75 * 0.9);
  });

  it("counts an answer that never comes as a timeout", async () => {
    const url = await serve((_req, res, index) => {
      if (index !== 3) json(res);
    });
    const result = await runOpenLoop(binary, { url, rate: 100, durationSeconds: 1, connections: 2, timeoutSeconds: 0.3 });
    expect(result.timeouts).toBe(1);
    expect(result.requests).toBeGreaterThan(90);
  });

  it("refuses bad arguments with a usage line (exit 2)", () => {
    const run = spawnSync(binary, ["--url", "http://127.0.0.1:1/"], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--rate");
    const header = spawnSync(binary, ["--url", "http://127.0.0.1:1/", "--rate", "10", "--header", "no-colon"], { encoding: "utf8" });
    expect(header.status).toBe(2);
    expect(header.stderr).toContain("Name: value");
  });
});
