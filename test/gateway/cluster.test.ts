/**
 * One worker per core: two workers share the port (the primary hands each connection to the
 * worker with the fewest open), the embedded counters (a limit holds for the whole gateway,
 * exactly) and the operator endpoints; a dead worker is replaced.
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { type Socket, connect } from "node:net";
import { Agent, request } from "undici";
import { Consumer, Credential, Plan, Product, Secret, quota, rateLimit } from "../../constructs/index";
import { balancesConnections } from "../../gateway-image/src/cluster/primary";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

const KEY = "cluster-key-0123456789";
let upstream: TestUpstream;
let gateway: RunningGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  const platform = testPlatform();
  const api = itemsApi(platform, "items", {
    upstream: { targets: [{ url: upstream.url }] },
    operations: {
      // A window long enough that nothing refills during the test: exactly `burst` pass.
      listItems: { policies: [rateLimit({ requests: 10, perSeconds: 600, key: "global" })] },
      getItem: { policies: [quota({ requests: 15, period: "day", key: "global" })] },
    },
  });
  const product = new Product(platform, "shop", { apis: [api], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "app", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("APP_KEY") })] });
  gateway = await startGateway(platform, { env: { APP_KEY: KEY }, args: ["--workers", "2"] });
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

/** Sends `count` requests, each on a new connection, so the primary spreads them across workers. */
async function burst(path: string, count: number): Promise<number[]> {
  const statuses = await Promise.all(
    Array.from({ length: count }, async () => {
      const dispatcher = new Agent({ pipelining: 0 });
      try {
        const response = await request(`${gateway.url}${path}`, { headers: { "x-api-key": KEY, connection: "close" }, dispatcher });
        await response.body.dump();
        return response.statusCode;
      } finally {
        await dispatcher.close();
      }
    }),
  );
  return statuses;
}

function workersThatLogged(): Set<unknown> {
  return new Set(gateway.logs.filter((line) => line.msg === "request").map((line) => line.worker));
}

