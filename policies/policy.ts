/**
 * What a gateway policy is made of, Kong-plugin style: a name, the phases it acts in, the
 * levels it may be attached at, the options users write (a zod schema with defaults) and how
 * those options resolve, for one operation, into the complete configuration the manifest
 * carries. The gateway core knows phases, not policies.
 */
import { z } from "zod";
import type { SecurityAlternative, SecurityScheme } from "../constructs/manifest/schema";
import type { HttpMethod } from "./common";

/** Request phases, in execution order (like Kong's). */
export const PHASES = ["access", "limit", "request", "proxy", "response", "log"] as const;
export type Phase = (typeof PHASES)[number];

/**
 * Where a policy can be attached. `platform`, `api` and `operation` form the API dimension
 * (more specific replaces less specific); `plan` adds policies for the consumers of a plan.
 */
export const ATTACH_LEVELS = ["platform", "api", "operation", "plan"] as const;
export type AttachLevel = (typeof ATTACH_LEVELS)[number];

/** The facts about one operation that a policy may use while resolving its options. */
export interface OperationFacts {
  /** Manifest id of the API, e.g. `orders-v2`. */
  readonly apiId: string;
  readonly operationId: string;
  readonly method: HttpMethod;
  /** Contract path template, e.g. `/orders/{orderId}`. */
  readonly path: string;
  /** Names of the path parameters in `path`. */
  readonly pathParameters: readonly string[];
  /** Methods the contract declares on this path. */
  readonly pathMethods: readonly HttpMethod[];
  /** Lower-case names of the header parameters declared on this path's operations. */
  readonly pathRequestHeaders: readonly string[];
  /** Lower-case names of the response headers declared on this path's operations. */
  readonly pathResponseHeaders: readonly string[];
  /** Security alternatives from the contract; `null` when the contract is silent. */
  readonly security: readonly SecurityAlternative[] | null;
  /** All security schemes the contract defines, by name. */
  readonly securitySchemes: Readonly<Record<string, SecurityScheme>>;
  /** True when the resolved chain authenticates callers (so a consumer can be known). */
  readonly authenticated: boolean;
}

/** A problem found while resolving; `field` is a dotted path inside the policy's options. */
export interface ResolveProblem {
  readonly field?: string;
  readonly message: string;
  readonly expected?: string;
  readonly received?: string;
  readonly fix?: string;
}

/** Gateway-wide settings of the platform a policy may depend on. */
export interface GatewayFacts {
  /** Lower-case name of the header carrying the request id. */
  readonly requestIdHeader: string;
}

export interface ResolveContext {
  readonly level: AttachLevel;
  readonly operation: OperationFacts;
  readonly gateway: GatewayFacts;
  /** Entries of this operation's chain resolved before this one (see `resolveLate`). */
  readonly resolved: readonly { readonly policy: string; readonly config: unknown }[];
  error(problem: ResolveProblem): void;
  warn(problem: ResolveProblem): void;
}

/**
 * The resolved form of an options type: every optional field filled in. This is what the
 * manifest carries, so that no consumer of it has a default left to guess.
 */
export type Complete<T> = T extends readonly (infer E)[]
  ? Complete<E>[]
  : T extends object
    ? { [K in keyof T]-?: Complete<Exclude<T[K], undefined>> }
    : T;

const DECLARATION = Symbol.for("turnpike.policy-declaration");

/** A policy as written in a declaration, e.g. the value of `rateLimit({ requests: 5 })`. */
export class PolicyDeclaration<N extends string = string> {
  readonly [DECLARATION] = true;
  constructor(
    /** Policy name, e.g. `rateLimit`. */
    readonly policy: N,
    /** Options as written; validated by the construct that receives the declaration. */
    readonly options: unknown,
  ) {}

  static is(value: unknown): value is PolicyDeclaration {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[DECLARATION] === true;
  }
}

