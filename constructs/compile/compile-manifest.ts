/**
 * `compileManifest()`: a Platform's construct tree → one validated `turnpike.dev/v1`
 * manifest, or every problem found, in one pass.
 *
 * Compile is pure and deterministic: the same declaration gives byte-identical JSON whatever
 * order constructs were created in (everything set-like is sorted, no timestamps).
 */
import type { IConstruct } from "constructs";
import { AUTHENTICATION_POLICY_NAMES } from "../../policies/index";
import { Api } from "../api";
import { Consumer } from "../consumer";
import { extractOperations, type ContractFacts, type ContractOperation } from "../contract/extract-operations";
import { type ContractLoadResult, loadContract } from "../contract/load-contract";
import { type Diagnostic, Diagnostics, didYouMean, listOf } from "../diagnostics";
import { compactCanonicalJson, canonicalJson, sha256Hex } from "../manifest/canonical-json";
import {
  type Api as ManifestApi,
  type Consumer as ManifestConsumer,
  type GatewayConfig,
  MANIFEST_API_VERSION,
  MANIFEST_KIND,
  type Operation,
  type Plan as ManifestPlan,
  type PolicyInstance,
  type Product as ManifestProduct,
  type Slo as ManifestSlo,
  gatewayConfigSchema,
} from "../manifest/schema";
import { Plan } from "../plan";
import { Platform } from "../platform";
import { Product } from "../product";
import { Slo } from "../slo";
import { TurnpikeConstruct } from "../turnpike-construct";
import { type ChainEntry, type PlanPolicies, buildChain, mergeLevel } from "./policy-chain";

export interface CompileResult {
  /** The manifest; `undefined` when there are errors. */
  readonly manifest: GatewayConfig | undefined;
  /** `manifest` as canonical JSON: the bytes of `dist/manifest.json`. */
  readonly json: string | undefined;
  /** Every problem found, errors and warnings, in a stable order. */
  readonly diagnostics: readonly Diagnostic[];
}

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

  const inPlatform = (construct: IConstruct, referencedFrom: TurnpikeConstruct, field: string): boolean => {
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

  // Contracts load in parallel; each file is loaded once even if several APIs share it.
  const loads = new Map<string, Promise<ContractLoadResult>>();
  const loadFor = (api: Api) => {
    const contract = api.declaration!.contract;
    const key = contract.file ?? `inline:${api.path}`;
    let load = loads.get(key);
    if (!load) loads.set(key, (load = loadContract(contract, platform.rootDir)));
    return load;
  };
  const validApis = apis.filter((api) => api.declaration !== undefined);
  const loaded = await Promise.all(validApis.map(async (api) => ({ api, result: await loadFor(api) })));
  await Promise.all(apis.filter((api) => api.declaration === undefined).map((api) => checkInvalidApi(api, platform, diagnostics)));

  const manifestApis: ManifestApi[] = [];
  const instances = new PolicyInstances();
  const seenProblems = new Set<string>();
  for (const { api, result } of loaded) {
    for (const problem of result.problems) {
      // Problems of a shared file are reported once, on the first API using it.
      const key = `${problem.file}|${problem.pointer}|${problem.message}`;
      if (seenProblems.has(key)) continue;
      seenProblems.add(key);
      diagnostics.add({ ...problem, path: api.path, field: "contract" });
    }
    if (!result.contract) continue;
    const facts = extractOperations(result.contract.document, result.contract.source ?? undefined);
    for (const problem of facts.problems) diagnostics.add({ ...problem, path: api.path, field: "contract" });
    manifestApis.push(compileApi(api, platform, facts, result, offers.get(api) ?? [], instances, diagnostics, inPlatform));
  }
  checkApiIdentity(diagnostics, validApis);
  checkRoutes(diagnostics, manifestApis, validApis);

  const manifestPlans = plans.flatMap((plan) => (plan.declaration ? [compilePlan(plan, diagnostics)] : []));
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
  if (diagnostics.hasErrors || platform.settings === undefined) return { manifest: undefined, json: undefined, diagnostics: sorted };

  const byName = <T extends { name: string }>(a: T, b: T) => compareText(a.name, b.name);
  const draft = {
    apiVersion: MANIFEST_API_VERSION,
    kind: MANIFEST_KIND,
    metadata: { name: platform.node.id, revision: "" },
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
  } satisfies GatewayConfig;
  const { metadata, ...rest } = draft;
  const revision = `sha256:${sha256Hex(compactCanonicalJson({ ...rest, metadata: { name: metadata.name } }))}`;
  const candidate = { ...draft, metadata: { ...metadata, revision } };
  const checked = gatewayConfigSchema.safeParse(candidate);
  if (!checked.success) {
    // The compiler produced something its own schema rejects: a Turnpike bug, reported as such.
    const internal = checked.error.issues.slice(0, 5).map((issue): Diagnostic => ({
      severity: "error",
      code: "internal",
      path: platform.path,
      field: issue.path.join("."),
      message: `the compiled manifest fails its schema (${issue.message}); this is a Turnpike bug, please report it`,
    }));
    return { manifest: undefined, json: undefined, diagnostics: [...sorted, ...internal] };
  }
  return { manifest: checked.data, json: canonicalJson(checked.data), diagnostics: sorted };
}

