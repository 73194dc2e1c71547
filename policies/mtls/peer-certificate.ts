/**
 * The client certificate of a TLS connection, and the intermediates it came with.
 *
 * On a resumed TLS session OpenSSL keeps the client's certificate but not the chain it sent,
 * so a client whose certificate an intermediate CA signed would be refused on its second
 * connection. Intermediates that completed a trusted path once are therefore remembered
 * (process-wide, a bounded number) and offered as candidates again. Remembering one trusts
 * nothing by itself: a path through it must still end at the policy's own anchors.
 */
import { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";

export interface PeerCertificate {
  readonly leaf: X509Certificate;
  /** What the client sent besides its certificate. */
  readonly chain: readonly X509Certificate[];
}

/** The client's certificate, or null when it sent none (or the connection is not TLS). */
export function peerCertificate(socket: TLSSocket): PeerCertificate | null {
  if (!socket.encrypted || typeof socket.getPeerCertificate !== "function") return null;
  const peer = socket.getPeerCertificate(true);
  if (peer === null || peer.raw === undefined) return null;
  const leaf = new X509Certificate(peer.raw);
  const chain: X509Certificate[] = [];
  let current = peer;
  // issuerCertificate links up the chain; a self-signed root links to itself.
  while (current.issuerCertificate !== undefined && current.issuerCertificate !== current && current.issuerCertificate.raw !== undefined && chain.length < 10) {
    current = current.issuerCertificate;
    chain.push(new X509Certificate(current.raw));
  }
  return { leaf, chain };
}

const LEARNED_LIMIT = 256;
const learned = new Map<string, X509Certificate>();

/** Intermediates seen in trusted paths before, most recent last. */
export function learnedIntermediates(): Iterable<X509Certificate> {
  return learned.values();
}

/** Remembers intermediates of a trusted path, evicting the least recently used beyond the limit. */
export function learnIntermediates(certificates: readonly X509Certificate[]): void {
  for (const certificate of certificates) {
    learned.delete(certificate.fingerprint256);
    learned.set(certificate.fingerprint256, certificate);
    if (learned.size > LEARNED_LIMIT) learned.delete(learned.keys().next().value!);
  }
}
