// Sealed Secrets with one sealing key for both regions, so a SealedSecret committed once decrypts
// in whichever cluster Argo CD applies it to.
//
// The key is generated once per stack (SealingKey) and kept in Pulumi state as a secret. Each
// cluster gets it as a `kubernetes.io/tls` Secret labelled as the active sealing key *before* the
// controller starts: at start-up the controller adopts every labelled key in its namespace and only
// generates its own when it finds none. Key renewal is off, or each controller would mint a new key
// every 30 days and the regions would drift apart.
//
// Rotation is a deliberate stack change: add a key generation (config sealedSecrets.keyGenerations).
// Every installed key unseals; the controller seals with the newest (latest certificate NotBefore,
// i.e. the generation created last). Drop the old generation once everything is re-sealed.
//
// Sealing from a workstation or CI, with the public certificate (a stack output):
//   kubeseal --cert sealing-cert.pem --format yaml < secret.yaml > sealed.yaml
// or against a cluster:
//   kubeseal --controller-namespace sealed-secrets --controller-name sealed-secrets-controller ...
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import * as YAML from "yaml";
import { chartRelease } from "../chart";
import { mirroredRegistry, PLATFORM_IMAGES } from "../platform-images";
import { NAMESPACES } from "../../../model/names";
import { podSecurityLabels } from "../../../model/admission/pod-security-levels";

/**
 * The SealedSecret CRD of the pinned chart, vendored byte for byte: the chart ships it only in its
 * crds/ folder (bitnami-labs/sealed-secrets helm/sealed-secrets/crds/ @ helm-v2.18.5, e12ae821; no
 * template or value renders it), which Helm installs once and never upgrades. The stack applies it
 * itself (see SealedSecrets) and skips the chart's copy. Bumping CHARTS.sealedSecrets means
 * re-vendoring this file from the new tag (a test compares the versions and the blob).
 */
export const SEALED_SECRETS_CRD = {
    file: path.join(__dirname, "sealed-secrets-2.18.5.bitnami.com_sealedsecrets.yaml"),
    repo: "bitnami-labs/sealed-secrets",
    path: "helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml",
    ref: "helm-v2.18.5",
    commit: "e12ae8217687d110d01b27bff3072dc79a03422c",
    chartVersion: "2.18.5",
    /** `git hash-object` of the file (= the blob at that path and commit). */
    gitBlob: "a41921e47b7eb51c1e8f14e4d8dcf990f6f068aa",
} as const;

/** The vendored CRD as an object. */
export function sealedSecretsCrd(): Record<string, any> {
    return YAML.parse(fs.readFileSync(SEALED_SECRETS_CRD.file, "utf8"));
}

/** The controller's Service/Deployment name (`kubeseal --controller-name`). */
export const SEALED_SECRETS_CONTROLLER = { name: "sealed-secrets-controller", namespace: NAMESPACES.sealedSecrets } as const;
/** Label the controller looks for on sealing keys; value `active` marks keys it may use. */
export const SEALING_KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key";
/** The chart's `secretName` (the controller's key prefix); key Secrets are `<prefix>-g<generation>`. */
export const SEALING_KEY_SECRET = "sealed-secrets-key";

export function sealingKeySecretName(generation: number): string {
    return `${SEALING_KEY_SECRET}-g${generation}`;
}

/** Validity of the sealing certificate. kubeseal refuses to seal with an expired certificate. */
export const SEALING_CERT_VALIDITY_HOURS = 10 * 365 * 24;

/** The stack's one sealing key pair (RSA 4096, self-signed certificate). Create it once per stack. */
export class SealingKey extends pulumi.ComponentResource {
    /** Public certificate (PEM): safe to publish; `kubeseal --cert` input. */
    readonly certificatePem: pulumi.Output<string>;
    /** Private key (PEM), always a Pulumi secret. */
    readonly privateKeyPem: pulumi.Output<string>;

    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:SealingKey", name, {}, opts);
        const key = new tls.PrivateKey(`${name}-key`, { algorithm: "RSA", rsaBits: 4096 }, { parent: this });
        // No timestamps in inputs: validity is counted from creation by the provider, so a second
        // `pulumi up` shows no diff.
        const cert = new tls.SelfSignedCert(
            `${name}-cert`,
            {
                privateKeyPem: key.privateKeyPem,
                // The subject the controller itself would use for a key it generated.
                subject: { commonName: "sealed-secret", organization: "sealed-secret" },
                validityPeriodHours: SEALING_CERT_VALIDITY_HOURS,
                allowedUses: ["key_encipherment", "digital_signature"],
                isCaCertificate: false,
            },
            { parent: this },
        );
        this.certificatePem = cert.certPem;
        this.privateKeyPem = pulumi.secret(key.privateKeyPem);
        this.registerOutputs({ certificatePem: this.certificatePem });
    }
}

