/**
 * mtls at the gateway: verifies the client certificate of the TLS connection against the
 * policy's own trusted CAs (`trustedCa`, read when the manifest is loaded) and records what
 * it proved: the consumer whose `Credential.mtls({ subject })` names the certificate subject,
 * and the contract's `mutualTLS` schemes. The authentication gate applies the contract.
 *
 * - No client certificate: left to the gate, like a missing API key (another policy may
 *   authenticate the request, or the operation be public).
 * - A certificate no trusted CA signed, expired or not for client authentication: 401.
 * - A trusted certificate whose subject is not in `allowedSubjects`: 403 (the client proved
 *   who it is; it is not allowed here).
 * - A trusted certificate whose subject no consumer declares: authenticated without a
 *   consumer; plan policies need a consumer and do not apply.
 * - The `Client-Cert` and `Client-Cert-Chain` headers a client sends are always removed; with
 *   `forwardCertificate` the verified certificate goes upstream in `Client-Cert` (RFC 9440).
 * - With `acceptFromTrustedProxy`, a certificate a trusted proxy passes on in those headers
 *   (it terminated TLS) is verified the same way and takes the place of the connection's.
 *
 * A connection's verdict is kept for the requests that follow on it (the certificate cannot
 * change within a TLS session); its validity dates are checked on every request.
 */