/**
 * An API whose props are invalid produces no manifest entry, but its contract and the
 * operationIds it names are still checked, so the user sees those problems in the same run.
 */
async function checkInvalidApi(api: Api, platform: Platform, diagnostics: Diagnostics): Promise<void> {
  const { contract, operationIds } = api.partial;
  if (!contract) return;
  const { contract: loaded, problems } = await loadContract(contract, platform.rootDir);
  for (const problem of problems) diagnostics.add({ ...problem, path: api.path, field: "contract" });
  if (!loaded) return;
  const known = extractOperations(loaded.document, loaded.source ?? undefined).operations.map((operation) => operation.operationId);
  for (const operationId of operationIds) if (!known.includes(operationId)) diagnostics.error(unknownOperation(api, operationId, known, loaded.source));
}

function unknownOperation(api: Api, operationId: string, known: readonly string[], source: string | null): Omit<Diagnostic, "severity"> {
  return {
    code: "unknown-operation",
    path: api.path,
    field: `operations.${operationId}`,
    message: `operationId "${operationId}" is not in the contract ${source ?? "(inline)"}`,
    expected: `one of ${listOf([...known].sort())}`,
    received: `"${operationId}"`,
    fix: didYouMean(operationId, known),
  };
}

function compileApi(
  api: Api,
  platform: Platform,
  facts: ContractFacts,
  load: ContractLoadResult,
  plans: readonly PlanPolicies[],
  instances: PolicyInstances,
  diagnostics: Diagnostics,
  inPlatform: (construct: IConstruct, from: TurnpikeConstruct, field: string) => boolean,
): ManifestApi {
  const declaration = api.declaration!;
  const contract = load.contract!;
  const apiId = api.apiId;
  const known = new Map(facts.operations.map((operation) => [operation.operationId, operation]));
  const declaredOperations = new Map(declaration.operations.map((operation) => [operation.operationId, operation]));
  for (const operation of declaration.operations) {
    if (!known.has(operation.operationId)) diagnostics.error(unknownOperation(api, operation.operationId, [...known.keys()], contract.source));
  }

  let successor: ManifestApi["successor"] = null;
  const lifecycle = declaration.lifecycle;
  if (declaration.successor) {
    const next = declaration.successor;
    if (next === api) {
      diagnostics.error({ code: "lifecycle", path: api.path, field: "successor", message: "an API cannot be its own successor" });
    } else if (inPlatform(next, api, "successor")) {
      const nextLifecycle = next.declaration?.lifecycle;
      if (nextLifecycle === "retired" || nextLifecycle === "draft") {
        diagnostics.error({
          code: "lifecycle",
          path: api.path,
          field: "successor",
          message: `the successor ${next.path} is ${nextLifecycle}; consumers sent there could not use it`,
          expected: "a published (or deprecated) API",
          received: nextLifecycle,
          fix: nextLifecycle === "draft" ? `publish ${next.apiName} first` : "point to the API that replaced it",
        });
      }
      successor = next.apiId;
    }
  }
  if (lifecycle === "retired" && declaration.successor === null) {
    diagnostics.warning({ code: "lifecycle", path: api.path, field: "successor", message: "a retired API answers 410 Gone; without a successor the answer cannot say where to go", fix: "set successor to the API that replaced it" });
  }
  const lifecycleEntry =
    lifecycle === "deprecated" || lifecycle === "retired"
      ? {
          declaredAt: api.path,
          config: {
            state: lifecycle,
            deprecatedSince: declaration.deprecatedSince,
            sunset: declaration.sunset,
            successor: declaration.successor?.declaration
              ? { api: declaration.successor.apiId, version: declaration.successor.declaration.version, basePath: declaration.successor.declaration.basePath }
              : null,
          },
        }
      : null;

  const platformPolicies = platform.declaredPolicies;
  const apiPolicies = mergeLevel(platformPolicies, declaration.policies, declaration.excludePolicies, { diagnostics, path: api.path, field: "excludePolicies" });
  const basePath = declaration.basePath === "/" ? "" : declaration.basePath;
  const byPath = new Map<string, ContractOperation[]>();
  for (const operation of facts.operations) byPath.set(operation.path, [...(byPath.get(operation.path) ?? []), operation]);

  const unimplemented = new Map<string, string[]>();
  const operations: Operation[] = [...facts.operations]
    .sort((a, b) => compareText(a.path, b.path) || compareText(a.method, b.method))
    .map((operation) => {
      const declared = declaredOperations.get(operation.operationId);
      const siblings = byPath.get(operation.path)!;
      const chain = buildChain({
        apiId,
        apiPolicies,
        operationPolicies: declared?.policies ?? [],
        operationExcludes: declared?.excludePolicies ?? [],
        operationDeclaredAt: declared?.declaredAt ?? `${api.path}/operations.${operation.operationId}`,
        plans,
        lifecycle: lifecycleEntry,
        facts: {
          apiId,
          operationId: operation.operationId,
          method: operation.method,
          path: operation.path,
          pathParameters: operation.parameters.filter((parameter) => parameter.in === "path").map((parameter) => parameter.name),
          pathMethods: siblings.map((sibling) => sibling.method).sort(),
          pathRequestHeaders: [...new Set(siblings.flatMap((sibling) => sibling.parameters.filter((p) => p.in === "header").map((p) => p.name.toLowerCase())))].sort(),
          pathResponseHeaders: [...new Set(siblings.flatMap((sibling) => sibling.responses.flatMap((response) => response.headers)))].sort(),
          security: operation.security,
          securitySchemes: facts.securitySchemes,
        },
        diagnostics,
      });
      for (const scheme of chain.unimplementedSchemes) unimplemented.set(scheme, [...(unimplemented.get(scheme) ?? []), operation.operationId]);
      return {
        operationId: operation.operationId,
        method: operation.method,
        path: operation.path,
        route: `${basePath}${operation.path}`,
        summary: operation.summary,
        tags: operation.tags,
        deprecated: operation.deprecated,
        parameters: operation.parameters,
        requestBody: operation.requestBody,
        responses: operation.responses,
        security: operation.security,
        policies: chain.entries.map((entry) => instances.add(entry)),
      };
    });
  for (const [scheme, operationIds] of unimplemented) {
    const definition = facts.securitySchemes[scheme];
    const policy = definition?.type === "apiKey" ? "apiKey()" : definition?.type === "mutualTLS" ? "mtls({ trustedCa })" : "jwt({ issuer, jwksUrl, audiences })";
    diagnostics.error({
      code: "missing-auth-policy",
      path: api.path,
      field: "policies",
      message: `the contract requires security scheme "${scheme}"${definition ? ` (${definition.type})` : ""} on ${listOf(operationIds.slice(0, 5))}${operationIds.length > 5 ? ` and ${operationIds.length - 5} more` : ""}, but no policy enforces it: the gateway would let anyone in`,
      fix: `add ${policy} to the API's (or platform's) policies`,
    });
  }
  if (plans.length > 0 && operations.every((operation) => !operation.policies.some((id) => AUTHENTICATION_POLICY_NAMES.has(instances.get(id).policy)))) {
    diagnostics.warning({
      code: "unused",
      path: api.path,
      message: "the API is offered with plans, but none of its operations authenticates callers, so no plan's limits ever apply",
      fix: "add an authentication policy (apiKey, jwt or mtls)",
    });
  }

  const documentJson = compactCanonicalJson(contract.document);
  return {
    id: apiId,
    name: declaration.name,
    version: declaration.version,
    majorVersion: declaration.majorVersion,
    title: declaration.title ?? (facts.title || declaration.name),
    description: declaration.description ?? facts.description,
    owner: declaration.owner,
    tags: declaration.tags,
    lifecycle,
    deprecatedSince: declaration.deprecatedSince,
    sunset: declaration.sunset,
    successor,
    basePath: declaration.basePath,
    declaredAt: api.path,
    contract: { source: contract.source, openapi: contract.openapi, sha256: sha256Hex(documentJson), document: contract.document },
    securitySchemes: facts.securitySchemes,
    upstream: declaration.upstream,
    operations,
  };
}

