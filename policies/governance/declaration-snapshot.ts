/**
 * A declaration as `turnpike diff` compares it: the manifest and the deployment artifacts
 * synthesized from it, each artifact named by what it is rather than by its file name (a
 * Kubernetes object by cluster, kind and name, so renumbered files are not "changes").
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { parse } from "yaml";
import type { CompileResult } from "../../constructs/compile/compile-manifest";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { kubernetesFiles, synthesizeKubernetes } from "../../constructs/targets/kubernetes/index";
import { synthesizeAws } from "../../constructs/targets/aws/synthesize";
import { type AwsResource, awsResourceInventory } from "../../constructs/targets/aws/resource-inventory";
import { canonicalJson } from "../../constructs/manifest/canonical-json";
import { buildPortal } from "../../portal-site/index";

export interface Artifact {
  /** `kubernetes/<cluster>/<Kind>/<name>`, `aws/<Pulumi type>/<name>` or `aws/<region>/<file>`. */
  readonly id: string;
  readonly contents: string;
}

export interface DeclarationSnapshot {
  readonly manifest: GatewayConfig;
  /** Sorted by id. */
  readonly artifacts: readonly Artifact[];
}

/** A file as synth writes it, `path` relative to the output directory (`kubernetes/eu-west-1/03-deployment-gateway.yaml`). */
export interface OutputFile {
  readonly path: string;
  readonly contents: string;
}

/** The snapshot of a successful compile, with the artifacts synthesized in memory (as `turnpike synth` writes them). */
export async function snapshotFromCompile(result: CompileResult): Promise<DeclarationSnapshot> {
  if (!result.manifest || result.json === undefined) throw new Error("the declaration has errors: no snapshot");
  const files: OutputFile[] = [];
  if (result.targets.kubernetes) {
    for (const file of kubernetesFiles(synthesizeKubernetes(result.manifest, result.json, result.targets.kubernetes))) files.push({ path: `kubernetes/${file.path}`, contents: file.contents });
  }
  const aws = result.targets.aws;
  if (aws) {
    for (const file of synthesizeAws(result.manifest, aws)) files.push({ path: `aws/${file.path}`, contents: file.contents });
    const portalFiles = aws.portal ? await buildPortal(result.manifest, { basePath: "/" }) : undefined;
    files.push({ path: AWS_INVENTORY_FILE, contents: canonicalJson(await awsResourceInventory(result.manifest, aws, { portalFiles })) });
  }
  // The manifest as its JSON reads back, like the base's (read from manifest.json): equal values compare equal.
  return { manifest: JSON.parse(result.json) as GatewayConfig, artifacts: artifactsFromFiles(files) };
}

/** The snapshot of what `turnpike synth` wrote to `dir` (manifest.json, kubernetes/, aws/). */
export function snapshotFromSynthDir(dir: string): DeclarationSnapshot {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as GatewayConfig;
  const files: OutputFile[] = [];
  for (const target of ["kubernetes", "aws"]) {
    const root = join(dir, target);
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      files.push({ path: relative(dir, path).split(sep).join("/"), contents: readFileSync(path, "utf8") });
    }
  }
  return { manifest, artifacts: artifactsFromFiles(files) };
}

/** Where synth writes the AWS target's resource inventory, relative to the output directory. */
const AWS_INVENTORY_FILE = "aws/resources.json";

export function artifactsFromFiles(files: readonly OutputFile[]): Artifact[] {
  return files
    .flatMap((file): Artifact[] => {
      // One artifact per AWS resource, `aws/<type>/<name>`, compared by the hash of its inputs.
      if (file.path === AWS_INVENTORY_FILE) return (JSON.parse(file.contents) as AwsResource[]).map((resource) => ({ id: `aws/${resource.type}/${resource.name}`, contents: resource.inputs }));
      const kubernetes = /^kubernetes\/([^/]+)\/[^/]+\.ya?ml$/.exec(file.path);
      if (kubernetes) {
        const object = parse(file.contents) as { kind?: string; metadata?: { name?: string; namespace?: string } } | null;
        if (object?.kind && object.metadata?.name) return [{ id: `kubernetes/${kubernetes[1]}/${object.kind}/${object.metadata.name}`, contents: file.contents }];
      }
      return [{ id: file.path, contents: file.contents }];
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
