/**
 * Which APIs `turnpike dev` mocks: those declared `upstream.mock`, and those whose upstream
 * cannot be reached from here when dev starts (every target and failover target refuses a
 * TCP connection or does not answer within the probe's timeout), so a first call works on a
 * laptop that has none of the organisation's services.
 */
import { connect } from "node:net";
import type { Api, GatewayConfig } from "../../../constructs/manifest/schema";

export interface MockedApi {
  readonly apiId: string;
  /** Why: declared in the upstream, or the upstream that did not answer. */
  readonly reason: { readonly kind: "declared" } | { readonly kind: "unreachable"; readonly urls: readonly string[] };
}

/** How long a TCP connect may take before the target counts as unreachable, ms. */
export const PROBE_TIMEOUT_MS = 300;

/** The APIs to mock, in manifest order; every probe runs at once. */
export async function mockedApis(manifest: GatewayConfig, timeoutMs = PROBE_TIMEOUT_MS): Promise<MockedApi[]> {
  const decided = await Promise.all(
    manifest.spec.apis.map(async (api): Promise<MockedApi | null> => {
      if (api.upstream.mock) return { apiId: api.id, reason: { kind: "declared" } };
      const urls = targetUrls(api);
      const reachable = await Promise.all(urls.map((url) => reachableUrl(url, timeoutMs)));
      return reachable.some(Boolean) ? null : { apiId: api.id, reason: { kind: "unreachable", urls } };
    }),
  );
  return decided.filter((entry): entry is MockedApi => entry !== null);
}

/** `mock: declared` or `mock: upstream http://… unreachable`. */
export function describeReason(mocked: MockedApi): string {
  return mocked.reason.kind === "declared" ? "mock: declared" : `mock: upstream ${mocked.reason.urls.join(", ")} unreachable`;
}

function targetUrls(api: Api): string[] {
  return [...api.upstream.targets, ...api.upstream.failover].map((target) => target.url);
}

/** Whether a TCP connection to the URL's host and port opens within the timeout (DNS lookup included). */
export function reachableUrl(url: string, timeoutMs: number): Promise<boolean> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.resolve(false);
  }
  const port = Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reachable: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reachable);
    };
    // A timer of our own: the socket's idle timeout does not cover a slow DNS lookup.
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
