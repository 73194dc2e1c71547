/**
 * Breaking-change detection between two versions of a contract: every change, rated breaking
 * or non-breaking for the API's consumers, with a JSON pointer to where it is.
 *
 * The engine is Redocly's `diff` (see redocly-diff.ts): it finds removed paths and operations,
 * removed, renamed or moved parameters, parameters and body fields that became required,
 * narrowed types, enums and constraints, removed response fields, status codes, headers and
 * media types, and changed security requirements, scopes and schemes, each rated by the semver
 * bump it needs (a `major` impact is what breaks a consumer). Added here: what it reports only
 * as an unexplained patch, operations newly marked deprecated.
 */
import { pointerToken } from "./contract-document";
import { BASE_FILE, type RedoclyChange, type RedoclyLocation, runRedoclyDiff } from "./redocly-diff";

export type ChangeRating = "breaking" | "non-breaking";

export interface ContractChange {
  /** What changed, e.g. `operation-removed`, `parameter-became-required`, `schema-added`. */
  readonly kind: string;
  readonly rating: ChangeRating;
  /**
   * The semver bump the change needs, as the engine rates it: `major` is breaking, `minor` adds
   * or loosens something callers can use, `patch` touches documentation and examples only.
   */
  readonly impact: "major" | "minor" | "patch";
  /** JSON pointer (RFC 6901) to where the change is, in the document `side` names. */
  readonly pointer: string;
  /** `base` for what was removed (it only exists there), `revision` otherwise. */
  readonly side: "base" | "revision";
  /** The operation it concerns, e.g. `GET /items/{itemId}`; `null` for document-wide changes (security schemes). */
  readonly operation: string | null;
  readonly message: string;
}

type Document = Record<string, unknown>;

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

export async function detectContractChanges(base: Document, revision: Document): Promise<ContractChange[]> {
  const report = await runRedoclyDiff(base, revision);
  const changes = report.changes.flatMap(fromRedocly);
  changes.push(...newlyDeprecatedOperations(base, revision));
  return sortChanges(changes);
}

/** Breaking first, then by pointer and kind: a stable order for reports. */
export function sortChanges(changes: readonly ContractChange[]): ContractChange[] {
  const rank = (change: ContractChange) => (change.rating === "breaking" ? 0 : 1);
  return [...changes].sort((a, b) => rank(a) - rank(b) || compare(a.pointer, b.pointer) || compare(a.kind, b.kind));
}

function fromRedocly(change: RedoclyChange): ContractChange[] {
  const operation = operationOf(change.path);
  if (change.verdicts.length > 0) {
    return change.verdicts.map((verdict) => ({
      kind: verdict.ruleId,
      rating: verdict.impact === "major" ? "breaking" : "non-breaking",
      impact: verdict.impact,
      ...place(verdict.location),
      operation,
      message: verdict.message,
    }));
  }
  // Deprecation is reported by newlyDeprecatedOperations, with its own kind.
  if (change.typeName === "Operation" && change.property === "deprecated") return [];
  const location = change.revision ?? change.base;
  const kind = `${kebab(change.typeName)}-${change.kind}`;
  return [
    {
      kind,
      rating: change.impact === "major" ? "breaking" : "non-breaking",
      impact: change.impact,
      ...(location ? place(location) : { pointer: change.path.replace(/^#/, ""), side: change.kind === "removed" ? ("base" as const) : ("revision" as const) }),
      operation,
      message: `${change.typeName}${change.property ? ` \`${change.property}\`` : ""} ${change.kind}`,
    },
  ];
}

function place(location: RedoclyLocation): { pointer: string; side: "base" | "revision" } {
  return { pointer: location.pointer.replace(/^#/, ""), side: location.file === BASE_FILE ? "base" : "revision" };
}

/** `#/paths/~1items~1{id}/get/...` → `GET /items/{id}`. */
function operationOf(path: string): string | null {
  const match = /^#\/paths\/([^/]+)\/([a-z]+)(?:\/|$)/.exec(path);
  if (!match || !(METHODS as readonly string[]).includes(match[2]!)) return null;
  return `${match[2]!.toUpperCase()} ${match[1]!.replaceAll("~1", "/").replaceAll("~0", "~")}`;
}

function newlyDeprecatedOperations(base: Document, revision: Document): ContractChange[] {
  const changes: ContractChange[] = [];
  const basePaths = asRecord(base.paths);
  for (const [path, item] of Object.entries(asRecord(revision.paths))) {
    for (const method of METHODS) {
      const operation = asRecord(asRecord(item)[method]);
      const before = asRecord(asRecord(basePaths[path])[method]);
      if (operation.deprecated === true && Object.keys(before).length > 0 && before.deprecated !== true) {
        changes.push({
          kind: "operation-deprecated",
          rating: "non-breaking",
          impact: "minor",
          pointer: `/paths/${pointerToken(path)}/${method}/deprecated`,
          side: "revision",
          operation: `${method.toUpperCase()} ${path}`,
          message: `Operation \`${method.toUpperCase()} ${path}\` was deprecated.`,
        });
      }
    }
  }
  return changes;
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
