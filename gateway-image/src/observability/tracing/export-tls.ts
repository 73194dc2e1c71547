/**
 * TLS to the trace receiver beyond Node's default trust, with the OpenTelemetry specification's
 * variables: `OTEL_EXPORTER_OTLP_CERTIFICATE` (PEM file of the CA certificates the receiver's
 * certificate must chain to; like the OpenTelemetry SDKs, they replace the default roots for the
 * export connection), `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and `OTEL_EXPORTER_OTLP_CLIENT_KEY`
 * (PEM files of a client certificate chain and its unencrypted key, for a receiver that requires
 * mutual TLS), each with a `_TRACES_` variant that wins.
 *
 * The files are read at start, where anything wrong stops the gateway with the variable named,
 * and read again for each new connection to the receiver: a certificate renewed on disk (a
 * mounted Kubernetes Secret that cert-manager rotates) is used from the next connection on,
 * without a restart. A set caught half-way through a rotation, or a file gone, keeps the last
 * good one, with one warning per new problem.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";

/** Reads a file whole (injectable so that a test can stand where a mounted volume would be). */
export type ReadFile = (path: string) => Buffer;

/** A file named by a variable: the variable is what an error names. */
export interface TlsFile {
  readonly variable: string;
  readonly path: string;
}

export interface ExportTlsFiles {
  /** The CA certificates the receiver's certificate must chain to. */
  readonly ca: TlsFile | null;
  /** The client certificate (its chain) and key, both or neither. */
  readonly clientCertificate: TlsFile | null;
  readonly clientKey: TlsFile | null;
}

/** What a TLS connection to the receiver is opened with. */
export interface ExportTlsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export class ExportTlsError extends Error {}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

export class ExportTls {
  private last: ExportTlsOptions;
  /** The problem last warned about, so that one problem is said once. */
  private reported: string | null = null;

  /** Reads and checks the files now: an ExportTlsError names the variable and what is wrong. */
  constructor(
    readonly files: ExportTlsFiles,
    private readonly readFile: ReadFile = readFileSync,
  ) {
    if ((files.clientCertificate === null) !== (files.clientKey === null)) {
      const [set, missing] = files.clientCertificate !== null ? [files.clientCertificate.variable, "OTEL_EXPORTER_OTLP_CLIENT_KEY"] : [files.clientKey!.variable, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"];
      throw new ExportTlsError(`${set} is set without ${missing}: a client certificate needs both its certificate and its key`);
    }
    this.last = this.load();
  }

  /**
   * The options for a new connection, from the files as they are now; the last good ones when
   * they cannot be used (`warn` is told once per new problem, and once when it is over).
   */
  current(warn: (message: string) => void): ExportTlsOptions {
    try {
      this.last = this.load();
      if (this.reported !== null) {
        this.reported = null;
        warn("the trace receiver's TLS files are readable again: new connections use them");
      }
    } catch (error) {
      const message = `${(error as Error).message}; new connections keep the TLS files last read`;
      if (message !== this.reported) {
        this.reported = message;
        warn(message);
      }
    }
    return this.last;
  }

  /** What the files say, for the start line (paths, never content). */
  describe(): { ca?: string; clientCertificate?: string } {
    return {
      ...(this.files.ca !== null ? { ca: this.files.ca.path } : {}),
      ...(this.files.clientCertificate !== null ? { clientCertificate: this.files.clientCertificate.path } : {}),
    };
  }

  private load(): ExportTlsOptions {
    const { ca, clientCertificate, clientKey } = this.files;
    const options: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
    if (ca !== null) {
      options.ca = this.read(ca);
      certificates(ca, options.ca);
    }
    if (clientCertificate !== null && clientKey !== null) {
      options.cert = this.read(clientCertificate);
      options.key = this.read(clientKey);
      const leaf = certificates(clientCertificate, options.cert)[0]!;
      let key;
      try {
        key = createPrivateKey(options.key);
      } catch (error) {
        const encrypted = /passphrase|encrypted/i.test((error as Error).message) || options.key.includes("ENCRYPTED");
        throw new ExportTlsError(
          encrypted ? `${clientKey.variable}: ${clientKey.path} is encrypted: the gateway needs the key unencrypted (a Secret's file, readable by the gateway only)` : `${clientKey.variable}: ${clientKey.path} is not a PEM private key`,
        );
      }
      if (!leaf.checkPrivateKey(key)) {
        throw new ExportTlsError(`${clientKey.variable}: the key in ${clientKey.path} does not belong to the certificate in ${clientCertificate.path} (${leaf.subject.replace(/\n/g, ", ")})`);
      }
    }
    return options;
  }

  private read(file: TlsFile): Buffer {
    try {
      return this.readFile(file.path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ExportTlsError(`${file.variable}: cannot read ${file.path} (${code ?? (error as Error).message})`);
    }
  }
}

/** The PEM certificates of a file, parsed (the first is a chain's leaf); an ExportTlsError when there is none or one is unreadable. */
function certificates(file: TlsFile, content: Buffer): X509Certificate[] {
  const blocks = content.toString("latin1").match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new ExportTlsError(`${file.variable}: ${file.path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new ExportTlsError(`${file.variable}: certificate ${index + 1} in ${file.path} cannot be read`);
    }
  });
}