/**
 * Identical chain entries become one policy instance. Ids are assigned at the end: an
 * instance's id is its scope, or scope#hash when the scope resolved to several variants.
 */
class PolicyInstances {
  private readonly byKey = new Map<string, { entry: ChainEntry; placeholder: string }>();
  private readonly byPlaceholder = new Map<string, ChainEntry>();

  /** Registers an entry; returns a placeholder id replaced by `finish()`. */
  add(entry: ChainEntry): string {
    const key = compactCanonicalJson(entry);
    let known = this.byKey.get(key);
    if (!known) {
      known = { entry, placeholder: `pending:${this.byKey.size}` };
      this.byKey.set(key, known);
      this.byPlaceholder.set(known.placeholder, entry);
    }
    return known.placeholder;
  }

  get(placeholder: string): ChainEntry {
    return this.byPlaceholder.get(placeholder)!;
  }

  /** Assigns final ids, rewrites the operations' chains, returns the instances sorted by id. */
  finish(apis: ManifestApi[]): PolicyInstance[] {
    const variants = new Map<string, number>();
    for (const { entry } of this.byKey.values()) variants.set(entry.scope, (variants.get(entry.scope) ?? 0) + 1);
    const ids = new Map<string, string>();
    const list: PolicyInstance[] = [];
    for (const [key, { entry, placeholder }] of this.byKey) {
      const id = variants.get(entry.scope)! > 1 ? `${entry.scope}#${sha256Hex(key).slice(0, 8)}` : entry.scope;
      ids.set(placeholder, id);
      list.push({ id, ...entry } as PolicyInstance);
    }
    for (const api of apis) for (const operation of api.operations) operation.policies = operation.policies.map((placeholder) => ids.get(placeholder)!);
    return list.sort((a, b) => compareText(a.id, b.id));
  }
}