describe("two workers", () => {
  it("both serve traffic and /readyz reports them", async () => {
    const ready = await fetch(`${gateway.operatorUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", workers: 2, revision: gateway.manifest.metadata.revision });
    await burst("/items/v1/health", 20);
    // Access lines are buffered for up to 250 ms.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(workersThatLogged()).toEqual(new Set([1, 2]));
  });

  it("a rate limit holds for the whole gateway: 10 allowed, not 10 per worker", async () => {
    const statuses = await burst("/items/v1/items", 30);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20);
  });

  it("a quota holds for the whole gateway", async () => {
    const statuses = await burst("/items/v1/items/a", 25);
    expect(statuses.filter((status) => status === 200)).toHaveLength(15);
    expect(statuses.filter((status) => status === 429)).toHaveLength(10);
  });

  it("/metrics adds up the workers' counters", async () => {
    const text = await (await fetch(`${gateway.operatorUrl}/metrics`)).text();
    const sum = (operation: string, statusClass: string) =>
      text
        .split("\n")
        .filter((line) => line.startsWith("turnpike_requests_total{") && line.includes(`operation="${operation}"`) && line.includes(`status_class="${statusClass}"`))
        .reduce((total, line) => total + Number(line.split(" ").at(-1)), 0);
    expect(sum("listItems", "2xx")).toBe(10);
    expect(sum("listItems", "4xx")).toBe(20);
    expect(sum("getItem", "2xx")).toBe(15);
    expect(text).toContain(`turnpike_config_info{revision="${gateway.manifest.metadata.revision}"} 1`);
  });

  // node:http workers (TURNPIKE_HTTP_SERVER=node) and TURNPIKE_CONNECTION_BALANCE=round-robin keep Node's scheduling.
  (balancesConnections() ? it : it.skip)("hands each new connection to the worker with the fewest open, counting those that closed", async () => {
    // The connections of the tests before are closed (Connection: close), and their closes reported.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const first = [];
    for (let i = 0; i < 10; i++) first.push(await openConnection());
    const workerOf = await workersOf(first);
    // a: the worker that got the first connection (the access lines come in no particular order).
    const a = workerOf.get(first[0]!.requestId);
    const b = [...workerOf.values()].find((id) => id !== a);
    expect([...workerOf.values()].filter((id) => id === a)).toHaveLength(5);
    expect([...workerOf.values()].filter((id) => id === b)).toHaveLength(5);
    // Alternating, as each new connection goes to the worker with fewer.
    expect(first.map((connection) => workerOf.get(connection.requestId))).toEqual([a, b, a, b, a, b, a, b, a, b]);
    // Worker a's five close: the next four all go to a, which now has none against b's five.
    const ofA = first.filter((connection) => workerOf.get(connection.requestId) === a);
    await Promise.all(ofA.map(({ socket }) => new Promise<void>((resolve) => socket.end(() => resolve()))));
    // Time for the worker to see them close and tell the primary (well under this on an idle host).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const next = [];
    for (let i = 0; i < 4; i++) next.push(await openConnection());
    expect([...(await workersOf(next)).values()]).toEqual([a, a, a, a]);
    for (const { socket } of [...first, ...next]) socket.destroy();
  });

  it("replaces a worker that dies, and keeps serving meanwhile", async () => {
    const started = gateway.logs.filter((line) => line.msg === "gateway worker started");
    const victim = started.at(-1)!.pid as number;
    process.kill(victim, "SIGKILL");
    await gateway.waitForLog((line) => line.msg === "gateway worker exited unexpectedly; starting a new one");
    const statuses = await burst("/items/v1/health", 10);
    expect(statuses.every((status) => status === 200)).toBe(true);
    await gateway.waitForLog((line) => line.msg === "gateway worker started" && line.pid !== victim && !started.includes(line));
    await waitFor(async () => ((await (await fetch(`${gateway.operatorUrl}/readyz`)).json()) as { workers: number }).workers === 2);
  });
});

/** A keep-alive connection that has had one request answered, and that request's id. */
async function openConnection(): Promise<{ socket: Socket; requestId: string }> {
  const { port } = new URL(gateway.url);
  const socket = connect(Number(port), "127.0.0.1");
  await once(socket, "connect");
  const head = await new Promise<string>((resolve, reject) => {
    let received = "";
    const onData = (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (!received.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      resolve(received);
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.write("GET /items/v1/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
  });
  return { socket, requestId: /^x-request-id: (\S+)/im.exec(head)![1]! };
}

/** The worker that served each connection's request, from the access lines (written within 250 ms). */
async function workersOf(connections: readonly { requestId: string }[]): Promise<Map<string, unknown>> {
  const found = new Map<string, unknown>();
  await waitFor(async () => {
    for (const line of gateway.logs) if (line.msg === "request" && connections.some((connection) => connection.requestId === line.requestId)) found.set(line.requestId as string, line.worker);
    return found.size === connections.length;
  });
  return found;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("worker heap limits", () => {
  const heapFlagOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").find((arg) => arg.startsWith("--max-old-space-size=")) ?? null;
  const workerPids = (running: RunningGateway) => running.logs.filter((line) => line.msg === "gateway worker started").map((line) => line.pid as number);

  it("gives each worker its share of the memory limit as its old-generation limit", async () => {
    const running = await startGateway(testPlatform(), { args: ["--workers", "2", "--memory-limit-mb", "512"] });
    try {
      await running.waitForLog((line) => line.msg === "gateway listening");
      // (512 MiB − 96 for the primary) / 2 workers − 64 each outside the old generation.
      expect(running.logs.find((line) => line.msg === "worker heap limit: each worker's share of the memory limit")).toMatchObject({ workers: 2, memoryLimitMiB: 512, oldSpaceMiB: 144 });
      expect(workerPids(running).map(heapFlagOf)).toEqual(["--max-old-space-size=144", "--max-old-space-size=144"]);
    } finally {
      await running.stop();
    }
  });

  it("keeps the operator's --max-old-space-size and says the limit is small for the workers when it is", async () => {
    const operator = await startGateway(testPlatform(), { args: ["--workers", "2", "--memory-limit-mb", "512"], env: { NODE_OPTIONS: "--max-old-space-size=300" } });
    try {
      await operator.waitForLog((line) => line.msg === "gateway listening");
      expect(operator.logs.find((line) => line.msg === "worker heap limit")).toMatchObject({ heap: "set by --max-old-space-size" });
      expect(workerPids(operator).map(heapFlagOf)).toEqual([null, null]);
    } finally {
      await operator.stop();
    }
    const small = await startGateway(testPlatform(), { args: ["--workers", "3", "--memory-limit-mb", "300"] });
    try {
      await small.waitForLog((line) => line.msg === "gateway listening");
      expect(small.logs.find((line) => typeof line.msg === "string" && line.msg.startsWith("worker heap limit: the memory limit is small"))).toMatchObject({ level: 40, workers: 3, oldSpaceMiB: 64, neededMiB: 480 });
    } finally {
      await small.stop();
    }
  });

  it("refuses a memory limit that is not a whole number of MiB", async () => {
    await expect(startGateway(testPlatform(), { args: ["--workers", "2", "--memory-limit-mb", "half"] })).rejects.toThrow('--memory-limit-mb must be a whole number of MiB from 64 to 1048576, not "half"');
  });
});
