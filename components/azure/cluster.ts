// One regional AKS cluster with everything DESIGN.md asks of it: its own VNet, Azure CNI Overlay
// with a network-policy engine, Entra ID + Azure RBAC with local accounts off, OIDC issuer +
// workload identity, a tainted system pool (inline: AKS requires one) and an autoscaling user
// pool as its own AgentPool resource, across the configured zones, the minor version pinned with
// `patch` + node-image channels and both named maintenance windows, authorized API ranges,
// Container Insights and Defender to the workspace.
//
// Identities are pre-created, user-assigned and `protect`ed in prod, so they are stable
// principals that outlive a cluster rebuild: the control plane's (Network Contributor on the node
// subnet and the two public IPs only, granted before the cluster exists, as mspnp/aks-baseline
// does) and the kubelet's (AcrPull inside the locked registry group: a CanNotDelete lock also
// blocks deleting role assignments there, so a principal that changed with every rebuild would
// leave `up` stuck half-way).
//
// Also per region: the static gateway IP Traffic Manager targets, a static egress IP (a known
// source address for registry network rules), access for the deployer and the Entra groups, and
// the Kubernetes provider built from the *user* kubeconfig (never admin credentials).
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as monitor from "@pulumi/azure-native/monitor";
import * as network from "@pulumi/azure-native/network";
import { ClusterKey } from "../../model/names";
import { KubeloginMode } from "../../model/kubelogin";
import { toNonInteractiveKubeconfig } from "./kubeconfig";
import * as YAML from "yaml";
import { connectionOf, RbacGrantEffective } from "./rbac-propagation";
import { BuiltInRole, grantRole, PrincipalType } from "./roles";
import { AzureGovernance } from "./governance";

/** A weekly maintenance window (AKS maintenance configuration, weekly schedule). */
export interface MaintenanceWindow {
    dayOfWeek: "Sunday" | "Monday" | "Tuesday" | "Wednesday" | "Thursday" | "Friday" | "Saturday";
    /** Start, HH:MM. */
    startTime: string;
    /** UTC offset of startTime, e.g. "+00:00". */
    utcOffset: string;
    /** 4–24 hours. */
    durationHours: number;
}

/** A node pool's VM size and autoscaler range (minCount ≤ maxCount, 1–1000). */
export interface NodePoolSize {
    /** Azure VM size, e.g. Standard_D4ds_v5. */
    vmSize: string;
    minCount: number;
    maxCount: number;
}

/**
 * The cluster's Kubernetes settings, each as the component uses it (validated by the stack's
 * config schema, infra/config.ts, which yields exactly this shape).
 */
export interface KubernetesConfig {
    /** Minor version, e.g. "1.34" (patches come from the `patch` upgrade channel). */
    version: string;
    /** Availability zones of every pool ("1"–"3"); empty for none. */
    availabilityZones: readonly ("1" | "2" | "3")[];
    systemPool: NodePoolSize;
    userPool: NodePoolSize;
    /** Network-policy engine on the CNI Overlay data plane. */
    networkPolicy: "cilium" | "calico" | "azure";
    podCidr: string;
    serviceCidr: string;
    /** Inside serviceCidr. */
    dnsServiceIp: string;
    /** API server authorized IP ranges (at least one). */
    authorizedIpRanges: readonly string[];
    /** Entra groups: admins (Cluster Admin), developers (Reader), operators (Reader; Writer in operatorNamespaces). */
    adminGroupObjectIds: readonly string[];
    developersGroupObjectId: string;
    operatorsGroupObjectId: string;
    operatorNamespaces: readonly string[];
    /** Who gets Cluster Admin to deploy; unset: whoever runs `up`. */
    deployer?: { objectId: string; principalType: "User" | "ServicePrincipal" | "Group" };
    kubeloginMode: KubeloginMode;
    upgradeWindow: MaintenanceWindow;
    nodeOsUpgradeWindow: MaintenanceWindow;
    skuTier: "Free" | "Standard" | "Premium";
    /** Microsoft Defender for Containers sensor. */
    defender: boolean;
    logRetentionDays: number;
}

/** AKS-reserved names of the two planned-maintenance configurations. */
export const MAINTENANCE_CONFIG_NAMES = {
    upgrade: "aksManagedAutoUpgradeSchedule",
    nodeOs: "aksManagedNodeOSUpgradeSchedule",
} as const;

