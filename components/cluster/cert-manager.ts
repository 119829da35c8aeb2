// cert-manager with ACME DNS-01 on the Azure DNS zone (both regions serve the same hostnames, so
// HTTP-01 would be answered by whichever region Traffic Manager picks), authenticated with workload
// identity: no client secret exists anywhere.
//
// Ordering: the controller's Gateway API support watches Gateways and HTTPRoutes, so the chart is
// installed only after the Gateway API CRDs exist (`dependsOn`: the Envoy Gateway release). The
// ClusterIssuers depend on this release, which Helm reports ready only after the webhook answers
// (the chart's startupapicheck hook), so the issuers are never rejected by a missing webhook.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { chartRelease } from "./chart";
import { mirroredRegistry, PLATFORM_IMAGES } from "./platform-images";
import {
    CLUSTER_ISSUERS,
    WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION,
    WORKLOAD_IDENTITY_POD_LABEL,
    WORKLOAD_IDENTITY_SERVICE_ACCOUNTS,
} from "../../model/names";
import { podSecurityLabels } from "../../model/admission/pod-security-levels";
import { z } from "zod";
import { checkArgs, positiveInteger } from "../args-schema";
import { isEmail } from "../../model/validators";

export const ACME_SERVERS = {
    staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
    production: "https://acme-v02.api.letsencrypt.org/directory",
} as const;

/** Azure cloud of the DNS zone (the stack targets the public cloud). */
const AZURE_ENVIRONMENT = "AzurePublicCloud";

export interface CertManagerArgs {
    provider: k8s.Provider;
    /** Client id of the user-assigned identity federated to cert-manager's ServiceAccount (DNS Zone Contributor on the zone). */
    identityClientId: pulumi.Input<string>;
    subscriptionId: pulumi.Input<string>;
    dnsZone: { name: pulumi.Input<string>; resourceGroupName: pulumi.Input<string> };
    /** Let's Encrypt account e-mail (expiry notices). */
    acmeEmail: string;
    /** Resources that must exist first: at least the Gateway API CRDs (PlatformGateway.crdsReady). */
    dependsOn: pulumi.Resource[];
    /** Controller replicas; > 1 also enables a PDB. Default 1. */
    replicas?: number;
    /** ACR login server: the images are pulled through its quay.io cache rule. */
    acrLoginServer: pulumi.Input<string>;
}

/** What CertManagerArgs must satisfy (messages name the key). */
const ARGS_SCHEMA = z.object({
    acmeEmail: z.string().refine(isEmail, { error: iss => `acmeEmail '${iss.input}' is not an e-mail address` }),
    dependsOn: z.array(z.unknown()).min(1, "dependsOn must include the Gateway API CRDs (the Envoy Gateway release)"),
    replicas: positiveInteger("replicas").optional(),
});

export class CertManager extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Issuer names (CLUSTER_ISSUERS), outputs so consumers order after the issuers exist. */
    readonly stagingIssuer: pulumi.Output<string>;
    readonly productionIssuer: pulumi.Output<string>;
    readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:CertManager", name, {}, opts);
        checkArgs(ARGS_SCHEMA, args, `CertManager ${name}`);
        const replicas = args.replicas ?? 1;

        const child = { parent: this, provider: args.provider };
        const sa = WORKLOAD_IDENTITY_SERVICE_ACCOUNTS.certManager;

        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            { metadata: { name: sa.namespace, labels: podSecurityLabels(sa.namespace) } },
            child,
        );

        this.release = chartRelease(
            `${name}-cert-manager`,
            {
                chart: "certManager",
                releaseName: "cert-manager",
                namespace: ns.metadata.name,
                values: {
                    crds: { enabled: true, keep: true },
                    // cert-manager v1.21.1 templates/_helpers.tpl "cert-manager.image": with no
                    // image.repository the reference is <imageRegistry>/<imageNamespace>/<image.name>:<appVersion>
                    // for the controller, webhook, cainjector, ACME solver and startupapicheck alike.
                    imageRegistry: mirroredRegistry(args.acrLoginServer, PLATFORM_IMAGES.certManager.registry),
                    replicaCount: replicas,
                    podDisruptionBudget: replicas > 1 ? { enabled: true, minAvailable: 1 } : { enabled: false },
                    serviceAccount: {
                        create: true,
                        // Fixed name: the federated credential's subject is system:serviceaccount:<ns>:<name>.
                        name: sa.name,
                        annotations: { [WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: args.identityClientId },
                    },
                    podLabels: { ...WORKLOAD_IDENTITY_POD_LABEL },
                    config: {
                        apiVersion: "controller.config.cert-manager.io/v1alpha1",
                        kind: "ControllerConfiguration",
                        // v1.21 field (the top-level enableGatewayAPI is its deprecated alias).
                        gatewayAPI: { enabled: true },
                    },
                },
            },
            { ...child, dependsOn: args.dependsOn },
        );

        const issuer = (key: keyof typeof CLUSTER_ISSUERS) =>
            new k8s.apiextensions.CustomResource(
                `${name}-issuer-${key}`,
                {
                    apiVersion: "cert-manager.io/v1",
                    kind: "ClusterIssuer",
                    metadata: { name: CLUSTER_ISSUERS[key] },
                    spec: {
                        acme: {
                            server: ACME_SERVERS[key],
                            email: args.acmeEmail,
                            privateKeySecretRef: { name: `${CLUSTER_ISSUERS[key]}-account-key` },
                            solvers: [
                                {
                                    selector: { dnsZones: [args.dnsZone.name] },
                                    dns01: {
                                        azureDNS: {
                                            subscriptionID: args.subscriptionId,
                                            resourceGroupName: args.dnsZone.resourceGroupName,
                                            hostedZoneName: args.dnsZone.name,
                                            environment: AZURE_ENVIRONMENT,
                                            // Workload identity: the token comes from the projected SA token.
                                            managedIdentity: { clientID: args.identityClientId },
                                        },
                                    },
                                },
                            ],
                        },
                    },
                },
                { ...child, dependsOn: [this.release] },
            );

        this.stagingIssuer = issuer("staging").metadata.name;
        this.productionIssuer = issuer("production").metadata.name;
        this.namespace = ns.metadata.name;
        this.registerOutputs({ stagingIssuer: this.stagingIssuer, productionIssuer: this.productionIssuer, namespace: this.namespace });
    }
}
