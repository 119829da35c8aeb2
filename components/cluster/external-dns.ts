// ExternalDNS for the per-region hostnames (HTTPRoutes on the shared Gateway, LoadBalancer
// Services), writing to the Azure DNS zone with workload identity.
//
// Each cluster runs its own instance with a distinct txtOwnerId, so neither deletes the other's
// records. The shared app hostname is excluded: Pulumi owns its CNAME to Traffic Manager, and both
// regions' HTTPRoutes carry that hostname, so without the exclusion each instance would try to
// point it at its own region's IP.
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { chartRelease } from "./chart";
import { mirrored, PLATFORM_IMAGES } from "./platform-images";
import { WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION, WORKLOAD_IDENTITY_POD_LABEL, WORKLOAD_IDENTITY_SERVICE_ACCOUNTS } from "../../model/names";
import { podSecurityLabels } from "../../model/admission/pod-security-levels";
import { z } from "zod";
import { checkArgs } from "../args-schema";
import { isDnsName } from "../../model/validators";

/** Where the Azure provider reads its config by default (`--azure-config-file`). */
export const AZURE_CONFIG_DIR = "/etc/kubernetes";

export interface ExternalDnsArgs {
    provider: k8s.Provider;
    /** Client id of the identity federated to ExternalDNS's ServiceAccount (DNS Zone Contributor on the zone). */
    identityClientId: pulumi.Input<string>;
    tenantId: pulumi.Input<string>;
    subscriptionId: pulumi.Input<string>;
    dnsZone: { name: pulumi.Input<string>; resourceGroupName: pulumi.Input<string> };
    /** Distinct per cluster, e.g. `<stack>-<cluster>`: the TXT ownership marker. */
    txtOwnerId: string;
    /** `sync` deletes records it owns when their source goes away; `upsert-only` never deletes. */
    policy: "sync" | "upsert-only";
    /** Hostnames ExternalDNS must never touch (the Pulumi-owned app hostname); subdomains included. */
    excludeHostnames: string[];
    dependsOn?: pulumi.Resource[];
    /** ACR login server: the image is pulled through its registry.k8s.io cache rule. */
    acrLoginServer: pulumi.Input<string>;
}

/** Sources ExternalDNS watches: routes on the shared Gateway, and LoadBalancer Services. */
export const EXTERNAL_DNS_SOURCES = ["gateway-httproute", "service"] as const;

/** What ExternalDnsArgs must satisfy (messages name the key). */
const ARGS_SCHEMA = z.object({
    // TXT owner ids end up in record values; keep them simple and recognisable.
    txtOwnerId: z
        .string()
        .regex(/^[a-z0-9][-a-z0-9]{0,62}$/, { error: iss => `txtOwnerId '${iss.input}' must be lowercase alphanumerics and '-'` }),
    policy: z.enum(["sync", "upsert-only"], { error: iss => `policy '${iss.input}' must be sync or upsert-only` }),
    excludeHostnames: z.array(z.string().refine(isDnsName, { error: iss => `excludeHostnames entry '${iss.input}' is not a hostname` })),
});

export class ExternalDns extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: ExternalDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:ExternalDns", name, {}, opts);
        checkArgs(ARGS_SCHEMA, args, `ExternalDns ${name}`);

        const child = { parent: this, provider: args.provider };
        const sa = WORKLOAD_IDENTITY_SERVICE_ACCOUNTS.externalDns;

        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            { metadata: { name: sa.namespace, labels: podSecurityLabels(sa.namespace) } },
            child,
        );

        // With workload identity the provider config holds no credential (ids only), so a ConfigMap,
        // reviewable in the plan, rather than the chart's deprecated secretConfiguration.
        const azureConfig = new k8s.core.v1.ConfigMap(
            `${name}-azure-config`,
            {
                metadata: { name: "external-dns-azure", namespace: ns.metadata.name },
                data: {
                    "azure.json": pulumi.jsonStringify({
                        tenantId: args.tenantId,
                        subscriptionId: args.subscriptionId,
                        resourceGroup: args.dnsZone.resourceGroupName,
                        useWorkloadIdentityExtension: true,
                    }),
                },
            },
            child,
        );

        this.release = chartRelease(
            `${name}-external-dns`,
            {
                chart: "externalDns",
                releaseName: "external-dns",
                namespace: ns.metadata.name,
                values: {
                    fullnameOverride: "external-dns",
                    // Chart 1.21.1 _helpers.tpl external-dns.image: <image.repository>:<tag or v+appVersion>.
                    image: { repository: mirrored(args.acrLoginServer, PLATFORM_IMAGES.externalDns.repository) },
                    provider: { name: "azure" },
                    serviceAccount: {
                        create: true,
                        name: sa.name,
                        annotations: { [WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: args.identityClientId },
                    },
                    podLabels: { ...WORKLOAD_IDENTITY_POD_LABEL },
                    // The pod template changes with the config, so the pod restarts on a config change.
                    podAnnotations: { "checksum/azure-config": azureConfig.data.apply(d => hashOf(d["azure.json"])) },
                    sources: [...EXTERNAL_DNS_SOURCES],
                    domainFilters: [args.dnsZone.name],
                    excludeDomains: [...args.excludeHostnames].sort(),
                    policy: args.policy,
                    registry: "txt",
                    txtOwnerId: args.txtOwnerId,
                    extraVolumes: [{ name: "azure-config", configMap: { name: azureConfig.metadata.name } }],
                    extraVolumeMounts: [{ name: "azure-config", mountPath: AZURE_CONFIG_DIR, readOnly: true }],
                },
            },
            { ...child, dependsOn: [azureConfig, ...(args.dependsOn ?? [])] },
        );

        this.namespace = ns.metadata.name;
        this.registerOutputs({ namespace: this.namespace });
    }
}

function hashOf(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}
