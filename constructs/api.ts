/** One version of an API: its contract, upstream, policies, lifecycle and SLO. */
import type { Construct } from "constructs";
import { z } from "zod";
import { basePath as basePathSchema } from "../policies/common";
import { DECLARABLE_POLICY_NAMES } from "../policies/index";
import type { PolicyDeclaration } from "../policies/policy";
import { OpenApi } from "./contract/openapi";
import type { DeclaredPolicy } from "./declared-policy";
import { didYouMean, listOf } from "./diagnostics";
import { LIFECYCLE_STATES, semverSchema, slugSchema } from "./manifest/schema";
import { Platform } from "./platform";
import { Slo, type SloObjectives } from "./slo";
import { TurnpikeConstruct } from "./turnpike-construct";
import { type UpstreamConfig, type UpstreamProps, resolveUpstream, upstreamOptions } from "./upstream";

/**
 * Lifecycle of an API version: `draft` (served, not listed in the portal), `published`,
 * `deprecated` (served with Deprecation and Sunset headers; needs a `sunset` date),
 * `retired` (answered with 410 Gone and a link to the successor).
 */
export type Lifecycle = (typeof LIFECYCLE_STATES)[number];

/** Settings for one operation of the contract, keyed by operationId. */
export interface OperationProps {
  /**
   * Policies for this operation only; they replace the API's and platform's policies of the same kind.
   * @default []
   */
  readonly policies?: PolicyDeclaration[];
  /**
   * Names of inherited policies (from the API or platform) this operation does without, e.g. `["cors"]`.
   * @default []
   */
  readonly excludePolicies?: string[];
}

/** A house rule this API is exempt from, and why. */
export interface RuleWaiver {
  /**
   * Rule id as `turnpike lint` prints it: a contract rule (`operation-description`,
   * `rule/success-response-example`, any Redocly rule) or a model rule (`api-owner`,
   * `plan-rate-limit`, ...).
   */
  readonly rule: string;
  /** Why the rule does not apply to this API. Required: it is printed with every finding it hides. */
  readonly reason: string;
}

/** How `turnpike lint` treats this API. */
export interface GovernanceProps {
  /**
   * Rules switched off for this API, each with its reason, e.g.
   * `[{ rule: "operation-description", reason: "generated from a legacy WSDL; rewritten in v3" }]`.
   * @default []
   */
  readonly waive?: RuleWaiver[];
}

export interface ApiProps {
  /**
   * Name of the API, shared by all its versions; lower-case letters, digits and -.
   * @default the construct id
   */
  readonly name?: string;
  /** Semantic version of this API version, e.g. `1.4.0`; the major version is part of the base path. */
  readonly version: string;
  /** The OpenAPI 3.0/3.1 contract, e.g. `OpenApi.fromFile("stacks/apis/orders.yaml")`. */
  readonly contract: OpenApi;
  /** Where requests go, e.g. `{ targets: [{ url: "http://orders.internal:8080" }], timeoutMs: 3_000 }`. */
  readonly upstream: UpstreamProps;
  /**
   * Lifecycle state.
   * @default "published"
   */
  readonly lifecycle?: Lifecycle;
  /**
   * Date this version was deprecated, ISO 8601 (`YYYY-MM-DD`), sent in the `Deprecation` header.
   * @default none
   */
  readonly deprecatedSince?: string;
  /**
   * Date this version stops being served, ISO 8601 (`YYYY-MM-DD`); required when deprecated.
   * @default none
   */
  readonly sunset?: string;
  /**
   * The API version that replaces this one, linked from deprecation headers, 410 answers and the portal.
   * @default none
   */
  readonly successor?: Api;
  /**
   * Owning team, e.g. `team-orders`.
   * @default none
   */
  readonly owner?: string;
  /**
   * Display name.
   * @default the contract's `info.title`
   */
  readonly title?: string;
  /**
   * Description in Markdown.
   * @default the contract's `info.description`
   */
  readonly description?: string;
  /**
   * Path prefix on the gateway.
   * @default `/<name>/v<major>`, e.g. `/orders/v1`
   */
  readonly basePath?: string;
  /**
   * Labels for the portal's catalog.
   * @default []
   */
  readonly tags?: string[];
  /**
   * Policies for every operation of this API; they replace platform policies of the same kind.
   * @default []
   */
  readonly policies?: PolicyDeclaration[];
  /**
   * Names of platform policies this API does without, e.g. `["cors"]`.
   * @default []
   */
  readonly excludePolicies?: string[];
  /**
   * Per-operation settings keyed by operationId.
   * @default {}
   */
  readonly operations?: Record<string, OperationProps>;
  /**
   * Service level objectives for the whole API (creates an `Slo` named `default`).
   * @default none
   */
  readonly slo?: SloObjectives;
  /**
   * Governance settings for `turnpike lint`, e.g. waivers of house rules with their reasons.
   * @default { waive: [] }
   */
  readonly governance?: GovernanceProps;
}

