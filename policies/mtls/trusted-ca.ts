/**
 * The trust anchors of an mtls policy: the PEM bundle its `trustedCa` secret reference names,
 * read once when the manifest is loaded. A bundle that cannot be read or holds no certificate
 * makes the manifest unservable (the gateway keeps the previous one or does not start): an
 * mtls policy without anchors could only refuse everyone, silently.
 */
import { X509Certificate } from "node:crypto";
import type { SecretRef } from "../../constructs/secret";
import type { SecretSources } from "../../gateway-image/src/identity/consumer-directory";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads and parses a CA bundle; throws with a message naming where it was looked for (never its content). */
export function loadTrustedCertificates(ref: SecretRef, secrets: SecretSources): X509Certificate[] {
  const text = readBundle(ref, secrets);
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error(`trustedCa (${describe(ref)}) holds no PEM certificate`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new Error(`trustedCa (${describe(ref)}): certificate ${index + 1} of the bundle cannot be parsed`);
    }
  });
}

function readBundle(ref: SecretRef, secrets: SecretSources): string {
  switch (ref.source) {
    case "env": {
      const value = secrets.env[ref.name];
      if (value === undefined || value === "") throw new Error(`trustedCa: environment variable ${ref.name} is not set`);
      return value;
    }
    case "file":
      try {
        return secrets.readFile(ref.path);
      } catch (error) {
        throw new Error(`trustedCa: file ${ref.path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
      }
    case "kubernetes":
      throw new Error(`trustedCa in Kubernetes Secret ${ref.name}/${ref.key}: mount it as a file or an environment variable of this gateway`);
    case "aws-secrets-manager":
      throw new Error(`trustedCa in AWS Secrets Manager (${ref.secretId}) is resolved by the AWS target, not by this gateway`);
  }
}

function describe(ref: SecretRef): string {
  switch (ref.source) {
    case "env":
      return `environment variable ${ref.name}`;
    case "file":
      return `file ${ref.path}`;
    case "kubernetes":
      return `Kubernetes Secret ${ref.name}/${ref.key}`;
    case "aws-secrets-manager":
      return `AWS Secrets Manager ${ref.secretId}`;
  }
}
