/**
 * `compileManifest()`: a Platform's construct tree → one validated `turnpike.dev/v1`
 * manifest, or every problem found, in one pass.
 *
 * Compile is pure and deterministic: the same declaration gives byte-identical JSON whatever
 * order constructs were created in (everything set-like is sorted, no timestamps).
 */
import { Api } from "../api";
import { Consumer } from "../consumer";
import type { OpenApi } from "../contract/openapi";
import { type ContractLoadResult, loadContract } from "../contract/load-contract";
import { extractOperations } from "../contract/extract-operations";
import { type Diagnostic, Diagnostics } from "../diagnostics";
import { compactCanonicalJson } from "../manifest/canonical-json";
import { type Api as ManifestApi, type GatewayConfig, MANIFEST_API_VERSION, MANIFEST_KIND, gatewayConfigSchema } from "../manifest/schema";
import { type UnrevisedManifest, serializeManifest } from "../manifest/serialize-manifest";
import { Plan } from "../plan";
import type { Platform } from "../platform";
import { Product } from "../product";
import { Slo } from "../slo";
import type { KubernetesTargetConfig } from "../targets/kubernetes/cluster-config";
import { KubernetesGateway } from "../targets/kubernetes/kubernetes-gateway";
import { AwsGateway } from "../targets/aws/aws-gateway";
import { awsCapabilityDiagnostics } from "../targets/aws/capability-diagnostics";
import type { AwsTargetConfig } from "../targets/aws/config";
import { TurnpikeConstruct } from "../turnpike-construct";
import { compareText } from "./compare-text";
import { checkOperationIds, compileApi } from "./compile-api";
import { checkCredentials, checkSubscriptions, compileConsumer } from "./compile-consumer";
import { compilePlan } from "./compile-plan";
import { compileProduct } from "./compile-product";
import { compileSlo } from "./compile-slo";
import { checkApiIdentity, checkRoutes, checkUniqueNames, warnUnused } from "./platform-checks";
import type { PlanPolicies } from "./policy-chain";
import { PolicyInstances } from "./policy-instances";
import type { InPlatform } from "./references";

export interface CompileResult {
  /** The manifest; `undefined` when there are errors. */
  readonly manifest: GatewayConfig | undefined;
  /** `manifest` as canonical JSON: the bytes of `dist/manifest.json`. */
  readonly json: string | undefined;
  /** Every problem found, errors and warnings, in a stable order. */
  readonly diagnostics: readonly Diagnostic[];
  /**
   * Deployment targets' settings, validated and resolved, beside the manifest rather than in
   * it: the gateway never needs them, and they must not change the manifest's revision.
   */
  readonly targets: CompiledTargets;
}

export interface CompiledTargets {
  /** The `KubernetesGateway`'s clusters; `null` when none is declared or on errors. */
  readonly kubernetes: KubernetesTargetConfig | null;
  /** The `AwsGateway`'s settings; `null` when none is declared or on errors. */
  readonly aws: AwsTargetConfig | null;
}

const NO_TARGETS: CompiledTargets = { kubernetes: null, aws: null };