/** The system pool's taint: only critical add-ons (and DaemonSets) run there. */
export const SYSTEM_POOL_TAINT = "CriticalAddonsOnly=true:NoSchedule";

export interface ClusterArgs extends Pick<AzureGovernance, "tags" | "protect"> {
    key: ClusterKey;
    namePrefix: string;
    location: string;
    /** The regional group: VNet, cluster, gateway and egress IPs. */
    resourceGroupName: pulumi.Input<string>;
    vnetCidr: string;
    kubernetes: KubernetesConfig;
    /** AKS SKU tier: Standard (financially backed SLA) for production, Free otherwise. */
    skuTier: "Free" | "Standard" | "Premium";
    logAnalyticsWorkspaceId: pulumi.Input<string>;
    subscriptionId: pulumi.Input<string>;
    tenantId: pulumi.Input<string>;
    /** The principal running `pulumi up` (gets RBAC Cluster Admin; the provider acts as it). */
    deployer: { objectId: pulumi.Input<string>; principalType: pulumi.Input<PrincipalType> };
    /** Region-unique DNS label of the gateway IP (`<label>.<region>.cloudapp.azure.com`). */
    gatewayDnsLabel: string;
    /** Service endpoints on the node subnet (e.g. Microsoft.Storage: Harbor's storage admits only this subnet). */
    subnetServiceEndpoints?: readonly string[];
    /** `protect` the cluster and its identities (prod). */
    protect: boolean;
}

export interface GatewayIp {
    name: pulumi.Output<string>;
    resourceGroupName: pulumi.Output<string>;
    address: pulumi.Output<string>;
    id: pulumi.Output<string>;
    fqdn: pulumi.Output<string>;
}

/** First quarter of the VNet for the nodes (Overlay pods do not consume VNet addresses). */
export function nodeSubnetCidr(vnetCidr: string): string {
    const [base, bits] = vnetCidr.split("/");
    const prefix = Number(bits);
    return `${base}/${prefix <= 27 ? prefix + 2 : prefix}`;
}

/** Network policy engine and the data plane it runs on (Cilium enforces on its own data plane). */
export function networkPolicySettings(engine: KubernetesConfig["networkPolicy"]): { networkPolicy: string; networkDataplane: string } {
    return engine === "cilium"
        ? { networkPolicy: "cilium", networkDataplane: "cilium" }
        : { networkPolicy: engine, networkDataplane: "azure" };
}

/** Azure RBAC scope of one Kubernetes namespace of an AKS cluster (`<cluster id>/namespaces/<ns>`). */
export function namespaceScope(clusterId: pulumi.Input<string>, namespace: string): pulumi.Output<string> {
    return pulumi.interpolate`${clusterId}/namespaces/${namespace}`;
}

function maintenanceWindow(w: MaintenanceWindow): containerservice.MaintenanceConfigurationArgs["maintenanceWindow"] {
    return {
        schedule: { weekly: { dayOfWeek: w.dayOfWeek, intervalWeeks: 1 } },
        startTime: w.startTime,
        utcOffset: w.utcOffset,
        durationHours: w.durationHours,
    };
}

/** AKS control-plane log categories sent to Log Analytics. */
export const CONTROL_PLANE_LOG_CATEGORIES = ["kube-audit-admin", "guard", "cluster-autoscaler"] as const;

/** Azure RBAC grant to an Entra group, on the cluster or on one of its namespaces. */
export interface AccessGrant {
    /** Logical name below the cluster's (`<cluster>-<who>`); carries the group id, not a list index. */
    who: string;
    role: BuiltInRole;
    /** The cluster id, or a namespace scope (namespaceScope). */
    scope: pulumi.Input<string>;
    groupObjectId: pulumi.Input<string>;
}

/**
 * People get access by Entra group only; the cluster-user role lets them list the (exec,
 * secret-free) user kubeconfig. Scope is the cluster or, for write access, one namespace
 * (AKS Azure RBAC: `<cluster id>/namespaces/<namespace>`).
 */
