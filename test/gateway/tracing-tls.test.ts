/**
 * TLS to the trace receiver with the OpenTelemetry specification's certificate variables: a
 * private CA (`OTEL_EXPORTER_OTLP_CERTIFICATE`) and a client certificate for mutual TLS
 * (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`, `OTEL_EXPORTER_OTLP_CLIENT_KEY`). Real certificates
 * (openssl), a real HTTPS receiver that requires a client certificate from its own CA, the
 * exporter and the whole gateway (the bundle) sending to it, and certificates renewed on disk
 * while the gateway runs.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Server, createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { copyFileSync, renameSync, writeFileSync } from "node:fs";
import { createPrivateKey } from "node:crypto";
import pino from "pino";
import { OtlpSpanExporter } from "../../gateway-image/src/observability/tracing/span-exporter";
import { TraceConfigError, traceConfigFromEnv } from "../../gateway-image/src/observability/tracing/trace-config";
import { type CertificateAuthority, type Issued, TestPki } from "../helpers/certificates";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { startGateway } from "../helpers/gateway";
import { numberedSpan } from "../helpers/trace-config";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

const INSTANCE = { id: "i-1", host: "h", pid: 1 };

let pki: TestPki;
/** Signs the receivers' server certificates. */
let serverCa: CertificateAuthority;
/** Signs the client certificates the receivers accept. */
let clientCa: CertificateAuthority;
/** Signs client certificates no receiver accepts. */
let otherCa: CertificateAuthority;
let serverCertificate: Issued;
let client: Issued;
let upstream: TestUpstream;

beforeAll(async () => {
  pki = new TestPki();
  serverCa = pki.root("collector-ca");
  clientCa = pki.root("gateway-clients-ca");
  otherCa = pki.root("someone-else-ca");
  serverCertificate = serverCa.issue({ subject: "/CN=localhost", extendedKeyUsage: "serverAuth", altNames: "DNS:localhost,IP:127.0.0.1" });
  client = clientCa.issue({ subject: "/O=Acme/CN=turnpike-gateway" });
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
  pki?.remove();
});

interface ReceivedExport {
  /** The client certificate's CN, as the receiver verified it. */
  clientCommonName: string;
  body: { resourceSpans?: { scopeSpans?: { spans?: { name: string; attributes?: { key: string; value: { stringValue?: string } }[] }[] }[] }[] };
}

/** An OTLP/HTTP (JSON) receiver behind TLS that requires a client certificate from `clientCa`. */
async function startMutualTlsReceiver() {
  const received: ReceivedExport[] = [];
  const handshakeFailures: string[] = [];
  const server: Server = createServer(
    { key: serverCertificate.key, cert: serverCertificate.cert, ca: clientCa.cert, requestCert: true, rejectUnauthorized: true },
    (request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const peer = (request.socket as TLSSocket).getPeerCertificate();
        received.push({ clientCommonName: String(peer.subject?.CN), body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as ReceivedExport["body"] });
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    },
  );
  server.on("tlsClientError", (error) => handshakeFailures.push(error.message));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://localhost:${(server.address() as AddressInfo).port}`,
    received,
    handshakeFailures,
    requestIds: () => received.flatMap((entry) => (entry.body.resourceSpans ?? []).flatMap((resource) => (resource.scopeSpans ?? []).flatMap((scope) => scope.spans ?? []))).map((span) => span.attributes?.find((attribute) => attribute.key === "turnpike.request_id")?.value.stringValue),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const span = numberedSpan;

/** An exporter from the environment as the gateway reads it (certificate files and all), with short retries. */
function exporterFrom(env: Record<string, string>) {
  const config = traceConfigFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_BSP_EXPORT_TIMEOUT: "1500", ...env }, INSTANCE)!;
  const lines: { msg: string; [field: string]: unknown }[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
  return { exporter: new OtlpSpanExporter(config, { name: "turnpike-gateway" }, logger), lines, config };
}

/** Copies of a client certificate's chain and key under names of their own, as a mounted Secret's `tls.crt` and `tls.key`. */
function clientFiles(name: string, issued: Issued): { cert: string; key: string } {
  return { cert: pki.write(`${name}-tls.crt`, issued.chain), key: pki.write(`${name}-tls.key`, issued.key) };
}

/** Replaces a file at once, as the kubelet swaps a Secret volume's files (never half-written). */
function replaceFile(path: string, content: string): void {
  writeFileSync(`${path}.new`, content);
  renameSync(`${path}.new`, path);
}

