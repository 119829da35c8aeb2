// Composition: validated config in, the layers wired together, typed outputs out.
//
//   createPlatform(cfg)
//     ├─ createAzureFoundation(cfg)     → AzureFoundation: RGs, ACR, AKS ×2, DNS, Traffic Manager,
//     │                                   identities, Harbor's storage, Kubernetes providers
//     │                                   (infra/azure-layer.ts)
//     ├─ createClusterLayer(cfg, azure) → in-cluster services of both regions (infra/cluster-layer.ts)
//     ├─ createAzureAlerts(cfg, azure, gateways) → action group, Traffic Manager and in-cluster
//     │                                   alerts (infra/azure-layer.ts: the Azure layer owns every
//     │                                   Azure resource; these wait for the cluster layer's gateways)
//     └─ outputs: azureOutputs(cfg, azure) + clusterOutputs(clusters) (infra/outputs.ts)
import { azureOutputs, createAzureAlerts, createAzureFoundation } from "./azure-layer";
import { clusterOutputs, createClusterLayer } from "./cluster-layer";
import { CLUSTER_KEYS, PlatformConfig } from "./config";
import { PlatformOutputs } from "./outputs";

export function createPlatform(cfg: PlatformConfig): PlatformOutputs {
    const azure = createAzureFoundation(cfg);
    const clusters = createClusterLayer(cfg, azure);
    createAzureAlerts(
        cfg,
        azure,
        CLUSTER_KEYS.map(key => clusters.regions[key].gateway),
    );
    return {
        ...azureOutputs(cfg, azure),
        ...clusterOutputs(clusters),
    };
}
