/**
 * The gateway image. There is no Docker engine here, so the Dockerfile is checked against
 * the repository (what it copies exists and is not ignored, the runtime stage is non-root
 * and runs the bundle build.ts writes, the environment it sets is what the gateway reads),
 * and the bundle it ships is run the way the image runs it: alone, with no node_modules.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Plan, Product, apiKey } from "../../constructs/index";
import { GATEWAY_BUNDLE, GATEWAY_NODE_FLAGS, asciiText } from "../../gateway-image/build";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { startGateway } from "../helpers/gateway";
import { startUpstream } from "../helpers/upstream";

const ROOT = join(__dirname, "..", "..");
const dockerfile = readFileSync(join(ROOT, "gateway-image", "Dockerfile"), "utf8");
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "" && !line.startsWith("#"));
const stages = instructions.reduce<string[][]>((all, line) => {
  if (line.startsWith("FROM ")) all.push([]);
  all.at(-1)?.push(line);
  return all;
}, []);
const runtime = stages.at(-1)!;

describe("gateway-image/Dockerfile", () => {
  it("builds in one stage and runs in a second, from pinned bases", () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]![0]).toMatch(/^FROM node:20\.\d+-bookworm-slim AS build$/);
    expect(runtime[0]).toMatch(/^FROM gcr\.io\/distroless\/nodejs20-debian12:nonroot AS runtime$/);
    expect(stages[0]).toContain("RUN npm ci --no-audit --no-fund --ignore-scripts");
  });

  it("copies only paths that exist and that .dockerignore keeps", () => {
    const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    const sources = stages[0]!.filter((line) => line.startsWith("COPY ")).flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources).toEqual(["package.json", "package-lock.json", "tsconfig.json", "constructs", "policies", "gateway-image"]);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source))).toBe(true);
      expect(ignored).not.toContain(source);
    }
  });

  it("ships the bundle build.ts writes and runs it as a non-root user", () => {
    const bundleDir = relative(ROOT, join(GATEWAY_BUNDLE, ".."));
    expect(runtime).toContain(`COPY --from=build --chown=0:0 /src/${bundleDir}/ ./`);
    expect(runtime).toContain("WORKDIR /opt/turnpike");
    const user = runtime.find((line) => line.startsWith("USER "));
    expect(user).toBe("USER 65532:65532");
    const entrypoint = JSON.parse(runtime.find((line) => line.startsWith("ENTRYPOINT "))!.slice("ENTRYPOINT ".length)) as string[];
    expect(entrypoint).toEqual(["/nodejs/bin/node", ...GATEWAY_NODE_FLAGS, `/opt/turnpike/${relative(join(GATEWAY_BUNDLE, ".."), GATEWAY_BUNDLE)}`]);
    expect(runtime.some((line) => /^RUN /.test(line))).toBe(false);
  });

  it("sets only environment the gateway reads", () => {
    const source = readFileSync(join(ROOT, "gateway-image", "src", "main.ts"), "utf8");
    const env = runtime.find((line) => line.startsWith("ENV "))!;
    const names = [...env.matchAll(/([A-Z_]+)=/g)].map((match) => match[1]!);
    expect(names).toEqual(["NODE_ENV", "TURNPIKE_MANIFEST", "PORT", "TURNPIKE_OPERATOR_PORT", "TURNPIKE_WORKERS"]);
    for (const name of names.filter((name) => name !== "NODE_ENV")) expect(source).toContain(`process.env.${name}`);
    const exposed = runtime.find((line) => line.startsWith("EXPOSE "))!;
    expect(exposed).toBe("EXPOSE 8080 9901");
  });
});

describe("the bundle the image runs", () => {
  it("serves on its own, with no node_modules anywhere above it, with one worker per core", async () => {
    const dir = mkdtempSync(join(tmpdir(), "turnpike-image-"));
    for (const file of readdirSync(join(GATEWAY_BUNDLE, ".."))) copyFileSync(join(GATEWAY_BUNDLE, "..", file), join(dir, file));
    expect(existsSync(join(dir, "node_modules"))).toBe(false);
    const upstream = await startUpstream();
    const platform = testPlatform();
    const api = itemsApi(platform, "items", { upstream: { targets: [{ url: upstream.url }] }, policies: [apiKey()] });
    new Product(platform, "shop", { apis: [api], plans: [new Plan(platform, "free")] });
    const gateway = await startGateway(platform, { bundle: join(dir, "gateway.js"), cwd: dir, args: ["--workers", "auto"], nodeFlags: GATEWAY_NODE_FLAGS });
    try {
      const listening = gateway.logs.find((line) => line.msg === "gateway listening")!;
      expect(listening.workers).toBe(require("node:os").availableParallelism());
      // The bundle, alone in the image, proxies with the native-parser client (no fallback to undici).
      expect(listening.upstreamClient).toBe("native");
      expect(listening.httpServer).toBe("native");
      const response = await fetch(`${gateway.url}/items/v1/health`);
      expect(response.status).toBe(200);
      expect(upstream.requests.at(-1)!.url).toBe("/health");
      expect((await fetch(`${gateway.operatorUrl}/readyz`)).status).toBe(200);
    } finally {
      expect(await gateway.stop()).toBe(0);
      await upstream.close();
    }
  });
});

describe("the bundle's text and source map", () => {
  const bundle = readFileSync(GATEWAY_BUNDLE, "utf8");
  const map = JSON.parse(readFileSync(`${GATEWAY_BUNDLE}.map`, "utf8")) as { sources: string[]; sourcesContent?: unknown; mappings: string };

  it("is ASCII only, so that V8 holds its source in one byte per character (half the memory of two)", () => {
    expect(bundle).toMatch(/^[\x00-\x7f]*$/);
  });

  it("maps positions back to the TypeScript sources without carrying their text", () => {
    expect(map.sourcesContent).toBeUndefined();
    const line = bundle.split("\n").findIndex((text) => text.startsWith("async function validateManifest("));
    expect(line).toBeGreaterThan(0);
    // Node's own reader of source maps, as --enable-source-maps uses it for stack traces.
    const { SourceMap } = require("node:module") as typeof import("node:module");
    const entry = new SourceMap(map as never).findEntry(line, 0) as { originalSource: string; originalLine: number };
    expect(entry.originalSource).toMatch(/gateway-image\/src\/config\/load-manifest\.ts$/);
    const source = readFileSync(join(ROOT, "gateway-image", "src", "config", "load-manifest.ts"), "utf8").split("\n");
    expect(source[entry.originalLine]).toMatch(/^async function validateManifest\(/);
  });

  it("escapes non-ASCII characters where that changes nothing (comments, string literals), and refuses where it would (a regular expression)", () => {
    expect(asciiText("// response\u2019s type, \u00a7 5.2\nconst a = 1;\n")).toBe("// response\\u{2019}s type, \\u{a7} 5.2\nconst a = 1;\n");
    expect(asciiText("const a = 1; /* \u{1f600} */\n")).toBe("const a = 1; /* \\u{1f600} */\n");
    expect(asciiText('const quote = "\u2019";\n')).toBe('const quote = "\\u{2019}";\n');
    // Without the u flag, /\u{2019}/ is "u" 2,019 times.
    expect(() => asciiText("const quote = /\u2019/;\n")).toThrow(/escaping the non-ASCII characters of the bundle would change its code/);
  });
});
