/**
 * `turnpike dev` (what `npm start` runs): compiles the declaration, starts the gateway on it
 * with a stand-in upstream for APIs declared `mock: true`, prints the URLs, a consumer's key
 * and a curl that works as pasted (and checks that it does), then watches the declaration's
 * directory: each change is compiled again, errors are printed and the gateway keeps
 * serving the last good manifest, which it reloads by itself when the file changes.
 */
import { spawn } from "node:child_process";
import { type FSWatcher, readFileSync, watch } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { GatewayConfig } from "../../constructs/index";
import { type DevKey, devKeys } from "../dev/dev-keys";
import { type EchoUpstream, startEchoUpstream } from "../dev/echo-upstream";
import { firstCall } from "../dev/first-call";
import { type DevGateway, type GatewayLine, startDevGateway } from "../dev/gateway-child";
import type { Output } from "../output";
import type { Project } from "../project";
import { reportSynth, synthesize } from "./synth";

export interface DevOptions {
  /** Port for API traffic. @default 8080 */
  readonly port: number;
  /** Port for /healthz, /readyz, /metrics. @default 9901 */
  readonly operatorPort: number;
  /** Interface to listen on. @default "127.0.0.1" */
  readonly host: string;
  /** Watch the declaration and reload. @default true */
  readonly watch: boolean;
  /** Resolves when dev should stop (Ctrl-C by default). */
  readonly stopSignal?: Promise<void>;
}

export async function devCommand(project: Project, options: DevOptions, output: Output): Promise<number> {
  const started = performance.now();
  const step = (text: string) => output.stdout(`${output.paint("green", "✔")} ${text} ${output.paint("dim", `(${Math.round(performance.now() - started)} ms)`)}\n`);
  output.stdout(`${output.paint("dim", `compiling ${relative(project.root, project.app)} …`)}\n`);
  const outcome = await synthesize(project);
  const code = reportSynth(outcome, project, { json: false }, output);
  if (code !== 0) return code;
  let manifest = outcome.result.manifest!;
  const manifestFile = join(project.output, "manifest.json");

  let echo: EchoUpstream | null = null;
  let gateway: DevGateway | null = null;
  let watcher: FSWatcher | null = null;
  try {
    echo = await startEchoUpstream();
    step(`stand-in upstream for mock APIs at ${echo.url}`);
    let keys = devKeys(manifest, project.output);
    const launch = () =>
      startDevGateway({
        manifestFile,
        port: options.port,
        operatorPort: options.operatorPort,
        host: options.host,
        mockUpstreamUrl: echo!.url,
        env: Object.fromEntries(keys.map((key) => [key.variable, key.key])),
        onLine: (line) => printGatewayLine(line, output),
      });
    gateway = await launch();
    const gatewayUrl = `http://${options.host}:${gateway.port}`;
    step(`gateway serving ${manifest.spec.apis.length} APIs at ${gatewayUrl}`);
    output.stdout(`\n${routeTable(manifest, output)}\n\n`);
    // Watching starts before the first call is offered: an edit right after it must count.
    const directory = dirname(project.app);
    if (options.watch) {
      let timer: NodeJS.Timeout | undefined;
      let compiling: Promise<void> = Promise.resolve();
      const outputDir = relative(directory, project.output);
      watcher = watch(directory, { recursive: true }, (_event, file) => {
        // What dev itself writes (the manifest, keys) must not trigger another compile.
        if (file && (/(^|\/)(node_modules|\.git)\//.test(file) || (outputDir !== "" && !outputDir.startsWith("..") && (file === outputDir || file.startsWith(`${outputDir}/`))))) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          compiling = compiling.then(async () => {
            output.stdout(`${output.paint("dim", `${file ?? directory} changed: compiling …`)}\n`);
            // A child process: the declaration's modules load afresh, and a crash cannot take dev down.
            if ((await synthInChild(project)) !== 0) {
              output.stderr(`${output.paint("yellow", "the gateway keeps serving the last manifest that compiled")}\n`);
              return;
            }
            manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as GatewayConfig;
            const next = devKeys(manifest, project.output);
            // A consumer with a new key variable needs it in the gateway's environment.
            if (next.some((key) => !keys.some((known) => known.variable === key.variable))) {
              keys = next;
              await gateway!.stop();
              gateway = await launch();
              step("gateway restarted with the new consumers' keys");
            }
          });
        }, 200);
      });
    }
    await introduce(manifest, keys, gatewayUrl, `http://${options.host}:${gateway.operatorPort}`, output);
    if (options.watch) output.stdout(`${output.paint("dim", `watching ${relative(project.root, directory) || "."}/ for changes; Ctrl-C stops`)}\n`);
    await (options.stopSignal ?? interrupted());
    output.stdout(`\n${output.paint("dim", "stopping …")}\n`);
    return 0;
  } finally {
    watcher?.close();
    await gateway?.stop();
    await echo?.close();
  }
}

