// Image signatures, end to end: one signing key per stack (Pulumi secret), handed to Tekton
// Chains as its signing secret on the primary cluster; its public half bound to Ratify, which
// Gatekeeper asks (external data) about every Pod image in application namespaces of both
// clusters. Enforcement is per environment: `deny` (fail closed) in prod, `dryrun` (audit) in dev.
//
// Why Ratify: it is the verifier built for Gatekeeper (an external-data provider plus a
// ConstraintTemplate), so signature checks live in the same admission path, audit and
// enforcement actions as the stack's other rules; it verifies cosign signatures with a plain
// public key (what Chains' x509 signer produces) and authenticates to ACR with Azure identities.
// AKS Image Integrity is Ratify managed by Azure Policy, a preview add-on that takes no
// Gatekeeper of ours; Sigstore's policy-controller is a second admission webhook with its own
// policy language beside Gatekeeper. See docs/runbooks.md for rotation and denied images.
//
// Upstream behaviour relied on (ratify-project/ratify v1.4.0, f3f6229, charts/ratify):
// - values.yaml `cosignKeys` → one inline KeyManagementProvider per key
//   (templates/inline-key-management-provider.yaml), all trusted by the cosign verifier's trust
//   policy for `cosign.scopes` (templates/verifier.yaml); `cosign.tLogVerify: false` because
//   Chains here publishes nothing to a transparency log.
// - templates/provider.yaml registers the Gatekeeper Provider `ratify-provider` in the release
//   namespace; Ratify's README installs the chart into Gatekeeper's namespace, and the provider
//   timeout "MUST match" Gatekeeper's validatingWebhookTimeoutSeconds.
// - templates/store.yaml: `oras.authProviders.azureManagedIdentityEnabled` → the ORAS store logs
//   in to `azureContainerRegistryEndpoints` as the managed identity `azureManagedIdentity.clientId`
//   (here the cluster's kubelet identity, which already holds AcrPull).
// - templates/assign.yaml needs Gatekeeper mutation, which this stack disables: enableMutation off.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import { NAMESPACES } from "../../../model/names";
import { CHARTS } from "../../../model/versions";
import { chartRelease } from "../chart";
import {
    CONSTRAINT_API_VERSION,
    EnforcementAction,
    GATEKEEPER_TARGET,
    TEMPLATE_API_VERSION,
    TEMPLATE_WAIT_FOR,
} from "../../../model/admission/policies";
import { mirrored } from "../platform-images";
import { VERIFICATION_CONSTRAINT, VERIFICATION_KIND } from "./names";

/**
 * Tekton Chains' signing secret (tektoncd/chains v0.29.1 docs/signing.md, "x509": Secret
 * `signing-secrets` holding `x509.pem`, an unencrypted PKCS8 ECDSA/ed25519 key; the operator
 * installs Chains into its target namespace, tektoncd/operator v0.81.1 docs/TektonChain.md).
 */
export const CHAINS_SIGNING_SECRET = { name: "signing-secrets", namespace: NAMESPACES.tektonPipelines, key: "x509.pem" } as const;

/** The Gatekeeper external-data provider name the chart registers and the template calls. */
export const RATIFY_PROVIDER = "ratify-provider";
export { VERIFICATION_CONSTRAINT, VERIFICATION_KIND } from "./names";
/** Gatekeeper's webhook timeout, which Ratify's provider timeout must equal (seconds). */
export const VERIFICATION_TIMEOUT_SECONDS = 5;

/** Ratify's upstream images (chart 1.15.0 values.yaml image.repository / image.crdRepository). */
export const RATIFY_IMAGES = {
    ratify: "ghcr.io/ratify-project/ratify",
    crds: "ghcr.io/ratify-project/ratify-crds",
} as const;

/** One generation of the stack's image-signing key pair (ECDSA P-256). Create each once per stack. */
export class SigningKey extends pulumi.ComponentResource {
    /** PKIX public key (PEM), what cosign and Ratify verify with: a stack output. */
    readonly publicKeyPem: pulumi.Output<string>;
    /** Unencrypted PKCS8 private key (PEM), what Chains' x509 signer reads: always a Pulumi secret. */
    readonly privateKeyPem: pulumi.Output<string>;

    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:SigningKey", name, {}, opts);
        const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        this.publicKeyPem = key.publicKeyPem;
        this.privateKeyPem = pulumi.secret(key.privateKeyPemPkcs8);
        this.registerOutputs({ publicKeyPem: this.publicKeyPem });
    }
}

