// Resource groups: one per region (cluster, VNet, gateway IPs) and shared ones split by
// lifecycle, so that a CanNotDelete lock covers exactly the group that holds registry state and
// does not block routine replacements elsewhere (Traffic Manager endpoints, identities' federated
// credentials, role assignments at other scopes).
//
// The lock DOES block deleting role assignments scoped inside the registry group (AcrPull and
// AcrPush on the registry): Azure, "Lock your resources to protect your infrastructure" — "a
// cannot-delete lock on a resource group … prevents the deletion of Azure RBAC assignments"
// (learn.microsoft.com/azure/azure-resource-manager/management/lock-resources). So grants there go
// only to stable principals — pre-created, protected user-assigned identities (the kubelets'
// in components/azure/cluster.ts, the pipeline's in identity.ts) — and replacing one of those
// principals is a manual step with the lock lifted (docs/runbooks.md, "Identity change under the lock").
//
// The DNS group is deliberately NOT locked: a lock is inherited by every child resource, so a
// CanNotDelete lock on the group (or on the zone) blocks deleting any record set — cert-manager's
// DNS-01 `_acme-challenge` TXT cleanup, ExternalDNS deletions, Pulumi replacing the app CNAME.
// The zone is instead protected by `protect` and a CanNotDelete lock on its SOA record set
// (components/azure/dns.ts), the form Azure DNS documents for exactly this.
import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import * as authorization from "@pulumi/azure-native/authorization";
import { z } from "zod";
import { CLUSTER_KEYS, ClusterKey } from "../../model/names";
import { AZURE_REGIONS, NAME_PREFIX_PATTERN } from "../../model/validators";
import { checkArgs } from "../args-schema";
import { AzureGovernance } from "./governance";

/**
 * The groups are named `rg-<namePrefix>-<registry|dns|global|primary|secondary>`. `lock`: a
 * CanNotDelete lock on the registry group only (the DNS zone is locked at its SOA record set instead).
 */
export interface ResourceGroupsArgs extends Pick<AzureGovernance, "tags" | "lock"> {
    /** The platform's short prefix: 2-12 lower-case letters and digits, starting with a letter. */
    namePrefix: string;
    /** Azure region (programmatic name) of the shared groups: metadata only, their resources choose their own. */
    sharedLocation: string;
    /** Azure region (programmatic name) of each cluster's group. */
    regions: Readonly<Record<ClusterKey, string>>;
}

const region = (key: string) =>
    z.string().refine(r => AZURE_REGIONS.includes(r), {
        error: iss => `${key} '${iss.input}' is not an Azure region (programmatic name, e.g. westeurope)`,
    });

/** What ResourceGroupsArgs must satisfy (messages name the key). */
const ARGS_SCHEMA = z.object({
    namePrefix: z.string().regex(NAME_PREFIX_PATTERN, {
        error: iss => `namePrefix '${iss.input}' must be 2-12 lower-case letters and digits, starting with a letter`,
    }),
    sharedLocation: region("sharedLocation"),
    regions: z.object(Object.fromEntries(CLUSTER_KEYS.map(key => [key, region(`regions.${key}`)]))),
});

export interface ResourceGroupRef {
    name: pulumi.Output<string>;
    id: pulumi.Output<string>;
    location: string;
}

export class ResourceGroups extends pulumi.ComponentResource {
    /** ACR (stateful, locked in prod). */
    readonly registry: ResourceGroupRef;
    /** DNS zone (stateful; the zone's SOA record set, not this group, is locked in prod). */
    readonly dns: ResourceGroupRef;
    /** Traffic Manager, Log Analytics, workload identities. */
    readonly global: ResourceGroupRef;
    /** Per region: VNet, cluster, gateway and egress IPs. */
    readonly regional: Record<ClusterKey, ResourceGroupRef>;

    constructor(name: string, args: ResourceGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:azure:ResourceGroups", name, {}, opts);
        checkArgs(ARGS_SCHEMA, args, `ResourceGroups ${name}`);
        const group = (suffix: string, location: string, lock: boolean): ResourceGroupRef => {
            const rg = new resources.ResourceGroup(
                `${name}-${suffix}`,
                {
                    resourceGroupName: `rg-${args.namePrefix}-${suffix}`,
                    location,
                    tags: args.tags,
                },
                { parent: this },
            );
            if (lock) {
                new authorization.ManagementLockAtResourceGroupLevel(
                    `${name}-${suffix}-lock`,
                    {
                        resourceGroupName: rg.name,
                        lockName: "do-not-delete",
                        level: "CanNotDelete",
                        notes: "Holds platform state; managed by Pulumi (protectStatefulResources). Remove deliberately before decommissioning.",
                    },
                    { parent: this },
                );
            }
            return { name: rg.name, id: rg.id, location };
        };
        this.registry = group("registry", args.sharedLocation, args.lock);
        this.dns = group("dns", args.sharedLocation, false);
        this.global = group("global", args.sharedLocation, false);
        this.regional = Object.fromEntries(CLUSTER_KEYS.map(key => [key, group(key, args.regions[key], false)])) as Record<
            ClusterKey,
            ResourceGroupRef
        >;
        this.registerOutputs({
            registry: this.registry.name,
            dns: this.dns.name,
            global: this.global.name,
            primary: this.regional.primary.name,
            secondary: this.regional.secondary.name,
        });
    }
}
