/**
 * transform (policies/transform/schema.ts): header and query edits, upstream path rewrites
 * checked against the operation's path parameters, and the compile errors a user sees.
 */
import { Plan, type PolicyDeclaration, Product, apiKey, transform } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, testPlatform, withCode } from "../helpers/declaration";
import { invalidPolicy, policyEntries, policyErrors } from "../helpers/policy";

const empty = {
  request: { headers: { set: {}, remove: [] }, query: { set: {}, remove: [] }, path: null },
  response: { headers: { set: {}, remove: [] } },
};

const transformOf = async (policies: PolicyDeclaration[], operationId = "getItem", operations: Record<string, { policies: PolicyDeclaration[] }> = {}) =>
  (await policyEntries("transform", policies, { operationId, operations }))[0];

const HOP_BY_HOP = /^transform: hop-by-hop headers \(connection, keep-alive, proxy-authenticate, proxy-authorization, proxy-connection, te, trailer, transfer-encoding, upgrade\) describe one connection, so a policy cannot set or remove them$/;

describe("transform", () => {
  describe("valid options", () => {
    it("fills in every default: no edits and the contract path", async () => {
      const entry = await transformOf([apiKey(), transform({})]);
      expect(entry!.config).toEqual(empty);
      expect([entry!.id, entry!.level, entry!.phases]).toEqual(["items-v1/transform", "api", ["request", "response"]]);
    });

    it("resolves header and query edits as written, lower-casing header names and keeping query names", async () => {
      const entry = await transformOf([
        apiKey(),
        transform({
          request: {
            headers: { set: { "X-Tenant": "acme", "X-Source": "gateway" }, remove: ["X-Debug", "cookie"] },
            query: { set: { apiVersion: "2024-01-01" }, remove: ["debug"] },
          },
          response: { headers: { set: { "Cache-Control": "no-store" }, remove: ["Server"] } },
        }),
      ]);
      expect(entry!.config).toEqual({
        request: {
          headers: { set: { "x-tenant": "acme", "x-source": "gateway" }, remove: ["cookie", "x-debug"] },
          query: { set: { apiVersion: "2024-01-01" }, remove: ["debug"] },
          path: null,
        },
        response: { headers: { set: { "cache-control": "no-store" }, remove: ["server"] } },
      });
    });

    it("rewrites the upstream path with the operation's path parameters", async () => {
      const entry = await transformOf([apiKey()], "getItem", { getItem: { policies: [transform({ request: { path: "/v2/items/{itemId}/detail" } })] } });
      expect(entry).toMatchObject({ id: "items-v1/getItem/transform", level: "operation" });
      expect(entry!.config).toEqual({ ...empty, request: { ...empty.request, path: "/v2/items/{itemId}/detail" } });
    });

    it("accepts a path template without parameters on any operation", async () => {
      const entry = await transformOf([apiKey(), transform({ request: { path: "/legacy/items" } })], "listItems");
      expect(entry!.config).toEqual({ ...empty, request: { ...empty.request, path: "/legacy/items" } });
    });
  });

  describe("path templates", () => {
    it("is an error when the template uses a parameter the operation does not have", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { operations: { getItem: { policies: [transform({ request: { path: "/v2/items/{sku}" } })] } } });
      expect(withCode(await compileErrors(platform), "invalid-policy")).toEqual([
        {
          severity: "error",
          code: "invalid-policy",
          path: "acme/items/operations.getItem.policies[0]",
          field: "request.path",
          message: "transform: path template uses {sku}, which is not a path parameter of getItem (/items/{itemId})",
          expected: "{itemId}",
          received: "{sku}",
        },
      ]);
    });

    it("checks an API-level template against every operation it covers", async () => {
      const errors = await policyErrors([transform({ request: { path: "/v2/items/{itemId}" } })]);
      expect(errors).toEqual(
        ["createItem (/items)", "getHealth (/health)", "listItems (/items)"].map((operation) => ({
          severity: "error",
          code: "invalid-policy",
          path: "acme/items/policies[1]",
          field: "request.path",
          message: `transform: path template uses {itemId}, which is not a path parameter of ${operation}`,
          expected: "no parameters",
          received: "{itemId}",
        })),
      );
    });

    it("rejects a path that does not start with /", async () => {
      expect(await policyErrors([transform({ request: { path: "v2/items" } })])).toEqual([
        invalidPolicy("request.path", /Invalid string: must start with "\/"/, { expected: "starts_with", received: '"v2/items"' }),
      ]);
    });
  });

  describe("invalid options", () => {
    it("refuses to remove a hop-by-hop header, in any case", async () => {
      expect(await policyErrors([transform({ request: { headers: { remove: ["TE"] } }, response: { headers: { remove: ["Transfer-Encoding"] } } })])).toEqual([
        invalidPolicy("request.headers.remove[0]", HOP_BY_HOP, { received: '"te"' }),
        invalidPolicy("response.headers.remove[0]", HOP_BY_HOP, { received: '"transfer-encoding"' }),
      ]);
    });

    it("refuses to set a hop-by-hop header", async () => {
      expect(await policyErrors([transform({ request: { headers: { set: { Connection: "close" } } }, response: { headers: { set: { upgrade: "h2c" } } } })])).toEqual([
        invalidPolicy("request.headers.set.Connection", HOP_BY_HOP, { received: '"connection"' }),
        invalidPolicy("response.headers.set.upgrade", HOP_BY_HOP, { received: '"upgrade"' }),
      ]);
    });

    it("rejects header names that are not tokens, empty query names and non-string values", async () => {
      // @ts-expect-error header values are strings
      const errors = await policyErrors([transform({ request: { headers: { remove: ["X Debug"], set: { "x-count": 1 } }, query: { remove: [""] } } })]);
      expect(errors).toEqual([
        invalidPolicy("request.headers.remove[0]", /a header name is an RFC 9110 token/, { received: '"X Debug"' }),
        invalidPolicy("request.headers.set.x-count", /expected string, received number/, { expected: "string", received: "1" }),
        invalidPolicy("request.query.remove[0]", /Too small/, { expected: ">= 1 character(s)", received: '""' }),
      ]);
    });

    it("rejects a header value that could split the message, naming the header", async () => {
      const errors = await policyErrors([transform({ request: { headers: { set: { "x-tenant": "acme\r\nx-admin: yes" } } }, response: { headers: { set: { "x-note": "a\u0000b", "x-ok": "caf\u00e9\tok" } } } })]);
      expect(errors).toEqual([
        invalidPolicy("request.headers.set.x-tenant", /a header value may hold tabs, spaces, visible ASCII and Latin-1 characters, not CR, LF/, { received: '"acme\\r\\nx-admin: yes"' }),
        invalidPolicy("response.headers.set.x-note", /not CR, LF or other control characters/, { received: '"a\\u0000b"' }),
      ]);
    });

    it("rejects unknown properties with a did-you-mean fix, at any depth", async () => {
      // @ts-expect-error typos of request and headers
      const errors = await policyErrors([transform({ requests: {}, response: { header: {} } })]);
      expect(errors).toEqual([
        invalidPolicy("requests", /^transform: unknown property "requests"$/, { expected: 'one of "request" and "response"', fix: 'did you mean "request"?' }),
        invalidPolicy("response.header", /^transform: unknown property "header"$/, { expected: 'one of "headers"', fix: 'did you mean "headers"?' }),
      ]);
    });
  });

  describe("levels", () => {
    it("attaches to a plan, adding its edits for the plan's consumers", async () => {
      const platform = testPlatform();
      const pro = new Plan(platform, "pro", { policies: [transform({ request: { headers: { set: { "X-Plan": "pro" } } } })] });
      const api = itemsApi(platform);
      new Product(platform, "shop", { apis: [api], plans: [pro] });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "getItem").find((entry) => entry.policy === "transform")).toEqual({
        id: "shop/pro/transform",
        policy: "transform",
        scope: "shop/pro/transform",
        level: "plan",
        declaredAt: "acme/pro/policies/transform",
        phases: ["request", "response"],
        when: { product: "shop", plan: "pro" },
        config: { ...empty, request: { ...empty.request, headers: { set: { "x-plan": "pro" }, remove: [] } } },
      });
      expect(manifest.spec.plans[0]!.policies).toEqual(["transform"]);
    });

    it("attaches to the platform, and the API's declaration replaces it", async () => {
      const platform = testPlatform({ policies: [transform({ response: { headers: { remove: ["server"] } } })] });
      itemsApi(platform, "items", { policies: [apiKey(), transform({ response: { headers: { remove: ["x-powered-by"] } } })] });
      itemsApi(platform, "other", { basePath: "/other/v1" });
      const manifest = await compileOk(platform);
      const entry = (apiId: string) => chainOf(manifest, apiId, "getItem").find((candidate) => candidate.policy === "transform")!;
      expect([entry("items-v1").id, entry("items-v1").config]).toEqual(["items-v1/transform", { ...empty, response: { headers: { set: {}, remove: ["x-powered-by"] } } }]);
      expect([entry("other-v1").id, entry("other-v1").config]).toEqual(["platform/transform", { ...empty, response: { headers: { set: {}, remove: ["server"] } } }]);
    });
  });
});