export function clusterAccessGrants(kc: KubernetesConfig, clusterId: pulumi.Input<string>): AccessGrant[] {
    const grants: AccessGrant[] = [];
    const grant = (who: string, role: BuiltInRole, groupObjectId: string, scope: pulumi.Input<string> = clusterId) =>
        grants.push({ who, role, scope, groupObjectId });
    // Logical names carry the group id, so reordering the config list changes nothing.
    for (const id of kc.adminGroupObjectIds) {
        grant(`admins-${id}`, "AksRbacClusterAdmin", id);
        grant(`admins-${id}-user`, "AksClusterUser", id);
    }
    if (kc.operatorsGroupObjectId) {
        const ops = kc.operatorsGroupObjectId;
        // Read everywhere, write only in the configured application namespaces: cluster-wide
        // Writer would reach the pipeline namespace (its Secrets, and pods running as the
        // ServiceAccount federated to the AcrPush identity) and the platform namespaces.
        grant("operators-reader", "AksRbacReader", ops);
        grant("operators-user", "AksClusterUser", ops);
        for (const ns of kc.operatorNamespaces) {
            grant(`operators-writer-${ns}`, "AksRbacWriter", ops, namespaceScope(clusterId, ns));
        }
    }
    if (kc.developersGroupObjectId) {
        grant("developers", "AksRbacReader", kc.developersGroupObjectId);
        grant("developers-user", "AksClusterUser", kc.developersGroupObjectId);
    }
    return grants;
}

/** `aks-<prefix>-<key>`: the AKS resource name. */
function aksClusterName(args: ClusterArgs): string {
    return `aks-${args.namePrefix}-${args.key}`;
}

/** Zones of the node pools and the public IPs; undefined (no zones) where the config lists none. */
function zonesOf(kc: KubernetesConfig): string[] | undefined {
    return kc.availabilityZones.length > 0 ? [...kc.availabilityZones] : undefined;
}

interface ClusterNetwork {
    nodeSubnetId: pulumi.Output<string>;
    nodeSubnetName: string;
    vnetName: pulumi.Output<string>;
    /** The gateway Service binds this address (azure-pip-name + azure-load-balancer-resource-group). */
    gatewayIp: network.PublicIPAddress;
    /** Outbound traffic leaves from this address: registry network rules can name it. */
    egressIp: network.PublicIPAddress;
}

/** The regional VNet with its node subnet, and the static gateway and egress IPs. */
function clusterNetwork(name: string, args: ClusterArgs, parent: pulumi.Resource): ClusterNetwork {
    const { key, namePrefix, location } = args;
    const subnetName = "snet-nodes";
    const vnet = new network.VirtualNetwork(
        `${name}-vnet`,
        {
            virtualNetworkName: `vnet-${namePrefix}-${key}`,
            resourceGroupName: args.resourceGroupName,
            location,
            addressSpace: { addressPrefixes: [args.vnetCidr] },
            // Inline, so an update of the VNet never drops the subnet.
            subnets: [
                {
                    name: subnetName,
                    addressPrefix: nodeSubnetCidr(args.vnetCidr),
                    serviceEndpoints: args.subnetServiceEndpoints?.length
                        ? args.subnetServiceEndpoints.map(service => ({ service, locations: [location] }))
                        : undefined,
                },
            ],
            tags: args.tags,
        },
        { parent },
    );

    const publicIp = (suffix: string, dnsLabel?: string) =>
        new network.PublicIPAddress(
            `${name}-${suffix}-ip`,
            {
                publicIpAddressName: `pip-${namePrefix}-${key}-${suffix}`,
                resourceGroupName: args.resourceGroupName,
                location,
                sku: { name: "Standard", tier: "Regional" },
                publicIPAllocationMethod: "Static",
                publicIPAddressVersion: "IPv4",
                // Zone-redundant where the region has zones in use.
                zones: zonesOf(args.kubernetes),
                dnsSettings: dnsLabel ? { domainNameLabel: dnsLabel } : undefined,
                tags: args.tags,
            },
            { parent },
        );

    return {
        nodeSubnetId: pulumi.interpolate`${vnet.id}/subnets/${subnetName}`,
        nodeSubnetName: subnetName,
        vnetName: vnet.name,
        gatewayIp: publicIp("gateway", args.gatewayDnsLabel),
        egressIp: publicIp("egress"),
    };
}

