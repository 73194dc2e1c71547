/**
 * Loads a contract: parses it, validates it as OpenAPI 3.0/3.1 and bundles every external
 * `$ref` into one document, with @redocly/openapi-core (the engine behind `redocly lint`).
 */
import { relative, sep } from "node:path";
import {
  BaseResolver,
  type Config,
  type Document,
  bundle,
  createConfig,
  detectSpec,
  getLineColLocation,
  lintDocument,
  makeDocumentFromString,
  type YamlParseError,
} from "@redocly/openapi-core";
import type { Diagnostic } from "../diagnostics";
import type { OpenApi } from "./openapi";

/**
 * Rules a contract must pass to be compiled: structure and resolvable, consistent references.
 * Style and example checks are `turnpike lint`'s job: they cost time on every compile and do
 * not decide whether the gateway can serve the contract.
 */
const CONTRACT_RULES = {
  struct: "error",
  "no-unresolved-refs": "error",
  "operation-operationId": "error",
  "operation-operationId-unique": "error",
  "operation-parameters-unique": "error",
  "path-parameters-defined": "error",
  "path-declaration-must-exist": "error",
  "no-identical-paths": "error",
  "no-server-variables-empty-enum": "error",
} as const;

export interface LoadedContract {
  /** The bundled document. */
  readonly document: Record<string, unknown>;
  /** `openapi` field, e.g. `3.1.0`. */
  readonly openapi: string;
  /** Path of the root file relative to the project root, `/`-separated; `null` for inline. */
  readonly source: string | null;
}

export interface ContractLoadResult {
  readonly contract?: LoadedContract;
  /** Problems; `path` is set by the caller to the API's construct path. */
  readonly problems: Omit<Diagnostic, "path">[];
}

let configPromise: Promise<Config> | undefined;
function contractConfig(): Promise<Config> {
  configPromise ??= createConfig({ rules: CONTRACT_RULES });
  return configPromise;
}

