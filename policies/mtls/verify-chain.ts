/**
 * Client certificate path validation against an mtls policy's own trust anchors (the TLS
 * handshake requests certificates but verifies none: one listener serves APIs with different
 * CAs, and APIs without mtls). A path is leaf → intermediates (those the client sent, or
 * learned from earlier handshakes) → an anchor of the bundle, each certificate issued by the
 * next (names, key identifiers and key usage per OpenSSL's X509_check_issued) and signed by
 * its key, intermediates marked as CAs, every certificate within its validity dates, and a
 * leaf fit for client authentication. Every certificate of the bundle is an anchor, including
 * intermediate CAs (trusting one is trusting what it signs). Revocation is not checked.
 */
import type { X509Certificate } from "node:crypto";

export type ChainVerdict =
  | {
      readonly trusted: true;
      /** The intermediates of the path, leaf side first (without the leaf and the anchor). */
      readonly intermediates: readonly X509Certificate[];
      /** Validity window of the whole path, epoch milliseconds. */
      readonly notBefore: number;
      readonly notAfter: number;
    }
  | { readonly trusted: false; readonly reason: string };

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
const MAX_INTERMEDIATES = 8;

export function verifyChain(leaf: X509Certificate, candidates: readonly X509Certificate[], anchors: readonly X509Certificate[], nowMs: number): ChainVerdict {
  const extendedKeyUsage = leaf.keyUsage as string[] | undefined;
  if (extendedKeyUsage !== undefined && extendedKeyUsage.length > 0 && !extendedKeyUsage.includes(CLIENT_AUTH) && !extendedKeyUsage.includes(ANY_EXTENDED_KEY_USAGE)) {
    return { trusted: false, reason: "the client certificate is not meant for client authentication (extended key usage)" };
  }
  const path = buildPath(leaf, candidates, anchors, []);
  if (path === null) return { trusted: false, reason: "the client certificate is not signed by a trusted certificate authority" };
  let notBefore = Number.NEGATIVE_INFINITY;
  let notAfter = Number.POSITIVE_INFINITY;
  for (const certificate of [leaf, ...path]) {
    notBefore = Math.max(notBefore, Date.parse(certificate.validFrom));
    notAfter = Math.min(notAfter, Date.parse(certificate.validTo));
  }
  // A date OpenSSL printed and Date cannot read fails closed.
  if (Number.isNaN(notBefore) || Number.isNaN(notAfter)) return { trusted: false, reason: "the client certificate's validity dates cannot be read" };
  const validity = validityProblem(notBefore, notAfter, nowMs);
  if (validity !== null) return { trusted: false, reason: validity };
  return { trusted: true, intermediates: path.slice(0, -1), notBefore, notAfter };
}

/** Why a path is not valid at `nowMs`, or null when it is. */
export function validityProblem(notBefore: number, notAfter: number, nowMs: number): string | null {
  if (nowMs < notBefore) return "the client certificate (or a certificate of its chain) is not valid yet";
  if (nowMs > notAfter) return "the client certificate (or a certificate of its chain) has expired";
  return null;
}

/** Depth-first: certificates may be cross-signed, so the first issuer found is not always the one that leads to an anchor. */
function buildPath(certificate: X509Certificate, candidates: readonly X509Certificate[], anchors: readonly X509Certificate[], path: X509Certificate[]): X509Certificate[] | null {
  for (const anchor of anchors) {
    if ((anchor.ca || anchor.fingerprint256 === certificate.fingerprint256) && issuedBy(certificate, anchor)) return [...path, anchor];
  }
  if (path.length >= MAX_INTERMEDIATES) return null;
  for (const candidate of candidates) {
    if (!candidate.ca || candidate.fingerprint256 === certificate.fingerprint256 || path.some((seen) => seen.fingerprint256 === candidate.fingerprint256)) continue;
    if (!issuedBy(certificate, candidate)) continue;
    const found = buildPath(candidate, candidates, anchors, [...path, candidate]);
    if (found !== null) return found;
  }
  return null;
}

function issuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
}