const isoDate = z.iso.date({ message: "a date is written YYYY-MM-DD" });
const policyNames = z.array(z.string());

const apiPropsSchema = z
  .strictObject({
    name: slugSchema.optional(),
    version: semverSchema,
    contract: z.custom<OpenApi>((value) => value instanceof OpenApi, { message: 'a contract is OpenApi.fromFile("path/to/openapi.yaml")' }),
    upstream: upstreamOptions,
    lifecycle: z.enum(LIFECYCLE_STATES).optional(),
    deprecatedSince: isoDate.optional(),
    sunset: isoDate.optional(),
    successor: z.custom<Api>((value) => value instanceof Api, { message: "a successor is another Api construct" }).optional(),
    owner: z.string().min(1).optional(),
    title: z.string().min(1).optional(),
    description: z.string().optional(),
    basePath: basePathSchema.optional(),
    tags: z.array(z.string().min(1)).optional(),
    policies: z.array(z.unknown()).optional(),
    excludePolicies: policyNames.optional(),
    operations: z.record(z.string(), z.strictObject({ policies: z.array(z.unknown()).optional(), excludePolicies: policyNames.optional() })).optional(),
    slo: z.unknown().optional(),
    governance: z
      .strictObject({
        waive: z
          .array(
            z.strictObject({
              rule: z.string({ error: 'a waiver names the rule it switches off, e.g. "operation-description"' }).min(1, "a waiver names the rule it switches off"),
              reason: z
                .string({ error: "a waiver records why the rule does not apply: add a reason" })
                .trim()
                .min(1, "a waiver records why the rule does not apply: the reason is empty"),
            }),
          )
          .optional(),
      })
      .optional(),
  })
  .superRefine((props, ctx) => {
    const lifecycle = props.lifecycle ?? "published";
    if (lifecycle === "deprecated" && props.sunset === undefined) {
      ctx.addIssue({ code: "custom", path: ["sunset"], message: "a deprecated API needs a sunset date, so consumers know when it stops (Sunset header, RFC 8594)", input: undefined });
    }
    if ((lifecycle === "draft" || lifecycle === "published") && props.sunset !== undefined) {
      ctx.addIssue({ code: "custom", path: ["sunset"], message: `a ${lifecycle} API has no sunset; deprecate it first`, input: props.sunset });
    }
    const waived = new Set<string>();
    for (const [index, waiver] of (props.governance?.waive ?? []).entries()) {
      if (waived.has(waiver.rule)) ctx.addIssue({ code: "custom", path: ["governance", "waive", index, "rule"], message: `rule "${waiver.rule}" is waived twice; keep one waiver with one reason`, input: waiver.rule });
      waived.add(waiver.rule);
    }
    if (props.deprecatedSince !== undefined && props.sunset !== undefined && props.deprecatedSince > props.sunset) {
      ctx.addIssue({ code: "custom", path: ["deprecatedSince"], message: "deprecatedSince is after sunset", input: props.deprecatedSince });
    }
  });

/** An operation's declared settings, validated. */
export interface DeclaredOperation {
  readonly operationId: string;
  readonly policies: readonly DeclaredPolicy[];
  readonly excludePolicies: readonly string[];
  /** Construct path of the operation's settings, e.g. `acme/orders/operations.createOrder`. */
  readonly declaredAt: string;
}

