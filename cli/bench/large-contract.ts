/**
 * A generated contract of realistic shape and any size: resources with list/create/get/
 * update/delete operations, path and query parameters, request bodies and responses that
 * reference shared schemas, and API key security. Used by the compile benchmark.
 */
export function largeContract(resources: number): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {
    Problem: {
      type: "object",
      required: ["type", "title", "status"],
      properties: { type: { type: "string", format: "uri" }, title: { type: "string" }, status: { type: "integer" }, detail: { type: "string" } },
    },
  };
  const errors = {
    "400": { $ref: "#/components/responses/Problem" },
    "401": { $ref: "#/components/responses/Problem" },
    "404": { $ref: "#/components/responses/Problem" },
    "429": { $ref: "#/components/responses/Problem" },
    "500": { $ref: "#/components/responses/Problem" },
  };
  for (let index = 0; index < resources; index++) {
    const name = `Resource${index}`;
    const collection = `/resources-${index}`;
    schemas[name] = {
      type: "object",
      required: ["id", "name"],
      properties: {
        id: { type: "string", readOnly: true, example: `r${index}-1` },
        name: { type: "string", maxLength: 120, example: `item ${index}` },
        quantity: { type: "integer", minimum: 0, example: 3 },
        tags: { type: "array", items: { type: "string" }, maxItems: 20 },
        createdAt: { type: "string", format: "date-time", readOnly: true },
      },
    };
    const item = { $ref: `#/components/schemas/${name}` };
    const json = (schema: unknown) => ({ "application/json": { schema } });
    const id = { name: "id", in: "path", required: true, description: "Identifier.", schema: { type: "string" } };
    paths[collection] = {
      get: {
        operationId: `list${name}`,
        summary: `List ${name}`,
        tags: ["resources"],
        parameters: [
          { name: "limit", in: "query", description: "Page size.", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
          { name: "cursor", in: "query", description: "Page cursor.", schema: { type: "string" } },
        ],
        responses: { "200": { description: "A page.", content: json({ type: "array", items: item }) }, ...errors },
      },
      post: {
        operationId: `create${name}`,
        summary: `Create a ${name}`,
        tags: ["resources"],
        requestBody: { required: true, content: json(item) },
        responses: { "201": { description: "Created.", content: json(item) }, ...errors },
      },
    };
    paths[`${collection}/{id}`] = {
      get: { operationId: `get${name}`, summary: `Get a ${name}`, tags: ["resources"], parameters: [id], responses: { "200": { description: "Found.", content: json(item) }, ...errors } },
      put: { operationId: `update${name}`, summary: `Replace a ${name}`, tags: ["resources"], parameters: [id], requestBody: { required: true, content: json(item) }, responses: { "200": { description: "Replaced.", content: json(item) }, ...errors } },
      delete: { operationId: `delete${name}`, summary: `Delete a ${name}`, tags: ["resources"], parameters: [id], responses: { "204": { description: "Deleted." }, ...errors } },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Large API", version: "1.0.0", description: `${resources * 5} generated operations.` },
    tags: [{ name: "resources", description: "Generated resources." }],
    security: [{ ApiKeyAuth: [] }],
    paths,
    components: {
      schemas,
      responses: { Problem: { description: "A problem.", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } } },
      securitySchemes: { ApiKeyAuth: { type: "apiKey", in: "header", name: "X-API-Key" } },
    },
  };
}
