/**
 * The operator port's endpoints, for a lone gateway and for a cluster primary alike:
 * `/healthz` (the process answers), `/readyz` (ready for traffic, or starting/draining),
 * `/metrics` (Prometheus text) and `POST /reload` (load the manifest again). Keep the port
 * off the public network: it is unauthenticated, as Envoy's admin port is.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { problem } from "../http/problem";

export interface OperatorState {
  /** Whether traffic may be sent; the rest of the body is shown as is. */
  readiness(): { ready: boolean; status: "ready" | "starting" | "draining"; [detail: string]: unknown };
  metrics(): Promise<{ contentType: string; text: string }>;
  /** Reloads the manifest; `ok: false` answers 422. Absent: no reload endpoint. */
  reload?(): Promise<{ ok: boolean }>;
}

export function operatorEndpoints(state: OperatorState): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
    switch (req.url) {
      case "/healthz":
        json(200, { status: "ok" });
        return;
      case "/readyz": {
        const { ready, ...body } = state.readiness();
        json(ready ? 200 : 503, body);
        return;
      }
      case "/metrics":
        state.metrics().then(
          ({ contentType, text }) => res.writeHead(200, { "content-type": contentType }).end(text),
          (error: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics unavailable: ${(error as Error).message}`),
        );
        return;
      case "/reload":
        if (state.reload === undefined) break;
        if (req.method !== "POST") {
          json(405, { detail: "POST /reload loads the manifest again" }, { allow: "POST" });
          return;
        }
        state.reload().then(
          (result) => json(result.ok ? 200 : 422, result),
          (error: unknown) => json(500, { ok: false, reason: (error as Error).message }),
        );
        return;
    }
    res.writeHead(404, { "content-type": "application/problem+json" }).end(problem("not-found", "operator endpoints: /healthz, /readyz, /metrics, POST /reload").body);
  };
}
