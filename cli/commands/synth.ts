/**
 * `turnpike synth`: compile the declaration and write dist/manifest.json and its JSON Schema,
 * the developer portal (dist/portal/), the deployment targets' artifacts, the dashboards and
 * Prometheus rules (dist/observability/) and the k6 load tests (dist/loadtests/).
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { type CompileResult, compileManifest, manifestJsonSchema } from "../../constructs/index";
import { canonicalJson } from "../../constructs/manifest/canonical-json";
import { kubernetesFiles, synthesizeKubernetes } from "../../constructs/targets/kubernetes/index";
import { synthesizeAws } from "../../constructs/targets/aws/synthesize";
import { awsResourceInventory } from "../../constructs/targets/aws/resource-inventory";
import { synthesizeObservability } from "../../constructs/targets/observability/synthesize-observability";
import { synthesizeLoadTests } from "../../loadtests/k6/synthesize-loadtests";
import type { Diagnostic } from "../../constructs/diagnostics";
import { buildPortal, writePortal } from "../../portal-site/index";
import { formatDiagnostics, summarize } from "../format-diagnostics";
import { loadPlatform } from "../load-app";
import type { Project } from "../project";
import type { Output } from "../output";
import { writeFileAtomic } from "../write-artifacts";

export interface SynthOutcome {
  readonly result: CompileResult;
  /** Absolute paths written; empty when the declaration has errors (nothing is overwritten). */
  readonly files: string[];
}

/**
 * Compiles and, when there are no errors, writes the manifest and its schema, the portal
 * unless `portal: false`, and the deployment targets' artifacts, dashboards, rules and load
 * tests unless `targets: false`.
 */
export async function synthesize(project: Project, options: { targets?: boolean; portal?: boolean } = {}): Promise<SynthOutcome> {
  const platform = await loadPlatform(project);
  const result = await compileManifest(platform);
  if (result.json === undefined || result.manifest === undefined) return { result, files: [] };
  // Dashboards, rules and load tests are checked before anything is written: a rule that
  // would not load is an error of the declaration's SLO, like any other compile error.
  // `turnpike dev` (targets: false) serves the manifest only and skips them.
  const artifacts = options.targets !== false;
  const observability = artifacts ? synthesizeObservability(result.manifest) : { files: [], problems: [] };
  const loadTests = artifacts ? synthesizeLoadTests(result.manifest) : { files: [], problems: [] };
  const apiPaths = new Map(result.manifest.spec.apis.map((api) => [api.id, api.declaredAt]));
  const problems: Diagnostic[] = [
    ...observability.problems.map((problem) => ({ severity: "error" as const, code: "internal" as const, path: problem.path, field: "slo", message: problem.message })),
    ...loadTests.problems.map((problem) => ({ severity: "error" as const, code: "invalid-props" as const, path: apiPaths.get(problem.api) ?? problem.api, field: "contract", message: `load test: ${problem.message}` })),
  ];
  if (problems.length > 0) return { result: { ...result, manifest: undefined, json: undefined, diagnostics: [...result.diagnostics, ...problems] }, files: [] };
  const manifestFile = join(project.output, "manifest.json");
  const schemaFile = join(project.output, "manifest.schema.json");
  writeFileAtomic(manifestFile, result.json);
  writeFileAtomic(schemaFile, canonicalJson(manifestJsonSchema()));
  const files = [manifestFile, schemaFile];
  // dist/portal/: the static developer portal (the gateway serves it with --portal-dir).
  // With each API's changelog and generated TypeScript SDK (apis/<id>/sdk/), which the API pages link to.
  if (options.portal !== false && result.manifest) files.push(...writePortal(portalDirectory(project), await buildPortal(result.manifest)));
  // dist/kubernetes/<cluster>/<nn>-<kind>-<name>.yaml
  const kubernetesDir = join(project.output, "kubernetes");
  if (options.targets !== false && result.targets.kubernetes && result.manifest) {
    for (const file of kubernetesFiles(synthesizeKubernetes(result.manifest, result.json, result.targets.kubernetes))) {
      const path = join(kubernetesDir, file.path);
      writeFileAtomic(path, file.contents);
      files.push(path);
    }
  }
  removeStaleObjects(kubernetesDir, new Set(files));
  // dist/observability/: Grafana dashboards and the Prometheus rule file, from the SLOs.
  for (const file of observability.files) {
    const path = join(project.output, "observability", file.path);
    writeFileAtomic(path, file.contents);
    files.push(path);
  }
  // dist/loadtests/<api id>.js: a k6 script per API with an SLO.
  for (const file of loadTests.files) {
    const path = join(project.output, "loadtests", file.path);
    writeFileAtomic(path, file.contents);
    files.push(path);
  }
  // dist/aws/<region>/<api id>.json: each REST API's OpenAPI with x-amazon-apigateway extensions.
  if (options.targets !== false && result.targets.aws && result.manifest) {
    for (const file of synthesizeAws(result.manifest, result.targets.aws)) {
      const path = join(project.output, "aws", file.path);
      writeFileAtomic(path, file.contents);
      files.push(path);
    }
    // dist/aws/resources.json: every AWS resource `pulumi up` would declare, from a dry run
    // (what `turnpike diff` lists as added, changed or removed).
    const aws = result.targets.aws;
    const portalFiles = aws.portal ? await buildPortal(result.manifest, { basePath: "/" }) : undefined;
    const inventory = join(project.output, "aws", "resources.json");
    writeFileAtomic(inventory, canonicalJson(await awsResourceInventory(result.manifest, aws, { portalFiles })));
    files.push(inventory);
  }
  return { result, files };
}

