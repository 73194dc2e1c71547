/** The gateway's Service: `api` (8080) for the entry, `operator` (9901) for Prometheus. */
import type { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-33";
import { API_PORT, type ClusterContext, GATEWAY_NAME, OPERATOR_PORT, gatewaySelector, metadataOf } from "./names";

export function addGatewayService(chart: Chart, context: ClusterContext): void {
  new k8s.KubeService(chart, "service", {
    metadata: metadataOf(context, GATEWAY_NAME),
    spec: {
      type: "ClusterIP",
      selector: gatewaySelector(context),
      ports: [
        { name: "api", port: API_PORT, targetPort: k8s.IntOrString.fromString("api"), protocol: "TCP", appProtocol: "http" },
        { name: "operator", port: OPERATOR_PORT, targetPort: k8s.IntOrString.fromString("operator"), protocol: "TCP", appProtocol: "http" },
      ],
    },
  });
}
