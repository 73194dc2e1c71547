/** The cluster's Namespace, labelled for the restricted Pod Security Standard (every pod here meets it). */
import type { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-33";
import { type ClusterContext, commonLabels } from "./names";

export function addNamespace(chart: Chart, context: ClusterContext): void {
  new k8s.KubeNamespace(chart, "namespace", {
    metadata: {
      name: context.cluster.namespace,
      labels: {
        ...commonLabels(context, "gateway"),
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "v1.33",
      },
    },
  });
}
