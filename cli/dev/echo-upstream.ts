/**
 * The stand-in upstream of `turnpike dev` for APIs declared `mock: true`: it answers every
 * request with 200 and a JSON description of what it received, so a first call shows what
 * the gateway forwarded (path, query, the headers it added). Contract-driven mocks replace it
 * with the control-plane work; it is never part of the gateway image.
 */
import { type IncomingHttpHeaders, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface EchoUpstream {
  readonly url: string;
  close(): Promise<void>;
}

/** Request headers the echo shows; credentials the gateway strips would never arrive anyway. */
const SHOWN_HEADERS = /^(x-forwarded-|forwarded$|via$|x-request-id$|traceparent$|content-type$|accept$|user-agent$|x-acme-|x-consumer-)/;

export async function startEchoUpstream(): Promise<EchoUpstream> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://upstream");
      const body = Buffer.concat(chunks).toString();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        `${JSON.stringify(
          {
            mock: "turnpike dev echo: this upstream answers every request with what it received",
            method: req.method,
            path: url.pathname,
            query: Object.fromEntries(url.searchParams),
            headers: shown(req.headers),
            ...(body ? { body: body.length > 4_096 ? `${body.slice(0, 4_096)}…` : body } : {}),
          },
          null,
          2,
        )}\n`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function shown(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (SHOWN_HEADERS.test(name) && value !== undefined) result[name] = String(value);
  return result;
}