async function until(check: () => boolean, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the exporter over mutual TLS (OTLP/HTTP)", () => {
  it("sends to a receiver that requires a client certificate, trusting the receiver's private CA", async () => {
    const receiver = await startMutualTlsReceiver();
    const files = clientFiles("mtls-ok", client);
    const { exporter } = exporterFrom({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_CERTIFICATE: serverCa.certFile,
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: files.cert,
      OTEL_EXPORTER_OTLP_CLIENT_KEY: files.key,
    });
    try {
      for (let index = 0; index < 3; index++) exporter.add(span(index));
      await exporter.flush();
      expect(receiver.received.map((entry) => entry.clientCommonName)).toEqual(["turnpike-gateway"]);
      expect(receiver.requestIds()).toEqual(["r-0", "r-1", "r-2"]);
      expect(exporter.counts).toMatchObject({ exported: 3, droppedExportFailed: 0 });
    } finally {
      await exporter.shutdown(500);
      await receiver.close();
    }
  });

  /** Exports one span to a fresh receiver with these settings (besides its endpoint): it must never arrive, and the batch is counted as failed. */
  async function expectRefused(env: Record<string, string>) {
    const receiver = await startMutualTlsReceiver();
    const { exporter, lines } = exporterFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env });
    try {
      exporter.add(span(0));
      await exporter.flush();
      expect(receiver.received).toHaveLength(0);
      expect(receiver.handshakeFailures.length).toBeGreaterThan(0);
      expect(exporter.counts).toMatchObject({ exported: 0, droppedExportFailed: 1 });
      expect(lines.some((line) => line.msg === "spans could not be exported; requests are not affected")).toBe(true);
    } finally {
      await exporter.shutdown(500);
      await receiver.close();
    }
  }

  it("without a client certificate the receiver refuses the connection: the batch is dropped and counted", async () => {
    await expectRefused({ OTEL_EXPORTER_OTLP_CERTIFICATE: serverCa.certFile });
  });

  it("does not trust the receiver's private CA unless OTEL_EXPORTER_OTLP_CERTIFICATE names it", async () => {
    const files = clientFiles("no-ca", client);
    await expectRefused({ OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: files.cert, OTEL_EXPORTER_OTLP_CLIENT_KEY: files.key });
  });

  it("uses a client certificate renewed on disk from the next connection on, without a restart; a half-renewed set keeps the last good one", async () => {
    const receiver = await startMutualTlsReceiver();
    // Starts with a certificate the receiver does not accept (issued by another CA).
    const files = clientFiles("rotated", otherCa.issue({ subject: "/CN=turnpike-gateway-old" }));
    const { exporter, lines } = exporterFrom({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: serverCa.certFile,
      OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: files.cert,
      OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: files.key,
    });
    try {
      exporter.add(span(0));
      await exporter.flush();
      expect(exporter.counts).toMatchObject({ exported: 0, droppedExportFailed: 1 });

      // Half-way through a renewal: the new certificate, the old key. Not used; said once.
      const renewed = clientCa.issue({ subject: "/CN=turnpike-gateway-renewed" });
      replaceFile(files.cert, renewed.chain);
      exporter.add(span(1));
      await exporter.flush();
      exporter.add(span(2));
      await exporter.flush();
      const halfWay = lines.filter((line) => /does not belong to the certificate/.test(line.msg));
      expect(halfWay).toHaveLength(1);
      expect(halfWay[0]!.msg).toMatch(/OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: the key in .* does not belong to the certificate in .*CN=turnpike-gateway-renewed.*; new connections keep the TLS files last read/);
      expect(receiver.received).toHaveLength(0);

      // The key arrives: the next connection presents the renewed certificate.
      replaceFile(files.key, renewed.key);
      exporter.add(span(3));
      await exporter.flush();
      expect(receiver.received.map((entry) => entry.clientCommonName)).toEqual(["turnpike-gateway-renewed"]);
      expect(receiver.requestIds()).toEqual(["r-3"]);
      expect(lines.some((line) => /TLS files are readable again/.test(line.msg))).toBe(true);
    } finally {
      await exporter.shutdown(500);
      await receiver.close();
    }
  });
});

describe("the gateway exporting over mutual TLS", () => {
  it("sends each request's span with its client certificate, and names the files (not their content) in its start line", async () => {
    const receiver = await startMutualTlsReceiver();
    const files = clientFiles("bundle", client);
    const platform = testPlatform();
    itemsApi(platform, "items", { upstream: { targets: [{ url: upstream.url }], timeoutMs: 1_000 } });
    const gateway = await startGateway(platform, {
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_CERTIFICATE: serverCa.certFile,
        OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: files.cert,
        OTEL_EXPORTER_OTLP_CLIENT_KEY: files.key,
        OTEL_BSP_SCHEDULE_DELAY: "20",
      },
    });
    try {
      expect((await fetch(`${gateway.url}/items/v1/health`, { headers: { "x-request-id": "over-mtls" } })).status).toBe(200);
      await until(() => receiver.requestIds().includes("over-mtls"));
      expect(receiver.received[0]!.clientCommonName).toBe("turnpike-gateway");
      const start = await gateway.waitForLog((line) => line.msg === "gateway listening");
      expect(start.tracing).toMatchObject({ endpoint: `${receiver.url}/v1/traces`, tls: { ca: serverCa.certFile, clientCertificate: files.cert } });
      expect(JSON.stringify(gateway.logs)).not.toContain("PRIVATE KEY");
    } finally {
      await gateway.stop();
      await receiver.close();
    }
  });

  it("refuses to start on a key that does not belong to its certificate, naming the variable", async () => {
    const files = clientFiles("mismatch", client);
    copyFileSync(otherCa.issue({ subject: "/CN=someone-else" }).keyFile, files.key);
    const platform = testPlatform();
    itemsApi(platform, "items", { upstream: { targets: [{ url: upstream.url }] } });
    await expect(
      startGateway(platform, {
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: "https://localhost:4318", OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: files.cert, OTEL_EXPORTER_OTLP_CLIENT_KEY: files.key },
      }),
    ).rejects.toThrow(/OTEL_EXPORTER_OTLP_CLIENT_KEY: the key in .* does not belong to the certificate/);
  });
});

