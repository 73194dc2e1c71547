/** The model rules of `turnpike lint`: each with a declaration that passes and one that fails. */
import { Api, OpenApi, Plan, Product, apiKey, cors, masking } from "../../constructs/index";
import { checkModelRules } from "../../policies/governance/model-rules";
import { compileErrors, compileOk, itemsApi, itemsContract, testPlatform } from "../helpers/declaration";

const TODAY = "2026-11-27";

async function findings(build: (platform: ReturnType<typeof testPlatform>) => void, today = TODAY) {
  const platform = testPlatform();
  build(platform);
  const manifest = await compileOk(platform);
  return checkModelRules({ manifest, today }).map(({ code, api, field, message }) => ({ code, api, field, message }));
}

/** The items contract without its public health check: every operation needs the API key. */
const secured = (version = "1.0.0") =>
  OpenApi.fromDocument(
    itemsContract((document) => {
      delete ((document.paths as Record<string, Record<string, Record<string, unknown>>>)["/health"]!.get!).security;
      (document.info as { version: string }).version = version;
    }),
  );
const owned = { owner: "team-items", contract: secured() };

describe("model rules", () => {
  it("pass a published API with an owner, authentication everywhere, limited plans and a matching version", async () => {
    expect(
      await findings((platform) => {
        const api = itemsApi(platform, "items", owned);
        new Product(platform, "shop", { title: "Shop", apis: [api], plans: [new Plan(platform, "free", { title: "Free", rateLimit: { requests: 10, perSeconds: 1 } })] });
      }),
    ).toEqual([]);
  });

  it("api-owner: a published API without an owner", async () => {
    expect(await findings((platform) => void itemsApi(platform, "items", { contract: secured() }))).toEqual([{ code: "api-owner", api: "items-v1", field: "owner", message: "the API has no owner" }]);
  });

  it("api-owner: draft APIs are not checked (no rule is, until consumers can use the API)", async () => {
    expect(await findings((platform) => void itemsApi(platform, "items", { lifecycle: "draft" }))).toEqual([]);
  });

  it("operation-auth: an operation whose chain authenticates nobody (a public operation, `security: []`, needs a waiver)", async () => {
    const publicHealth = await findings((platform) => void itemsApi(platform, "items", { owner: "team-items" }));
    expect(publicHealth.map((finding) => [finding.code, finding.field])).toEqual([["operation-auth", "operations.getHealth"]]);
    // Without a security requirement in the contract, no authentication policy is required to compile.
    const open = itemsContract((document) => {
      delete document.security;
    });
    const result = await findings((platform) => void itemsApi(platform, "items", { ...owned, contract: OpenApi.fromDocument(open), policies: [cors({ origins: ["*"] })] }));
    expect(result.map((finding) => finding.field)).toEqual(["operations.getHealth", "operations.listItems", "operations.createItem", "operations.deleteItem", "operations.getItem"]);
    expect(result[1]).toEqual({ code: "operation-auth", api: "items-v1", field: "operations.listItems", message: "GET /items (listItems) lets anonymous callers in: no authentication policy in its chain" });
  });

  it("operation-auth: an operation whose contract makes credentials optional (`security: [{}, ...]`) lets anonymous callers in despite its apiKey", async () => {
    const optional = OpenApi.fromDocument(
      itemsContract((document) => {
        const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
        delete paths["/health"]!.get!.security;
        paths["/items"]!.get!.security = [{}, { ApiKeyAuth: [] }];
      }),
    );
    expect(await findings((platform) => void itemsApi(platform, "items", { ...owned, contract: optional }))).toEqual([
      { code: "operation-auth", api: "items-v1", field: "operations.listItems", message: "GET /items (listItems) lets anonymous callers in: its contract makes credentials optional (an empty security requirement, `{}`)" },
    ]);
  });

  it("plan-rate-limit: a plan offering the API without a rate limit (plans offering other APIs only are not its concern)", async () => {
    const result = await findings((platform) => {
      const api = itemsApi(platform, "items", owned);
      const other = itemsApi(platform, "other", { ...owned, basePath: "/other/v1" });
      new Product(platform, "shop", { title: "Shop", apis: [api], plans: [new Plan(platform, "unlimited", { title: "Unlimited", quota: { requests: 1_000, period: "day" } })] });
      new Product(platform, "internal", { title: "Internal", apis: [other], plans: [new Plan(platform, "limited", { title: "Limited", rateLimit: { requests: 5, perSeconds: 1 } })] });
    });
    expect(result).toEqual([{ code: "plan-rate-limit", api: "items-v1", field: "products", message: 'plan "unlimited" offers the API without a rate limit: one consumer could take the whole upstream' }]);
  });

  describe("deprecated APIs", () => {
    const deprecate = (platform: ReturnType<typeof testPlatform>, props: { sunset: string; successor: boolean }) => {
      const next = itemsApi(platform, "items-next", { ...owned, name: "items", version: "2.0.0", contract: secured("2.0.0") });
      itemsApi(platform, "items", { ...owned, lifecycle: "deprecated", sunset: props.sunset, successor: props.successor ? next : undefined });
    };

    it("deprecation-sunset passes a sunset after today, and deprecation-successor a named successor", async () => {
      expect(await findings((platform) => deprecate(platform, { sunset: "2026-11-28", successor: true }))).toEqual([]);
    });

    it("deprecation-sunset: the sunset date is today or has passed ('today' is injected)", async () => {
      const result = await findings((platform) => deprecate(platform, { sunset: "2026-11-27", successor: true }));
      expect(result).toEqual([
        { code: "deprecation-sunset", api: "items-v1", field: "sunset", message: "the sunset date 2026-11-27 has passed (today is 2026-11-27): the API is still served past the date consumers were promised" },
      ]);
      expect(await findings((platform) => deprecate(platform, { sunset: "2026-11-27", successor: true }), "2026-11-26")).toEqual([]);
    });

    it("deprecation-successor: deprecated without a successor", async () => {
      expect((await findings((platform) => deprecate(platform, { sunset: "2027-01-01", successor: false }))).map((finding) => finding.code)).toEqual(["deprecation-successor"]);
    });
  });

  it("api-version-semver: the contract's info.version differs from the declared version, or is not semver", async () => {
    const contract = secured;
    expect(await findings((platform) => void itemsApi(platform, "items", { ...owned, version: "1.2.0", contract: contract("1.2.0") }))).toEqual([]);
    expect(await findings((platform) => void itemsApi(platform, "items", { ...owned, version: "1.2.0", contract: contract("1.1.0") }))).toEqual([
      { code: "api-version-semver", api: "items-v1", field: "version", message: `the contract's info.version "1.1.0" is not the API's version 1.2.0: the portal and the gateway would disagree` },
    ]);
    expect((await findings((platform) => void itemsApi(platform, "items", { ...owned, version: "1.2.0", contract: contract("v1") })))[0]?.code).toBe("api-version-semver");
  });
});