/** The resolved configuration of a policy: complete options plus what the compiler computed. */
export type PolicyConfig<S extends z.ZodObject, X extends z.ZodRawShape> = Complete<z.output<S>> & z.output<z.ZodObject<X>>;

export interface PolicySpec<N extends string, S extends z.ZodObject, X extends z.ZodRawShape> {
  readonly name: N;
  /** One line saying what the policy does, for the CLI and the portal. */
  readonly summary: string;
  /** Phases the handler acts in; the first one places the policy in the chain. */
  readonly phases: readonly [Phase, ...Phase[]];
  /** Order inside the first phase; lower runs first. */
  readonly priority: number;
  /** Levels it may be declared at. Empty for policies the compiler adds by itself. */
  readonly levels: readonly AttachLevel[];
  /** What users write. */
  readonly options: S;
  /** Fields of the resolved configuration that the compiler fills in and users never write. */
  readonly computed?: X;
  /**
   * Which declaration a more specific one replaces. Two declarations with the same slot
   * cannot sit at one level. Default: the policy name (one per level).
   */
  readonly slot?: (options: z.output<S>) => string;
  /** Fill in what depends on the operation; default: the options as parsed. */
  readonly resolve?: (options: z.output<S>, context: ResolveContext) => PolicyConfig<S, X>;
  /** Resolve after the other entries of the chain (it reads their resolved configs). */
  readonly resolveLate?: boolean;
  /**
   * Whether a declaration inherited from the platform or API acts on this operation at all
   * (a cache on a POST does not); inapplicable ones are left out of the chain. Default: yes.
   */
  readonly appliesTo?: (options: z.output<S>, operation: Omit<OperationFacts, "authenticated">) => boolean;
}

export interface Policy<N extends string = string, S extends z.ZodObject = z.ZodObject, X extends z.ZodRawShape = z.ZodRawShape>
  extends Required<Omit<PolicySpec<N, S, X>, "computed">> {
  /** Schema of the resolved configuration in the manifest: every field required. */
  readonly config: z.ZodType<PolicyConfig<S, X>>;
  /** Wraps options as written into a declaration for a construct to validate. */
  declare(options: z.input<S>): PolicyDeclaration<N>;
}

export function definePolicy<N extends string, S extends z.ZodObject, X extends z.ZodRawShape = {}>(
  spec: PolicySpec<N, S, X>,
): Policy<N, S, X> {
  const complete = completeSchema(spec.options) as z.ZodObject;
  return {
    slot: () => spec.name,
    resolve: (options) => options as PolicyConfig<S, X>,
    resolveLate: false,
    appliesTo: () => true,
    ...spec,
    config: (spec.computed ? complete.extend(spec.computed) : complete) as unknown as z.ZodType<PolicyConfig<S, X>>,
    declare: (options) => new PolicyDeclaration(spec.name, options),
  };
}

/**
 * Derives the schema of the resolved form: defaults and optionals removed, recursively, so
 * that the manifest schema requires every field the options schema lets users leave out.
 * Checks on rebuilt objects are not carried over: they ran on the options already.
 */
export function completeSchema(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault || schema instanceof z.ZodOptional) {
    return completeSchema(schema.unwrap() as z.ZodType);
  }
  if (schema instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = {};
    for (const [key, value] of Object.entries(schema.shape)) shape[key] = completeSchema(value as z.ZodType);
    return z.strictObject(shape);
  }
  if (schema instanceof z.ZodArray) {
    const element = completeSchema(schema.element as z.ZodType);
    return element === schema.element ? schema : z.array(element);
  }
  if (schema instanceof z.ZodPipe) {
    if (schema.out instanceof z.ZodTransform) {
      throw new Error("a transform in a policy options schema must end in .pipe(<output schema>) so the manifest schema can describe it");
    }
    return completeSchema(schema.out as z.ZodType);
  }
  if (schema instanceof z.ZodNullable) {
    const inner = completeSchema(schema.unwrap() as z.ZodType);
    return inner === schema.unwrap() ? schema : inner.nullable();
  }
  return schema;
}