function compilePlan(plan: Plan, diagnostics: Diagnostics): ManifestPlan {
  const declaration = plan.declaration!;
  // The plan's limits as one consumer experiences them, resolved like its chain entries.
  const resolveLimit = (name: "rateLimit" | "quota") => {
    const declared = declaration.policies.find((entry) => entry.policy.name === name);
    if (!declared) return null;
    return declared.policy.resolve(declared.options, {
      level: "plan",
      operation: { apiId: "", operationId: "", method: "GET", path: "", pathParameters: [], pathMethods: [], pathRequestHeaders: [], pathResponseHeaders: [], security: null, securitySchemes: {}, authenticated: true },
      resolved: [],
      error: (problem) => diagnostics.error({ code: "invalid-policy", path: declared.source, field: problem.field, message: `${name}: ${problem.message}`, expected: problem.expected, received: problem.received, fix: problem.fix }),
      warn: () => undefined,
    });
  };
  return {
    name: plan.planName,
    title: declaration.title,
    description: declaration.description,
    declaredAt: plan.path,
    pricing: declaration.pricing,
    rateLimit: resolveLimit("rateLimit") as ManifestPlan["rateLimit"],
    quota: resolveLimit("quota") as ManifestPlan["quota"],
    policies: declaration.policies.filter((entry) => entry.policy.name !== "rateLimit" && entry.policy.name !== "quota").map((entry) => entry.policy.name).sort(),
  };
}

function compileProduct(product: Product): ManifestProduct {
  const declaration = product.declaration!;
  return {
    name: product.productName,
    title: declaration.title,
    description: declaration.description,
    declaredAt: product.path,
    apis: declaration.apis.map((api) => api.apiId).sort(),
    plans: declaration.plans.map((plan) => plan.planName).sort(),
    approval: declaration.approval,
    visibility: declaration.visibility,
  };
}

