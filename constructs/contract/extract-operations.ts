/**
 * Reads the operations out of a bundled contract: method, path template, operationId,
 * parameters (path-level merged in, references resolved), request body, responses and the
 * security requirements with their scopes.
 */
import type { HttpMethod } from "../../policies/common";
import { compareText } from "../compile/compare-text";
import type { Diagnostic } from "../diagnostics";
import type { Parameter, SecurityAlternative, SecurityScheme } from "../manifest/schema";

const METHODS: readonly HttpMethod[] = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"];

export interface ContractOperation {
  readonly operationId: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly summary: string | null;
  readonly tags: string[];
  readonly deprecated: boolean;
  readonly parameters: Parameter[];
  readonly requestBody: { required: boolean; content: MediaTypes } | null;
  readonly responses: { status: string; content: MediaTypes; headers: string[] }[];
  readonly security: SecurityAlternative[] | null;
  /** JSON pointer of the operation in the contract. */
  readonly pointer: string;
}

type MediaTypes = Record<string, { schema: Record<string, unknown> | null }>;

export interface ContractFacts {
  readonly title: string;
  readonly description: string;
  readonly securitySchemes: Record<string, SecurityScheme>;
  readonly operations: ContractOperation[];
  readonly problems: Omit<Diagnostic, "path">[];
}

type Json = Record<string, unknown>;

export function extractOperations(document: Json, file: string | undefined): ContractFacts {
  const problems: Omit<Diagnostic, "path">[] = [];
  const info = asObject(document.info);
  const components = asObject(document.components);
  const securitySchemes: Record<string, SecurityScheme> = {};
  const unsupportedSchemes = new Map<string, string>();
  for (const [name, raw] of Object.entries(asObject(components.securitySchemes))) {
    const scheme = toSecurityScheme(deref(document, raw));
    if (scheme) securitySchemes[name] = scheme;
    else unsupportedSchemes.set(name, describeScheme(deref(document, raw)));
  }
  const reportedSchemes = new Set<string>();
  const reportedPointers = new Set<string>();
  const rootSecurity = Array.isArray(document.security) ? (document.security as unknown[]) : null;

  const operations: ContractOperation[] = [];
  for (const [path, rawPathItem] of Object.entries(asObject(document.paths))) {
    // A path item may be a $ref with operations written beside it (OpenAPI 3.1): both count.
    const { $ref: _ref, ...siblings } = asObject(rawPathItem);
    const pathItem = { ...asObject(deref(document, rawPathItem)), ...siblings };
    const pathParameters = asArray(pathItem.parameters).map((parameter) => asObject(deref(document, parameter)));
    for (const method of METHODS) {
      const raw = pathItem[method.toLowerCase()];
      if (raw === undefined) continue;
      const operation = asObject(raw);
      const pointer = `#/paths/${escapePointer(path)}/${method.toLowerCase()}`;
      const operationParameters = asArray(operation.parameters).map((parameter) => asObject(deref(document, parameter)));
      const merged = new Map<string, Json>();
      for (const parameter of [...pathParameters, ...operationParameters]) merged.set(`${String(parameter.in)}:${String(parameter.name)}`, parameter);

      const securitySource = Array.isArray(operation.security) ? (operation.security as unknown[]) : rootSecurity;
      const security = securitySource === null ? null : securitySource.map((requirement, index) =>
        Object.entries(asObject(requirement))
          .map(([scheme, scopes]) => {
            const unsupported = unsupportedSchemes.get(scheme);
            if (unsupported !== undefined && !reportedSchemes.has(scheme)) {
              reportedSchemes.add(scheme);
              problems.push({
                severity: "error",
                code: "unsupported-security-scheme",
                message: `${String(operation.operationId)} requires security scheme "${scheme}" (${unsupported}), which the gateway cannot enforce`,
                expected: "apiKey (header or query), http bearer, oauth2, openIdConnect or mutualTLS",
                received: unsupported,
                file,
                pointer: `#/components/securitySchemes/${escapePointer(scheme)}`,
                fix: "use an apiKey, bearer (JWT) or mutualTLS scheme",
              });
            } else if (unsupported === undefined && !Object.hasOwn(securitySchemes, scheme)) {
              const at = Array.isArray(operation.security) ? `${pointer}/security/${index}` : `#/security/${index}`;
              // Root-level security is inherited by every operation: report it once.
              if (!reportedPointers.has(at)) {
                reportedPointers.add(at);
                problems.push({
                  severity: "error",
                  code: "contract-invalid",
                  message: `security requirement names scheme "${scheme}", which components.securitySchemes does not define`,
                  file,
                  pointer: at,
                });
              }
            }
            return { scheme, scopes: asArray(scopes).map(String).sort() };
          })
          .sort((a, b) => compareText(a.scheme, b.scheme)),
      );

      const requestBody = operation.requestBody === undefined ? null : asObject(deref(document, operation.requestBody));
      operations.push({
        operationId: String(operation.operationId),
        method,
        path,
        summary: typeof operation.summary === "string" ? operation.summary : null,
        tags: asArray(operation.tags).map(String),
        deprecated: operation.deprecated === true,
        parameters: [...merged.values()].map(toParameter),
        requestBody: requestBody && { required: requestBody.required === true, content: mediaTypes(requestBody.content) },
        responses: Object.entries(asObject(operation.responses)).map(([status, rawResponse]) => {
          const response = asObject(deref(document, rawResponse));
          return { status, content: mediaTypes(response.content), headers: Object.keys(asObject(response.headers)).map((name) => name.toLowerCase()).sort() };
        }),
        security,
        pointer,
      });
    }
  }
  return {
    title: typeof info.title === "string" ? info.title : "",
    description: typeof info.description === "string" ? info.description : "",
    securitySchemes,
    operations,
    problems,
  };
}

