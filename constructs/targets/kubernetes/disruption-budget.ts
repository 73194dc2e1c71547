/**
 * policy/v1 PodDisruptionBudget: node drains and cluster upgrades evict one gateway pod at a
 * time. `maxUnavailable: 1` rather than `minAvailable: <min replicas>`: with one replica a
 * minAvailable budget would block every drain forever.
 */
import type { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-33";
import { type ClusterContext, GATEWAY_NAME, gatewaySelector, metadataOf } from "./names";

export function addDisruptionBudget(chart: Chart, context: ClusterContext): void {
  new k8s.KubePodDisruptionBudget(chart, "disruption-budget", {
    metadata: metadataOf(context, GATEWAY_NAME),
    spec: {
      selector: { matchLabels: gatewaySelector(context) },
      maxUnavailable: k8s.IntOrString.fromNumber(1),
      // A pod that is not ready serves nothing: evicting it must not wait for the budget.
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    },
  });
}
