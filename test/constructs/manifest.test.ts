/** The manifest: deterministic bytes, its revision, its schema and the exported JSON Schema. */
import Ajv2020 from "ajv/dist/2020";
import fc from "fast-check";
import {
  Api,
  Consumer,
  Credential,
  OpenApi,
  Plan,
  type Platform,
  Product,
  Secret,
  apiKey,
  compileManifest,
  cors,
  gatewayConfigSchema,
  manifestJsonSchema,
  quota,
  rateLimit,
  requestValidation,
  threatProtection,
} from "../../constructs/index";
import { canonicalJson, canonicalJsonSha256, canonicalJsonSha256InSteps, compactCanonicalJson, sha256Hex } from "../../constructs/manifest/canonical-json";
import { revisionOf } from "../../constructs/manifest/serialize-manifest";
import { acmePlatform } from "../../stacks/acme";
import { compileOk, itemsContract, testPlatform } from "../helpers/declaration";

/** A declaration described as data, so fast-check can generate and reorder it. */
interface Spec {
  plans: { name: string; requests: number; quota: number | null }[];
  apis: { name: string; major: number; limit: number | null; validation: boolean }[];
  consumers: { name: string; plan: number }[];
}

const specArbitrary: fc.Arbitrary<Spec> = fc.record({
  plans: fc.uniqueArray(fc.record({ name: fc.constantFrom("free", "pro", "gold", "team"), requests: fc.integer({ min: 1, max: 1_000 }), quota: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null }) }), { minLength: 1, maxLength: 4, selector: (plan) => plan.name }),
  apis: fc.uniqueArray(fc.record({ name: fc.constantFrom("items", "stock", "orders"), major: fc.integer({ min: 1, max: 3 }), limit: fc.option(fc.integer({ min: 1, max: 50 }), { nil: null }), validation: fc.boolean() }), { minLength: 1, maxLength: 4, selector: (api) => `${api.name}-${api.major}` }),
  consumers: fc.uniqueArray(fc.record({ name: fc.constantFrom("web", "app", "batch"), plan: fc.nat() }), { maxLength: 3, selector: (consumer) => consumer.name }),
});

/** Builds the platform of a spec, creating constructs and listing policies in the given orders. */
function build(spec: Spec, order: { plans: number[]; apis: number[]; consumers: number[]; reversePolicies: boolean }): Platform {
  const platform = testPlatform({ policies: order.reversePolicies ? [threatProtection(), cors({ origins: ["https://a.example", "https://b.example"] })] : [cors({ origins: ["https://b.example", "https://a.example"] }), threatProtection()] });
  const plans = new Map<string, Plan>();
  for (const index of order.plans) {
    const plan = spec.plans[index]!;
    plans.set(plan.name, new Plan(platform, plan.name, { rateLimit: { requests: plan.requests }, ...(plan.quota ? { quota: { requests: plan.quota, period: "month" as const } } : {}) }));
  }
  const apis: Api[] = [];
  for (const index of order.apis) {
    const api = spec.apis[index]!;
    const policies = [apiKey(), ...(api.limit ? [rateLimit({ requests: api.limit }), quota({ requests: api.limit * 100, period: "day", key: "global" })] : []), ...(api.validation ? [requestValidation()] : [])];
    apis.push(new Api(platform, `${api.name}-${api.major}`, {
      name: api.name,
      version: `${api.major}.0.0`,
      contract: OpenApi.fromDocument(itemsContract()),
      upstream: { targets: [{ url: `http://${api.name}.internal` }] },
      policies: order.reversePolicies ? policies.reverse() : policies,
    }));
  }
  const planList = order.plans.map((index) => plans.get(spec.plans[index]!.name)!);
  const product = new Product(platform, "everything", { apis: order.reversePolicies ? [...apis].reverse() : apis, plans: planList });
  for (const index of order.consumers) {
    const consumer = spec.consumers[index]!;
    const plan = spec.plans[consumer.plan % spec.plans.length]!.name;
    new Consumer(platform, consumer.name, { subscriptions: [{ product, plan }], credentials: [Credential.apiKey({ secret: Secret.fromEnv(`${consumer.name.toUpperCase()}_KEY`) })] });
  }
  return platform;
}

const identity = (length: number) => Array.from({ length }, (_, index) => index);

