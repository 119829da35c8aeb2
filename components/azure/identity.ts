// Workload identities and the registry/DNS roles, in one place so the invariant is readable:
//   - each cluster's kubelet identity (pre-created by the Cluster component, so a stable principal
//     inside the locked registry group): AcrPull on the registry (no imagePullSecrets anywhere);
//   - the pipeline identity: AcrPush on the registry — the only registry-write role the stack
//     grants — federated to the pipeline ServiceAccount on the PRIMARY cluster only;
//   - the manifests-check identity: AcrPull on the registry, federated to the manifests-PR check's
//     ServiceAccount on the PRIMARY cluster only: the check reads the signatures of the image
//     digests a pull request introduces (components/cluster/pipeline, signature-check);
//   - cert-manager and ExternalDNS identities: DNS Zone Contributor on the zone, federated to
//     their ServiceAccounts on every cluster; ExternalDNS also Reader on the zone's resource group,
//     because its Azure provider discovers zones by listing the group (zones ListByResourceGroup).
//     cert-manager does not: its issuers name the zone (hostedZoneName) and it reads and writes
//     record sets on that zone only.
// Federated credentials of one identity are created one after another: Entra rejects
// concurrent writes under the same identity.
import * as pulumi from "@pulumi/pulumi";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { CLUSTER_KEYS, ClusterKey } from "../../model/names";
import {
    AZURE_FEDERATION_AUDIENCE,
    MANIFESTS_CHECK_SERVICE_ACCOUNT,
    PIPELINE_SERVICE_ACCOUNT,
    serviceAccountSubject,
    WORKLOAD_IDENTITY_SERVICE_ACCOUNTS,
} from "../../model/names";
import { grantRole } from "./roles";
import { z } from "zod";
import { isDnsLabel, NAME_PREFIX_PATTERN } from "../../model/validators";
import { checkArgs } from "../args-schema";
import { AzureGovernance } from "./governance";

/** What the identities need of one cluster. */
export interface IdentityClusterRef {
    /** AKS cluster name (in federated credential descriptions). */
    clusterName: pulumi.Input<string>;
    /** The cluster's OIDC issuer: the federated credentials trust tokens it signs. */
    oidcIssuerUrl: pulumi.Input<string>;
    /** Object id of the cluster's kubelet identity: it gets AcrPull on the registry. */
    kubeletObjectId: pulumi.Input<string>;
}

/** The identities are named `id-<namePrefix>-<cert-manager|external-dns|pipeline|manifests-check>`. */
export interface IdentitiesArgs extends Pick<AzureGovernance, "tags" | "protect"> {
    /** The platform's short prefix: 2-12 lower-case letters and digits, starting with a letter. */
    namePrefix: string;
    /** Group holding the identities (the global group, not the locked registry group). */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region of the identities. */
    location: string;
    /** Subscription of the role assignments' definitions. */
    subscriptionId: pulumi.Input<string>;
    /** ARM id of the registry: AcrPull for the kubelets, AcrPush for the pipeline. */
    registryId: pulumi.Input<string>;
    /** ARM id of the DNS zone: DNS Zone Contributor for cert-manager and ExternalDNS. */
    dnsZoneId: pulumi.Input<string>;
    /** The resource group holding the zone (and nothing else): ExternalDNS lists zones in it. */
    dnsResourceGroupId: pulumi.Input<string>;
    /** Both clusters: their kubelets pull, their issuers are trusted. */
    clusters: Readonly<Record<ClusterKey, IdentityClusterRef>>;
    /** Namespace of the pipeline's and the manifests check's ServiceAccounts (a DNS-1123 label); federated on the primary only. */
    pipelineNamespace: string;
    /**
     * `protect` the identities (prod): the pipeline's holds AcrPush inside the locked registry
     * group, where a replaced principal's old assignment could not be deleted.
     */
    protect: boolean;
}

/** What IdentitiesArgs must satisfy (messages name the key). */
const ARGS_SCHEMA = z.object({
    namePrefix: z.string().regex(NAME_PREFIX_PATTERN, {
        error: iss => `namePrefix '${iss.input}' must be 2-12 lower-case letters and digits, starting with a letter`,
    }),
    pipelineNamespace: z.string().refine(isDnsLabel, { error: iss => `pipelineNamespace '${iss.input}' is not a namespace name` }),
});

export interface WorkloadIdentity {
    clientId: pulumi.Output<string>;
    principalId: pulumi.Output<string>;
    name: pulumi.Output<string>;
}

export class Identities extends pulumi.ComponentResource {
    readonly pipeline: WorkloadIdentity;
    /** The manifests-PR check: AcrPull on the registry only (reads signatures), nothing else. */
    readonly manifestsCheck: WorkloadIdentity;
    readonly certManager: WorkloadIdentity;
    readonly externalDns: WorkloadIdentity;

