/**
 * `turnpike dev` (what `npm start` runs): compiles the declaration, starts the gateway on it
 * with a mock upstream generated from the OpenAPI contracts for the APIs declared
 * `mock: true` and for those whose upstream cannot be reached from here, prints the URLs, a
 * consumer's key and a curl that works as pasted (and checks that it does), then watches the
 * declaration's directory: each change is compiled again, errors are printed and the gateway
 * keeps serving the last good manifest, which it reloads by itself when the file changes.
 * The developer portal is generated into dist/portal once the gateway is up (the first call
 * does not wait for it) and served by the gateway under /_turnpike/portal/; each recompile
 * (a `turnpike synth`) writes it again.
 */
import { spawn } from "node:child_process";
import { type FSWatcher, readFileSync, watch } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { GatewayConfig } from "../../constructs/index";
import { buildPortal, writePortal } from "../../portal-site/index";
import { type DevKey, devAdminToken, devKeys } from "../dev/dev-keys";
import { type ContractMock, MOCK_HEADER, startContractMock } from "../dev/contract-mock";
import { firstCall } from "../dev/first-call";
import { type DevGateway, type GatewayLine, startDevGateway } from "../dev/gateway-child";
import { type MockedApi, describeReason, mockedApis } from "../dev/mock/mocked-apis";
import type { Output } from "../output";
import type { Project } from "../project";
import { portalDirectory, reportSynth, synthesize } from "./synth";

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
  // The deployment targets (dist/kubernetes/…) are for `turnpike synth`; dev serves the manifest.
  const outcome = await synthesize(project, { targets: false, portal: false });
  const code = reportSynth(outcome, project, { json: false }, output);
  if (code !== 0) return code;
  let manifest = outcome.result.manifest!;
  const manifestFile = join(project.output, "manifest.json");

  let mock: ContractMock | null = null;
  let gateway: DevGateway | null = null;
  let watcher: FSWatcher | null = null;
  try {
    let mocked = await mockedApis(manifest);
    mock = await startContractMock(manifest, mocked.map((entry) => entry.apiId));
    step(`contract mock for ${mocked.length} of ${manifest.spec.apis.length} APIs at ${mock.url}`);
    printMocked(mocked, mock.warnings, output);
    let keys = devKeys(manifest, project.output);
    // The control plane (apps, keys, subscriptions, usage; admin and portal APIs) on a SQLite
    // file beside the manifest: it survives restarts like dev-keys.json does.
    const adminToken = devAdminToken(project.output);
    const controlStore = `sqlite:${join(project.output, "control-plane.db")}`;
    const launch = () =>
      startDevGateway({
        manifestFile,
        port: options.port,
        operatorPort: options.operatorPort,
        host: options.host,
        mockUpstreamUrl: mock!.url,
        mockApis: unreachableIds(mocked),
        env: { ...Object.fromEntries(keys.map((key) => [key.variable, key.key])), [adminToken.variable]: adminToken.key },
        controlStore,
        portalDir: portalDirectory(project),
        onLine: (line) => printGatewayLine(line, output),
      });
    gateway = await launch();
    const gatewayUrl = `http://${options.host}:${gateway.port}`;
    step(`gateway serving ${manifest.spec.apis.length} APIs at ${gatewayUrl}`);
    // After the gateway is up: the portal is not on the way to the first call.
    try {
      const written = writePortal(portalDirectory(project), await buildPortal(manifest, { basePath: PORTAL_PATH }));
      step(`developer portal (${written.length} files in ${relative(project.root, portalDirectory(project))}/)`);
    } catch (error) {
      output.stderr(`${output.paint("yellow", "!")} the developer portal was not generated: ${(error as Error).message}\n`);
    }
    output.stdout(`\n${routeTable(manifest, output, mocked)}\n\n`);
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
            // The gateway is reloading already: answer from the new contracts at once, probe after.
            const declared = manifest.spec.apis.filter((api) => api.upstream.mock).map((api) => api.id);
            mock!.update(manifest, [...declared, ...unreachableIds(mocked)]);
            const nextMocked = await mockedApis(manifest);
            const warnings = mock!.update(manifest, nextMocked.map((entry) => entry.apiId));
            const mockChanged = unreachableIds(nextMocked).join() !== unreachableIds(mocked).join();
            if (mockChanged || nextMocked.map((entry) => entry.apiId).join() !== mocked.map((entry) => entry.apiId).join()) printMocked(nextMocked, warnings, output);
            mocked = nextMocked;
            const next = devKeys(manifest, project.output);
            // A consumer with a new key variable needs it in the gateway's environment; an API
            // whose upstream became (un)reachable needs the gateway's --mock-apis changed.
            const newKeys = next.some((key) => !keys.some((known) => known.variable === key.variable));
            if (newKeys || mockChanged) {
              keys = next;
              await gateway!.stop();
              gateway = await launch();
              step(`gateway restarted with ${newKeys ? "the new consumers' keys" : "the APIs to mock"}`);
            }
          });
        }, 200);
      });
    }
    await introduce(manifest, keys, gatewayUrl, `http://${options.host}:${gateway.operatorPort}`, adminToken, output);
    if (options.watch) output.stdout(`${output.paint("dim", `watching ${relative(project.root, directory) || "."}/ for changes; Ctrl-C stops`)}\n`);
    await (options.stopSignal ?? interrupted());
    output.stdout(`\n${output.paint("dim", "stopping …")}\n`);
    return 0;
  } finally {
    watcher?.close();
    await gateway?.stop();
    await mock?.close();
  }
}