/** Loads and validates one contract. Never throws for a bad contract: problems are returned. */
export async function loadContract(contract: OpenApi, rootDir: string): Promise<ContractLoadResult> {
  const source = contract.file === undefined ? null : relative(rootDir, contract.file).split(sep).join("/");
  const resolver = new BaseResolver();
  let document: Document;
  if (contract.file !== undefined) {
    let resolved: Awaited<ReturnType<BaseResolver["resolveDocument"]>>;
    try {
      resolved = await resolver.resolveDocument(null, contract.file, true);
    } catch (error) {
      resolved = error as YamlParseError;
    }
    if (resolved instanceof Error) {
      const missing = (resolved as Error & { originalError?: { code?: string } }).originalError?.code === "ENOENT";
      return {
        problems: [
          missing
            ? { severity: "error", code: "contract-not-found", message: `contract file ${source} does not exist`, file: source ?? undefined, fix: "check the path given to OpenApi.fromFile(); relative paths are resolved against the directory turnpike runs in" }
            : { severity: "error", code: "contract-unparsable", message: `contract file ${source} cannot be parsed: ${firstLine(resolved.message).replace(/ in "[^"]*"/, "")}`, file: source ?? undefined, ...yamlPosition(resolved) },
        ],
      };
    }
    document = resolved as Document;
  } else {
    document = makeDocumentFromString(JSON.stringify(contract.document), "/inline-contract.json");
  }

  const parsed = document.parsed as Record<string, unknown> | null;
  const openapi = typeof parsed?.openapi === "string" ? parsed.openapi : typeof parsed?.swagger === "string" ? `swagger ${parsed.swagger}` : undefined;
  if (openapi === undefined || !/^3\.[01]\.\d+$/.test(openapi)) {
    let spec: string | undefined;
    try {
      spec = parsed ? detectSpec(parsed) : undefined;
    } catch {
      spec = undefined;
    }
    return {
      problems: [
        {
          severity: "error",
          code: "contract-unsupported-version",
          message: `${source ?? "the inline contract"} is not an OpenAPI 3.0 or 3.1 document`,
          expected: 'openapi: "3.0.x" or "3.1.x"',
          received: openapi ?? spec ?? "no openapi field",
          file: source ?? undefined,
          pointer: "#/openapi",
          fix: openapi?.startsWith("swagger") ? "convert the Swagger 2.0 file to OpenAPI 3 (e.g. with swagger2openapi)" : undefined,
        },
      ],
    };
  }

  const config = await contractConfig();
  const lintProblems = await lintDocument({ document, config, externalRefResolver: resolver });
  const relativeTo = (path: string) => relative(rootDir, path).split(sep).join("/");
  // Messages name files by absolute path; the project-relative path reads the same on every machine.
  const clean = (message: string) => message.replace(/ in "([^"]+)"/g, "").replaceAll(`${rootDir}${sep}`, "");
  const unparsable = lintProblems.filter((problem) => problem.ruleId === "no-unresolved-refs" && problem.message.startsWith("Failed to parse: "));
  const problems: Omit<Diagnostic, "path">[] = [];
  for (const problem of lintProblems) {
    const location = problem.location[0];
    const file = location ? relativeTo(location.source.absoluteRef) : source;
    const reason = problem.message.replace(/^(Failed to parse|Can't resolve \$ref): /, "");
    // A shared file that does not parse is reported once, as unparsable, not again at every $ref to it.
    if (problem.message.startsWith("Can't resolve $ref: ") && unparsable.some((other) => other.message.endsWith(reason))) continue;
    let position: { line?: number; column?: number } = {};
    if (location && contract.file !== undefined) {
      try {
        const { start } = getLineColLocation(location);
        position = { line: start.line, column: start.col };
      } catch {
        position = {};
      }
    }
    const pointer = problem.ruleId === "operation-operationId-unique" && location?.pointer
      ? location.pointer.replace(/\/[^/]*$/, "/operationId") // redocly points at the value's child, not the field
      : location?.pointer;
    const shared = unparsable.includes(problem);
    problems.push({
      severity: problem.severity === "error" ? "error" : "warning",
      code: shared ? "contract-unparsable" : problem.ruleId === "operation-operationId" ? "missing-operation-id" : "contract-invalid",
      message: shared ? `contract file ${file} cannot be parsed: ${clean(reason).replace(/ \(no-unresolved-refs\)$/, "")}` : `${clean(problem.message)} (${problem.ruleId})`,
      file: contract.file === undefined ? undefined : file ?? undefined,
      pointer: shared ? undefined : pointer,
      fix: problem.ruleId === "operation-operationId"
        ? "give every operation an operationId: declarations refer to operations by it"
        : problem.suggest.length ? `did you mean ${problem.suggest.map((s) => `"${s}"`).join(" or ")}?` : undefined,
      ...position,
    });
  }
  if (problems.some((problem) => problem.severity === "error")) return { problems };

  // Bundling walks the whole document again; a contract without external $refs is its own bundle.
  if (!hasExternalRef(parsed)) return { contract: { document: structuredClone(parsed) as Record<string, unknown>, openapi, source }, problems };
  const bundled = await bundle({ doc: document, config, externalRefResolver: resolver, dereference: false });
  for (const problem of bundled.problems) {
    problems.push({ severity: problem.severity === "error" ? "error" : "warning", code: "contract-invalid", message: `${problem.message} (${problem.ruleId})`, file: source ?? undefined, pointer: problem.location[0]?.pointer });
  }
  return {
    contract: { document: bundled.bundle.parsed as Record<string, unknown>, openapi, source },
    problems,
  };
}

/** True when some `$ref` points outside the document. */
function hasExternalRef(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasExternalRef);
  if (value === null || typeof value !== "object") return false;
  for (const [key, child] of Object.entries(value)) {
    if (key === "$ref" && typeof child === "string" && !child.startsWith("#")) return true;
    if (typeof child === "object" && hasExternalRef(child)) return true;
  }
  return false;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

function yamlPosition(error: Error): { line?: number; column?: number } {
  // Some parse errors ("expected a single document") carry no position: then there is none to give.
  const { line, col } = error as Error & { line?: number; col?: number };
  return Number.isFinite(line) && Number.isFinite(col) ? { line, column: col } : {};
}