/** Where synth writes the portal: `<output>/portal`. */
export function portalDirectory(project: Project): string {
  return join(project.output, "portal");
}

export async function synthCommand(project: Project, options: { json: boolean }, output: Output): Promise<number> {
  return reportSynth(await synthesize(project), project, options, output);
}

/** Prints the outcome of a synth; returns the exit code. */
export function reportSynth({ result, files }: SynthOutcome, project: Project, options: { json: boolean }, output: Output): number {
  if (options.json) {
    output.stdout(
      `${JSON.stringify(
        {
          ok: result.manifest !== undefined,
          revision: result.manifest?.metadata.revision ?? null,
          files: files.map((file) => relative(project.root, file)),
          diagnostics: result.diagnostics,
        },
        null,
        2,
      )}\n`,
    );
    return result.manifest ? 0 : 1;
  }
  if (result.diagnostics.length > 0) output.stderr(`${formatDiagnostics(result.diagnostics, { color: output.color })}\n\n`);
  const manifest = result.manifest;
  if (!manifest) {
    output.stderr(`${output.paint(["bold", "red"], "✖")} ${summarize(result.diagnostics)}: no manifest written\n`);
    return 1;
  }
  const { spec } = manifest;
  const operations = spec.apis.reduce((sum, api) => sum + api.operations.length, 0);
  output.stdout(
    `${output.paint("green", "✔")} ${manifest.metadata.name}: ${spec.apis.length} APIs, ${operations} operations, ${spec.plans.length} plans, ${spec.products.length} products, ${spec.consumers.length} consumers, ${spec.slos.length} SLOs\n` +
      `  revision ${manifest.metadata.revision}\n` +
      writtenLines(files.map((file) => relative(project.root, file))).join(""),
  );
  return 0;
}

/**
 * Removes object files a previous synth wrote that this one did not (an old revision's
 * ConfigMap, a region no longer declared); only files named as synth names them.
 */
function removeStaleObjects(kubernetesDir: string, written: ReadonlySet<string>): void {
  if (!existsSync(kubernetesDir)) return;
  for (const cluster of readdirSync(kubernetesDir, { withFileTypes: true })) {
    if (!cluster.isDirectory()) continue;
    for (const file of readdirSync(join(kubernetesDir, cluster.name))) {
      const path = join(kubernetesDir, cluster.name, file);
      if (/^\d{2}-[a-z]+-[a-z0-9.-]+\.yaml$/.test(file) && !written.has(path)) rmSync(path);
    }
  }
}

/** `wrote <file>` lines; a Kubernetes cluster's objects are one line, not one per object, and so are the portal, the dashboards and rules, and the load tests. */
function writtenLines(files: readonly string[]): string[] {
  const lines: string[] = [];
  const clusters = new Map<string, number>();
  const portal = new Map<string, number>();
  const observability = new Map<string, number>();
  const loadTests = new Map<string, number>();
  for (const file of files) {
    const cluster = /^(.*[\\/]kubernetes[\\/][^\\/]+)[\\/][^\\/]+\.yaml$/.exec(file)?.[1];
    const site = /^((?:[^\\/]*[\\/])*?portal)[\\/]/.exec(file)?.[1];
    const dashboards = /^((?:[^\\/]*[\\/])*?observability)[\\/]/.exec(file)?.[1];
    const scripts = /^((?:[^\\/]*[\\/])*?loadtests)[\\/][^\\/]+\.js$/.exec(file)?.[1];
    if (cluster !== undefined) clusters.set(cluster, (clusters.get(cluster) ?? 0) + 1);
    else if (site !== undefined) portal.set(site, (portal.get(site) ?? 0) + 1);
    else if (dashboards !== undefined) observability.set(dashboards, (observability.get(dashboards) ?? 0) + 1);
    else if (scripts !== undefined) loadTests.set(scripts, (loadTests.get(scripts) ?? 0) + 1);
    else lines.push(`  wrote ${file}\n`);
  }
  for (const [site, count] of portal) lines.push(`  wrote ${site}/ (developer portal, ${count} files)\n`);
  for (const [cluster, count] of clusters) lines.push(`  wrote ${cluster}/ (${count} Kubernetes objects)\n`);
  for (const [directory, count] of observability) lines.push(`  wrote ${directory}/ (Grafana dashboards and Prometheus rules, ${count} files)\n`);
  for (const [directory, count] of loadTests) lines.push(`  wrote ${directory}/ (${count} k6 load test${count === 1 ? "" : "s"})\n`);
  return lines;
}