/** Prints what to do first and checks that it works. */
async function introduce(manifest: GatewayConfig, keys: readonly DevKey[], gatewayUrl: string, operatorUrl: string, output: Output): Promise<void> {
  const call = firstCall(manifest, keys, gatewayUrl);
  output.stdout(`  ${output.paint("bold", "gateway")}   ${gatewayUrl}\n  ${output.paint("bold", "operator")}  ${operatorUrl}/metrics  ${operatorUrl}/readyz\n`);
  if (!call) {
    output.stdout(`  no declared consumer with an API key (Secret.fromEnv) can call a GET operation without parameters; declare one to get a ready-made curl\n\n`);
    return;
  }
  const generated = keys.find((key) => key.consumer === call.consumer && key.key === call.key)?.fromEnvironment === false;
  output.stdout(`  ${output.paint("bold", "consumer")}  ${call.consumer}, key ${call.key}${generated ? output.paint("dim", " (generated for dev, kept in dist/dev-keys.json)") : ""}\n\n`);
  output.stdout(`  try it:\n    ${output.paint("cyan", call.curl)}\n\n`);
  try {
    const response = await fetch(call.url, { headers: call.headers });
    await response.arrayBuffer();
    if (response.ok) output.stdout(`${output.paint("green", "✔")} ${call.operationId} answered ${response.status}: the curl above works\n`);
    else output.stdout(`${output.paint("yellow", "!")} ${call.operationId} answered ${response.status}; see the gateway log above\n`);
  } catch (error) {
    output.stdout(`${output.paint("yellow", "!")} the first call failed: ${(error as Error).message}\n`);
  }
}

/** Gateway events in a line each; access lines as `GET /path 200 3 ms consumer`. */
function printGatewayLine(line: GatewayLine, output: Output): void {
  if (line.msg === "request") {
    const status = Number(line.status);
    const paint = status >= 500 ? "red" : status >= 400 ? "yellow" : "green";
    output.stdout(`  ${output.paint("dim", "→")} ${String(line.method)} ${String(line.route ?? "?")} ${output.paint(paint, String(status))} ${String(line.durationMs)} ms${line.consumer ? ` ${String(line.consumer)}` : ""}${line.failure ? output.paint("dim", ` (${String(line.failure)})`) : ""}\n`);
    return;
  }
  if (line.msg === "gateway listening" || line.msg === "manifest loaded" || line.msg === "stopped" || line.msg.startsWith("shutting down")) return;
  const label = line.level >= 50 ? output.paint("red", "gateway error") : line.level >= 40 ? output.paint("yellow", "gateway") : output.paint("dim", "gateway");
  const detail = typeof line.reason === "string" ? `: ${line.reason}` : line.revision ? ` ${String(line.revision).slice(0, 19)}` : "";
  output.stdout(`${label} ${line.msg}${detail}\n`);
}

function synthInChild(project: Project): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(__dirname, "..", "bin", "turnpike.js"), "--app", project.app, "--out", project.output, "synth"], { cwd: project.root, stdio: "inherit" });
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

/** A table of the routes the manifest declares, grouped by API. */
export function routeTable(manifest: GatewayConfig, output: Pick<Output, "paint">): string {
  const lines: string[] = [];
  const policyOf = new Map(manifest.spec.policies.map((instance) => [instance.id, instance.policy]));
  for (const api of manifest.spec.apis) {
    const upstream = api.upstream.mock ? "mock (dev stand-in upstream)" : api.upstream.targets.map((target) => target.url).join(", ");
    const lifecycle = api.lifecycle === "published" ? "" : ` [${api.lifecycle}${api.sunset ? `, sunset ${api.sunset}` : ""}]`;
    lines.push(`${output.paint("bold", `${api.title} ${api.version}`)}${lifecycle}  ${api.basePath} → ${upstream}`);
    for (const operation of api.operations) {
      const policies = [...new Set(operation.policies.map((id) => policyOf.get(id)))].join(", ");
      lines.push(`  ${operation.method.padEnd(7)} ${operation.route.padEnd(44)} ${operation.operationId.padEnd(18)} ${output.paint("dim", policies)}`);
    }
  }
  return lines.join("\n");
}