describe("certificate settings", () => {
  const read = (env: Record<string, string>) => traceConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector:4318", ...env }, INSTANCE)!;

  it("has no TLS files unless a variable names one", () => {
    expect(read({}).tls).toBeNull();
  });

  it("reads the CA and the client certificate; each _TRACES_ variable wins over the general one", () => {
    const config = read({
      OTEL_EXPORTER_OTLP_CERTIFICATE: otherCa.certFile,
      OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: serverCa.certFile,
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: client.certFile,
      OTEL_EXPORTER_OTLP_CLIENT_KEY: client.keyFile,
    });
    const options = config.tls!.current(() => undefined);
    expect(options.ca?.toString()).toBe(serverCa.cert);
    expect(options.cert?.toString()).toBe(client.cert);
    expect(options.key?.toString()).toBe(client.key);
    expect(config.tls!.describe()).toEqual({ ca: serverCa.certFile, clientCertificate: client.certFile });
  });

  it("works for OTLP/gRPC, whose host:port endpoint is TLS", () => {
    const config = read({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317", OTEL_EXPORTER_OTLP_CERTIFICATE: serverCa.certFile });
    expect(config.endpoint.href).toBe("https://collector:4317/");
    expect(config.tls!.current(() => undefined).ca?.toString()).toBe(serverCa.cert);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ["a certificate with a plaintext endpoint", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_EXPORTER_OTLP_CERTIFICATE: "/ca.pem" }, /OTEL_EXPORTER_OTLP_CERTIFICATE is set, but the endpoint http:\/\/collector:4318\/v1\/traces is plaintext: write it with https:\/\//],
    ["a certificate with an insecure gRPC endpoint", { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317", OTEL_EXPORTER_OTLP_INSECURE: "true", OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: "/k.pem" }, /OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY is set, but the endpoint http:\/\/collector:4317\/ is plaintext/],
    ["a client certificate without its key", { OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: "/c.pem" }, /OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is set without OTEL_EXPORTER_OTLP_CLIENT_KEY: a client certificate needs both/],
    ["a key without its certificate", { OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: "/k.pem" }, /OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY is set without OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE/],
    ["a file that is not there", { OTEL_EXPORTER_OTLP_CERTIFICATE: "/nowhere/ca.pem" }, /OTEL_EXPORTER_OTLP_CERTIFICATE: cannot read \/nowhere\/ca.pem \(ENOENT\)/],
  ])("refuses %s", (_name, env, message) => {
    expect(() => read(env)).toThrow(TraceConfigError);
    expect(() => read(env)).toThrow(message);
  });

  it("refuses a CA file without a certificate, a key that is not a key, and an encrypted key", () => {
    const notPem = pki.write("not-a-certificate.pem", "hello\n");
    expect(() => read({ OTEL_EXPORTER_OTLP_CERTIFICATE: notPem })).toThrow(/OTEL_EXPORTER_OTLP_CERTIFICATE: .*not-a-certificate.pem holds no PEM certificate/);
    expect(() => read({ OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: client.certFile, OTEL_EXPORTER_OTLP_CLIENT_KEY: client.certFile })).toThrow(/OTEL_EXPORTER_OTLP_CLIENT_KEY: .* is not a PEM private key/);
    const encrypted = pki.write(
      "encrypted-key.pem",
      // The client's key, encrypted with a passphrase, as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it.
      createPrivateKey(client.key).export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "secret" }) as string,
    );
    expect(() => read({ OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: client.certFile, OTEL_EXPORTER_OTLP_CLIENT_KEY: encrypted })).toThrow(/OTEL_EXPORTER_OTLP_CLIENT_KEY: .*encrypted-key.pem is encrypted: the gateway needs the key unencrypted/);
  });

  it("reads the files through the reader it is given (where a test stands in for a mounted volume)", () => {
    const files: Record<string, Buffer> = { "/mnt/ca.crt": Buffer.from(serverCa.cert) };
    const config = traceConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector:4318", OTEL_EXPORTER_OTLP_CERTIFICATE: "/mnt/ca.crt" }, INSTANCE, (path) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
      return content;
    })!;
    expect(config.tls!.current(() => undefined).ca?.toString()).toBe(serverCa.cert);
  });
});
