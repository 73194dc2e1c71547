/**
 * Where the gateway connects to, read from the manifest: every upstream target and failover
 * target, and every JWKS URL of a `jwt` policy. A destination given as an IP address becomes an
 * `ipBlock`; one given by name can only be allowed by port, since NetworkPolicy selects
 * addresses, not DNS names (a CNI with FQDN policies, e.g. Cilium, can narrow it further).
 */
import { isIP } from "node:net";
import type { GatewayConfig } from "../../manifest/schema";

export interface EgressDestination {
  /** `10.0.0.5/32`, or `null` when the host is a name (any address on `port`). */
  readonly cidr: string | null;
  readonly port: number;
  /** Hosts behind this destination, for the reader of the policy. */
  readonly hosts: string[];
}

/**
 * Where an http(s) URL connects to: its host (without IPv6 brackets), its port (80 or 443 by
 * scheme when it has none) and, when the host is an IP address, that address as a CIDR.
 */
export function urlDestination(url: URL): { host: string; port: number; cidr: string | null } {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  const family = isIP(host);
  return { host, port, cidr: family === 4 ? `${host}/32` : family === 6 ? `${host}/128` : null };
}

export function manifestEgressDestinations(manifest: GatewayConfig): EgressDestination[] {
  const urls: string[] = [];
  for (const api of manifest.spec.apis) {
    for (const target of [...api.upstream.targets, ...api.upstream.failover]) urls.push(target.url);
  }
  for (const instance of manifest.spec.policies) {
    if (instance.policy === "jwt") urls.push((instance.config as { jwksUrl: string }).jwksUrl);
  }
  const byKey = new Map<string, { cidr: string | null; port: number; hosts: Set<string> }>();
  for (const value of urls) {
    const { host, port, cidr } = urlDestination(new URL(value));
    const key = `${cidr ?? "*"}|${port}`;
    const entry = byKey.get(key) ?? { cidr, port, hosts: new Set<string>() };
    entry.hosts.add(host);
    byKey.set(key, entry);
  }
  return [...byKey.values()]
    .map((entry) => ({ cidr: entry.cidr, port: entry.port, hosts: [...entry.hosts].sort() }))
    .sort((a, b) => a.port - b.port || (a.cidr ?? "").localeCompare(b.cidr ?? ""));
}
