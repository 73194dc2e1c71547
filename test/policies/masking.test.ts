/**
 * masking (policies/masking/schema.ts): the resolved configuration, the compile errors a user
 * sees for paths the policy cannot read, and the AWS target's refusal.
 */
import { Plan, Product, apiKey, masking, transform } from "../../constructs/index";
import { POLICY_TARGETS } from "../../policies/target-support";
import { compileOk, itemsApi, testPlatform } from "../helpers/declaration";
import { invalidPolicy, policyEntries, policyErrors } from "../helpers/policy";

describe("masking", () => {
  it("fills in every default", async () => {
    const [entry] = await policyEntries("masking", [apiKey(), masking({ fields: [{ path: "$.card.number", keepLast: 4 }, { path: "$..password", action: "remove" }] })]);
    expect(entry!.config).toEqual({
      fields: [
        { path: "$.card.number", action: "redact", replacement: "****", keepLast: 4 },
        { path: "$..password", action: "remove", replacement: "****", keepLast: 0 },
      ],
      nonJson: "reject",
      maxBodyBytes: 1_048_576,
    });
    expect([entry!.id, entry!.level, entry!.phases]).toEqual(["items-v1/masking", "api", ["request", "response"]]);
  });

  it("runs after transform in the request phase", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { policies: [apiKey(), masking({ fields: [{ path: "$.a" }] }), transform({ request: { headers: { set: { "x-a": "1" } } } })] });
    const manifest = await compileOk(platform);
    const chain = manifest.spec.apis[0]!.operations.find((operation) => operation.operationId === "listItems")!.policies;
    expect(chain.filter((id) => /masking|transform/.test(id))).toEqual(["items-v1/transform", "items-v1/masking"]);
  });

  it("attaches to a plan, for that plan's consumers", async () => {
    const platform = testPlatform();
    const items = itemsApi(platform, "items");
    new Product(platform, "shop", { apis: [items], plans: [new Plan(platform, "free", { policies: [masking({ fields: [{ path: "$..email" }] })] })] });
    const manifest = await compileOk(platform);
    const instance = manifest.spec.policies.find((policy) => policy.policy === "masking")!;
    expect(instance.when).toEqual({ product: "shop", plan: "free" });
  });

  it.each([
    ["$.items[?@.secret]", /filters are not supported/i],
    ["$.items[0:2]", /slice/i],
    ["$['a','b']", /one path per field/i],
    ["card.number", /offset 0, expected "\$"/],
    ["$.", /found end of input at offset 2, expected a name or "\*" after "\."/],
  ])("refuses the path %s with the reason", async (path, reason) => {
    expect(await policyErrors([masking({ fields: [{ path }] })])).toEqual([invalidPolicy("fields[0].path", new RegExp(`^masking: not a JSONPath this policy reads: .*${reason.source}`, "i"), { received: JSON.stringify(path) })]);
  });

  it("refuses a path that selects the whole body", async () => {
    expect(await policyErrors([masking({ fields: [{ path: "$" }] })])).toEqual([invalidPolicy("fields[0].path", /selects the whole body/, { received: '"$"' })]);
  });

  it("refuses keepLast on a removed field, once for the declaration", async () => {
    expect(await policyErrors([masking({ fields: [{ path: "$.a", action: "remove", keepLast: 4 }] })])).toEqual([invalidPolicy("fields[0].keepLast", /nothing left to keep: drop keepLast, or use action: "redact"$/)]);
  });

  it("refuses an empty list of fields", async () => {
    expect(await policyErrors([masking({ fields: [] })])).toEqual([invalidPolicy("fields", />=1 items/, { received: "[]", expected: "at least 1 item(s)" })]);
  });

  it("is not enforceable on AWS API Gateway, which passes proxy response bodies through", () => {
    expect(POLICY_TARGETS.masking).toEqual({ kubernetes: { support: "full" }, aws: { support: "none", reason: expect.stringMatching(/passes the body of an HTTP proxy integration's response through unchanged/) } });
  });
});