export interface SigningKeyGeneration {
    generation: number;
    publicKeyPem: pulumi.Output<string>;
    privateKeyPem: pulumi.Output<string>;
}

/** The Rego of the verification template (a file beside this one, upstream's default unchanged). */
export function verificationRego(): string {
    return fs.readFileSync(path.join(__dirname, "verification.rego"), "utf8");
}

/** Helm values of the Ratify chart (keys checked against chart 1.15.0 values.yaml). */
export function ratifyValues(args: {
    acrLoginServer: pulumi.Input<string>;
    trustedPublicKeys: pulumi.Input<string>[];
    kubeletClientId: pulumi.Input<string>;
    tenantId: pulumi.Input<string>;
    replicas: number;
}): Record<string, unknown> {
    return {
        // templates/deployment.yaml "<image.repository>:<image.tag>", upgrade-crds-hook.yaml
        // "<image.crdRepository>:<image.tag>"; tags stay the chart's.
        image: {
            repository: mirrored(args.acrLoginServer, RATIFY_IMAGES.ratify),
            crdRepository: mirrored(args.acrLoginServer, RATIFY_IMAGES.crds),
        },
        replicaCount: args.replicas,
        notation: { enabled: false },
        cosign: {
            enabled: true,
            // Trust policy scope: every repository of the stack's registry.
            scopes: [pulumi.interpolate`${args.acrLoginServer}/*`],
            tLogVerify: false,
        },
        cosignKeys: args.trustedPublicKeys,
        oras: {
            authProviders: {
                azureManagedIdentityEnabled: true,
                azureContainerRegistryEndpoints: [args.acrLoginServer],
            },
        },
        // Both are needed: the chart renders AZURE_TENANT_ID from azureManagedIdentity.tenantId (empty by
        // default), and Ratify's managed-identity auth provider refuses an empty tenant
        // (ratify-project/ratify v1.4.0 f3f6229d charts/ratify/templates/deployment.yaml:126-128,
        // pkg/common/oras/authprovider/azure/azureidentity.go:100-102).
        azureManagedIdentity: { clientId: args.kubeletClientId, tenantId: args.tenantId },
        gatekeeper: { version: CHARTS.gatekeeper.appVersion.replace(/^v/, ""), namespace: NAMESPACES.gatekeeper },
        provider: {
            timeout: { validationTimeoutSeconds: VERIFICATION_TIMEOUT_SECONDS },
            enableMutation: false,
        },
        // README: let Ratify rotate its own TLS certificate (the provider's CA bundle follows).
        featureFlags: { RATIFY_CERT_ROTATION: true },
    };
}

/** The ConstraintTemplate: Rego (external data is not available to CEL templates). */
export function verificationTemplate(): Record<string, unknown> {
    return {
        apiVersion: TEMPLATE_API_VERSION,
        kind: "ConstraintTemplate",
        metadata: {
            name: VERIFICATION_KIND.toLowerCase(),
            annotations: {
                description: "Every Pod image carries a valid signature by the pipeline's signing key (Ratify).",
                ...TEMPLATE_WAIT_FOR,
            },
        },
        spec: {
            crd: { spec: { names: { kind: VERIFICATION_KIND } } },
            targets: [{ target: GATEKEEPER_TARGET, rego: verificationRego() }],
        },
    };
}

/** The constraint: Pods (where images are pulled) outside the excluded namespaces. */
export function verificationConstraint(
    enforcementAction: EnforcementAction,
    excludedNamespaces: readonly string[],
): Record<string, unknown> {
    return {
        apiVersion: CONSTRAINT_API_VERSION,
        kind: VERIFICATION_KIND,
        metadata: { name: VERIFICATION_CONSTRAINT },
        spec: {
            enforcementAction,
            match: {
                kinds: [{ apiGroups: [""], kinds: ["Pod"] }],
                excludedNamespaces: [...new Set(excludedNamespaces)].sort(),
            },
        },
    };
}