export async function compileManifest(platform: Platform): Promise<CompileResult> {
  const diagnostics = new Diagnostics();
  const constructs = platform.node.findAll();
  for (const construct of constructs) {
    if (construct instanceof TurnpikeConstruct) for (const diagnostic of TurnpikeConstruct.diagnosticsOf(construct)) diagnostics.add(diagnostic);
  }
  const apis = constructs.filter((c): c is Api => c instanceof Api);
  const plans = constructs.filter((c): c is Plan => c instanceof Plan);
  const products = constructs.filter((c): c is Product => c instanceof Product);
  const consumers = constructs.filter((c): c is Consumer => c instanceof Consumer);
  const slos = constructs.filter((c): c is Slo => c instanceof Slo);

  const inPlatform: InPlatform = (construct, referencedFrom, field) => {
    if (construct.node.root === platform) return true;
    diagnostics.error({
      code: "foreign-construct",
      path: referencedFrom.path,
      field,
      message: `${construct.node.path} belongs to another Platform; a declaration only references constructs of its own platform`,
      fix: `create ${construct.node.id} inside ${platform.node.id}`,
    });
    return false;
  };

  checkUniqueNames(diagnostics, plans.map((plan) => ({ name: plan.planName, construct: plan })), "plan");
  checkUniqueNames(diagnostics, products.map((product) => ({ name: product.productName, construct: product })), "product");
  checkUniqueNames(diagnostics, consumers.map((consumer) => ({ name: consumer.consumerName, construct: consumer })), "consumer");

  // Products offering each API, with their plans: the plan dimension of the chains.
  const offers = new Map<Api, PlanPolicies[]>();
  for (const product of products) {
    const declaration = product.declaration;
    if (!declaration) continue;
    declaration.apis.forEach((api, index) => inPlatform(api, product, `apis[${index}]`));
    declaration.plans.forEach((plan, index) => inPlatform(plan, product, `plans[${index}]`));
    for (const api of declaration.apis) {
      const list = offers.get(api) ?? [];
      for (const plan of declaration.plans) list.push({ product: product.productName, plan: plan.planName, policies: plan.declaration?.policies ?? [] });
      offers.set(api, list);
    }
  }

  // Contracts load in parallel; each file is loaded once even if several APIs share it. An
  // API with invalid props still has its contract and operationIds checked.
  const loads = new Map<string, Promise<ContractLoadResult>>();
  const loadFor = (api: Api, contract: OpenApi) => {
    const key = contract.file ?? `inline:${api.path}`;
    let load = loads.get(key);
    if (!load) loads.set(key, (load = loadContract(contract, platform.rootDir)));
    return load;
  };
  const validApis = apis.filter((api) => api.declaration !== undefined);
  const loaded = await Promise.all(
    apis.flatMap((api) => {
      const contract = api.declaration?.contract ?? api.partial.contract;
      return contract ? [loadFor(api, contract).then((result) => ({ api, result }))] : [];
    }),
  );

  const manifestApis: ManifestApi[] = [];
  const instances = new PolicyInstances();
  const seenProblems = new Set<string>();
  for (const { api, result } of loaded) {
    for (const problem of result.problems) {
      // Problems of a shared file are reported once, on the first API using it.
      const key = `${problem.file ?? api.path}|${problem.pointer}|${problem.message}`;
      if (seenProblems.has(key)) continue;
      seenProblems.add(key);
      diagnostics.add({ ...problem, path: api.path, field: "contract" });
    }
    if (!result.contract) continue;
    const facts = extractOperations(result.contract.document, result.contract.source ?? undefined);
    for (const problem of facts.problems) diagnostics.add({ ...problem, path: api.path, field: "contract" });
    if (!api.declaration) {
      checkOperationIds(api, facts, result.contract.source, diagnostics);
      continue;
    }
    manifestApis.push(compileApi(api, platform, facts, result, offers.get(api) ?? [], instances, diagnostics, inPlatform));
  }
  checkApiIdentity(diagnostics, validApis);
  checkRoutes(diagnostics, manifestApis, validApis);

  const manifestPlans = plans.flatMap((plan) => (plan.declaration ? [compilePlan(plan, { requestIdHeader: platform.settings?.requestIdHeader ?? "x-request-id" }, diagnostics)] : []));
  const manifestProducts = products.flatMap((product) => (product.declaration ? [compileProduct(product)] : []));
  const manifestConsumers = consumers.flatMap((consumer) => {
    const subscriptions = checkSubscriptions(consumer, diagnostics, inPlatform);
    return consumer.declaration ? [compileConsumer(consumer, subscriptions)] : [];
  });
  checkCredentials(diagnostics, consumers);
  const manifestSlos = slos.flatMap((slo) => {
    const compiled = slo.declaration && inPlatform(slo.declaration.api, slo, "api") ? compileSlo(slo, manifestApis, diagnostics) : undefined;
    return compiled ? [compiled] : [];
  });
  warnUnused(diagnostics, { apis: validApis, plans, products, offers });

  const sorted = sortDiagnostics(diagnostics.all);
  if (diagnostics.hasErrors || platform.settings === undefined) return { manifest: undefined, json: undefined, diagnostics: sorted, targets: NO_TARGETS };

  const byName = <T extends { name: string }>(a: T, b: T) => compareText(a.name, b.name);
  const unrevised: UnrevisedManifest = {
    apiVersion: MANIFEST_API_VERSION,
    kind: MANIFEST_KIND,
    metadata: { name: platform.node.id },
    spec: {
      platform: {
        name: platform.node.id,
        title: platform.settings.title,
        description: platform.settings.description,
        regions: platform.settings.regions,
        gateway: { trustedProxies: platform.settings.trustedProxies, requestIdHeader: platform.settings.requestIdHeader },
      },
      apis: manifestApis.sort((a, b) => compareText(a.id, b.id)),
      policies: instances.finish(manifestApis),
      products: manifestProducts.sort(byName),
      plans: manifestPlans.sort(byName),
      consumers: manifestConsumers.sort(byName),
      slos: manifestSlos.sort((a, b) => compareText(a.id, b.id)),
    },
  };
  const { json, revision } = serializeManifest(unrevised);
  const checked = gatewayConfigSchema.safeParse({ ...unrevised, metadata: { ...unrevised.metadata, revision } });
  if (!checked.success) {
    // The compiler produced something its own schema rejects: a Turnpike bug, reported as such.
    const internal = checked.error.issues.slice(0, 5).map((issue): Diagnostic => ({
      severity: "error",
      code: "internal",
      path: platform.path,
      field: issue.path.join("."),
      message: `the compiled manifest fails its schema (${issue.message}); this is a Turnpike bug, please report it`,
    }));
    return { manifest: undefined, json: undefined, diagnostics: [...sorted, ...internal], targets: NO_TARGETS };
  }
  const kubernetes = constructs.find((c): c is KubernetesGateway => c instanceof KubernetesGateway);
  const aws = constructs.find((c): c is AwsGateway => c instanceof AwsGateway)?.config ?? null;
  // Policies AWS cannot enforce fail the compile, before anything is deployed.
  const awsDiagnostics = aws ? awsCapabilityDiagnostics(checked.data, aws) : [];
  if (awsDiagnostics.length > 0) {
    const all = sortDiagnostics([...sorted, ...awsDiagnostics]);
    if (all.some((diagnostic) => diagnostic.severity === "error")) return { manifest: undefined, json: undefined, diagnostics: all, targets: NO_TARGETS };
    return { manifest: checked.data, json, diagnostics: all, targets: { kubernetes: kubernetes?.config ?? null, aws } };
  }
  return { manifest: checked.data, json, diagnostics: sorted, targets: { kubernetes: kubernetes?.config ?? null, aws } };
}

function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const unique = new Map<string, Diagnostic>();
  for (const diagnostic of list) {
    const key = compactCanonicalJson(diagnostic);
    if (!unique.has(key)) unique.set(key, diagnostic);
  }
  return [...unique.values()].sort(
    (a, b) =>
      (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1) ||
      compareText(a.path, b.path) ||
      compareText(a.field ?? "", b.field ?? "") ||
      compareText(a.message, b.message),
  );
}

