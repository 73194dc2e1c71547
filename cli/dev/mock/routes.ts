/**
 * The mock's router: `/<api id><contract path template>` → the operations declared on that
 * path, by method. The gateway strips an API's base path and prefixes the mock target's path
 * (`<mock url>/<api id>`), so this is exactly what it forwards.
 */
import FindMyWay from "find-my-way";
import type { Api, GatewayConfig } from "../../../constructs/manifest/schema";
import type { Json } from "./refs";
import { type MockResponse, compileResponses } from "./responses";

export interface MockOperation {
  readonly apiId: string;
  readonly operationId: string;
  readonly responses: readonly MockResponse[];
}

/** The operations of one path, by upper-case method. */
export interface MockPath {
  readonly apiId: string;
  readonly methods: ReadonlyMap<string, MockOperation>;
  /** The `Allow` header for this path. */
  readonly allow: string;
}

export interface MockRoutes {
  /** Finds the path a request path belongs to; null when no mocked operation is on it. */
  find(path: string): MockPath | null;
  /** Values that could not be made from the contracts (sent without them). */
  readonly warnings: readonly string[];
}

/** Routes for the APIs `apiIds` of `manifest`, every response worked out now rather than per request. */
export function mockRoutes(manifest: GatewayConfig, apiIds: ReadonlySet<string>): MockRoutes {
  const warnings: string[] = [];
  const router = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 500 });
  for (const api of manifest.spec.apis) {
    if (!apiIds.has(api.id)) continue;
    for (const [pattern, methods] of pathsOf(api, warnings)) {
      if (methods.has("GET") && !methods.has("HEAD")) methods.set("HEAD", methods.get("GET")!);
      const path: MockPath = { apiId: api.id, methods, allow: [...methods.keys()].sort().join(", ") };
      // One route per path, found with GET whatever the method: a miss then means an unknown path, not a 405.
      const patterns = pattern === `/${api.id}/` ? [pattern, `/${api.id}`] : [pattern];
      for (const each of patterns) {
        try {
          router.on("GET", each, noop, path);
        } catch (error) {
          warnings.push(`${api.id}: ${each} is not mocked: ${(error as Error).message}`);
        }
      }
    }
  }
  return {
    warnings,
    find: (path) => {
      try {
        return (router.find("GET", path)?.store as MockPath | undefined) ?? null;
      } catch {
        return null; // a malformed path (bad percent-encoding) is on no route
      }
    },
  };
}

/** The API's operations grouped by router pattern (templates differing only in parameter names are one path). */
function pathsOf(api: Api, warnings: string[]): Map<string, Map<string, MockOperation>> {
  const document = api.contract.document as Json;
  const paths = new Map<string, Map<string, MockOperation>>();
  for (const operation of api.operations) {
    const pattern = `/${api.id}${routePattern(operation.path)}`;
    const responses = compileResponses(document, operation.path, operation.method, (message) => warnings.push(`${api.id}: ${message}`));
    const methods = paths.get(pattern) ?? new Map<string, MockOperation>();
    methods.set(operation.method, { apiId: api.id, operationId: operation.operationId, responses });
    paths.set(pattern, methods);
  }
  return paths;
}

/** A contract path template as a find-my-way pattern, parameters named as the gateway names them (a literal `:` escaped). */
function routePattern(template: string): string {
  let index = 0;
  return template.replace(/:/g, "::").replace(/\{[^}]+\}/g, () => `:p${index++}`);
}

function noop(): void {}