export interface ImageVerificationArgs {
    provider: k8s.Provider;
    /** Gatekeeper's namespace (the Gatekeeper component's output): Ratify is installed beside it. */
    gatekeeperNamespace: pulumi.Input<string>;
    /** Gatekeeper itself: its CRDs (Provider, ConstraintTemplate) must exist first. */
    dependsOn: pulumi.Resource[];
    acrLoginServer: pulumi.Input<string>;
    /** Public keys whose signatures admission accepts (every signing-key generation). */
    trustedPublicKeys: pulumi.Input<string>[];
    /** Client id of the cluster's kubelet identity (AcrPull): Ratify reads signatures with it. */
    kubeletClientId: pulumi.Input<string>;
    /** Entra tenant of that identity. */
    tenantId: pulumi.Input<string>;
    /** `deny` (fail closed) or `dryrun` (audit only). */
    enforcementAction: EnforcementAction;
    /** Namespaces whose Pods are not checked: system, platform and the pipeline's (no application images). */
    excludedNamespaces: readonly string[];
    replicas: number;
}

export class ImageVerification extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: ImageVerificationArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems: string[] = [];
        if (args.trustedPublicKeys.length === 0) problems.push("trustedPublicKeys is empty: every signature would be rejected");
        if (!Number.isInteger(args.replicas) || args.replicas < 1)
            problems.push(`replicas must be a positive integer (got ${args.replicas})`);
        if (!args.excludedNamespaces.includes(NAMESPACES.gatekeeper))
            problems.push(`excludedNamespaces must include ${NAMESPACES.gatekeeper} (Ratify's own pods)`);
        if (problems.length) throw new Error(`ImageVerification ${name}: ${problems.join("; ")}`);
        super("platform:cluster:ImageVerification", name, {}, opts);
        const child = { parent: this, provider: args.provider };

        this.release = chartRelease(
            `${name}-ratify`,
            {
                chart: "ratify",
                releaseName: "ratify",
                namespace: args.gatekeeperNamespace,
                values: ratifyValues(args),
            },
            { ...child, dependsOn: args.dependsOn },
        );

        const t = verificationTemplate();
        const template = new k8s.apiextensions.CustomResource(
            `${name}-template`,
            {
                apiVersion: t.apiVersion as string,
                kind: t.kind as string,
                metadata: t.metadata as Record<string, unknown>,
                spec: t.spec,
            },
            { ...child, dependsOn: [this.release] },
        );
        const c = verificationConstraint(args.enforcementAction, args.excludedNamespaces);
        new k8s.apiextensions.CustomResource(
            `${name}-constraint`,
            {
                apiVersion: c.apiVersion as string,
                kind: c.kind as string,
                metadata: c.metadata as Record<string, unknown>,
                spec: c.spec,
            },
            { ...child, dependsOn: [template] },
        );

        this.registerOutputs({});
    }
}

/**
 * The signing key as Tekton Chains' `signing-secrets` (newest generation signs). A server-side
 * apply patch: the operator's Chains installer set also creates that Secret (empty), so whichever
 * comes first, the stack owns `x509.pem` (tektoncd/operator v0.81.1
 * pkg/reconciler/kubernetes/tektonchain/installerset.go keeps the Secret in its own installer set).
 */
export class ChainsSigningSecret extends pulumi.ComponentResource {
    constructor(
        name: string,
        args: { provider: k8s.Provider; privateKeyPem: pulumi.Output<string>; dependsOn: pulumi.Input<pulumi.Resource>[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("platform:cluster:ChainsSigningSecret", name, {}, opts);
        new k8s.core.v1.SecretPatch(
            `${name}-secret`,
            {
                metadata: {
                    name: CHAINS_SIGNING_SECRET.name,
                    namespace: CHAINS_SIGNING_SECRET.namespace,
                    annotations: { "pulumi.com/patchForce": "true" },
                },
                stringData: { [CHAINS_SIGNING_SECRET.key]: pulumi.secret(args.privateKeyPem) },
            },
            { parent: this, provider: args.provider, dependsOn: args.dependsOn },
        );
        this.registerOutputs({});
    }
}