function toParameter(parameter: Json): Parameter {
  const location = String(parameter.in) as Parameter["in"];
  const defaultStyle = location === "query" || location === "cookie" ? "form" : "simple";
  const style = typeof parameter.style === "string" ? parameter.style : defaultStyle;
  const content = Object.entries(asObject(parameter.content));
  return {
    name: String(parameter.name),
    in: location,
    required: location === "path" ? true : parameter.required === true,
    deprecated: parameter.deprecated === true,
    style,
    explode: typeof parameter.explode === "boolean" ? parameter.explode : style === "form",
    schema: parameter.schema !== undefined ? asObject(parameter.schema) : content[0] ? (asObject(content[0][1]).schema as Json | undefined) ?? null : null,
    mediaType: content[0]?.[0] ?? null,
  };
}

function mediaTypes(content: unknown): MediaTypes {
  const out: MediaTypes = {};
  for (const [mediaType, value] of Object.entries(asObject(content))) {
    const schema = asObject(value).schema;
    out[mediaType] = { schema: schema === undefined ? null : asObject(schema) };
  }
  return out;
}

function toSecurityScheme(raw: unknown): SecurityScheme | undefined {
  const scheme = asObject(raw);
  switch (scheme.type) {
    case "apiKey":
      return { type: "apiKey", in: scheme.in as "header" | "query" | "cookie", name: String(scheme.name) };
    case "http": {
      const httpScheme = String(scheme.scheme).toLowerCase();
      return httpScheme === "bearer" ? { type: "http", scheme: httpScheme, bearerFormat: typeof scheme.bearerFormat === "string" ? scheme.bearerFormat : null } : undefined;
    }
    case "oauth2": {
      const flows = asObject(scheme.flows);
      const scopes = new Set(Object.values(flows).flatMap((flow) => Object.keys(asObject(asObject(flow).scopes))));
      return { type: "oauth2", flows: Object.keys(flows).sort(), scopes: [...scopes].sort() };
    }
    case "openIdConnect":
      return { type: "openIdConnect", openIdConnectUrl: String(scheme.openIdConnectUrl) };
    case "mutualTLS":
      return { type: "mutualTLS" };
    default:
      return undefined;
  }
}

function describeScheme(raw: unknown): string {
  const scheme = asObject(raw);
  return scheme.type === "http" ? `http ${String(scheme.scheme)}` : String(scheme.type);
}

/** Follows local `$ref`s (the bundle has no other kind). */
function deref(document: Json, value: unknown, seen = new Set<string>()): unknown {
  const ref = asObject(value).$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/") || seen.has(ref)) return value;
  seen.add(ref);
  let target: unknown = document;
  for (const segment of ref.slice(2).split("/")) target = asObject(target)[segment.replace(/~1/g, "/").replace(/~0/g, "~")];
  return deref(document, target, seen);
}

function asObject(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}
