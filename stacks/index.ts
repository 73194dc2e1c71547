/**
 * The Pulumi program (`pulumi up` runs it; Pulumi.yaml has `main: stacks/`).
 *
 * It compiles the declaration in ./acme.ts and fails the deployment with every compile
 * error before anything is created. The deployment targets (Kubernetes gateways, AWS API
 * Gateway, the portal) are synthesized from the manifest by their own constructs; this
 * program has none of them yet, so today it deploys no resources and exports what it
 * compiled.
 */
import { compileManifest } from "../constructs/index";
import { acmePlatform } from "./acme";

const compiled = compileManifest(acmePlatform()).then((result) => {
  if (!result.manifest) {
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    throw new Error(`the declaration has ${errors.length} error(s):\n${errors.map((error) => `- ${error.path}${error.field ? ` › ${error.field}` : ""}: ${error.message}`).join("\n")}`);
  }
  return result.manifest;
});

/** Revision of the manifest this deployment was built from. */
export const revision = compiled.then((manifest) => manifest.metadata.revision);
/** The APIs served, by id. */
export const apis = compiled.then((manifest) => manifest.spec.apis.map((api) => `${api.id} ${api.basePath}`));
