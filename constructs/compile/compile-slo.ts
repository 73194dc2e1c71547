import { type Diagnostics, didYouMean, listOf } from "../diagnostics";
import type { Api as ManifestApi, Slo as ManifestSlo } from "../manifest/schema";
import type { Slo } from "../slo";

export function compileSlo(slo: Slo, apis: readonly ManifestApi[], diagnostics: Diagnostics): ManifestSlo | undefined {
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
