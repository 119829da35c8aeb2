// ACR: the only registry application workloads pull from. Admin user and anonymous pull off
// (identities only). Premium-only features (retention of untagged manifests, network rules,
// geo-replication) are applied only on Premium; config validation rejects them elsewhere.
import * as pulumi from "@pulumi/pulumi";
import * as containerregistry from "@pulumi/azure-native/containerregistry";

export interface RegistryArgs {
    /** Globally unique, 5-50 alphanumerics. */
    registryName: string;
    resourceGroupName: pulumi.Input<string>;
    location: string;
    sku: "Basic" | "Standard" | "Premium";
    /** Premium: the region to replicate to. */
    replicaLocation?: string;
    /** Premium: days to keep untagged manifests. */
    untaggedRetentionDays?: number;
    /**
     * Premium: public ranges allowed through the firewall (default Deny). The clusters' egress
     * addresses are appended so kubelets (and the in-cluster pipeline) can still pull and push.
     */
    allowedIpRanges?: readonly string[];
    clusterEgressIps?: pulumi.Input<string>[];
    /** Zone-redundant registry and replica (Premium, regions with zones). */
    zoneRedundant: boolean;
    protect: boolean;
    tags: Record<string, string>;
}

export class Registry extends pulumi.ComponentResource {
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly loginServer: pulumi.Output<string>;

    constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:azure:Registry", name, {}, opts);
        const premium = args.sku === "Premium";
        const zoneRedundancy = premium && args.zoneRedundant ? "Enabled" : "Disabled";
        const networkRuleSet = premium && args.allowedIpRanges !== undefined
            ? pulumi.all(args.clusterEgressIps ?? []).apply(egress => ({
                defaultAction: "Deny",
                // Sorted and de-duplicated: a stable input, whatever order the addresses arrive in.
                ipRules: [...new Set([...args.allowedIpRanges!, ...egress])].sort()
                    .map(range => ({ iPAddressOrRange: range, action: "Allow" })),
            }))
            : undefined;
        const registry = new containerregistry.Registry(`${name}-acr`, {
            registryName: args.registryName,
            resourceGroupName: args.resourceGroupName,
            location: args.location,
            sku: { name: args.sku },
            adminUserEnabled: false,
            anonymousPullEnabled: false,
            zoneRedundancy,
            policies: premium && args.untaggedRetentionDays !== undefined
                ? { retentionPolicy: { status: "enabled", days: args.untaggedRetentionDays } }
                : undefined,
            networkRuleSet,
            // Trusted Azure services (e.g. Defender image scanning) pass the network rules.
            networkRuleBypassOptions: "AzureServices",
            publicNetworkAccess: "Enabled",
            tags: args.tags,
        }, { parent: this, protect: args.protect });
        if (premium && args.replicaLocation) {
            new containerregistry.Replication(`${name}-replica-${args.replicaLocation}`, {
                registryName: registry.name,
                resourceGroupName: args.resourceGroupName,
                replicationName: args.replicaLocation,
                location: args.replicaLocation,
                regionEndpointEnabled: true,
                zoneRedundancy,
                tags: args.tags,
            }, { parent: this, protect: args.protect });
        }
        this.id = registry.id;
        this.name = registry.name;
        this.loginServer = registry.loginServer;
        this.registerOutputs({ id: this.id, loginServer: this.loginServer });
    }
}