/** One generation of the shared sealing key. */
export interface SealingKeyGeneration {
    generation: number;
    certificatePem: pulumi.Input<string>;
    privateKeyPem: pulumi.Input<string>;
}

export interface SealedSecretsArgs {
    provider: k8s.Provider;
    /** The stack's sealing keys, oldest generation first; the last one seals. */
    sealingKeys: SealingKeyGeneration[];
    /** ACR login server: the controller image is pulled through its docker.io cache rule. */
    acrLoginServer: pulumi.Input<string>;
}

/** The Sealed Secrets controller in one cluster, using the shared sealing key. */
export class SealedSecrets extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Public certificate the controller seals with: the newest generation's (same in every cluster). */
    readonly certificatePem: pulumi.Output<string>;
    readonly controllerName: string = SEALED_SECRETS_CONTROLLER.name;
    readonly controllerNamespace: pulumi.Output<string>;

    constructor(name: string, args: SealedSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:SealedSecrets", name, {}, opts);
        const child = { parent: this, provider: args.provider };

        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            { metadata: { name: SEALED_SECRETS_CONTROLLER.namespace, labels: podSecurityLabels(NAMESPACES.sealedSecrets) } },
            child,
        );

        if (args.sealingKeys.length === 0) throw new Error(`${name}: at least one sealing key is required`);
        const keySecrets = args.sealingKeys.map(
            key =>
                new k8s.core.v1.Secret(
                    `${name}-sealing-key-g${key.generation}`,
                    {
                        metadata: {
                            name: sealingKeySecretName(key.generation),
                            namespace: ns.metadata.name,
                            labels: { [SEALING_KEY_LABEL]: "active" },
                        },
                        type: "kubernetes.io/tls",
                        stringData: {
                            "tls.crt": key.certificatePem,
                            "tls.key": pulumi.secret(key.privateKeyPem),
                        },
                    },
                    child,
                ),
        );

        // The CRD, applied by Pulumi so that a chart upgrade upgrades it. A server-side-apply patch
        // (forced), not a plain CRD resource: it takes over the CRD the chart's crds/ installed on
        // existing clusters (a create would fail with "already exists"), creates it on new ones,
        // and removing it from the program never deletes the CRD (which would delete every
        // SealedSecret, and with them the Secrets they own).
        const crd = sealedSecretsCrd();
        const crdPatch = new k8s.apiextensions.v1.CustomResourceDefinitionPatch(
            `${name}-crd`,
            {
                metadata: { ...crd.metadata, annotations: { ...crd.metadata.annotations, "pulumi.com/patchForce": "true" } },
                spec: crd.spec,
            },
            child,
        );

        this.release = chartRelease(
            `${name}-sealed-secrets`,
            {
                chart: "sealedSecrets",
                releaseName: "sealed-secrets",
                namespace: ns.metadata.name,
                // The CRD comes from crdPatch above.
                skipCrds: true,
                values: {
                    // Service and Deployment named as kubeseal's default --controller-name.
                    fullnameOverride: SEALED_SECRETS_CONTROLLER.name,
                    // Chart 2.18.5 templates/deployment.yaml: image "<image.registry>/<image.repository>:<image.tag>".
                    image: {
                        registry: mirroredRegistry(args.acrLoginServer, PLATFORM_IMAGES.sealedSecrets.registry),
                        repository: PLATFORM_IMAGES.sealedSecrets.repository,
                    },
                    secretName: SEALING_KEY_SECRET,
                    // "0" (a string) disables renewal; the chart's default ("") means every 30 days.
                    keyrenewperiod: "0",
                },
            },
            { ...child, dependsOn: [...keySecrets, crdPatch] },
        );

        this.certificatePem = pulumi.output(args.sealingKeys[args.sealingKeys.length - 1].certificatePem);
        this.controllerNamespace = ns.metadata.name;
        this.registerOutputs({ certificatePem: this.certificatePem, controllerNamespace: this.controllerNamespace });
    }
}