function compileConsumer(consumer: Consumer, subscriptions: ManifestConsumer["subscriptions"]): ManifestConsumer {
  const declaration = consumer.declaration!;
  return {
    name: consumer.consumerName,
    displayName: declaration.displayName,
    contact: declaration.contact,
    declaredAt: consumer.path,
    subscriptions,
    credentials: [...declaration.credentials].sort((a, b) => compareText(compactCanonicalJson(a), compactCanonicalJson(b))),
  };
}

/** Checks a consumer's subscriptions against the products; returns the valid ones, sorted. */
function checkSubscriptions(
  consumer: Consumer,
  diagnostics: Diagnostics,
  inPlatform: (construct: IConstruct, from: TurnpikeConstruct, field: string) => boolean,
): ManifestConsumer["subscriptions"] {
  const subscriptions: ManifestConsumer["subscriptions"] = [];
  const apiOwners = new Map<string, string>();
  for (const subscription of consumer.subscriptions) {
    const product = subscription.product;
    if (!inPlatform(product, consumer, `${subscription.field}.product`) || !product.declaration) continue;
    const offered = product.declaration.plans;
    const planName = typeof subscription.plan === "string" ? subscription.plan : subscription.plan.planName;
    if (!offered.some((plan) => plan.planName === planName) || (typeof subscription.plan !== "string" && !offered.includes(subscription.plan))) {
      diagnostics.error({
        code: "unknown-plan",
        path: consumer.path,
        field: `${subscription.field}.plan`,
        message: `product "${product.productName}" does not offer plan "${planName}"`,
        expected: `one of ${listOf(offered.map((plan) => plan.planName).sort())}`,
        received: `"${planName}"`,
        fix: didYouMean(planName, offered.map((plan) => plan.planName)) ?? `add the plan to ${product.path}'s plans, or subscribe with an offered one`,
      });
      continue;
    }
    if (subscriptions.some((existing) => existing.product === product.productName)) {
      diagnostics.error({
        code: "ambiguous-subscription",
        path: consumer.path,
        field: subscription.field,
        message: `subscribes to product "${product.productName}" twice; the gateway could not tell which plan's limits apply`,
        fix: "keep one subscription per product",
      });
      continue;
    }
    for (const api of product.declaration.apis) {
      const other = apiOwners.get(api.apiId);
      if (other !== undefined) {
        diagnostics.error({
          code: "ambiguous-subscription",
          path: consumer.path,
          field: subscription.field,
          message: `API ${api.apiId} is in both subscribed products "${other}" and "${product.productName}"; the gateway could not tell which plan's limits apply to its calls`,
          fix: "subscribe to one of the two products",
        });
      }
      apiOwners.set(api.apiId, product.productName);
    }
    subscriptions.push({ product: product.productName, plan: planName });
  }
  return subscriptions.sort((a, b) => compareText(a.product, b.product));
}

function compileSlo(slo: Slo, apis: readonly ManifestApi[], diagnostics: Diagnostics): ManifestSlo | undefined {
  const declaration = slo.declaration!;
  const api = apis.find((candidate) => candidate.id === declaration.api.apiId);
  if (!api) return undefined;
  const operationIds = api.operations.map((operation) => operation.operationId);
  declaration.operations.forEach((operationId) => {
    if (!operationIds.includes(operationId)) {
      diagnostics.error({
        code: "unknown-operation",
        path: slo.path,
        field: "operations",
        message: `operationId "${operationId}" is not an operation of ${api.id}`,
        expected: `one of ${listOf([...operationIds].sort())}`,
        received: `"${operationId}"`,
        fix: didYouMean(operationId, operationIds),
      });
    }
  });
  return {
    id: `${api.id}/${slo.node.id}`,
    name: slo.node.id,
    api: api.id,
    operations: declaration.operations,
    availability: declaration.availability,
    latencyP50Ms: declaration.latencyP50Ms,
    latencyP95Ms: declaration.latencyP95Ms,
    latencyP99Ms: declaration.latencyP99Ms,
    errorRatePercent: declaration.errorRatePercent,
    throughputRps: declaration.throughputRps,
    windowDays: declaration.windowDays,
    declaredAt: slo.path,
  };
}

