/** How traffic enters, chosen by `ingress.style`: Gateway API Gateway + HTTPRoute, or an Ingress. */
import { smallPlatform, synthesizePlatform } from "./kubernetes-fixture";

describe("the entry", () => {
  it("is a Gateway and an HTTPRoute to the Service's api port for style gateway-api", async () => {
    const synthesized = await synthesizePlatform(
      smallPlatform({ ingress: { style: "gateway-api", gatewayClassName: "eg", hostnames: ["api.example.com", "api.example.org"], tlsSecretName: "api-tls" } }),
    );
    expect(synthesized.objects().some((object) => object.kind === "Ingress")).toBe(false);
    expect(synthesized.find("Gateway").spec).toEqual({
      gatewayClassName: "eg",
      listeners: ["api.example.com", "api.example.org"].map((hostname, index) => ({
        name: `https-${index}`,
        hostname,
        port: 443,
        protocol: "HTTPS",
        tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", group: "", name: "api-tls" }] },
        allowedRoutes: { namespaces: { from: "Same" } },
      })),
    });
    expect(synthesized.find("HTTPRoute")).toMatchObject({
      apiVersion: "gateway.networking.k8s.io/v1",
      metadata: { name: "turnpike-gateway", namespace: "turnpike" },
      spec: {
        parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "turnpike" }],
        hostnames: ["api.example.com", "api.example.org"],
        rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ group: "", kind: "Service", name: "turnpike-gateway", port: 8080, weight: 1 }] }],
      },
    });
  });

  it("listens on plain HTTP without a TLS secret", async () => {
    const synthesized = await synthesizePlatform(smallPlatform({ ingress: { style: "gateway-api", gatewayClassName: "eg", hostnames: ["api.example.com"] } }));
    expect(synthesized.find("Gateway").spec.listeners).toEqual([{ name: "http-0", hostname: "api.example.com", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } }]);
  });

  it("is an Ingress for style ingress, with the class and TLS when declared", async () => {
    const synthesized = await synthesizePlatform(smallPlatform({ ingress: { style: "ingress", ingressClassName: "nginx", hostnames: ["api.example.com"], tlsSecretName: "api-tls" } }));
    expect(synthesized.objects().some((object) => object.kind === "Gateway" || object.kind === "HTTPRoute")).toBe(false);
    expect(synthesized.find("Ingress").spec).toEqual({
      ingressClassName: "nginx",
      tls: [{ hosts: ["api.example.com"], secretName: "api-tls" }],
      rules: [{ host: "api.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "turnpike-gateway", port: { name: "api" } } } }] } }],
    });
    const defaults = await synthesizePlatform(smallPlatform());
    expect(defaults.find("Ingress").spec).toEqual({ rules: [expect.objectContaining({ host: "api.example.com" })] });
  });
});
