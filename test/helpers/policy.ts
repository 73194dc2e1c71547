/**
 * Helpers for the policy tests (test/policies): declare policies on the items API, compile,
 * and read back either the resolved instances of one policy or the `invalid-policy` errors.
 * Built on ./declaration, so the declarations are the same as everywhere else in the tests.
 */
import { type ApiProps, type Diagnostic, type OpenApi, type Platform, type PlatformProps, type PolicyDeclaration, apiKey } from "../../constructs/index";
import type { GatewayConfig, PolicyInstance } from "../../constructs/manifest/schema";
import { chainOf, compileErrors, compileOk, itemsApi, testPlatform, withCode } from "./declaration";

type Json = Record<string, unknown>;

/** A policy's name as the manifest writes it, e.g. "rateLimit". */
export type PolicyName = PolicyInstance["policy"];

/** What surrounds the policies under test; anything not given is the items API's default. */
export interface PolicyDeclarationOptions {
  /** Replaces the items contract (`itemsContract()`). */
  contract?: OpenApi;
  /** The items API's operation-level declarations, as its `operations` prop. */
  operations?: ApiProps["operations"];
  /** Props of the platform, e.g. its own `policies` or `gateway` settings. */
  platform?: PlatformProps;
}

/**
 * A test platform with the items API (construct id "items", API id "items-v1" in the manifest)
 * declaring `policies` at API level. The contract and operations are the items API's defaults
 * unless `options` give them.
 */
export function itemsPlatform(policies: PolicyDeclaration[], options: PolicyDeclarationOptions = {}): Platform {
  const platform = testPlatform(options.platform);
  itemsApi(platform, "items", {
    policies,
    ...(options.contract ? { contract: options.contract } : {}),
    ...(options.operations ? { operations: options.operations } : {}),
  });
  return platform;
}

/**
 * The instances of `policyName` in the resolved chain of one operation of a compiled manifest,
 * in execution order; empty where the policy is not in that chain.
 */
export function policyEntriesIn(manifest: GatewayConfig, policyName: PolicyName, operationId: string, apiId = "items-v1"): PolicyInstance[] {
  return chainOf(manifest, apiId, operationId).filter((entry) => entry.policy === policyName);
}

/**
 * Compiles the items API declaring `policies` once (failing the test if it does not compile)
 * and returns a lookup: an operation id to the instances of `policyName` in that operation's
 * chain (see {@link policyEntriesIn}). For tests that look at several operations.
 */
export async function policyEntriesByOperation(
  policyName: PolicyName,
  policies: PolicyDeclaration[],
  options: PolicyDeclarationOptions = {},
): Promise<(operationId: string) => PolicyInstance[]> {
  const manifest = await compileOk(itemsPlatform(policies, options));
  return (operationId) => policyEntriesIn(manifest, policyName, operationId);
}

/**
 * Compiles the items API declaring `policies` (failing the test if it does not compile) and
 * returns the instances of `policyName` in the chain of `operationId` (default "listItems"),
 * in execution order; empty where the policy is not in that chain. Most policies resolve to one
 * instance per chain (`[entry] = ...`); keyed ones (rateLimit, quota) to one per key.
 */
export async function policyEntries(
  policyName: PolicyName,
  policies: PolicyDeclaration[],
  { operationId = "listItems", ...options }: PolicyDeclarationOptions & { operationId?: string } = {},
): Promise<PolicyInstance[]> {
  return (await policyEntriesByOperation(policyName, policies, options))(operationId);
}

/**
 * Compiles the items API declaring `policies`, which must fail, and returns its `invalid-policy`
 * errors. Unless `prependApiKey` is false, `apiKey()` (which the items contract's security
 * requires) is declared first, so the policy under test is at `policies[1]`, the default path of
 * {@link invalidPolicy}.
 */
export async function policyErrors(policies: PolicyDeclaration[], { prependApiKey = true, ...options }: PolicyDeclarationOptions & { prependApiKey?: boolean } = {}): Promise<Diagnostic[]> {
  const platform = itemsPlatform(prependApiKey ? [apiKey(), ...policies] : policies, options);
  return withCode(await compileErrors(platform), "invalid-policy");
}

/**
 * The `invalid-policy` error expected for a declaration at `path` (default the items API's
 * `policies[1]`, see {@link policyErrors}): `field` is the option at fault (undefined for the
 * declaration as a whole), `message` a pattern the message must match, and `more` the other
 * properties the diagnostic has (`expected`, `received`, `fix`).
 */
export function invalidPolicy(field: string | undefined, message: RegExp, more: Json = {}, path = "acme/items/policies[1]") {
  return {
    severity: "error",
    code: "invalid-policy",
    path,
    field,
    message: expect.stringMatching(message),
    ...more,
  };
}
