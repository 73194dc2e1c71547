/**
 * The Pulumi program (`pulumi up` runs it; Pulumi.yaml has `main: stacks/`).
 *
 * It compiles the declaration in ./acme.ts and fails the deployment with every compile
 * error before anything is created. Then it deploys the targets synthesized from the
 * manifest: the Kubernetes gateway in one cluster per region, each through its own provider
 * (kubeconfig from the stack's secret config `turnpike:kubeconfig-<region>`), and AWS API
 * Gateway when the platform declares an `AwsGateway`: REST APIs, stages, usage plans, API keys
 * and WAF, SLO alarms and dashboards, certificates and Route 53 latency records, through one
 * AWS provider per region (credentials from the usual AWS environment), and the portal on
 * S3 + CloudFront.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { compileManifest } from "../constructs/index";
import { deployAws } from "../constructs/targets/aws/deploy";
import { synthesizeKubernetes } from "../constructs/targets/kubernetes/index";
import { buildPortal } from "../portal-site/index";
import { acmePlatform } from "./acme";

const compiled = compileManifest(acmePlatform()).then((result) => {
  if (!result.manifest || !result.json) {
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    throw new Error(`the declaration has ${errors.length} error(s):\n${errors.map((error) => `- ${error.path}${error.field ? ` › ${error.field}` : ""}: ${error.message}`).join("\n")}`);
  }
  return { manifest: result.manifest, json: result.json, targets: result.targets };
});

const config = new pulumi.Config("turnpike");

/**
 * Per region: a provider for that cluster and the chart's objects as one ConfigGroup (the
 * provider applies them in dependency order: the Namespace first). Server-side apply, because
 * client-side apply keeps a copy of each object in an annotation limited to 256 KiB, which
 * the manifest ConfigMap exceeds. A missing kubeconfig fails the deployment, with the command
 * that sets it, when the program runs, not when the module is imported.
 */
const kubernetes = compiled.then(({ manifest, json, targets }) => {
  if (!targets.kubernetes) return [];
  return synthesizeKubernetes(manifest, json, targets.kubernetes).clusters.map(({ cluster, objects }) => {
    const key = `kubeconfig-${cluster.name}`;
    const kubeconfig = config.getSecret(key);
    if (kubeconfig === undefined) {
      throw new Error(`region ${cluster.name} has no kubeconfig: set it with \`pulumi config set --secret turnpike:${key} < path/to/${cluster.name}.kubeconfig\``);
    }
    const provider = new k8s.Provider(`turnpike-${cluster.name}`, { kubeconfig, enableServerSideApply: true });
    const group = new k8s.yaml.v2.ConfigGroup(`turnpike-${cluster.name}`, { objs: objects }, { provider });
    return { cluster, objects, provider, group };
  });
});

/** Revision of the manifest this deployment was built from. */
export const revision = compiled.then(({ manifest }) => manifest.metadata.revision);
/** The APIs served, by id. */
export const apis = compiled.then(({ manifest }) => manifest.spec.apis.map((api) => `${api.id} ${api.basePath}`));
/** Per region: where the gateway runs, its host names and the objects deployed there. */
export const kubernetesRegions = kubernetes.then((regions) =>
  Object.fromEntries(
    regions.map(({ cluster, objects, group }) => [
      cluster.name,
      {
        namespace: cluster.namespace,
        hostnames: cluster.entry.hostnames,
        objects: objects.map((object) => `${object.kind}/${object.metadata.name}`),
        configGroup: group.urn,
      },
    ]),
  ),
);

/** The AWS target, when declared: per region, every REST API's stage. */
const aws = compiled.then(async ({ manifest, targets }) => {
  if (!targets.aws) return null;
  // The portal's changelogs and SDKs are generated asynchronously, so before the resource graph.
  const portalFiles = targets.aws.portal ? await buildPortal(manifest, { basePath: "/" }) : undefined;
  return deployAws(manifest, targets.aws, { portalFiles });
});

/** Per region: each served API's stage URL (`https://<id>.execute-api.<region>.amazonaws.com/<stage>`). */
export const awsRegions = aws.then((deployment) =>
  Object.fromEntries(
    (deployment?.regions ?? []).map(({ region, apis }) => [region.name, Object.fromEntries(apis.map(({ api, url }) => [api, url]))]),
  ),
);
/** Declared API key credentials the AWS target did not deploy, with the reason. */
export const awsSkippedCredentials = aws.then((deployment) => deployment?.skippedCredentials ?? []);
/** The portal's URL on CloudFront, when the AwsGateway hosts it. */
export const awsPortalUrl = aws.then((deployment) => deployment?.portal?.url ?? null);
