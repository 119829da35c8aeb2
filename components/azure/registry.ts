// ACR: the only registry application workloads pull from. Admin user and anonymous pull off
// (identities only). Premium-only features (retention of untagged manifests, network rules,
// geo-replication) are applied only on Premium; config validation rejects them elsewhere.
//
// Artifact cache: one wildcard cache rule per upstream registry the platform charts pull from
// (model/image-sources.ts), so clusters pull platform images from ACR too and the ACR-only
// admission rule binds platform namespaces. Artifact cache works on every SKU (Microsoft Learn,
// "Artifact cache in Azure Container Registry": "available in Basic, Standard, and Premium").
// An upstream that needs credentials gets a credential set: its username and password are Key
// Vault secrets, read by the credential set's own managed identity (Key Vault Secrets User).
import * as pulumi from "@pulumi/pulumi";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import { cacheRuleRepositories, UPSTREAM_REGISTRIES, UpstreamHost } from "../../model/image-sources";
import { grantRole } from "./roles";

/** Key Vault secrets holding an upstream registry's credentials (the values never pass through Pulumi). */
export interface UpstreamCredentials {
    /** Resource id of the Key Vault holding both secrets (RBAC mode); the credential set's identity is granted read on it. */
    keyVaultId: string;
    /** Secret identifiers (`https://<vault>.vault.azure.net/secrets/<name>`). */
    usernameSecretId: string;
    passwordSecretId: string;
}

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
    /** Subscription of the Key Vaults (role assignments for credential sets). */
    subscriptionId: pulumi.Input<string>;
    /** Upstream registries that need credentials (e.g. Docker Hub against its anonymous rate limit). */
    cacheCredentials?: Partial<Record<UpstreamHost, UpstreamCredentials>>;
}

/**
 * An ACR's login server in Azure's public cloud: the registry name, lower-cased, under azurecr.io
 * (Microsoft Learn, "Create a private container registry": "the login server name is
 * <registry-name>.azurecr.io (all lowercase)"). Known before the registry exists, so image
 * references built from it can be reviewed at preview.
 */
export function acrLoginServerOf(registryName: string): string {
    return `${registryName.toLowerCase()}.azurecr.io`;
}

export class Registry extends pulumi.ComponentResource {
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly loginServer: pulumi.Output<string>;
    /** The login server as known before creation (acrLoginServerOf): for image references. */
    readonly knownLoginServer: string;
    /** One artifact-cache rule per upstream registry (UPSTREAM_REGISTRIES order). */
    readonly cacheRules: containerregistry.CacheRule[];

    constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:azure:Registry", name, {}, opts);
        const premium = args.sku === "Premium";
        const zoneRedundancy = premium && args.zoneRedundant ? "Enabled" : "Disabled";
        const networkRuleSet =
            premium && args.allowedIpRanges !== undefined
                ? pulumi.all(args.clusterEgressIps ?? []).apply(egress => ({
                      defaultAction: "Deny",
                      // Sorted and de-duplicated: a stable input, whatever order the addresses arrive in.
                      ipRules: [...new Set([...args.allowedIpRanges!, ...egress])]
                          .sort()
                          .map(range => ({ iPAddressOrRange: range, action: "Allow" })),
                  }))
                : undefined;
        const registry = new containerregistry.Registry(
            `${name}-acr`,
            {
                registryName: args.registryName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                sku: { name: args.sku },
                adminUserEnabled: false,
                anonymousPullEnabled: false,
                zoneRedundancy,
                policies:
                    premium && args.untaggedRetentionDays !== undefined
                        ? { retentionPolicy: { status: "enabled", days: args.untaggedRetentionDays } }
                        : undefined,
                networkRuleSet,
                // Trusted Azure services (e.g. Defender image scanning) pass the network rules.
                networkRuleBypassOptions: "AzureServices",
                publicNetworkAccess: "Enabled",
                tags: args.tags,
            },
            { parent: this, protect: args.protect },
        );
        if (premium && args.replicaLocation) {
            new containerregistry.Replication(
                `${name}-replica-${args.replicaLocation}`,
                {
                    registryName: registry.name,
                    resourceGroupName: args.resourceGroupName,
                    replicationName: args.replicaLocation,
                    location: args.replicaLocation,
                    regionEndpointEnabled: true,
                    zoneRedundancy,
                    tags: args.tags,
                },
                { parent: this, protect: args.protect },
            );
        }
        this.cacheRules = UPSTREAM_REGISTRIES.map(upstream => {
            const credentials = args.cacheCredentials?.[upstream.host];
            const credentialSet = credentials
                ? this.credentialSet(name, upstream.ruleName, upstream.host, credentials, registry, args)
                : undefined;
            return new containerregistry.CacheRule(
                `${name}-cache-${upstream.ruleName}`,
                {
                    registryName: registry.name,
                    resourceGroupName: args.resourceGroupName,
                    cacheRuleName: upstream.ruleName,
                    ...cacheRuleRepositories(upstream.host),
                    credentialSetResourceId: credentialSet?.id,
                },
                { parent: this },
            );
        });
        this.id = registry.id;
        this.name = registry.name;
        this.loginServer = registry.loginServer;
        this.knownLoginServer = acrLoginServerOf(args.registryName);
        this.registerOutputs({ id: this.id, loginServer: this.loginServer });
    }

    private credentialSet(
        name: string,
        ruleName: string,
        host: string,
        credentials: UpstreamCredentials,
        registry: containerregistry.Registry,
        args: RegistryArgs,
    ): containerregistry.CredentialSet {
        const set = new containerregistry.CredentialSet(
            `${name}-credentials-${ruleName}`,
            {
                registryName: registry.name,
                resourceGroupName: args.resourceGroupName,
                credentialSetName: ruleName,
                loginServer: host,
                identity: { type: "SystemAssigned" },
                authCredentials: [
                    {
                        name: "Credential1",
                        usernameSecretIdentifier: credentials.usernameSecretId,
                        passwordSecretIdentifier: credentials.passwordSecretId,
                    },
                ],
            },
            { parent: this },
        );
        grantRole(
            `${name}-credentials-${ruleName}-secrets-user`,
            {
                subscriptionId: args.subscriptionId,
                role: "KeyVaultSecretsUser",
                scope: credentials.keyVaultId,
                principalId: set.identity.apply(i => i?.principalId ?? ""),
                principalType: "ServicePrincipal",
                description: `ACR cache credential set ${ruleName} reads its upstream credentials`,
            },
            { parent: this },
        );
        return set;
    }
}