/** The pre-created identities of one cluster (see the file comment). */
interface ClusterIdentities {
    controlPlane: managedidentity.UserAssignedIdentity;
    kubelet: managedidentity.UserAssignedIdentity;
}

/**
 * Control-plane and kubelet identities, in the regional group, and the control plane's Managed
 * Identity Operator on the kubelet identity — which AKS requires before it accepts a custom
 * kubelet identity (learn.microsoft.com/azure/aks/pre-created-kubelet-managed-identity; the
 * ManagedCluster's `identityProfile` doc in @pulumi/azure-native 3.28.0 containerservice types:
 * "The only accepted key is kubeletidentity"). Returns the grants the cluster must wait for.
 */
function clusterIdentities(
    name: string,
    args: ClusterArgs,
    parent: pulumi.Resource,
): { ids: ClusterIdentities; grants: pulumi.Resource[] } {
    const identity = (role: string) =>
        new managedidentity.UserAssignedIdentity(
            `${name}-${role}-identity`,
            {
                resourceName: `id-${args.namePrefix}-${args.key}-${role}`,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tags: args.tags,
            },
            { parent, protect: args.protect },
        );
    const ids = { controlPlane: identity("controlplane"), kubelet: identity("kubelet") };
    const operator = grantRole(
        `${name}-controlplane-kubelet-operator`,
        {
            subscriptionId: args.subscriptionId,
            role: "ManagedIdentityOperator",
            scope: ids.kubelet.id,
            principalId: ids.controlPlane.principalId,
            principalType: "ServicePrincipal",
            description: `AKS ${aksClusterName(args)} control plane assigns its kubelet identity to the nodes`,
        },
        { parent },
    );
    return { ids, grants: [operator] };
}

/**
 * Network Contributor for the control plane on exactly what it manages outside the node group:
 * the node subnet (joins the VMSS and load balancer to it) and the gateway and egress IPs (load
 * balancer frontends) — not the whole regional group. Granted before the cluster exists
 * (mspnp/aks-baseline, workload-team/modules/role-assignment-EnsureClusterIdentityHasRbacToSelfManagedResources.bicep:
 * the control-plane identity's Network Contributor on the cluster subnets, ahead of the cluster).
 */
function controlPlaneNetworkGrants(
    name: string,
    args: ClusterArgs,
    net: ClusterNetwork,
    principalId: pulumi.Input<string>,
    parent: pulumi.Resource,
): pulumi.Resource[] {
    const scopes: [string, pulumi.Input<string>][] = [
        ["subnet", net.nodeSubnetId],
        ["gateway-ip", net.gatewayIp.id],
        ["egress-ip", net.egressIp.id],
    ];
    return scopes.map(([what, scope]) =>
        grantRole(
            `${name}-controlplane-network-${what}`,
            {
                subscriptionId: args.subscriptionId,
                role: "NetworkContributor",
                scope,
                principalId,
                principalType: "ServicePrincipal",
                description: `AKS ${aksClusterName(args)} control plane: ${what}`,
            },
            { parent },
        ),
    );
}

/** One autoscaling VMSS pool in the node subnet, across the configured zones. */
function agentPool(
    kc: KubernetesConfig,
    nodeSubnetId: pulumi.Input<string>,
    poolName: string,
    mode: "System" | "User",
    size: KubernetesConfig["systemPool"],
    taints?: string[],
) {
    return {
        name: poolName,
        mode,
        vmSize: size.vmSize,
        osType: "Linux",
        type: "VirtualMachineScaleSets",
        enableAutoScaling: true,
        minCount: size.minCount,
        maxCount: size.maxCount,
        // Initial size only; afterwards the autoscaler owns it (see ignoreChanges in managedCluster).
        count: size.minCount,
        availabilityZones: zonesOf(kc),
        orchestratorVersion: kc.version,
        vnetSubnetID: nodeSubnetId,
        nodeTaints: taints,
    };
}

