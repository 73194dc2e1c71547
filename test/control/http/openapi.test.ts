/**
 * The control API's OpenAPI document: it passes Redocly's `recommended` rules, and it
 * describes exactly the routes the code registers (method, path, operationId and security),
 * compared with the route tables rather than a second hand-kept list.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createConfig, lint, parseYaml } from "@redocly/openapi-core";
import { controlApiRoutes } from "../../../gateway-image/src/control/http/control-api";

const DOCUMENT = join(__dirname, "../../../gateway-image/src/control/http/openapi/control-api.yaml");
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type Operation = { operationId?: string; security?: Record<string, string[]>[] };

function documentedOperations(): { method: string; path: string; operation: Operation }[] {
  const document = parseYaml(readFileSync(DOCUMENT, "utf8")) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method] !== undefined).map((method) => ({ method: method.toUpperCase(), path, operation: item[method] as Operation })),
  );
}

it("passes Redocly's recommended rules without errors or warnings", async () => {
  const config = await createConfig({ extends: ["recommended"] });
  const problems = await lint({ ref: DOCUMENT, config });
  expect(problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`)).toEqual([]);
});

it("documents every registered route and no other, with its operationId", () => {
  const registered = controlApiRoutes().map((route) => `${route.method} ${route.path} ${route.operationId}`).sort();
  const documented = documentedOperations().map(({ method, path, operation }) => `${method} ${path} ${operation.operationId}`).sort();
  expect(documented).toEqual(registered);
  expect(registered.length).toBeGreaterThan(40);
});

it("documents each route's security as the code enforces it", () => {
  const byKey = new Map(documentedOperations().map((entry) => [`${entry.method} ${entry.path}`, entry.operation]));
  for (const route of controlApiRoutes()) {
    const security = byKey.get(`${route.method} ${route.path}`)?.security;
    const expected =
      route.auth === "admin" ? [{ adminBearer: [] }] : route.auth === "none" ? [] : route.method === "GET" ? [{ portalSession: [] }] : [{ portalSession: [], csrfToken: [] }];
    expect({ route: `${route.method} ${route.path}`, security }).toEqual({ route: `${route.method} ${route.path}`, security: expected });
  }
});