/** What the compiler reads from an Api whose props are valid. */
export interface ApiDeclaration {
  readonly name: string;
  readonly version: string;
  readonly majorVersion: number;
  readonly contract: OpenApi;
  readonly upstream: UpstreamConfig;
  readonly lifecycle: Lifecycle;
  readonly deprecatedSince: string | null;
  readonly sunset: string | null;
  readonly successor: Api | null;
  readonly owner: string | null;
  readonly title: string | null;
  readonly description: string | null;
  readonly basePath: string;
  readonly tags: string[];
  readonly policies: readonly DeclaredPolicy[];
  readonly excludePolicies: readonly string[];
  readonly operations: readonly DeclaredOperation[];
  readonly governance: { readonly waive: readonly RuleWaiver[] };
}

export class Api extends TurnpikeConstruct {
  /** Name shared by the versions of this API. */
  readonly apiName: string;
  /** @internal */
  readonly declaration: ApiDeclaration | undefined;
  /**
   * @internal When other props are invalid, the contract and the operation settings are
   * still checked against each other, so one compile reports both kinds of problem.
   */
  readonly partial: { contract: OpenApi | undefined; operationIds: readonly string[] };

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    Platform.of(this);
    const parsed = this.parseProps(apiPropsSchema, props);
    this.apiName = parsed?.name ?? id;
    if (props.name === undefined) this.checkName(id, "name");
    const policies = this.parsePolicies(props.policies, "api");
    this.checkPolicyNames(props.excludePolicies, "excludePolicies");
    const operations = Object.entries(props.operations ?? {}).map(([operationId, operation]): DeclaredOperation => {
      this.checkPolicyNames(operation?.excludePolicies, `operations.${operationId}.excludePolicies`);
      return {
        operationId,
        policies: this.parsePolicies(operation?.policies, "operation", `operations.${operationId}.policies`),
        excludePolicies: operation?.excludePolicies ?? [],
        declaredAt: `${this.path}/operations.${operationId}`,
      };
    });
    if (props.slo !== undefined) new Slo(this, "default", { ...props.slo, api: this });
    this.partial = { contract: props.contract instanceof OpenApi ? props.contract : undefined, operationIds: operations.map((operation) => operation.operationId) };
    if (parsed === undefined) return;
    const majorVersion = Number(parsed.version.split(".")[0]);
    this.declaration = {
      name: this.apiName,
      version: parsed.version,
      majorVersion,
      contract: parsed.contract,
      upstream: resolveUpstream(parsed.upstream),
      lifecycle: parsed.lifecycle ?? "published",
      deprecatedSince: parsed.deprecatedSince ?? null,
      sunset: parsed.sunset ?? null,
      successor: parsed.successor ?? null,
      owner: parsed.owner ?? null,
      title: parsed.title ?? null,
      description: parsed.description ?? null,
      basePath: parsed.basePath ?? `/${this.apiName}/v${majorVersion}`,
      tags: [...new Set(parsed.tags ?? [])].sort(),
      policies,
      excludePolicies: parsed.excludePolicies ?? [],
      operations,
      governance: { waive: (parsed.governance?.waive ?? []).map(({ rule, reason }) => ({ rule, reason })) },
    };
  }

  /** Manifest id: `<name>-v<major>`, e.g. `orders-v1`. */
  get apiId(): string {
    return this.declaration ? `${this.apiName}-v${this.declaration.majorVersion}` : this.apiName;
  }

  private checkPolicyNames(names: readonly string[] | undefined, field: string): void {
    for (const [index, name] of (names ?? []).entries()) {
      if (!DECLARABLE_POLICY_NAMES.includes(name)) {
        this.diagnostics.error({
          code: "unknown-policy",
          path: this.path,
          field: `${field}[${index}]`,
          message: `unknown policy "${name}"`,
          expected: `one of ${listOf(DECLARABLE_POLICY_NAMES)}`,
          received: `"${name}"`,
          fix: didYouMean(name, DECLARABLE_POLICY_NAMES),
        });
      }
    }
  }
}