/** The AKS cluster itself; see the file comment for what it is configured with. */
function managedCluster(
    name: string,
    args: ClusterArgs,
    net: ClusterNetwork,
    ids: ClusterIdentities,
    dependsOn: pulumi.Resource[],
    parent: pulumi.Resource,
): containerservice.ManagedCluster {
    const { key, namePrefix, location, kubernetes: kc } = args;
    return new containerservice.ManagedCluster(
        `${name}-aks`,
        {
            resourceName: aksClusterName(args),
            resourceGroupName: args.resourceGroupName,
            location,
            dnsPrefix: `${namePrefix}-${key}`,
            nodeResourceGroup: `rg-${namePrefix}-${key}-nodes`,
            sku: { name: "Base", tier: args.skuTier },
            identity: { type: "UserAssigned", userAssignedIdentities: [ids.controlPlane.id] },
            identityProfile: {
                kubeletidentity: { resourceId: ids.kubelet.id, clientId: ids.kubelet.clientId, objectId: ids.kubelet.principalId },
            },
            kubernetesVersion: kc.version,
            autoUpgradeProfile: { upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" },
            enableRBAC: true,
            disableLocalAccounts: true,
            aadProfile: {
                managed: true,
                enableAzureRBAC: true,
                adminGroupObjectIDs: [...kc.adminGroupObjectIds],
                tenantID: args.tenantId,
            },
            oidcIssuerProfile: { enabled: true },
            securityProfile: {
                workloadIdentity: { enabled: true },
                defender: kc.defender
                    ? { logAnalyticsWorkspaceResourceId: args.logAnalyticsWorkspaceId, securityMonitoring: { enabled: true } }
                    : undefined,
            },
            networkProfile: {
                networkPlugin: "azure",
                networkPluginMode: "overlay",
                ...networkPolicySettings(kc.networkPolicy),
                podCidr: kc.podCidr,
                serviceCidr: kc.serviceCidr,
                dnsServiceIP: kc.dnsServiceIp,
                loadBalancerSku: "standard",
                outboundType: "loadBalancer",
                loadBalancerProfile: { outboundIPs: { publicIPs: [{ id: net.egressIp.id }] } },
            },
            apiServerAccessProfile: { authorizedIPRanges: [...kc.authorizedIpRanges] },
            // Managed Prometheus: certificate-expiry and GitOps-drift alerts read cert-manager
            // and Argo CD metrics scraped by the add-on (components/azure/alerts.ts).
            azureMonitorProfile: { metrics: { enabled: true } },
            addonProfiles: {
                // Container Insights, authenticating with the add-on's managed identity rather than
                // the workspace's shared key. The agent then needs the cluster's data collection rule
                // and association (components/azure/container-insights.ts, wired in infra/azure-layer.ts).
                omsagent: {
                    enabled: true,
                    config: { logAnalyticsWorkspaceResourceID: args.logAnalyticsWorkspaceId, useAADAuth: "true" },
                },
            },
            // Only the system pool inline: AKS needs one at creation, and azure-native does not
            // update `agentPoolProfiles` in place (its ManagedCluster doc: "The Azure API does not
            // currently allow this property to be updated directly. Instead, additional agent pools
            // can be defined via the AgentPool resource"). Every other pool is an AgentPool (userPool).
            agentPoolProfiles: [agentPool(kc, net.nodeSubnetId, "system", "System", kc.systemPool, [SYSTEM_POOL_TAINT])],
            tags: args.tags,
        },
        {
            parent,
            protect: args.protect,
            dependsOn,
            // The cluster autoscaler changes pool sizes; sending the initial count again would
            // fight it on every `pulumi up`.
            ignoreChanges: ["agentPoolProfiles[0].count"],
        },
    );
}

/** AgentPool name of the user pool. */
export const USER_POOL_NAME = "user";

/**
 * The user pool as its own resource, so vmSize-independent changes (autoscaler range, taints,
 * orchestratorVersion) are applied by an update of the pool (azure-native AgentPool; a vmSize
 * change replaces the pool: provider/pkg/gen/replacement.go lists AgentPool `vmSize`).
 */
function userPool(
    name: string,
    args: ClusterArgs,
    net: ClusterNetwork,
    clusterName: pulumi.Input<string>,
    parent: pulumi.Resource,
): containerservice.AgentPool {
    const { name: _, ...pool } = agentPool(args.kubernetes, net.nodeSubnetId, USER_POOL_NAME, "User", args.kubernetes.userPool);
    return new containerservice.AgentPool(
        `${name}-pool-${USER_POOL_NAME}`,
        {
            agentPoolName: USER_POOL_NAME,
            resourceName: clusterName,
            resourceGroupName: args.resourceGroupName,
            ...pool,
            tags: args.tags,
        },
        { parent, ignoreChanges: ["count"] },
    );
}

/** Both AKS-named planned-maintenance windows (Kubernetes patch upgrades, node OS images). */
function maintenanceConfigurations(name: string, args: ClusterArgs, clusterName: pulumi.Input<string>, parent: pulumi.Resource): void {
    const kc = args.kubernetes;
    for (const [kind, configName] of Object.entries(MAINTENANCE_CONFIG_NAMES) as [keyof typeof MAINTENANCE_CONFIG_NAMES, string][]) {
        new containerservice.MaintenanceConfiguration(
            `${name}-maintenance-${kind}`,
            {
                configName,
                resourceGroupName: args.resourceGroupName,
                resourceName: clusterName,
                maintenanceWindow: maintenanceWindow(kind === "upgrade" ? kc.upgradeWindow : kc.nodeOsUpgradeWindow),
            },
            { parent },
        );
    }
}

/**
 * The deployer's RBAC Cluster Admin, and a bounded wait until it is effective: a new assignment
 * takes up to ~5 minutes to reach AKS's authorization; without the wait the first Kubernetes
 * object of a from-scratch `up` can get 403. The check asks the API server through the user
 * kubeconfig (rbac-propagation.ts).
 */
function deployerClusterAdmin(
    name: string,
    args: ClusterArgs,
    clusterId: pulumi.Input<string>,
    kubeconfig: pulumi.Output<string>,
    parent: pulumi.Resource,
): pulumi.Resource[] {
    const grant = grantRole(
        `${name}-deployer-cluster-admin`,
        {
            subscriptionId: args.subscriptionId,
            role: "AksRbacClusterAdmin",
            scope: clusterId,
            principalId: args.deployer.objectId,
            principalType: args.deployer.principalType,
            description: "The principal running pulumi up manages in-cluster resources (local accounts are disabled)",
        },
        { parent },
    );
    const propagated = new RbacGrantEffective(
        `${name}-deployer-rbac-propagation`,
        {
            roleAssignmentId: grant.id,
            connection: kubeconfig.apply(k => connectionOf(YAML.parse(k))),
        },
        { parent },
    );
    return [grant, propagated];
}

/** The cluster's *user* kubeconfig (never admin credentials), rewritten to a non-interactive kubelogin mode (secret). */
function userKubeconfig(args: ClusterArgs, cluster: containerservice.ManagedCluster, parent: pulumi.Resource): pulumi.Output<string> {
    const clusterName = aksClusterName(args);
    const credentials = containerservice.listManagedClusterUserCredentialsOutput(
        {
            resourceGroupName: args.resourceGroupName,
            resourceName: cluster.name,
        },
        { parent },
    );
    const mode = args.kubernetes.kubeloginMode;
    return pulumi.secret(
        credentials.kubeconfigs.apply(kubeconfigs => {
            if (!kubeconfigs?.length) throw new Error(`AKS ${clusterName} returned no user kubeconfig`);
            return toNonInteractiveKubeconfig(Buffer.from(kubeconfigs[0].value, "base64").toString("utf8"), mode);
        }),
    );
}

/** The Kubernetes provider on the user kubeconfig; created after `dependsOn` (the effective grant). */
function kubernetesProvider(
    name: string,
    cluster: containerservice.ManagedCluster,
    kubeconfig: pulumi.Output<string>,
    dependsOn: pulumi.Resource[],
    parent: pulumi.Resource,
): k8s.Provider {
    return new k8s.Provider(
        `${name}-k8s`,
        {
            kubeconfig,
            // Replace the provider (and everything on it) only when the cluster itself changes,
            // not when the kubeconfig's CA or server field is refreshed.
            clusterIdentifier: cluster.id,
            enableServerSideApply: true,
            // deleteUnreachable stays off: a run from outside the authorized IP ranges must fail,
            // not silently drop every in-cluster resource from state.
        },
        { parent, dependsOn },
    );
}

export class Cluster extends pulumi.ComponentResource {
    readonly key: ClusterKey;
    readonly location: string;
    readonly clusterName: pulumi.Output<string>;
    readonly clusterId: pulumi.Output<string>;
    readonly resourceGroupName: pulumi.Output<string>;
    readonly fqdn: pulumi.Output<string>;
    readonly oidcIssuerUrl: pulumi.Output<string>;
    /** Object id of the kubelet identity (pulls images). */
    readonly kubeletObjectId: pulumi.Output<string>;
    /** Client id of the kubelet identity (in-cluster readers of ACR, e.g. Ratify, log in as it). */
    readonly kubeletClientId: pulumi.Output<string>;
    /** ARM id of the node subnet (Harbor's storage admits only it). */
    readonly nodeSubnetId: pulumi.Output<string>;
    readonly gatewayIp: GatewayIp;
    readonly egressIpAddress: pulumi.Output<string>;
    /** Non-interactive user kubeconfig (secret). */
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:azure:Cluster", name, {}, opts);
        this.key = args.key;
        this.location = args.location;

        const net = clusterNetwork(name, args, this);
        const { ids, grants } = clusterIdentities(name, args, this);
        const networkGrants = controlPlaneNetworkGrants(name, args, net, ids.controlPlane.principalId, this);
        const cluster = managedCluster(name, args, net, ids, [...grants, ...networkGrants], this);
        userPool(name, args, net, cluster.name, this);
        maintenanceConfigurations(name, args, cluster.name, this);

        this.nodeSubnetId = net.nodeSubnetId;
        this.grantGroupAccess(name, args, cluster.id);
        this.kubeconfig = userKubeconfig(args, cluster, this);
        const deployerAccess = deployerClusterAdmin(name, args, cluster.id, this.kubeconfig, this);
        this.provider = kubernetesProvider(name, cluster, this.kubeconfig, deployerAccess, this);
        this.sendControlPlaneLogs(name, args, cluster.id);

        this.clusterName = cluster.name;
        this.clusterId = cluster.id;
        this.resourceGroupName = pulumi.output(args.resourceGroupName);
        this.fqdn = cluster.fqdn;
        this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply(p => p!.issuerURL);
        // The pre-created identity's principal: known before the cluster, the same after a rebuild.
        this.kubeletObjectId = ids.kubelet.principalId;
        this.kubeletClientId = ids.kubelet.clientId;
        this.gatewayIp = {
            name: net.gatewayIp.name,
            resourceGroupName: this.resourceGroupName,
            address: net.gatewayIp.ipAddress.apply(a => a!),
            id: net.gatewayIp.id,
            fqdn: net.gatewayIp.dnsSettings.apply(d => d!.fqdn!),
        };
        this.egressIpAddress = net.egressIp.ipAddress.apply(a => a!);
        this.registerOutputs({
            clusterName: this.clusterName,
            clusterId: this.clusterId,
            oidcIssuerUrl: this.oidcIssuerUrl,
            gatewayIp: this.gatewayIp.address,
            egressIp: this.egressIpAddress,
        });
    }

    /** The Entra groups' access (clusterAccessGrants), one role assignment each. */
    private grantGroupAccess(name: string, args: ClusterArgs, clusterId: pulumi.Input<string>): void {
        for (const { who, role, scope, groupObjectId } of clusterAccessGrants(args.kubernetes, clusterId)) {
            grantRole(
                `${name}-${who}`,
                {
                    subscriptionId: args.subscriptionId,
                    role,
                    scope,
                    principalId: groupObjectId,
                    principalType: "Group",
                },
                { parent: this },
            );
        }
    }

    /**
     * Control-plane logs to the workspace: who changed what through the API server
     * (kube-audit-admin: writes only, the affordable audit trail), Entra authentication
     * (guard) and autoscaler decisions. Container Insights covers the workloads.
     */
    private sendControlPlaneLogs(name: string, args: ClusterArgs, clusterId: pulumi.Input<string>): void {
        new monitor.DiagnosticSetting(
            `${name}-control-plane-logs`,
            {
                name: "control-plane-to-log-analytics",
                resourceUri: clusterId,
                workspaceId: args.logAnalyticsWorkspaceId,
                logAnalyticsDestinationType: "Dedicated",
                logs: CONTROL_PLANE_LOG_CATEGORIES.map(category => ({ category, enabled: true })),
            },
            { parent: this },
        );
    }
}
