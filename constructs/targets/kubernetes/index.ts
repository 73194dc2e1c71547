/** The Kubernetes target: the `KubernetesGateway` construct and the synthesizer of its charts. */
export { KubernetesGateway, DEFAULT_GATEWAY_IMAGE } from "./kubernetes-gateway";
export type * from "./kubernetes-gateway-props";
export type { KubernetesTargetConfig, KubernetesClusterConfig, KubernetesSecretKeyRef, EntryConfig, RedisConfig, ControlStoreConfig, EgressConfig } from "./cluster-config";
export { synthesizeKubernetes, kubernetesFiles, type KubernetesSynthesis, type KubernetesClusterSynthesis, type KubernetesObject, type SynthesizedFile } from "./synthesize";
export { manifestConfigMapName } from "./names";
