// The Azure layer: everything the platform needs from Azure, built once per program run.
//
//   createAzureFoundation(cfg) → AzureFoundation (consumed by infra/cluster-layer.ts and the outputs)
//     ├─ ResourceGroups        → regional, registry (stateful, locked in prod), DNS and global groups
//     ├─ Monitoring            → Log Analytics workspace
//     ├─ Cluster ×2            → AKS per region: VNet, gateway/egress IPs, access grants,
//     │                          Kubernetes provider (components/azure/cluster.ts)
//     ├─ ContainerInsights ×2  → data collection rule + association per cluster
//     ├─ Registry              → ACR (its network rules admit the clusters' egress IPs)
//     ├─ Traffic               → Traffic Manager over the two gateway IPs
//     ├─ Dns                   → zone + app CNAME to Traffic Manager
//     ├─ Identities            → workload identities (cert-manager, ExternalDNS, pipeline, manifests check) and the
//     │                          registry/DNS roles
//     ├─ EntraApps             → sign-in to the platform UIs: an app registration per UI, the
//     │                          three groups assigned, federated to the UIs' ServiceAccounts
//     └─ HarborStorage         → blob storage for Harbor's layers (primary's node subnet only)
//   createAzureAlerts(cfg, azure, gateways) → action group, Traffic Manager and in-cluster alerts
//                                (after the cluster layer: its serving probe waits for the gateways)
//   azureOutputs(cfg, azure)   → the Azure half of the output contract (infra/outputs.ts)
//
// Every Azure resource of the stack is created here, with the tags of azureTags(cfg).
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as authorization from "@pulumi/azure-native/authorization";
import { Alerts } from "../components/azure/alerts";
import { Cluster, GatewayIp } from "../components/azure/cluster";
import { HARBOR_SOFT_DELETE_DAYS, HarborStorage, STORAGE_SERVICE_ENDPOINT } from "../components/azure/harbor-storage";
import { ContainerInsights } from "../components/azure/container-insights";
import { Dns } from "../components/azure/dns";
import { EntraApps, entraIssuer, SsoApp, SsoGroups } from "../components/azure/entra-apps";
import { Identities, IdentityClusterRef } from "../components/azure/identity";
import { Monitoring } from "../components/azure/monitoring";
import { Registry } from "../components/azure/registry";
import { ResourceGroups } from "../components/azure/resource-groups";
import { deployerPrincipalType } from "../components/azure/roles";
import { Traffic } from "../components/azure/traffic";
import { CLUSTER_KEYS, ClusterKey, PlatformConfig } from "./config";
import { SSO_SERVICE_ACCOUNTS } from "../model/names";
import { AzureOutputValues, ClusterOutputValues, Exported } from "./outputs";

/** What the cluster layer needs of one cluster. */
export interface FoundationCluster {
    key: ClusterKey;
    /** Azure region. */
    location: string;
    /** Provider for this cluster (user kubeconfig, non-interactive kubelogin, SSA on). */
    provider: k8s.Provider;
    clusterName: pulumi.Output<string>;
    resourceGroupName: pulumi.Output<string>;
    clusterId: pulumi.Output<string>;
    fqdn: pulumi.Output<string>;
    oidcIssuerUrl: pulumi.Output<string>;
    /** Static IP for the gateway Service: `azure-pip-name` = name, `azure-load-balancer-resource-group` = resourceGroupName. */
    gatewayIp: GatewayIp;
    egressIpAddress: pulumi.Output<string>;
    /** ARM id of the node subnet (the only network Harbor's storage account admits). */
    nodeSubnetId: pulumi.Output<string>;
    /** Client id of the kubelet identity (AcrPull). */
    kubeletClientId: pulumi.Output<string>;
    /** Secret. */
    kubeconfig: pulumi.Output<string>;
}

export interface FoundationIdentity {
    clientId: pulumi.Output<string>;
    principalId: pulumi.Output<string>;
}

