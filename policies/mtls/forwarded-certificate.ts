/**
 * A client certificate passed on by a TLS-terminating proxy in front of the gateway (a load
 * balancer, an ingress), in the RFC 9440 headers: `Client-Cert` holds the DER certificate as
 * an RFC 8941 byte sequence (`:base64:`), `Client-Cert-Chain` a list of them.
 *
 * Only a peer among the platform's trusted proxies may pass one on: anybody else could write
 * the header. Even then the gateway verifies the certificate itself against the policy's CAs,
 * as for a TLS handshake, so a proxy that forwards without verifying gives nothing away.
 */
import { X509Certificate } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { PeerCertificate } from "./peer-certificate";

/** The largest header value read (a certificate chain of a few certificates fits easily). */
const MAX_HEADER_BYTES = 16_384;
const BYTE_SEQUENCE = /^:([A-Za-z0-9+/]*={0,2}):$/;

/** What a forwarded certificate header says: a certificate, nothing, or something malformed. */
export type ForwardedCertificate = { readonly kind: "certificate"; readonly certificate: PeerCertificate } | { readonly kind: "none" } | { readonly kind: "malformed"; readonly reason: string };

const NONE: ForwardedCertificate = { kind: "none" };

/** Reads `Client-Cert` (and `Client-Cert-Chain`) as a trusted proxy sent them. */
export function forwardedCertificate(headers: IncomingHttpHeaders): ForwardedCertificate {
  const leafValue = single(headers["client-cert"]);
  if (leafValue === undefined) return NONE;
  if (leafValue.length > MAX_HEADER_BYTES) return { kind: "malformed", reason: "the Client-Cert header is too large" };
  const leaf = certificateOf(leafValue.trim());
  if (leaf === null) return { kind: "malformed", reason: "the Client-Cert header is not a DER certificate as an RFC 8941 byte sequence" };
  const chain: X509Certificate[] = [];
  const chainValue = single(headers["client-cert-chain"]);
  if (chainValue !== undefined && chainValue.trim() !== "") {
    if (chainValue.length > MAX_HEADER_BYTES) return { kind: "malformed", reason: "the Client-Cert-Chain header is too large" };
    for (const member of chainValue.split(",")) {
      const certificate = certificateOf(member.trim());
      if (certificate === null) return { kind: "malformed", reason: "the Client-Cert-Chain header is not a list of DER certificates as RFC 8941 byte sequences" };
      chain.push(certificate);
    }
  }
  return { kind: "certificate", certificate: { leaf, chain } };
}

function single(value: string | string[] | undefined): string | undefined {
  // Repeated headers are one list (RFC 9110 §5.3); Client-Cert itself is never a list.
  return Array.isArray(value) ? value.join(",") : value;
}

function certificateOf(item: string): X509Certificate | null {
  const match = BYTE_SEQUENCE.exec(item);
  if (match === null || match[1] === "") return null;
  try {
    return new X509Certificate(Buffer.from(match[1]!, "base64"));
  } catch {
    return null;
  }
}