describe("the governance prop", () => {
  it("carries waivers into the manifest, sorted by rule", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { governance: { waive: [{ rule: "operation-description", reason: "generated from a WSDL" }, { rule: "api-owner", reason: "  owned by the platform team  " }] } });
    const manifest = await compileOk(platform);
    expect(manifest.spec.apis[0]!.governance).toEqual({
      waive: [
        { rule: "api-owner", reason: "owned by the platform team" },
        { rule: "operation-description", reason: "generated from a WSDL" },
      ],
    });
  });

  it("defaults to no waivers", async () => {
    const platform = testPlatform();
    itemsApi(platform);
    expect((await compileOk(platform)).spec.apis[0]!.governance).toEqual({ waive: [] });
  });

  it("refuses the same rule waived twice", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { governance: { waive: [{ rule: "api-owner", reason: "one" }, { rule: "api-owner", reason: "two" }] } });
    expect((await compileErrors(platform)).map(({ field, message }) => ({ field, message }))).toEqual([
      { field: "governance.waive[1].rule", message: 'rule "api-owner" is waived twice; keep one waiver with one reason' },
    ]);
  });

  it("refuses a waiver without a reason, and one with an empty reason", async () => {
    const platform = testPlatform();
    new Api(platform, "items", {
      version: "1.0.0",
      contract: OpenApi.fromDocument(itemsContract()),
      upstream: { targets: [{ url: "http://items.internal:8080" }] },
      policies: [apiKey()],
      governance: { waive: [{ rule: "api-owner" } as { rule: string; reason: string }, { rule: "operation-summary", reason: "  " }, { rule: "operation-summary", reason: "twice" }] },
    });
    const errors = await compileErrors(platform);
    expect(errors.map(({ field, message }) => ({ field, message }))).toEqual([
      { field: "governance.waive[0].reason", message: "a waiver records why the rule does not apply: add a reason" },
      { field: "governance.waive[1].reason", message: "a waiver records why the rule does not apply: the reason is empty" },
    ]);
  });
  describe("masking-path", () => {
    /** The secured items contract with its health answer documented (a bare `type: object` may hold any field, so nothing could be ruled out). */
    const documented = (change: (document: Record<string, unknown>) => void = () => {}) =>
      OpenApi.fromDocument(
        itemsContract((document) => {
          const health = (document.paths as Record<string, Record<string, Record<string, unknown>>>)["/health"]!.get!;
          delete health.security;
          (health.responses as Record<string, { content: Record<string, { schema: unknown }> }>)["200"]!.content["application/json"]!.schema = { type: "object", properties: { status: { type: "string" } } };
          change(document);
        }),
      );
    const plans = (platform: ReturnType<typeof testPlatform>, api: Api, policies: ReturnType<typeof masking>[] = []) =>
      new Product(platform, "shop", { title: "Shop", apis: [api], plans: [new Plan(platform, "free", { title: "Free", rateLimit: { requests: 10, perSeconds: 1 }, policies })] });

    it("passes paths that name documented fields, at any depth or through arrays", async () => {
      const result = await findings((platform) => {
        const api = itemsApi(platform, "items", { ...owned, contract: documented(), policies: [apiKey(), masking({ fields: [{ path: "$.name" }, { path: "$[*].name" }, { path: "$..id" }, { path: "$.title" }, { path: "$.status" }] })] });
        plans(platform, api);
      });
      // Problem documents have a title, items a name and an id, the health answer a status.
      expect(result).toEqual([]);
    });

    it("reports a misspelt path once, naming the declaration and the field", async () => {
      const result = await findings((platform) => {
        const api = itemsApi(platform, "items", { ...owned, contract: documented(), policies: [apiKey(), masking({ fields: [{ path: "$.name" }, { path: "$..nmae" }, { path: "$.name.first" }] })] });
        plans(platform, api);
      });
      expect(result).toEqual([
        { code: "masking-path", api: "items-v1", field: "fields[1].path", message: "masking (acme/items/policies/masking) field $..nmae names no field of the JSON responses the contracts document for the operations of items-v1 it covers: it would mask nothing" },
        { code: "masking-path", api: "items-v1", field: "fields[2].path", message: "masking (acme/items/policies/masking) field $.name.first names no field of the JSON responses the contracts document for the operations of items-v1 it covers: it would mask nothing" },
      ]);
    });

    it("checks a plan's masking over every API of the plan: a field one of them documents is fine", async () => {
      const other = documented((document) => {
        const schemas = (document.components as { schemas: Record<string, { properties: Record<string, unknown> }> }).schemas;
        schemas.Item!.properties.shippingAddress = { type: "object", properties: { name: { type: "string" } } };
      });
      const result = await findings((platform) => {
        const items = itemsApi(platform, "items", { ...owned, contract: documented() });
        const orders = new Api(platform, "orders", { version: "1.0.0", owner: "team-orders", contract: other, upstream: { targets: [{ url: "http://orders.internal" }] }, policies: [apiKey()] });
        new Product(platform, "shop", { title: "Shop", apis: [items, orders], plans: [new Plan(platform, "free", { title: "Free", rateLimit: { requests: 10, perSeconds: 1 }, policies: [masking({ fields: [{ path: "$..shippingAddress.name" }, { path: "$..shipingAddress" }] })] })] });
      });
      expect(result.map(({ code, api, field }) => [code, api, field])).toEqual([["masking-path", "items-v1", "fields[1].path"]]);
      expect(result[0]!.message).toContain("for the operations it covers (items-v1, orders-v1)");
    });

    it("says nothing where the contract documents no JSON response schema, or leaves the field open", async () => {
      const open = documented((document) => {
        const schemas = (document.components as { schemas: Record<string, Record<string, unknown>> }).schemas;
        schemas.Item = { type: "object", additionalProperties: true, properties: { name: { type: "string" } } };
      });
      const result = await findings((platform) => {
        const api = itemsApi(platform, "items", { ...owned, contract: open, policies: [apiKey(), masking({ fields: [{ path: "$.anything" }] })] });
        plans(platform, api);
      });
      expect(result).toEqual([]);
    });
  });
});
