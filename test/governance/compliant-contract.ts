/** The items contract made to follow every house rule of policies/governance/redocly.yaml (and `recommended`). */
import { itemsContract } from "../helpers/declaration";

export type Json = Record<string, unknown>;
export type Operation = Record<string, unknown> & { responses: Record<string, Json> };

const problem = { description: "A problem.", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } };

/** Every operation of the items contract, with its path and method. */
export function operations(document: Json): [string, string, Operation][] {
  return Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => method !== "parameters")
      .map(([method, operation]) => [path, method, operation as Operation] as [string, string, Operation]),
  );
}

/** The items contract made to follow every house rule (and `recommended`). */
export function compliantContract(change: (document: Json) => void = () => {}): Json {
  return itemsContract((document) => {
    document.servers = [{ url: "https://api.acme.test/items/v1" }];
    (document.info as Json).license = { name: "Apache 2.0", identifier: "Apache-2.0" };
    for (const item of Object.values(document.paths as Record<string, { parameters?: Json[] }>)) for (const parameter of item.parameters ?? []) parameter.description = "A parameter.";
    for (const [, , operation] of operations(document)) {
      operation.description = "What the operation does.";
      for (const parameter of (operation.parameters as Json[] | undefined) ?? []) parameter.description = "A parameter.";
      operation.responses["500"] = problem;
      if (!Object.keys(operation.responses).some((status) => status.startsWith("4"))) operation.responses["400"] = problem;
      const body = operation.requestBody as { content: Record<string, Json> } | undefined;
      for (const media of Object.values(body?.content ?? {})) media.example = { name: "A thing" };
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!status.startsWith("2")) continue;
        for (const media of Object.values((response.content as Record<string, Json> | undefined) ?? {})) media.example = status === "200" && operation.operationId === "listItems" ? [{ id: "1", name: "A thing" }] : { id: "1", name: "A thing" };
      }
    }
    change(document);
  });
}