/** Where the gateway mounts the control API (gateway-image/src/control/http: ADMIN_API_BASE, PORTAL_API_BASE). */
const ADMIN_API_PATH = "/_turnpike/admin/v1";
const PORTAL_API_PATH = "/_turnpike/portal/v1";
/** Where the gateway serves the portal's pages (`--portal-dir`). */
const PORTAL_PATH = "/_turnpike/portal/";

/** Prints what to do first and checks that it works. */
async function introduce(manifest: GatewayConfig, keys: readonly DevKey[], gatewayUrl: string, operatorUrl: string, adminToken: DevKey, output: Output): Promise<void> {
  const call = firstCall(manifest, keys, gatewayUrl);
  output.stdout(`  ${output.paint("bold", "gateway")}   ${gatewayUrl}\n  ${output.paint("bold", "operator")}  ${operatorUrl}/metrics  ${operatorUrl}/readyz\n`);
  output.stdout(`  ${output.paint("bold", "portal")}    ${gatewayUrl}${PORTAL_PATH}\n`);
  output.stdout(`  ${output.paint("bold", "admin API")}  ${gatewayUrl}${ADMIN_API_PATH}  ${output.paint("bold", "portal API")}  ${gatewayUrl}${PORTAL_API_PATH}\n`);
  output.stdout(`  ${output.paint("bold", "admin token")}  ${adminToken.key}${adminToken.fromEnvironment ? "" : output.paint("dim", " (generated for dev, kept in dist/dev-keys.json)")}  ${output.paint("dim", "Authorization: Bearer <token>")}\n`);
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
    if (response.ok) {
      output.stdout(`${output.paint("green", "✔")} ${call.operationId} answered ${response.status}: the curl above works\n`);
      if (response.headers.has(MOCK_HEADER)) output.stdout(`${output.paint("dim", `  answered by the contract mock (${MOCK_HEADER}); ${preferHint(manifest, call.url)}`)}\n`);
    } else {
      output.stdout(`${output.paint("yellow", "!")} ${call.operationId} answered ${response.status}; see the gateway log above\n`);
    }
  } catch (error) {
    output.stdout(`${output.paint("yellow", "!")} the first call failed: ${(error as Error).message}\n`);
  }
}

/** How to ask the mock for another response the first call's operation declares. */
function preferHint(manifest: GatewayConfig, url: string): string {
  const path = new URL(url).pathname;
  const operation = manifest.spec.apis.flatMap((api) => api.operations).find((candidate) => candidate.method === "GET" && candidate.route === path);
  const other = operation?.responses.find((response) => /^[3-5]\d\d$/.test(response.status))?.status;
  return `-H 'Prefer: ${other === undefined ? "code=<status>" : `code=${other}`}' or -H 'Prefer: example=<name>' picks another declared response`;
}

/** Gateway events in a line each; access lines as `GET /path 200 3 ms consumer`. */
function printGatewayLine(line: GatewayLine, output: Output): void {
  if (line.msg === "request") {
    const status = Number(line.status);
    const paint = status >= 500 ? "red" : status >= 400 ? "yellow" : "green";
    output.stdout(`  ${output.paint("dim", "→")} ${String(line.method)} ${String(line.route ?? "?")} ${output.paint(paint, String(status))} ${String(line.durationMs)} ms${line.consumer ? ` ${String(line.consumer)}` : ""}${line.failure ? output.paint("dim", ` (${String(line.failure)})`) : ""}\n`);
    return;
  }
  if (line.msg === "gateway listening" || line.msg === "manifest loaded" || line.msg.startsWith("declared consumers provisioned") || line.msg === "stopped" || line.msg.startsWith("shutting down")) return;
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

/** The APIs dev mocks and why, and what their contracts did not let the mock make. */
function printMocked(mocked: readonly MockedApi[], warnings: readonly string[], output: Output): void {
  const width = Math.max(0, ...mocked.map((entry) => entry.apiId.length));
  for (const entry of mocked) output.stdout(`    ${entry.apiId.padEnd(width)}  ${output.paint("dim", describeReason(entry))}\n`);
  for (const warning of warnings) output.stdout(`${output.paint("yellow", "!")} contract mock: ${warning}\n`);
}

/** Ids of the APIs mocked because their upstream is unreachable (the gateway is told with `--mock-apis`). */
function unreachableIds(mocked: readonly MockedApi[]): string[] {
  return mocked.filter((entry) => entry.reason.kind === "unreachable").map((entry) => entry.apiId);
}

/** A table of the routes the manifest declares, grouped by API; `mocked` are shown answered by the contract mock. */
export function routeTable(manifest: GatewayConfig, output: Pick<Output, "paint">, mocked: readonly MockedApi[] = []): string {
  const lines: string[] = [];
  const policyOf = new Map(manifest.spec.policies.map((instance) => [instance.id, instance.policy]));
  const mockedById = new Map(mocked.map((entry) => [entry.apiId, entry]));
  for (const api of manifest.spec.apis) {
    const mockedApi = mockedById.get(api.id);
    const targets = api.upstream.targets.map((target) => target.url).join(", ");
    const upstream = api.upstream.mock ? "contract mock" : mockedApi ? `contract mock (${targets} unreachable)` : targets;
    const lifecycle = api.lifecycle === "published" ? "" : ` [${api.lifecycle}${api.sunset ? `, sunset ${api.sunset}` : ""}]`;
    lines.push(`${output.paint("bold", `${api.title} ${api.version}`)}${lifecycle}  ${api.basePath} → ${upstream}`);
    for (const operation of api.operations) {
      const policies = [...new Set(operation.policies.map((id) => policyOf.get(id)))].join(", ");
      lines.push(`  ${operation.method.padEnd(7)} ${operation.route.padEnd(44)} ${operation.operationId.padEnd(18)} ${output.paint("dim", policies)}`);
    }
  }
  return lines.join("\n");
}