describe("manifest", () => {
  it("is byte-identical for the same declaration, whatever order constructs and policies were declared in", async () => {
    await fc.assert(
      fc.asyncProperty(
        specArbitrary.chain((spec) =>
          fc.tuple(
            fc.constant(spec),
            fc.shuffledSubarray(identity(spec.plans.length), { minLength: spec.plans.length }),
            fc.shuffledSubarray(identity(spec.apis.length), { minLength: spec.apis.length }),
            fc.shuffledSubarray(identity(spec.consumers.length), { minLength: spec.consumers.length }),
          ),
        ),
        async ([spec, plans, apis, consumers]) => {
          const straight = await compileManifest(build(spec, { plans: identity(spec.plans.length), apis: identity(spec.apis.length), consumers: identity(spec.consumers.length), reversePolicies: false }));
          const again = await compileManifest(build(spec, { plans: identity(spec.plans.length), apis: identity(spec.apis.length), consumers: identity(spec.consumers.length), reversePolicies: false }));
          const reordered = await compileManifest(build(spec, { plans, apis, consumers, reversePolicies: true }));
          expect(straight.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
          expect(again.json).toBe(straight.json);
          expect(reordered.json).toBe(straight.json);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("carries its revision: sha256 of its canonical JSON without the revision field, and is those canonical bytes", async () => {
    const { manifest, json } = await compileManifest(acmePlatform());
    const { revision, ...metadata } = manifest!.metadata;
    expect(revision).toBe(`sha256:${sha256Hex(canonicalJson({ ...manifest, metadata }))}`);
    expect(revisionOf(manifest!)).toBe(revision);
    expect(json).toBe(canonicalJson(manifest));
  });

  it("changes revision when anything in the declaration changes", async () => {
    const base = await compileOk(build({ plans: [{ name: "free", requests: 10, quota: null }], apis: [{ name: "items", major: 1, limit: null, validation: false }], consumers: [] }, { plans: [0], apis: [0], consumers: [], reversePolicies: false }));
    const changed = await compileOk(build({ plans: [{ name: "free", requests: 11, quota: null }], apis: [{ name: "items", major: 1, limit: null, validation: false }], consumers: [] }, { plans: [0], apis: [0], consumers: [], reversePolicies: false }));
    expect(changed.metadata.revision).not.toBe(base.metadata.revision);
  });

  it("is valid against the JSON Schema written to dist/manifest.schema.json", async () => {
    const manifest = await compileOk(acmePlatform());
    const validate = new Ajv2020({ strict: false, validateFormats: false, allErrors: true }).compile(manifestJsonSchema());
    expect(validate(JSON.parse(canonicalJson(manifest)))).toBe(true);
    expect(validate.errors ?? []).toEqual([]);

    // The schema requires every default to be written out: a missing field is invalid.
    const broken = JSON.parse(canonicalJson(manifest)) as { spec: { policies: { policy: string; config: Record<string, unknown> }[] } };
    delete broken.spec.policies.find((instance) => instance.policy === "rateLimit")!.config.burst;
    expect(validate(broken)).toBe(false);
    expect(validate.errors?.map((error) => error.message)).toContain("must have required property 'burst'");
  });

  it("is checked by its zod schema, including chains that name missing policy instances", async () => {
    const manifest = await compileOk(acmePlatform());
    expect(gatewayConfigSchema.parse(JSON.parse(canonicalJson(manifest)))).toEqual(manifest);
    const dangling = structuredClone(manifest);
    dangling.spec.apis[0]!.operations[0]!.policies.push("nowhere/rateLimit:consumer");
    const result = gatewayConfigSchema.safeParse(dangling);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('policy instance "nowhere/rateLimit:consumer" is not in spec.policies');
  });

  it("checks a hand-edited request id header as the platform construct does: a settable header name, lower-cased", async () => {
    const manifest = await compileOk(acmePlatform());
    const withHeader = (requestIdHeader: string) => {
      const edited = structuredClone(manifest);
      edited.spec.platform.gateway.requestIdHeader = requestIdHeader;
      return gatewayConfigSchema.safeParse(edited);
    };
    expect(withHeader("X-Correlation-Id").data?.spec.platform.gateway.requestIdHeader).toBe("x-correlation-id");
    for (const [requestIdHeader, message] of [
      ["x-id\r\nx-admin: yes", /a header name is an RFC 9110 token/],
      ["", /a header name is an RFC 9110 token/],
      ["connection", /hop-by-hop headers .* describe one connection/],
    ] as const) {
      const result = withHeader(requestIdHeader);
      expect(result.success).toBe(false);
      expect(result.error!.issues.map((issue) => issue.path.join("."))).toEqual(["spec.platform.gateway.requestIdHeader"]);
      expect(result.error!.issues[0]!.message).toMatch(message);
    }
  });

  it("refuses a hand-edited trusted proxy that is not an address or CIDR range", async () => {
    const manifest = await compileOk(acmePlatform());
    const edited = structuredClone(manifest);
    edited.spec.platform.gateway.trustedProxies = ["10.0.0.0/8", "10.0.0.0/33", "proxy.internal"];
    const result = gatewayConfigSchema.safeParse(edited);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => [issue.path.join("."), issue.message])).toEqual([
      ["spec.platform.gateway.trustedProxies.1", '"10.0.0.0/33" is not an IPv4/IPv6 address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32)'],
      ["spec.platform.gateway.trustedProxies.2", '"proxy.internal" is not an IPv4/IPv6 address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32)'],
    ]);
  });

  it("refuses a hand-edited base path that would go into a Link header with a line break", async () => {
    const manifest = await compileOk(acmePlatform());
    const edited = structuredClone(manifest);
    edited.spec.apis[0]!.basePath = "/orders/v2>\r\nx-admin: yes";
    const lifecycle = edited.spec.policies.findIndex((instance) => instance.policy === "lifecycle");
    (edited.spec.policies[lifecycle]!.config as { successor: { basePath: string } }).successor.basePath = "/v2\nx: y";
    const result = gatewayConfigSchema.safeParse(edited);
    expect(result.success).toBe(false);
    const paths = result.error!.issues.filter((issue) => /a base path is \/segment/.test(issue.message)).map((issue) => issue.path.join("."));
    expect(paths).toContain("spec.apis.0.basePath");
    expect(paths).toContain(`spec.policies.${lifecycle}.config.successor.basePath`);
  });
});

describe("canonical JSON", () => {
  it("serializes objects the same whatever their key insertion order", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (value, seed) => {
        const shuffle = (input: unknown): unknown => {
          if (Array.isArray(input)) return input.map(shuffle);
          if (input === null || typeof input !== "object") return input;
          const entries = Object.entries(input);
          entries.sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 31 + seed) % 7) || (seed % 2 ? 1 : -1));
          return Object.fromEntries(entries.map(([key, child]) => [key, shuffle(child)]));
        };
        expect(canonicalJson(shuffle(value))).toBe(canonicalJson(value));
        expect(compactCanonicalJson(shuffle(value))).toBe(compactCanonicalJson(value));
        // Same data as JSON.stringify: pretty and compact parse back to the value.
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
        expect(JSON.parse(compactCanonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it("sorts keys at every depth by code unit, integer-like keys included, keeps array order and drops undefined", () => {
    expect(compactCanonicalJson({ b: 1, a: { d: [3, 1], c: undefined, b: null }, "404": 1, "200": 2, "4XX": 3 })).toBe('{"200":2,"404":1,"4XX":3,"a":{"b":null,"d":[3,1]},"b":1}');
    expect(compactCanonicalJson({ z: [undefined, () => 1] })).toBe('{"z":[null,null]}');
  });

  it("hashes the pretty text without building it: the same digest at any chunk size", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 64 }), (value, chunkChars) => {
        const expected = sha256Hex(canonicalJson(value));
        expect(canonicalJsonSha256(value, chunkChars)).toBe(expected);
        expect(canonicalJsonSha256(value)).toBe(expected);
      }),
    );
    expect(canonicalJsonSha256({ b: [undefined, 1], a: undefined })).toBe(sha256Hex('{\n  "b": [\n    null,\n    1\n  ]\n}\n'));
  });

  it("hashes a value read back from its canonical text the fast way (JSON.stringify) to the same digest, in steps too", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const expected = sha256Hex(canonicalJson(value));
        const readBack = JSON.parse(canonicalJson(value)) as unknown;
        expect(canonicalJsonSha256(readBack)).toBe(expected);
        let steps = 0;
        expect(await canonicalJsonSha256InSteps(readBack, async () => void steps++)).toBe(expected);
        expect(await canonicalJsonSha256InSteps(value, async () => undefined)).toBe(expected);
        // Objects and arrays: a step after the order check, then the text and its hash.
        if (readBack !== null && typeof readBack === "object" && /"\d+":/.test(canonicalJson(value)) === false) expect(steps).toBe(1);
      }),
    );
    // What JSON.stringify writes otherwise than canonical JSON: the walk hashes those.
    const cases: unknown[] = [undefined, () => 1, { "9": 1, "10": 2 }, { a: new Date(0) }, { a: 1, toJSON: () => "x" }, { a: undefined, b: [undefined, () => 1, Symbol("s")] }, [1, , 3], Object.assign(Object.create({ inherited: 1 }) as object, { own: 2 })];
    for (const value of cases) {
      expect(canonicalJsonSha256(value)).toBe(sha256Hex(canonicalJson(value)));
      expect(await canonicalJsonSha256InSteps(value, async () => undefined)).toBe(sha256Hex(canonicalJson(value)));
    }
  });

  it("indents like JSON.stringify(value, null, 2)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const sortedCopy = JSON.parse(compactCanonicalJson(value));
        // Without integer-like keys JavaScript keeps insertion order, so the two must agree.
        fc.pre(!/"\d+":/.test(compactCanonicalJson(value)));
        expect(canonicalJson(value)).toBe(`${JSON.stringify(sortedCopy, null, 2)}\n`);
      }),
    );
    // Larger than one chunk (64 Ki characters): the chunks join into the same text.
    const large = Array.from({ length: 3000 }, (_, index) => ({ z: index, a: `operation-${index}`, m: { "404": [index, null], b: true } }));
    const text = canonicalJson(large);
    expect(text.length).toBeGreaterThan(3 * 64 * 1024);
    expect(text).toBe(`${JSON.stringify(JSON.parse(compactCanonicalJson(large)), null, 2)}\n`);
    expect(canonicalJsonSha256(large)).toBe(sha256Hex(text));
  });
});
