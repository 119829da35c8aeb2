// Composition: validated config in, the layers wired together, typed outputs out.
//
//   createPlatform(cfg)
//     ├─ createAzureFoundation(cfg)     → AzureFoundation: RGs, ACR, AKS ×2, DNS, Traffic Manager,
//     │                                   identities, Kubernetes providers (infra/azure-layer.ts)
//     ├─ createClusterLayer(cfg, azure) → in-cluster services of both regions (infra/cluster-layer.ts)
//     ├─ Alerts                         → action group, Traffic Manager and in-cluster alerts
//     │                                   (components/azure/alerts.ts)
//     └─ outputs: azureOutputs(cfg, azure) + clusterOutputs(clusters) (infra/outputs.ts)
import { Alerts } from "../components/azure/alerts";
import { azureOutputs, createAzureFoundation } from "./azure-layer";
import { clusterOutputs, createClusterLayer } from "./cluster-layer";
import { CLUSTER_KEYS, PlatformConfig } from "./config";
import { PlatformOutputs } from "./outputs";

export function createPlatform(cfg: PlatformConfig): PlatformOutputs {
    const azure = createAzureFoundation(cfg);
    const clusters = createClusterLayer(cfg, azure);
    new Alerts("alerts", {
        resourceGroupName: azure.resourceGroups.global,
        location: cfg.clusters.primary.location,
        namePrefix: cfg.namePrefix,
        emails: cfg.alerts.emails,
        driftMinutes: cfg.alerts.driftMinutes,
        trafficManagerProfileId: azure.trafficManager.profileId,
        servingProbe: {
            addresses: CLUSTER_KEYS.map(key => azure.clusters[key].gatewayIp.address),
            host: cfg.dns.appHostname,
            path: cfg.traffic.healthPath,
            after: CLUSTER_KEYS.map(key => clusters.regions[key].gateway),
        },
        endpointNames: azure.trafficManager.endpointNames,
        clusters: CLUSTER_KEYS.map(key => ({
            key,
            clusterId: azure.clusters[key].clusterId,
            clusterName: azure.clusters[key].clusterName,
            location: azure.clusters[key].location,
        })),
        protect: cfg.protectStatefulResources,
        tags: cfg.tags,
    });
    return {
        ...azureOutputs(cfg, azure),
        ...clusterOutputs(clusters),
    };
}
