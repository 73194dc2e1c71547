/** One cluster's chart: every object the gateway needs there, in apply order. */
import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import { addDisruptionBudget } from "./disruption-budget";
import { addEntry } from "./entry";
import { addGatewayDeployment } from "./gateway-deployment";
import { addGatewayService } from "./gateway-service";
import { addHorizontalAutoscaler } from "./horizontal-autoscaler";
import { addInClusterRedis } from "./in-cluster-redis";
import { addManifestConfigMap } from "./manifest-config-map";
import { addMonitoring } from "./monitoring";
import type { ClusterContext } from "./names";
import { addNamespace } from "./namespace";
import { addGatewayNetworkPolicy } from "./network-policy";

export class GatewayChart extends Chart {
  constructor(scope: Construct, id: string, context: ClusterContext) {
    super(scope, id, { disableResourceNameHashes: true });
    addNamespace(this, context);
    addManifestConfigMap(this, context);
    addInClusterRedis(this, context);
    addGatewayDeployment(this, context);
    addGatewayService(this, context);
    addHorizontalAutoscaler(this, context);
    addDisruptionBudget(this, context);
    addGatewayNetworkPolicy(this, context);
    addEntry(this, context);
    addMonitoring(this, context);
  }
}