    constructor(name: string, args: IdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:azure:Identities", name, {}, opts);
        checkArgs(ARGS_SCHEMA, args, `Identities ${name}`);

        for (const key of CLUSTER_KEYS) {
            grantRole(
                `${name}-${key}-kubelet-acrpull`,
                {
                    subscriptionId: args.subscriptionId,
                    role: "AcrPull",
                    scope: args.registryId,
                    principalId: args.clusters[key].kubeletObjectId,
                    principalType: "ServicePrincipal",
                    description: `Kubelet of the ${key} cluster pulls images`,
                },
                { parent: this },
            );
        }

        const identity = (id: string, federations: { cluster: ClusterKey; subject: string }[]): WorkloadIdentity => {
            const uai = new managedidentity.UserAssignedIdentity(
                `${name}-${id}`,
                {
                    resourceName: `id-${args.namePrefix}-${id}`,
                    resourceGroupName: args.resourceGroupName,
                    location: args.location,
                    tags: args.tags,
                },
                { parent: this, protect: args.protect },
            );
            let previous: pulumi.Resource | undefined;
            for (const f of federations) {
                previous = new managedidentity.FederatedIdentityCredential(
                    `${name}-${id}-${f.cluster}`,
                    {
                        federatedIdentityCredentialResourceName: pulumi.interpolate`${args.clusters[f.cluster].clusterName}`,
                        resourceName: uai.name,
                        resourceGroupName: args.resourceGroupName,
                        issuer: args.clusters[f.cluster].oidcIssuerUrl,
                        subject: f.subject,
                        audiences: [AZURE_FEDERATION_AUDIENCE],
                    },
                    { parent: this, dependsOn: previous ? [previous] : [] },
                );
            }
            return { clientId: uai.clientId, principalId: uai.principalId, name: uai.name };
        };

        this.pipeline = identity("pipeline", [
            { cluster: "primary", subject: serviceAccountSubject(args.pipelineNamespace, PIPELINE_SERVICE_ACCOUNT) },
        ]);
        grantRole(
            `${name}-pipeline-acrpush`,
            {
                subscriptionId: args.subscriptionId,
                role: "AcrPush",
                scope: args.registryId,
                principalId: this.pipeline.principalId,
                principalType: "ServicePrincipal",
                description: "The pipeline promotes scanned images by digest; the only registry-write grant",
            },
            { parent: this },
        );

        this.manifestsCheck = identity("manifests-check", [
            { cluster: "primary", subject: serviceAccountSubject(args.pipelineNamespace, MANIFESTS_CHECK_SERVICE_ACCOUNT) },
        ]);
        grantRole(
            `${name}-manifests-check-acrpull`,
            {
                subscriptionId: args.subscriptionId,
                role: "AcrPull",
                scope: args.registryId,
                principalId: this.manifestsCheck.principalId,
                principalType: "ServicePrincipal",
                description: "The manifests-PR check reads the signatures of the digests a pull request introduces",
            },
            { parent: this },
        );

        const dnsIdentity = (id: string, sa: { namespace: string; name: string }, listsZones: boolean): WorkloadIdentity => {
            const wi = identity(
                id,
                CLUSTER_KEYS.map(cluster => ({ cluster, subject: serviceAccountSubject(sa.namespace, sa.name) })),
            );
            grantRole(
                `${name}-${id}-dns-zone-contributor`,
                {
                    subscriptionId: args.subscriptionId,
                    role: "DnsZoneContributor",
                    scope: args.dnsZoneId,
                    principalId: wi.principalId,
                    principalType: "ServicePrincipal",
                    description: `${sa.namespace}/${sa.name} writes records in the platform zone only`,
                },
                { parent: this },
            );
            if (listsZones) {
                grantRole(
                    `${name}-${id}-dns-group-reader`,
                    {
                        subscriptionId: args.subscriptionId,
                        role: "Reader",
                        scope: args.dnsResourceGroupId,
                        principalId: wi.principalId,
                        principalType: "ServicePrincipal",
                        description: `${sa.namespace}/${sa.name} lists the zones in the DNS resource group (read only)`,
                    },
                    { parent: this },
                );
            }
            return wi;
        };
        this.certManager = dnsIdentity("cert-manager", WORKLOAD_IDENTITY_SERVICE_ACCOUNTS.certManager, false);
        this.externalDns = dnsIdentity("external-dns", WORKLOAD_IDENTITY_SERVICE_ACCOUNTS.externalDns, true);

        this.registerOutputs({
            pipelineClientId: this.pipeline.clientId,
            manifestsCheckClientId: this.manifestsCheck.clientId,
            certManagerClientId: this.certManager.clientId,
            externalDnsClientId: this.externalDns.clientId,
        });
    }
}
