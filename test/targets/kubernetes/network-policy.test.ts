/** The gateway's NetworkPolicy: who may reach which port, and where the pods may connect to. */
import { Secret } from "../../../constructs/index";
import { itemsApi } from "../../helpers/declaration";
import { smallPlatform, synthesizePlatform } from "./kubernetes-fixture";

const tcp = (port: number) => ({ protocol: "TCP", port });
const DNS = {
  to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
  ports: [{ protocol: "UDP", port: 53 }, tcp(53)],
};

describe("the gateway NetworkPolicy", () => {
  it("lets API traffic in from the entry's namespace only, and the operator port from the monitoring namespace only", async () => {
    const synthesized = await synthesizePlatform(
      smallPlatform({
        ingress: { style: "ingress", hostnames: ["api.example.com"], entryNamespaceLabels: { "kubernetes.io/metadata.name": "traefik" } },
        monitoring: { namespace: "observability" },
      }),
    );
    const policy = synthesized.find("NetworkPolicy", "turnpike-gateway");
    expect(policy.spec.podSelector).toEqual({ matchLabels: synthesized.find("Deployment").spec.selector.matchLabels });
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "traefik" } } }], ports: [tcp(8080)] },
      { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } } }], ports: [tcp(9901)] },
    ]);
  });

  it("defaults the entry namespace by style: ingress-nginx for an Ingress, envoy-gateway-system for Gateway API", async () => {
    const ingress = await synthesizePlatform(smallPlatform());
    const gatewayApi = await synthesizePlatform(smallPlatform({ ingress: { style: "gateway-api", gatewayClassName: "eg", hostnames: ["api.example.com"] } }));
    const entryOf = (synthesized: typeof ingress) => synthesized.find("NetworkPolicy").spec.ingress[0].from[0].namespaceSelector.matchLabels;
    expect(entryOf(ingress)).toEqual({ "kubernetes.io/metadata.name": "ingress-nginx" });
    expect(entryOf(gatewayApi)).toEqual({ "kubernetes.io/metadata.name": "envoy-gateway-system" });
  });

  it("lets the pods out to DNS, upstreams by address where they are IPs and by port where they are names, Redis and PostgreSQL", async () => {
    const synthesized = await synthesizePlatform(
      smallPlatform(
        {
          redis: { url: Secret.fromKubernetes("redis", "url"), egress: { cidrs: ["10.40.0.0/16"] } },
          controlStore: { url: Secret.fromKubernetes("pg", "url"), egress: { port: 6432 } },
        },
        (platform) => {
          itemsApi(platform, "items", { upstream: { targets: [{ url: "http://10.1.2.3:8080" }, { url: "http://10.1.2.4:8080" }], failover: [{ url: "https://items.dr.example" }] } });
          itemsApi(platform, "stock", { name: "stock", upstream: { targets: [{ url: "http://[fd00::7]:9000" }] } });
        },
      ),
    );
    expect(synthesized.find("NetworkPolicy").spec.egress).toEqual([
      DNS,
      { to: [{ ipBlock: { cidr: "10.1.2.3/32" } }, { ipBlock: { cidr: "10.1.2.4/32" } }], ports: [tcp(8080)] },
      { to: [{ ipBlock: { cidr: "fd00::7/128" } }], ports: [tcp(9000)] },
      { to: [{ ipBlock: { cidr: "10.40.0.0/16" } }], ports: [tcp(6379)] },
      // A host known only by name (and PostgreSQL without an address) can only be allowed by port.
      { ports: [tcp(443), tcp(6432)] },
    ]);
    expect(synthesized.find("NetworkPolicy").metadata.annotations).toEqual({ "turnpike.dev/upstreams": "items.dr.example:443 10.1.2.3:8080 10.1.2.4:8080 fd00::7:9000" });
  });

  it("reaches an in-cluster Redis by pod selector, and that Redis takes connections from the gateway only", async () => {
    const synthesized = await synthesizePlatform(smallPlatform({ redis: { inCluster: {} } }));
    const gatewaySelector = synthesized.find("Deployment").spec.selector.matchLabels;
    const redisSelector = synthesized.find("StatefulSet").spec.selector.matchLabels;
    expect(synthesized.find("NetworkPolicy", "turnpike-gateway").spec.egress).toContainEqual({ to: [{ podSelector: { matchLabels: redisSelector } }], ports: [tcp(6379)] });
    expect(synthesized.find("NetworkPolicy", "turnpike-redis").spec).toEqual({
      podSelector: { matchLabels: redisSelector },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: { matchLabels: gatewaySelector } }], ports: [tcp(6379)] }],
      egress: [],
    });
  });
});
