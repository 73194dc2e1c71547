/** autoscaling/v2 HorizontalPodAutoscaler on the gateway's CPU use: the only owner of its replica count. */
import type { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-33";
import { type ClusterContext, GATEWAY_NAME, metadataOf } from "./names";

export function addHorizontalAutoscaler(chart: Chart, context: ClusterContext): void {
  const { replicas } = context.cluster;
  new k8s.KubeHorizontalPodAutoscalerV2(chart, "autoscaler", {
    metadata: metadataOf(context, GATEWAY_NAME),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: GATEWAY_NAME },
      minReplicas: replicas.min,
      maxReplicas: replicas.max,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: replicas.targetCpuUtilizationPercent } } }],
      behavior: {
        // Up fast on a spike; down slowly, so a dip between bursts does not drain pods.
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 30 }] },
        scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: "Min", policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
      },
    },
  });
}