function checkUniqueNames(diagnostics: Diagnostics, items: readonly { name: string; construct: TurnpikeConstruct }[], kind: string): void {
  const seen = new Map<string, TurnpikeConstruct>();
  for (const { name, construct } of items) {
    const first = seen.get(name);
    if (first) {
      diagnostics.error({
        code: "duplicate-name",
        path: construct.path,
        message: `${kind} name "${name}" is already used by ${first.path}; ${kind}s are referenced by name, so names are unique in the platform`,
        fix: `rename one of the two ${kind}s`,
      });
    } else seen.set(name, construct);
  }
}

function checkApiIdentity(diagnostics: Diagnostics, apis: readonly Api[]): void {
  const byId = new Map<string, Api>();
  const byBasePath = new Map<string, Api>();
  for (const api of apis) {
    const first = byId.get(api.apiId);
    if (first) {
      diagnostics.error({
        code: "duplicate-api-version",
        path: api.path,
        field: "version",
        message: `${first.path} already declares ${api.apiName} major version ${api.declaration!.majorVersion} (${first.declaration!.version}); one major version of an API is one construct`,
        received: api.declaration!.version,
        fix: "bump the major version for a new, incompatible version, or update the existing construct",
      });
    } else byId.set(api.apiId, api);
    const basePath = api.declaration!.basePath;
    const other = byBasePath.get(basePath);
    if (other && other !== first) {
      diagnostics.error({
        code: "duplicate-base-path",
        path: api.path,
        field: "basePath",
        message: `base path ${basePath} is also used by ${other.path}`,
        fix: `give one of them another basePath (the default is /<name>/v<major>)`,
      });
    } else byBasePath.set(basePath, api);
  }
}

/** Two operations on one method and path pattern would shadow each other in the router. */
function checkRoutes(diagnostics: Diagnostics, apis: readonly ManifestApi[], constructs: readonly Api[]): void {
  const seen = new Map<string, { api: ManifestApi; operation: Operation }>();
  for (const api of apis) {
    for (const operation of api.operations) {
      const key = `${operation.method} ${operation.route.replace(/\{[^}]*\}/g, "{}")}`;
      const first = seen.get(key);
      if (first && first.api !== api) {
        diagnostics.error({
          code: "route-conflict",
          path: constructs.find((construct) => construct.apiId === api.id)?.path ?? api.declaredAt,
          field: "basePath",
          message: `${operation.method} ${operation.route} (${operation.operationId}) collides with ${first.operation.method} ${first.operation.route} (${first.operation.operationId} of ${first.api.id})`,
          fix: "give one of the APIs another basePath",
        });
      } else if (!first) seen.set(key, { api, operation });
    }
  }
}

function checkCredentials(diagnostics: Diagnostics, consumers: readonly Consumer[]): void {
  const seen = new Map<string, Consumer>();
  for (const consumer of consumers) {
    for (const [index, credential] of (consumer.declaration?.credentials ?? []).entries()) {
      const key = compactCanonicalJson(credential.type === "apiKey" ? { type: credential.type, secret: credential.secret } : credential);
      const first = seen.get(key);
      if (first && first !== consumer) {
        diagnostics.error({
          code: "duplicate-name",
          path: consumer.path,
          field: `credentials[${index}]`,
          message: `the same ${credential.type} credential is declared for ${first.path}; the gateway could not tell the two consumers apart`,
          fix: "give each consumer its own credential",
        });
      } else seen.set(key, consumer);
    }
  }
}

function warnUnused(
  diagnostics: Diagnostics,
  { apis, plans, products, offers }: { apis: readonly Api[]; plans: readonly Plan[]; products: readonly Product[]; offers: Map<Api, PlanPolicies[]> },
): void {
  const offeredPlans = new Set(products.flatMap((product) => product.declaration?.plans ?? []));
  for (const plan of plans) {
    if (!offeredPlans.has(plan)) diagnostics.warning({ code: "unused", path: plan.path, message: `plan "${plan.planName}" is not offered by any product, so no consumer can subscribe to it`, fix: "add it to a product's plans, or remove it" });
  }
  for (const api of apis) {
    const lifecycle = api.declaration!.lifecycle;
    if (lifecycle === "published" && !offers.has(api)) {
      diagnostics.warning({ code: "unused", path: api.path, message: `${api.apiId} is published but in no product, so consumers cannot subscribe to it`, fix: "add it to a product's apis" });
    }
  }
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

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
