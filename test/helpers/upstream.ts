/** Real upstream servers for gateway tests: an echo by default, or any handler. */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  /** The body's bytes (a binary one does not survive reading as text). */
  readonly bodyBytes: Buffer;
}

export interface TestUpstream {
  readonly url: string;
  readonly port: number;
  /** Requests received, in order. */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export type UpstreamHandler = (request: RecordedRequest, res: ServerResponse) => void;

/** Answers 200 with JSON describing the request it received. */
export const echo: UpstreamHandler = (request, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(request));
};

export async function startUpstream(handler: UpstreamHandler = echo, port = 0): Promise<TestUpstream> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const bodyBytes = Buffer.concat(chunks);
      const request = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: bodyBytes.toString(), bodyBytes };
      requests.push(request);
      handler(request, res);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
