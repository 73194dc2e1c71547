/**
 * How traffic enters: a Gateway API `Gateway` + `HTTPRoute` (gateway.networking.k8s.io/v1), or
 * a networking.k8s.io/v1 `Ingress`, chosen by `ingress.style`. TLS ends at the entry with the
 * declared certificate Secret; the entry forwards plain HTTP to the Service's `api` port.
 */
import type { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-33";
import type { IGateway } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway";
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { addCustomObject } from "./custom-object";
import { API_PORT, type ClusterContext, GATEWAY_NAME, metadataOf } from "./names";

export const GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1";

export function addEntry(chart: Chart, context: ClusterContext): void {
  const entry = context.cluster.entry;
  if (entry.style === "ingress") {
    new k8s.KubeIngress(chart, "ingress", {
      metadata: metadataOf(context, GATEWAY_NAME),
      spec: {
        ...(entry.ingressClassName !== null ? { ingressClassName: entry.ingressClassName } : {}),
        ...(entry.tlsSecretName !== null ? { tls: [{ hosts: entry.hostnames, secretName: entry.tlsSecretName }] } : {}),
        rules: entry.hostnames.map((host) => ({
          host,
          http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: GATEWAY_NAME, port: { name: "api" } } } }] },
        })),
      },
    });
    return;
  }
  const tls = entry.tlsSecretName;
  const gateway: IGateway = {
    apiVersion: GATEWAY_API_VERSION,
    kind: "Gateway",
    metadata: metadataOf(context, "turnpike"),
    spec: {
      gatewayClassName: entry.gatewayClassName,
      // One listener per host name: a listener matches one host (or a wildcard).
      listeners: entry.hostnames.map((hostname, index) => ({
        name: `${tls ? "https" : "http"}-${index}`,
        hostname,
        port: tls ? 443 : 80,
        protocol: tls ? "HTTPS" : "HTTP",
        ...(tls ? { tls: { mode: "Terminate" as const, certificateRefs: [{ kind: "Secret", group: "", name: tls }] } } : {}),
        allowedRoutes: { namespaces: { from: "Same" as const } },
      })),
    },
  };
  addCustomObject(chart, "gateway", gateway);
  const route: IHTTPRoute = {
    apiVersion: GATEWAY_API_VERSION,
    kind: "HTTPRoute",
    metadata: metadataOf(context, GATEWAY_NAME),
    spec: {
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "turnpike" }],
      hostnames: entry.hostnames,
      rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ group: "", kind: "Service", name: GATEWAY_NAME, port: API_PORT, weight: 1 }] }],
    },
  };
  addCustomObject(chart, "http-route", route);
}
