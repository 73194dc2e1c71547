import type { GatewayFacts } from "../../policies/policy";
import type { Diagnostics } from "../diagnostics";
import type { Plan as ManifestPlan } from "../manifest/schema";
import type { Plan } from "../plan";

export function compilePlan(plan: Plan, gateway: GatewayFacts, diagnostics: Diagnostics): ManifestPlan {
  const declaration = plan.declaration!;
  // The plan's limits as one consumer experiences them, resolved like its chain entries.
  const resolveLimit = (name: "rateLimit" | "quota") => {
    const declared = declaration.policies.find((entry) => entry.policy.name === name);
    if (!declared) return null;
    return declared.policy.resolve(declared.options, {
      level: "plan",
      operation: { apiId: "", operationId: "", method: "GET", path: "", pathParameters: [], pathMethods: [], pathRequestHeaders: [], pathResponseHeaders: [], security: null, securitySchemes: {}, authenticated: true },
      gateway,
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
