// Blob storage for Harbor's image layers (primary cluster only). Harbor's registry uses the
// distribution `azure` storage driver, which authenticates with the storage account key; so the
// account keeps shared-key access on, and the key leaves this component only as a Pulumi secret
// (the Harbor component puts it in one Secret in Harbor's namespace — nowhere else).
//
// Since a key is enough to read and write every image, the network is the boundary: the account
// denies every public source except the primary cluster's node subnet, through a Microsoft.Storage
// service endpoint on that subnet and a virtual-network rule here. A service endpoint, not a
// private endpoint: the driver talks to `https://<account>.blob.<realm>` with the default realm
// `core.windows.net` (goharbor/harbor-helm values.yaml @ v1.19.1,
// persistence.imageChartStorage.azure.realm), which a service endpoint serves unchanged, whereas
// a private endpoint needs a privatelink DNS zone linked to the VNet for that name to resolve
// privately. Management-plane calls (container creation, listKeys) are ARM calls and pass.
// In prod, soft delete keeps deleted blobs and containers for a while (an accidental GC or
// container delete is recoverable).
import * as pulumi from "@pulumi/pulumi";
import * as storage from "@pulumi/azure-native/storage";
import { AzureGovernance } from "./governance";

export interface HarborStorageArgs extends Pick<AzureGovernance, "tags" | "protect"> {
    /** Resource group that holds the account (the stateful "registry" group, locked in prod). */
    resourceGroupName: pulumi.Input<string>;
    location: pulumi.Input<string>;
    /** Short lower-case prefix (config `namePrefix`); the account is auto-named from it. */
    namePrefix: string;
    /** Zone-redundant storage (prod); locally redundant otherwise. */
    zoneRedundant: boolean;
    /** `protect` the account and container (prod): they hold every image pushed to Harbor. */
    protect: boolean;
    /** ARM id of the only subnet admitted (it must carry the Microsoft.Storage service endpoint). */
    allowedSubnetId: pulumi.Input<string>;
    /** Days deleted blobs and containers stay restorable; 0 turns soft delete off (dev). */
    softDeleteDays: number;
}

/** The service endpoint the admitted subnet needs (set on the primary's node subnet). */
export const STORAGE_SERVICE_ENDPOINT = "Microsoft.Storage";

/** Soft-delete retention in prod (blobs and containers). */
export const HARBOR_SOFT_DELETE_DAYS = 14;

/** Name of the private container the registry writes to. */
export const HARBOR_CONTAINER_NAME = "harbor-registry";

export class HarborStorage extends pulumi.ComponentResource {
    /** Storage account name (Harbor's `accountname`). */
    readonly accountName: pulumi.Output<string>;
    /** Blob container name (Harbor's `container`). */
    readonly containerName: pulumi.Output<string>;
    /** Primary account key: a Pulumi secret, for Harbor's namespace only. */
    readonly accountKey: pulumi.Output<string>;

    constructor(name: string, args: HarborStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:azure:HarborStorage", name, {}, opts);

        // Auto-named (azure-native appends 8 random characters once, kept in state): global
        // uniqueness without guessing. The logical prefix is cut so the result fits in 24.
        const logical = `${args.namePrefix}harbor`.replace(/[^a-z0-9]/g, "").slice(0, 16);
        const account = new storage.StorageAccount(
            logical,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                kind: storage.Kind.StorageV2,
                sku: { name: args.zoneRedundant ? storage.SkuName.Standard_ZRS : storage.SkuName.Standard_LRS },
                accessTier: storage.AccessTier.Hot,
                enableHttpsTrafficOnly: true,
                minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
                allowBlobPublicAccess: false,
                // Required: the registry's azure driver signs requests with the account key.
                allowSharedKeyAccess: true,
                allowCrossTenantReplication: false,
                // "Enabled from selected networks": the public endpoint answers only the admitted subnet.
                publicNetworkAccess: storage.PublicNetworkAccess.Enabled,
                networkRuleSet: {
                    defaultAction: storage.DefaultAction.Deny,
                    bypass: storage.Bypass.None,
                    virtualNetworkRules: [{ virtualNetworkResourceId: args.allowedSubnetId, action: storage.Action.Allow }],
                },
                tags: args.tags,
            },
            { parent: this, protect: args.protect },
        );
        if (args.softDeleteDays > 0) {
            new storage.BlobServiceProperties(
                `${name}-blob-service`,
                {
                    resourceGroupName: args.resourceGroupName,
                    accountName: account.name,
                    blobServicesName: "default",
                    deleteRetentionPolicy: { enabled: true, days: args.softDeleteDays },
                    containerDeleteRetentionPolicy: { enabled: true, days: args.softDeleteDays },
                },
                { parent: this },
            );
        }

        const container = new storage.BlobContainer(
            `${name}-registry`,
            {
                resourceGroupName: args.resourceGroupName,
                accountName: account.name,
                containerName: HARBOR_CONTAINER_NAME,
                publicAccess: storage.PublicAccess.None,
            },
            { parent: this, protect: args.protect },
        );

        this.accountName = account.name;
        this.containerName = container.name;
        const keys = storage.listStorageAccountKeysOutput(
            {
                resourceGroupName: args.resourceGroupName,
                accountName: account.name,
            },
            { parent: this },
        );
        this.accountKey = pulumi.secret(
            keys.keys.apply(k => {
                const key = k.find(x => x.keyName === "key1") ?? k[0];
                if (!key) throw new Error("storage account returned no keys");
                return key.value;
            }),
        );

        this.registerOutputs({
            accountName: this.accountName,
            containerName: this.containerName,
            accountKey: this.accountKey,
        });
    }
}
