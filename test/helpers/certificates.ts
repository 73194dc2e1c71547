/**
 * Certificates made at test time with the `openssl` binary (Node can sign data but not
 * issue X.509 certificates): certificate authorities, intermediates, server and client
 * certificates, with any dates. Everything lives in a temporary directory outside the
 * repository, removed by {@link TestPki.remove}; no key is ever committed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A certificate with its private key (PEM) and where both are written. */
export interface Issued {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The certificate followed by the intermediates up to (not including) the root: what a client sends. */
  readonly chain: string;
}

export interface IssueOptions {
  /** Subject in OpenSSL's form, e.g. `/O=Acme/CN=billing`. */
  readonly subject: string;
  /** Valid from, default one hour ago. */
  readonly notBefore?: Date;
  /** Valid until, default in one day. */
  readonly notAfter?: Date;
  /** Extended key usage. @default "clientAuth" */
  readonly extendedKeyUsage?: string;
  /** Subject alternative names, e.g. `IP:127.0.0.1,DNS:localhost`. */
  readonly altNames?: string;
}

/** Whether certificates can be made here. */
export function opensslAvailable(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A root of temporary certificate authorities. */
export class TestPki {
  readonly dir: string;
  private counter = 0;

  constructor() {
    if (!opensslAvailable()) throw new Error("these tests make certificates with the openssl binary, which is not installed here");
    this.dir = mkdtempSync(join(tmpdir(), "turnpike-pki-"));
  }

  /** A self-signed root CA. */
  root(name: string): CertificateAuthority {
    const dir = this.subdir(name);
    const key = this.newKey(dir);
    const certFile = join(dir, "ca.pem");
    openssl(["req", "-x509", "-new", "-key", key, "-out", certFile, "-days", "3", "-subj", `/CN=${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    return new CertificateAuthority(this, dir, certFile, key, "");
  }

  /** Writes a file into the PKI directory (e.g. a CA bundle); returns its path. */
  write(name: string, content: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return path;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** @internal */
  subdir(name: string): string {
    const dir = join(this.dir, `${this.counter++}-${name.replace(/[^A-Za-z0-9-]/g, "_")}`);
    mkdirSync(dir);
    return dir;
  }

  /** @internal A new EC P-256 key, written in `dir`; returns its path. */
  newKey(dir: string): string {
    const path = join(dir, "key.pem");
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path]);
    return path;
  }
}

export class CertificateAuthority {
  readonly cert: string;

  constructor(
    private readonly pki: TestPki,
    private readonly dir: string,
    readonly certFile: string,
    keyFile: string,
    /** What a client sends after a certificate this CA issued: this CA and the intermediates above it, not the root (PEM). */
    private readonly chainAbove: string,
  ) {
    this.cert = readFileSync(certFile, "utf8");
    mkdirSync(join(dir, "issued"), { recursive: true });
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "serial"), "1000\n");
    writeFileSync(
      join(dir, "ca.cnf"),
      [
        "[ca]",
        "default_ca = test_ca",
        "[test_ca]",
        `database = ${join(dir, "index.txt")}`,
        `new_certs_dir = ${join(dir, "issued")}`,
        `serial = ${join(dir, "serial")}`,
        `certificate = ${certFile}`,
        `private_key = ${keyFile}`,
        "default_md = sha256",
        "policy = any_subject",
        "unique_subject = no",
        "email_in_dn = no",
        "[any_subject]",
        "",
      ].join("\n"),
    );
  }

  /** An intermediate CA signed by this one. */
  intermediate(name: string): CertificateAuthority {
    const issued = this.sign({ subject: `/CN=${name}` }, ["basicConstraints = critical,CA:TRUE", "keyUsage = critical,keyCertSign,cRLSign"]);
    return new CertificateAuthority(this.pki, join(issued.certFile, ".."), issued.certFile, issued.keyFile, issued.cert + this.chainAbove);
  }

  /** A leaf certificate (client certificate unless `extendedKeyUsage` says otherwise). */
  issue(options: IssueOptions): Issued {
    const extensions = ["basicConstraints = critical,CA:FALSE", "keyUsage = critical,digitalSignature", `extendedKeyUsage = ${options.extendedKeyUsage ?? "clientAuth"}`];
    if (options.altNames !== undefined) extensions.push(`subjectAltName = ${options.altNames}`);
    return this.sign(options, extensions);
  }

  private sign(options: IssueOptions, extensions: string[]): Issued {
    const dir = this.pki.subdir(options.subject);
    const keyFile = this.pki.newKey(dir);
    const csr = join(dir, "request.csr");
    const certFile = join(dir, "cert.pem");
    const extFile = join(dir, "extensions.cnf");
    writeFileSync(extFile, `[leaf]\n${extensions.join("\n")}\n`);
    openssl(["req", "-new", "-key", keyFile, "-out", csr, "-subj", options.subject]);
    const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
    const notAfter = options.notAfter ?? new Date(Date.now() + 86_400_000);
    openssl([
      "ca", "-batch", "-notext", "-preserveDN",
      "-config", join(this.dir, "ca.cnf"),
      "-extfile", extFile, "-extensions", "leaf",
      "-startdate", asn1Time(notBefore), "-enddate", asn1Time(notAfter),
      "-in", csr, "-out", certFile,
    ]);
    const cert = readFileSync(certFile, "utf8");
    return { cert, key: readFileSync(keyFile, "utf8"), certFile, keyFile, chain: cert + this.chainAbove };
  }
}

/** `YYYYMMDDHHMMSSZ` (GeneralizedTime, which `openssl ca` accepts for any year). */
function asn1Time(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;
}

function openssl(args: string[]): string {
  try {
    return execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr}`);
  }
}
