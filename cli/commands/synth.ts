/** `turnpike synth`: compile the declaration and write dist/manifest.json and its JSON Schema. */
import { join, relative } from "node:path";
import { type CompileResult, compileManifest, manifestJsonSchema } from "../../constructs/index";
import { canonicalJson } from "../../constructs/manifest/canonical-json";
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

/** Compiles and, when there are no errors, writes the manifest and its schema. */
export async function synthesize(project: Project): Promise<SynthOutcome> {
  const platform = await loadPlatform(project);
  const result = await compileManifest(platform);
  if (result.json === undefined) return { result, files: [] };
  const manifestFile = join(project.output, "manifest.json");
  const schemaFile = join(project.output, "manifest.schema.json");
  writeFileAtomic(manifestFile, result.json);
  writeFileAtomic(schemaFile, canonicalJson(manifestJsonSchema()));
  return { result, files: [manifestFile, schemaFile] };
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
      files.map((file) => `  wrote ${relative(project.root, file)}\n`).join(""),
  );
  return 0;
}