/** The Azure layer, as the cluster layer and the outputs see it. */
export interface AzureFoundation {
    clusters: Record<ClusterKey, FoundationCluster>;
    /** `knownLoginServer`: the same login server, known at preview (image references use it). */
    registry: { loginServer: pulumi.Output<string>; knownLoginServer: string; id: pulumi.Output<string>; name: pulumi.Output<string> };
    dnsZone: {
        name: pulumi.Output<string>;
        resourceGroupName: pulumi.Output<string>;
        id: pulumi.Output<string>;
        nameServers: pulumi.Output<string[]>;
    };
    subscriptionId: pulumi.Output<string>;
    tenantId: pulumi.Output<string>;
    identities: {
        certManager: FoundationIdentity;
        externalDns: FoundationIdentity;
        pipeline: FoundationIdentity;
        /** AcrPull only, federated to the manifests-PR check's ServiceAccount (primary cluster). */
        manifestsCheck: FoundationIdentity;
    };
    trafficManager: { fqdn: pulumi.Output<string>; profileId: pulumi.Output<string>; endpointNames: string[] };
    /** Resource groups other layers place resources in: stateful (registry, locked in prod) and global. */
    resourceGroups: { registry: pulumi.Output<string>; global: pulumi.Output<string> };
    logAnalyticsWorkspaceId: pulumi.Output<string>;
    /** Harbor's blob storage (account key: a Pulumi secret). */
    harborStorage: { accountName: pulumi.Output<string>; containerName: pulumi.Output<string>; accountKey: pulumi.Output<string> };
    /** Entra sign-in of the platform UIs. */
    sso: {
        /** The tenant's v2.0 issuer. */
        issuer: pulumi.Output<string>;
        groups: SsoGroups;
        argocd: SsoApp;
        harbor: SsoApp & { /** Secret. */ clientSecret: pulumi.Output<string> };
        tektonDashboard: SsoApp;
    };
}

/** The three platform groups from config (validated: required GUIDs, one admin group). */
export function ssoGroups(cfg: PlatformConfig): SsoGroups {
    return {
        admins: cfg.kubernetes.adminGroupObjectIds[0],
        operators: cfg.kubernetes.operatorsGroupObjectId,
        developers: cfg.kubernetes.developersGroupObjectId,
    };
}

/**
 * Suffix for the names that are global across Azure and can be replaced freely (Traffic Manager,
 * cloudapp DNS labels: a new name comes with a new zone, so create-before-delete succeeds).
 * Derived from the DNS zone, which the organisation owns, so it is stable, the same on every
 * run, and distinct between environments and organisations. Not used for the registry.
 */
export function globalNameSuffix(zoneName: string): string {
    return createHash("sha256").update(zoneName).digest("hex").slice(0, 6);
}

/** The tags every taggable Azure resource carries: the config's, plus who manages it and for which platform. */
export function azureTags(cfg: PlatformConfig): Record<string, string> {
    return { ...cfg.tags, "managed-by": "pulumi", platform: cfg.namePrefix };
}

