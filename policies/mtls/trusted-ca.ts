/**
 * The trust anchors of an mtls policy: the PEM bundle its `trustedCa` secret reference names,
 * read once when the manifest is loaded. A bundle that cannot be read or holds no certificate
 * makes the manifest unservable (the gateway keeps the previous one or does not start): an
 * mtls policy without anchors could only refuse everyone, silently.
 */
import { X509Certificate } from "node:crypto";
import type { SecretRef } from "../../constructs/secret";
import { type SecretSources, describeSecret, readSecret } from "../../gateway-image/src/identity/secret-reader";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads and parses a CA bundle; throws with a message naming where it was looked for (never its content). */
export function loadTrustedCertificates(ref: SecretRef, secrets: SecretSources): X509Certificate[] {
  const text = readBundle(ref, secrets);
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error(`trustedCa (${describeSecret(ref)}) holds no PEM certificate`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new Error(`trustedCa (${describeSecret(ref)}): certificate ${index + 1} of the bundle cannot be parsed`);
    }
  });
}

function readBundle(ref: SecretRef, secrets: SecretSources): string {
  const read = readSecret(ref, secrets, { keepTrailingNewline: true });
  if ("problem" in read) throw new Error(`trustedCa: ${read.problem}`);
  return read.value;
}
