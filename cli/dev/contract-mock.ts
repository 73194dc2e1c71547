/**
 * The mock upstream of `turnpike dev`: one HTTP server answering for every mocked API from
 * its OpenAPI contract. A request `/<api id>/<contract path>` gets the response the contract
 * declares for the operation: the lowest 2xx unless `Prefer` asks for another, its body from
 * the contract's examples or generated from the schema, its documented headers, the media
 * type `Accept` asks for. It does not validate requests: the gateway's requestValidation
 * policy does that, and a mock that refused what the gateway let through would hide it.
 * Every answer says where it came from in `x-turnpike-mock: <api id> <operationId>`.
 * Never part of the gateway image.
 */
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { GatewayConfig } from "../../constructs/index";
import { problem } from "../../gateway-image/src/http/problem";
import { type Choice, UnmetPreference, chooseResponse, parsePrefer } from "./mock/negotiate";
import { type MockRoutes, mockRoutes } from "./mock/routes";

export const MOCK_HEADER = "x-turnpike-mock";

export interface ContractMock {
  /** `http://127.0.0.1:<port>`; the gateway sends API `id` to `<url>/<id>`. */
  readonly url: string;
  /** Values the contracts did not let the mock make (their responses go without them). */
  readonly warnings: readonly string[];
  /** Answers from a new manifest from now on (after a recompile); returns its warnings. */
  update(manifest: GatewayConfig, apiIds: Iterable<string>): readonly string[];
  close(): Promise<void>;
}

/** Starts the mock on a free loopback port for the APIs `apiIds` of `manifest`. */
export async function startContractMock(manifest: GatewayConfig, apiIds: Iterable<string>): Promise<ContractMock> {
  let routes = mockRoutes(manifest, new Set(apiIds));
  const server = createServer((req, res) => {
    // The body is not looked at (no validation), only drained so the connection can be reused.
    req.resume();
    try {
      answer(routes, req, res);
    } catch (error) {
      // A bug here must not take `turnpike dev` down with it.
      if (!res.headersSent) reply(res, req.method ?? "GET", problem("internal-error", `the contract mock failed: ${(error as Error).message}`));
      else res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get warnings() {
      return routes.warnings;
    },
    update: (next, ids) => {
      routes = mockRoutes(next, new Set(ids));
      return routes.warnings;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(routes: MockRoutes, req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? "GET";
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  const found = routes.find(path);
  if (found === null) {
    const apiId = /^\/([^/?]+)/.exec(path)?.[1] ?? "-";
    return reply(res, method, problem("not-found", `the mock has no operation on ${path}`, { headers: { [MOCK_HEADER]: apiId } }));
  }
  const operation = found.methods.get(method);
  if (operation === undefined) {
    return reply(res, method, problem("method-not-allowed", `${method} is not declared on this path`, { headers: { allow: found.allow, [MOCK_HEADER]: found.apiId } }));
  }
  const mockHeader = `${operation.apiId} ${operation.operationId}`;
  let choice: Choice;
  try {
    choice = chooseResponse(operation.responses, parsePrefer(req.headers.prefer), req.headers.accept);
  } catch (error) {
    if (!(error instanceof UnmetPreference)) throw error;
    return reply(res, method, problem("bad-request", error.message, { headers: { [MOCK_HEADER]: mockHeader } }));
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of choice.response?.headers ?? []) headers[name] = value;
  headers[MOCK_HEADER] = mockHeader;
  // 1xx, 204 and 304 never have content (RFC 9110 §6.4.1); a HEAD answer tells what a GET's would be.
  const bodiless = choice.status < 200 || choice.status === 204 || choice.status === 304;
  if (!bodiless && choice.media !== null) {
    headers["content-type"] = choice.media.contentType;
    headers["content-length"] = String(choice.body?.length ?? 0);
  } else if (!bodiless) {
    headers["content-length"] = "0";
  }
  res.writeHead(choice.status, headers);
  res.end(bodiless || method === "HEAD" ? undefined : (choice.body ?? undefined));
}

function reply(res: ServerResponse, method: string, made: { status: number; headers: Record<string, string | string[]>; body: string }): void {
  res.writeHead(made.status, { ...made.headers, "content-length": String(Buffer.byteLength(made.body)) });
  res.end(method === "HEAD" ? undefined : made.body);
}
