/**
 * Documentation coverage of a contract: the share of the things a reader of the reference
 * looks for that the contract documents. Counted per operation: a summary, a description, a
 * description for each parameter, and an example for the request body and each successful
 * response body.
 */
import { resolveLocalRef } from "./contract-document";
import type { Api } from "../../constructs/manifest/schema";

export interface DocumentationCoverage {
  /** Manifest id of the API. */
  readonly api: string;
  readonly documented: number;
  readonly total: number;
  /** `documented / total` in percent, one decimal; 100 for a contract with nothing to document. */
  readonly percent: number;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

export function documentationCoverage(api: Api): DocumentationCoverage {
  const document = api.contract.document;
  const resolve = (value: unknown) => resolveLocalRef(document, value);
  let documented = 0;
  let total = 0;
  const count = (present: boolean) => {
    total += 1;
    if (present) documented += 1;
  };
  const hasText = (value: unknown) => typeof value === "string" && value.trim() !== "";
  const hasExample = (media: Record<string, unknown>) => media.example !== undefined || (typeof media.examples === "object" && media.examples !== null && Object.keys(media.examples).length > 0);
  for (const pathItem of Object.values(asRecord(document.paths))) {
    const item = asRecord(resolve(pathItem));
    for (const method of METHODS) {
      const operation = item[method] === undefined ? undefined : asRecord(resolve(item[method]));
      if (!operation) continue;
      count(hasText(operation.summary));
      count(hasText(operation.description));
      const parameters = [...asArray(item.parameters), ...asArray(operation.parameters)].map((parameter) => asRecord(resolve(parameter)));
      for (const parameter of parameters) count(hasText(parameter.description));
      const body = operation.requestBody === undefined ? undefined : asRecord(resolve(operation.requestBody));
      for (const media of Object.values(asRecord(body?.content))) count(hasExample(asRecord(media)));
      for (const [status, response] of Object.entries(asRecord(operation.responses))) {
        if (!status.startsWith("2")) continue;
        for (const media of Object.values(asRecord(asRecord(resolve(response)).content))) count(hasExample(asRecord(media)));
      }
    }
  }
  return { api: api.id, documented, total, percent: total === 0 ? 100 : Math.floor((documented / total) * 1000) / 10 };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
