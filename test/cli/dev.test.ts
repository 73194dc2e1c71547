/**
 * `npm start` (`turnpike dev`) as a user runs it: a real process that compiles, starts the
 * gateway and the contract mock (for APIs declared `mock: true` and those whose upstream is
 * unreachable), prints a curl that works as pasted, reloads on every change, survives a
 * broken edit, and stops cleanly on Ctrl-C.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, tempProject } from "../helpers/cli";

const CLI = join(REPO_ROOT, "cli", "bin", "turnpike.js");

interface DevProcess {
  readonly child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Ctrl-C; resolves to the exit code. */
  interrupt(): Promise<number | null>;
}

function startDev(cwd: string, args: string[]): DevProcess {
  const child = spawn(process.execPath, [CLI, ...args, "dev", "--port", "0", "--operator-port", "0"], { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => text,
    waitFor: async (pattern, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = text.slice(0).match(pattern);
        if (match) return match;
        if (child.exitCode !== null) throw new Error(`turnpike dev exited (${child.exitCode}):\n${text}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} in turnpike dev's output within ${timeoutMs} ms:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    interrupt: () => {
      if (child.exitCode === null) child.kill("SIGINT");
      return exited;
    },
  };
}

/** Runs the printed curl command as a user would paste it. */
function paste(curl: string): string {
  return execFileSync("sh", ["-c", `${curl} --silent --show-error --max-time 5`], { encoding: "utf8" });
}

describe("npm start on the example organisation", () => {
  let dev: DevProcess;
  afterAll(() => dev?.interrupt());

  it("serves stacks/ through the gateway and prints a curl that works as pasted", async () => {
    const out = mkdtempSync(join(tmpdir(), "turnpike-dev-out-"));
    dev = startDev(REPO_ROOT, ["--out", out]);
    const [, curl] = await dev.waitFor(/try it:\n\s+(curl .+)\n/);
    await dev.waitFor(/✔ listOrders answered 200: the curl above works/);
    expect(dev.output()).toMatch(/✔ gateway serving 4 APIs at http:\/\/127\.0\.0\.1:\d+/);
    expect(dev.output()).toMatch(/✔ contract mock for 4 of 4 APIs at http:\/\/127\.0\.0\.1:\d+/);
    expect(dev.output()).toMatch(/^ +orders-v2 +mock: declared$/m);
    expect(dev.output()).toContain("Orders API 1.4.0 [deprecated, sunset 2027-06-30]  /orders/v1 → contract mock");
    expect(dev.output().match(/^ {2}(GET|POST|PUT|PATCH|DELETE) /gm)).toHaveLength(19);
    expect(curl).toMatch(/\/orders\/v2\/orders'$/);
    const answer = paste(curl!);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(/\r\nratelimit-policy: /i);
    // The body is listOrders' first 200 example in stacks/apis/orders-v2.yaml, from the contract mock.
    expect(answer).toMatch(/\r\nx-turnpike-mock: orders-v2 listOrders\r\n/);
    expect(answer).toMatch(/\r\ncontent-type: application\/json\r\n/);
    const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as { data: { id: string }[]; hasMore: boolean; nextCursor: string };
    expect(body).toMatchObject({ hasMore: true, nextCursor: "b3JkXzVrUXg3aFQybVo5d0xwM1I" });
    expect(body.data[0]!.id).toBe("ord_5kQx7hT2mZ9wLp3R");
    // Prism's convention picks another declared response.
    expect(paste(`${curl!} -H 'Prefer: example=lastPage'`)).toMatch(/\r\n\r\n\{\n {2}"data": \[\],\n {2}"hasMore": false,/);
    // The dev key is kept, so the pasted curl still works after a restart.
    const keys = JSON.parse(readFileSync(join(out, "dev-keys.json"), "utf8")) as Record<string, string>;
    expect(curl).toContain(keys.TURNPIKE_DEMO_API_KEY!);
    // The control plane: a SQLite file in the output directory, its admin API answering the printed token (kept with the keys).
    const [, adminApi, portalApi] = await dev.waitFor(/admin API\s+(http:\/\/\S+)\s+portal API\s+(http:\/\/\S+)/);
    const [, token] = await dev.waitFor(/admin token\s+(\S+)/);
    expect(keys.TURNPIKE_ADMIN_TOKEN).toBe(token);
    expect(portalApi).toMatch(/\/_turnpike\/portal\/v1$/);
    const whoami = await fetch(`${adminApi}/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(whoami.status).toBe(200);
    expect(existsSync(join(out, "control-plane.db"))).toBe(true);
    // The developer portal, served by the gateway (generated once the gateway is up).
    const [, portal] = await dev.waitFor(/portal\s+(http:\/\/\S+\/_turnpike\/portal\/)\n/);
    await dev.waitFor(/developer portal \(\d+ files/);
    const home = await fetch(portal!);
    expect(home.status).toBe(200);
    expect(home.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await home.text()).toMatch(/<main/);
    expect(await dev.interrupt()).toBe(0);
  }, 60_000);
});

describe("npm start with an upstream that is not running", () => {
  it("mocks the API from its contract, says why, and the printed curl gets the contract's example", async () => {
    const port = await closedPort();
    const contract = {
      openapi: "3.1.0",
      info: { title: "Things", version: "1.0.0" },
      security: [{ key: [] }],
      components: { securitySchemes: { key: { type: "apiKey", in: "header", name: "x-api-key" } } },
      paths: {
        "/things": {
          get: {
            operationId: "listThings",
            responses: { "200": { description: "Things.", headers: { "X-Total-Count": { schema: { type: "integer" }, example: 2 } }, content: { "application/json": { schema: { type: "array", items: { type: "string" } }, example: ["kettle", "teapot"] } } } },
          },
        },
      },
    };
    const app = `import { Api, Consumer, Credential, OpenApi, Plan, Platform, Product, Secret, apiKey } from "turnpike";
export default () => {
  const p = new Platform("x");
  const free = new Plan(p, "free");
  const api = new Api(p, "things", { version: "1.0.0", contract: OpenApi.fromFile("things.json"), upstream: { targets: [{ url: "http://127.0.0.1:${port}" }] }, policies: [apiKey()] });
  const product = new Product(p, "all", { apis: [api], plans: [free] });
  new Consumer(p, "demo", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("THINGS_KEY") })] });
  return p;
};
`;
    const root = tempProject({ "turnpike.json": '{"app":"app.ts","output":"out"}', "things.json": JSON.stringify(contract), "app.ts": app });
    const dev = startDev(root, []);
    try {
      const [, curl] = await dev.waitFor(/try it:\n\s+(curl .+)\n/);
      expect(dev.output()).toMatch(/✔ contract mock for 1 of 1 APIs at http:\/\/127\.0\.0\.1:\d+/);
      expect(dev.output()).toContain(`things-v1  mock: upstream http://127.0.0.1:${port} unreachable`);
      expect(dev.output()).toContain(`Things 1.0.0  /things/v1 → contract mock (http://127.0.0.1:${port} unreachable)`);
      await dev.waitFor(/✔ listThings answered 200: the curl above works/);
      const answer = paste(curl!);
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(answer).toMatch(/\r\nx-turnpike-mock: things-v1 listThings\r\n/);
      expect(answer).toMatch(/\r\nx-total-count: 2\r\n/);
      expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toEqual(["kettle", "teapot"]);
    } finally {
      expect(await dev.interrupt()).toBe(0);
    }
  }, 60_000);
});

describe("npm start while editing a declaration", () => {
  const contract = {
    openapi: "3.1.0",
    info: { title: "Things", version: "1.0.0" },
    security: [{ key: [] }],
    components: { securitySchemes: { key: { type: "apiKey", in: "header", name: "x-api-key" } } },
    paths: { "/things": { get: { operationId: "listThings", responses: { "200": { description: "Things." } } } } },
  };
  const declaration = (header: string) => `import { Api, Consumer, Credential, OpenApi, Plan, Platform, Product, Secret, apiKey, transform } from "turnpike";
export default () => {
  const p = new Platform("x");
  const free = new Plan(p, "free");
  const api = new Api(p, "things", { version: "1.0.0", contract: OpenApi.fromFile("things.json"), upstream: { mock: true }, policies: [apiKey(), transform({ response: { headers: { set: { "x-edition": "${header}" } } } })] });
  const product = new Product(p, "all", { apis: [api], plans: [free] });
  new Consumer(p, "demo", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("THINGS_KEY") })] });
  return p;
};
`;

  it("reloads on every change, keeps serving through a broken edit, and stops cleanly", async () => {
    const root = tempProject({ "turnpike.json": '{"app":"app.ts","output":"out"}', "things.json": JSON.stringify(contract), "app.ts": declaration("first") });
    const dev = startDev(root, []);
    try {
      const [, curl] = await dev.waitFor(/try it:\n\s+(curl .+)\n/);
      expect(paste(curl!)).toMatch(/\r\nx-edition: first\r\n/);

      writeFileSync(join(root, "app.ts"), readFileSync(join(root, "app.ts"), "utf8").replace('"first"', '"second"'));
      await waitUntil(() => /\r\nx-edition: second\r\n/.test(paste(curl!)));

      // A broken edit: the errors are printed, the gateway keeps the last good manifest.
      writeFileSync(join(root, "app.ts"), readFileSync(join(root, "app.ts"), "utf8").replace('new Plan(p, "free")', 'new Plan(p, "Free")'));
      await dev.waitFor(/the gateway keeps serving the last manifest that compiled/);
      expect(dev.output()).toContain('error[invalid-props] x/Free');
      expect(paste(curl!)).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\nx-edition: second\r\n/);

      writeFileSync(join(root, "app.ts"), readFileSync(join(root, "app.ts"), "utf8").replace('new Plan(p, "Free")', 'new Plan(p, "free")').replace('"second"', '"third"'));
      await waitUntil(() => /\r\nx-edition: third\r\n/.test(paste(curl!)));
    } finally {
      expect(await dev.interrupt()).toBe(0);
    }
    expect(dev.output()).toContain("stopping …");
  }, 90_000);
});

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntil(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