/** Builds the Azure layer. Registers resources; call once per program run. */
export function createAzureFoundation(cfg: PlatformConfig): AzureFoundation {
    const prefix = cfg.namePrefix;
    const suffix = globalNameSuffix(cfg.dns.zoneName);
    const tags = azureTags(cfg);
    const protect = cfg.protectStatefulResources;
    const primaryLocation = cfg.clusters.primary.location;
    const client = authorization.getClientConfigOutput();

    const groups = new ResourceGroups("rg", {
        namePrefix: prefix,
        sharedLocation: primaryLocation,
        regions: { primary: primaryLocation, secondary: cfg.clusters.secondary.location },
        lock: protect,
        tags,
    });

    const monitoring = new Monitoring("monitoring", {
        namePrefix: prefix,
        resourceGroupName: groups.global.name,
        location: primaryLocation,
        retentionDays: cfg.kubernetes.logRetentionDays,
        protect,
        tags,
    });

    const clusters = Object.fromEntries(
        CLUSTER_KEYS.map(key => [
            key,
            new Cluster(key, {
                key,
                namePrefix: prefix,
                location: cfg.clusters[key].location,
                resourceGroupName: groups.regional[key].name,
                vnetCidr: cfg.clusters[key].vnetCidr,
                kubernetes: cfg.kubernetes,
                skuTier: cfg.kubernetes.skuTier,
                logAnalyticsWorkspaceId: monitoring.workspaceId,
                subscriptionId: client.subscriptionId,
                tenantId: client.tenantId,
                deployer: cfg.kubernetes.deployer
                    ? { objectId: cfg.kubernetes.deployer.objectId, principalType: cfg.kubernetes.deployer.principalType }
                    : { objectId: client.objectId, principalType: client.clientId.apply(deployerPrincipalType) },
                gatewayDnsLabel: `${prefix}-${key}-${suffix}`,
                // Harbor's storage account (primary only) admits only the primary's node subnet.
                subnetServiceEndpoints: key === "primary" ? [STORAGE_SERVICE_ENDPOINT] : [],
                protect,
                tags,
            }),
        ]),
    ) as Record<ClusterKey, Cluster>;

    // Container Insights authenticates with managed identity (useAADAuth): each cluster's agent
    // needs its data collection rule to the workspace, in the workspace's region, and the
    // association on the cluster, as `az aks enable-addons --enable-msi-auth-for-monitoring` makes.
    for (const key of CLUSTER_KEYS) {
        new ContainerInsights(`${key}-container-insights`, {
            clusterId: clusters[key].clusterId,
            clusterName: clusters[key].clusterName,
            location: primaryLocation, // the workspace's region
            workspaceId: monitoring.workspaceId,
            resourceGroupName: groups.regional[key].name,
            tags,
        });
    }

    const zoneRedundant = cfg.kubernetes.availabilityZones.length > 0;
    const registry = new Registry("registry", {
        // From config, not the zone: a zone change must never rename (replace) the registry.
        registryName: cfg.registry.name,
        resourceGroupName: groups.registry.name,
        location: primaryLocation,
        sku: cfg.registry.sku,
        replicaLocation: cfg.registry.geoReplication ? cfg.clusters.secondary.location : undefined,
        untaggedRetentionDays: cfg.registry.untaggedRetentionDays,
        allowedIpRanges: cfg.registry.allowedIpRanges,
        clusterEgressIps: CLUSTER_KEYS.map(key => clusters[key].egressIpAddress),
        zoneRedundant,
        protect,
        tags,
        subscriptionId: client.subscriptionId,
        cacheCredentials: cfg.registry.cacheCredentials,
    });

    const traffic = new Traffic("traffic", {
        relativeName: `${prefix}-${suffix}`,
        resourceGroupName: groups.global.name,
        routing: cfg.traffic.routing,
        healthPath: cfg.traffic.healthPath,
        ttlSeconds: cfg.traffic.ttlSeconds,
        probeHost: cfg.dns.appHostname,
        targets: { primary: clusters.primary.gatewayIp.id, secondary: clusters.secondary.gatewayIp.id },
        tags,
    });

    const dns = new Dns("dns", {
        zoneName: cfg.dns.zoneName,
        appHostname: cfg.dns.appHostname,
        resourceGroupName: groups.dns.name,
        appTarget: traffic.fqdn,
        ttlSeconds: cfg.traffic.ttlSeconds,
        protect,
        lock: protect,
        tags,
    });

    const identityRef = (c: Cluster): IdentityClusterRef => ({
        clusterName: c.clusterName,
        oidcIssuerUrl: c.oidcIssuerUrl,
        kubeletObjectId: c.kubeletObjectId,
    });
    const identities = new Identities("identity", {
        namePrefix: prefix,
        resourceGroupName: groups.global.name,
        location: primaryLocation,
        subscriptionId: client.subscriptionId,
        registryId: registry.id,
        dnsZoneId: dns.zoneId,
        dnsResourceGroupId: groups.dns.id,
        clusters: { primary: identityRef(clusters.primary), secondary: identityRef(clusters.secondary) },
        pipelineNamespace: cfg.delivery.pipelineNamespace,
        protect,
        tags,
    });

    const signInGroups = ssoGroups(cfg);
    const federated = (sa: { namespace: string; name: string }, keys: readonly ClusterKey[]) =>
        keys.map(key => ({ key, issuer: clusters[key].oidcIssuerUrl, namespace: sa.namespace, name: sa.name }));
    const entraApps = new EntraApps("sso", {
        namePrefix: prefix,
        groups: signInGroups,
        argocd: { hostnames: cfg.dns.argocdHostnames, serviceAccounts: federated(SSO_SERVICE_ACCOUNTS.argocdServer, CLUSTER_KEYS) },
        harbor: { hostname: cfg.dns.harborHostname, clientSecretVersion: cfg.sso.harborClientSecretVersion },
        // The dashboard and its proxy run on the primary cluster only.
        tektonDashboard: { hostname: cfg.dns.tektonHostname, serviceAccounts: federated(SSO_SERVICE_ACCOUNTS.oauth2Proxy, ["primary"]) },
    });

    const harborStorage = new HarborStorage("harbor-storage", {
        resourceGroupName: groups.registry.name,
        location: clusters.primary.location,
        namePrefix: prefix,
        zoneRedundant,
        protect,
        allowedSubnetId: clusters.primary.nodeSubnetId,
        softDeleteDays: protect ? HARBOR_SOFT_DELETE_DAYS : 0,
        tags,
    });

    const foundationCluster = (c: Cluster): FoundationCluster => ({
        key: c.key,
        location: c.location,
        provider: c.provider,
        clusterName: c.clusterName,
        resourceGroupName: c.resourceGroupName,
        clusterId: c.clusterId,
        fqdn: c.fqdn,
        oidcIssuerUrl: c.oidcIssuerUrl,
        gatewayIp: c.gatewayIp,
        egressIpAddress: c.egressIpAddress,
        nodeSubnetId: c.nodeSubnetId,
        kubeletClientId: c.kubeletClientId,
        kubeconfig: c.kubeconfig,
    });
    const id = (i: { clientId: pulumi.Output<string>; principalId: pulumi.Output<string> }): FoundationIdentity => ({
        clientId: i.clientId,
        principalId: i.principalId,
    });

    return {
        clusters: { primary: foundationCluster(clusters.primary), secondary: foundationCluster(clusters.secondary) },
        registry: { loginServer: registry.loginServer, knownLoginServer: registry.knownLoginServer, id: registry.id, name: registry.name },
        dnsZone: { name: dns.zoneName, resourceGroupName: dns.resourceGroupName, id: dns.zoneId, nameServers: dns.nameServers },
        subscriptionId: client.subscriptionId,
        tenantId: client.tenantId,
        identities: {
            certManager: id(identities.certManager),
            externalDns: id(identities.externalDns),
            pipeline: id(identities.pipeline),
            manifestsCheck: id(identities.manifestsCheck),
        },
        trafficManager: { fqdn: traffic.fqdn, profileId: traffic.profileId, endpointNames: traffic.endpointNames },
        resourceGroups: { registry: groups.registry.name, global: groups.global.name },
        logAnalyticsWorkspaceId: monitoring.workspaceId,
        harborStorage: {
            accountName: harborStorage.accountName,
            containerName: harborStorage.containerName,
            accountKey: harborStorage.accountKey,
        },
        sso: {
            issuer: client.tenantId.apply(entraIssuer),
            groups: signInGroups,
            argocd: entraApps.argocd,
            harbor: entraApps.harbor,
            tektonDashboard: entraApps.tektonDashboard,
        },
    };
}

