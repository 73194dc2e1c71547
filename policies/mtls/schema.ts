/** Mutual TLS: clients authenticate with a certificate signed by a trusted CA. */
import { z } from "zod";
import { secretRefSchema } from "../../constructs/secret";
import { definePolicy } from "../policy";

export const mtlsOptions = z.strictObject({
  /** PEM bundle of the certificate authorities that sign client certificates. */
  trustedCa: secretRefSchema,
  /**
   * Client certificate subjects accepted (RFC 4514 distinguished names, e.g.
   * `CN=billing,O=Acme`); empty accepts any certificate the CAs signed.
   * @default []
   */
  allowedSubjects: z.array(z.string().min(1)).default([]),
  /**
   * Forward the verified client certificate upstream in the `Client-Cert` header (RFC 9440).
   * @default false
   */
  forwardCertificate: z.boolean().default(false),
  /**
   * Also accept a client certificate that a TLS-terminating proxy in front of the gateway
   * passes on in `Client-Cert` / `Client-Cert-Chain` (RFC 9440), from peers listed in the
   * platform's `gateway.trustedProxies` only. The gateway still verifies it against
   * `trustedCa`. From any other peer the headers are ignored (and never forwarded).
   * @default false
   */
  acceptFromTrustedProxy: z.boolean().default(false),
});

/** Options of {@link mtls}. */
export type MtlsOptions = z.input<typeof mtlsOptions>;

export const mtlsPolicy = definePolicy({
  name: "mtls",
  summary: "Requires a client certificate signed by a trusted CA, optionally restricted to subjects; identifies consumers by subject.",
  phases: ["access"],
  priority: 400,
  levels: ["platform", "api", "operation"],
  options: mtlsOptions,
  computed: {
    /** Contract security schemes of type mutualTLS this policy implements. */
    securitySchemes: z.array(z.string()),
  },
  resolve(options, { operation }) {
    const securitySchemes = Object.entries(operation.securitySchemes)
      .filter(([, scheme]) => scheme.type === "mutualTLS")
      .map(([name]) => name)
      .sort();
    return { ...options, allowedSubjects: [...new Set(options.allowedSubjects)].sort(), securitySchemes };
  },
});

/** Requires client certificates, e.g. `mtls({ trustedCa: Secret.fromFile("/etc/turnpike/clients-ca.pem") })`. */
export function mtls(options: MtlsOptions) {
  return mtlsPolicy.declare(options);
}