import type { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";
import type { z } from "zod";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import type { Exchange } from "../../gateway-image/src/http/exchange";
import { type Reply, problem } from "../../gateway-image/src/http/problem";
import { IpRanges, normalizeAddress } from "../../gateway-image/src/http/ip-ranges";
import { processSecretSources } from "../../gateway-image/src/identity/consumer-directory";
import { forwardedCertificate } from "./forwarded-certificate";
import { canonicalCertificateSubject, canonicalDistinguishedName } from "./distinguished-name";
import { type PeerCertificate, learnIntermediates, learnedIntermediates, peerCertificate } from "./peer-certificate";
import type { mtlsPolicy } from "./schema";
import { loadTrustedCertificates } from "./trusted-ca";
import { validityProblem, verifyChain } from "./verify-chain";

type Verdict =
  | { readonly kind: "none" }
  | { readonly kind: "refused"; readonly reason: string }
  | {
      readonly kind: "trusted";
      /** Canonical subject; null when the certificate has none that parses. */
      readonly subject: string | null;
      readonly notBefore: number;
      readonly notAfter: number;
      /** The `Client-Cert` header value: the DER certificate as an RFC 8941 byte sequence. */
      readonly clientCert: string;
    };

const NO_CERTIFICATE: Verdict = { kind: "none" };
/** Verdicts on forwarded certificates kept, by header value (a proxy sends the same one per client). */
const FORWARDED_VERDICTS_KEPT = 1_000;

export const createMtlsHandler: HandlerFactory<z.output<typeof mtlsPolicy.config>> = (config, { consumers, logger, instance, manifest }) => {
  let anchors: X509Certificate[];
  try {
    anchors = loadTrustedCertificates(config.trustedCa, processSecretSources);
  } catch (error) {
    throw new Error(`${instance.id}: ${(error as Error).message}`);
  }
  const now = Date.now();
  for (const anchor of anchors) {
    if (Date.parse(anchor.validTo) < now) logger.warn({ policy: instance.id, subject: anchor.subject.replace(/\n/g, ", ") }, "a trusted CA certificate of an mtls policy has expired; certificates it signed are refused");
  }
  const allowed = new Set(
    config.allowedSubjects.map((subject) => {
      const canonical = canonicalDistinguishedName(subject);
      if (canonical === null) throw new Error(`${instance.id}: allowedSubjects: "${subject}" is not a distinguished name (e.g. CN=billing,O=Acme)`);
      return canonical;
    }),
  );
  const schemes = config.securitySchemes;
  const verdicts = new WeakMap<TLSSocket, Verdict>();
  /** The verdict each request was admitted on, when it came from a forwarded certificate. */
  const forwardedAdmitted = new WeakMap<Exchange, Verdict>();
  const forwardedVerdicts = new Map<string, Verdict>();
  const proxies = config.acceptFromTrustedProxy ? new IpRanges(manifest.spec.platform.gateway.trustedProxies) : null;
  if (proxies !== null && proxies.empty) logger.warn({ policy: instance.id }, "an mtls policy accepts certificates from trusted proxies, but the platform declares none (gateway.trustedProxies): no forwarded certificate will be accepted");
  let warnedPlainHttp = false;

  const verdictOf = (socket: TLSSocket): Verdict => verdictOn(peerCertificate(socket));

  /** The verdict of a forwarded certificate, when a trusted proxy sent one; null: use the connection's. */
  const forwardedVerdict = (exchange: Exchange): Verdict | null => {
    const header = exchange.req.headers["client-cert"];
    if (proxies === null || header === undefined || !proxies.contains(normalizeAddress(exchange.req.socket.remoteAddress ?? ""))) return null;
    const key = `${String(header)}\n${String(exchange.req.headers["client-cert-chain"] ?? "")}`;
    let verdict = forwardedVerdicts.get(key);
    if (verdict === undefined) {
      const forwarded = forwardedCertificate(exchange.req.headers);
      verdict = forwarded.kind === "certificate" ? verdictOn(forwarded.certificate) : forwarded.kind === "none" ? NO_CERTIFICATE : { kind: "refused", reason: forwarded.reason };
      if (forwardedVerdicts.size >= FORWARDED_VERDICTS_KEPT) forwardedVerdicts.delete(forwardedVerdicts.keys().next().value!);
      forwardedVerdicts.set(key, verdict);
    }
    return verdict;
  };

  function verdictOn(peer: PeerCertificate | null): Verdict {
    if (peer === null) return NO_CERTIFICATE;
    const result = verifyChain(peer.leaf, [...peer.chain, ...learnedIntermediates()], anchors, Date.now());
    if (!result.trusted) return { kind: "refused", reason: result.reason };
    learnIntermediates(result.intermediates);
    return {
      kind: "trusted",
      subject: peer.leaf.subject ? canonicalCertificateSubject(peer.leaf.subject) : null,
      notBefore: result.notBefore,
      notAfter: result.notAfter,
      clientCert: `:${peer.leaf.raw.toString("base64")}:`,
    };
  }

  const refuse = (exchange: Exchange, reason: string): Reply => {
    exchange.failure = `mtls: ${reason}`;
    return problem("unauthorized", reason);
  };

  return {
    access(exchange) {
      let verdict: Verdict;
      const forwarded = forwardedVerdict(exchange);
      if (forwarded !== null) {
        verdict = forwarded;
        forwardedAdmitted.set(exchange, verdict);
      } else {
        const socket = exchange.req.socket as TLSSocket;
        if (!socket.encrypted) {
          if (!warnedPlainHttp && proxies === null) {
            warnedPlainHttp = true;
            logger.warn({ policy: instance.id }, "an mtls policy serves requests over plain HTTP, where no client certificate can be presented: start the gateway with --tls-cert and --tls-key, or set acceptFromTrustedProxy behind a proxy that terminates TLS");
          }
          return undefined;
        }
        const known = verdicts.get(socket);
        if (known === undefined) {
          verdict = verdictOf(socket);
          verdicts.set(socket, verdict);
        } else {
          verdict = known;
        }
      }
      if (verdict.kind === "none") return undefined;
      if (verdict.kind === "refused") return refuse(exchange, verdict.reason);
      const validity = validityProblem(verdict.notBefore, verdict.notAfter, Date.now());
      if (validity !== null) return refuse(exchange, validity);
      if (allowed.size > 0 && (verdict.subject === null || !allowed.has(verdict.subject))) {
        exchange.failure = "mtls: certificate subject not allowed";
        return problem("forbidden", "the client certificate's subject is not allowed to call this API");
      }
      const consumer = verdict.subject === null ? undefined : consumers.findByCertificateSubject(verdict.subject);
      if (consumer !== undefined) {
        if (exchange.consumer !== null && exchange.consumer !== consumer) return problem("unauthorized", "the request carries credentials of two different consumers");
        exchange.consumer = consumer;
      }
      exchange.authenticatedBy ??= "mtls";
      for (const scheme of schemes) exchange.satisfiedSchemes.add(scheme);
      return undefined;
    },
    // Client-sent Client-Cert headers never reach an upstream (forwarding strips them on every
    // route); only this policy, having verified the certificate, sets one.
    request: config.forwardCertificate
      ? (exchange) => {
          // The request phase runs only when access let the request through: a trusted verdict was admitted.
          const verdict = forwardedAdmitted.get(exchange) ?? verdicts.get(exchange.req.socket as TLSSocket);
          if (verdict?.kind === "trusted") exchange.upstreamHeaders["client-cert"] = verdict.clientCert;
          return undefined;
        }
      : undefined,
  };
};