/**
 * The platform's alerts (action group, Traffic Manager, in-cluster rules). Built after the cluster
 * layer: the serving probe starts once the regions' gateways exist (`gateways`).
 */
export function createAzureAlerts(cfg: PlatformConfig, azure: AzureFoundation, gateways: pulumi.Resource[]): Alerts {
    return new Alerts("alerts", {
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
            after: gateways,
        },
        endpointNames: azure.trafficManager.endpointNames,
        clusters: CLUSTER_KEYS.map(key => ({
            key,
            clusterId: azure.clusters[key].clusterId,
            clusterName: azure.clusters[key].clusterName,
            location: azure.clusters[key].location,
        })),
        protect: cfg.protectStatefulResources,
        tags: azureTags(cfg),
    });
}

/** The Azure layer's part of the output contract. Kubeconfigs stay secret, under their own key. */
export function azureOutputs(cfg: PlatformConfig, azure: AzureFoundation): Exported<AzureOutputValues> {
    const cluster = (c: FoundationCluster): pulumi.Output<ClusterOutputValues> =>
        pulumi.output({
            name: c.clusterName,
            resourceGroupName: c.resourceGroupName,
            location: c.location,
            id: c.clusterId,
            fqdn: c.fqdn,
            oidcIssuerUrl: c.oidcIssuerUrl,
            gatewayIp: {
                name: c.gatewayIp.name,
                resourceGroupName: c.gatewayIp.resourceGroupName,
                address: c.gatewayIp.address,
                fqdn: c.gatewayIp.fqdn,
            },
            egressIpAddress: c.egressIpAddress,
        });
    const identity = (i: FoundationIdentity) => ({ clientId: i.clientId, principalId: i.principalId });
    return {
        environment: pulumi.output(cfg.environment),
        subscriptionId: azure.subscriptionId,
        tenantId: azure.tenantId,
        registry: pulumi.output(azure.registry),
        clusters: pulumi.output({ primary: cluster(azure.clusters.primary), secondary: cluster(azure.clusters.secondary) }),
        kubeconfigs: pulumi.secret({ primary: azure.clusters.primary.kubeconfig, secondary: azure.clusters.secondary.kubeconfig }),
        trafficManagerFqdn: azure.trafficManager.fqdn,
        appHostname: pulumi.output(cfg.dns.appHostname),
        dnsZone: pulumi.output({
            name: azure.dnsZone.name,
            resourceGroupName: azure.dnsZone.resourceGroupName,
            nameServers: azure.dnsZone.nameServers,
        }),
        pipelineNamespace: pulumi.output(cfg.delivery.pipelineNamespace),
        pipelineIdentityClientId: azure.identities.pipeline.clientId,
        identities: pulumi.output({
            pipeline: identity(azure.identities.pipeline),
            certManager: identity(azure.identities.certManager),
            externalDns: identity(azure.identities.externalDns),
            manifestsCheck: identity(azure.identities.manifestsCheck),
        }),
        logAnalyticsWorkspaceId: azure.logAnalyticsWorkspaceId,
    };
}
