// The typed output contract other repositories import (via StackReference). The stack exports
// exactly this shape; changing or removing a key is a breaking change for consumers, adding one
// is not.
//
// `*OutputValues` interfaces describe what a consumer reads (plain values); `Exported<T>` is
// what the program returns for them (one Output per top-level key). The Azure layer's keys are
// in AzureOutputValues; the cluster layer adds its own to PlatformOutputValues.
import * as pulumi from "@pulumi/pulumi";

export interface ClusterOutputValues {
    name: string;
    resourceGroupName: string;
    location: string;
    /** Azure resource id of the managed cluster. */
    id: string;
    /** API server FQDN (reachable only from the authorized IP ranges). */
    fqdn: string;
    /** OIDC issuer for workload identity federation (`FederatedIdentityCredential.issuer`). */
    oidcIssuerUrl: string;
    /** The static public IP the cluster's gateway Service binds (Traffic Manager endpoint target). */
    gatewayIp: { name: string; resourceGroupName: string; address: string; fqdn: string };
    /** Source address of the cluster's outbound traffic (for allow-lists). */
    egressIpAddress: string;
}

export interface WorkloadIdentityOutputValues {
    clientId: string;
    principalId: string;
}

export interface AzureOutputValues {
    environment: string;
    subscriptionId: string;
    tenantId: string;
    registry: { loginServer: string; name: string; id: string };
    clusters: { primary: ClusterOutputValues; secondary: ClusterOutputValues };
    /** User kubeconfigs (kubelogin exec, non-interactive login). Secret. */
    kubeconfigs: { primary: string; secondary: string };
    trafficManagerFqdn: string;
    appHostname: string;
    dnsZone: { name: string; resourceGroupName: string; nameServers: string[] };
    pipelineNamespace: string;
    /** Client id the pipeline ServiceAccount annotates (`azure.workload.identity/client-id`). */
    pipelineIdentityClientId: string;
    identities: {
        pipeline: WorkloadIdentityOutputValues;
        certManager: WorkloadIdentityOutputValues;
        externalDns: WorkloadIdentityOutputValues;
        /** The manifests-PR check (AcrPull): its ServiceAccount `manifests-check` annotates this client id. */
        manifestsCheck: WorkloadIdentityOutputValues;
    };
    logAnalyticsWorkspaceId: string;
}

/** The cluster layer's outputs. */
export interface ClusterLayerOutputValues {
    /** Public certificate of the shared sealing key: `kubeseal --cert` with it seals for both regions. */
    sealedSecretsCertificate: string;
    /** Where the controller runs, for `kubeseal --controller-name/--controller-namespace`. */
    sealedSecretsController: { name: string; namespace: string };
    harborUrl: string;
    argocdUrls: { primary: string; secondary: string };
    /** Git webhook endpoint of the pipeline (content type JSON, events push and pull_request). */
    webhookUrl: string;
    /** The read-only Tekton dashboard, behind oauth2-proxy (Entra sign-in). */
    tektonDashboardUrl: string;
    /** Where people sign in with Entra ID (members of the admins, operators or developers group). */
    signInUrls: { argocd: { primary: string; secondary: string }; harbor: string; tektonDashboard: string };
    /**
     * The pipeline's image-signing key: `cosign verify --key` with `publicKeyPem` checks an image;
     * admission accepts a signature by any of `trustedPublicKeys` (every key generation).
     */
    imageSigning: { publicKeyPem: string; trustedPublicKeys: string[] };
}

/** Everything the stack exports. */
export interface PlatformOutputValues extends AzureOutputValues, ClusterLayerOutputValues {}

/** What the program returns for a set of output values: one Output per top-level key. */
export type Exported<T> = { [K in keyof T]: pulumi.Output<T[K]> };

export type PlatformOutputs = Exported<PlatformOutputValues>;

/** Use from another repository: `platformOutput(new pulumi.StackReference("org/platform/prod"), "registry")`. */
export function platformOutput<K extends keyof PlatformOutputValues & string>(
    ref: pulumi.StackReference,
    key: K,
): pulumi.Output<PlatformOutputValues[K]> {
    return ref.requireOutput(key) as pulumi.Output<PlatformOutputValues[K]>;
}
