// Tekton on the primary cluster: the Tekton Operator chart (it owns the operator CRDs) and the
// stack's own TektonConfig `config`, which makes the operator install Pipelines, Triggers,
// Dashboard and Chains into tekton-pipelines. The operator's own auto-install is off so it does
// not race this TektonConfig with a default one.
//
// Decisions (TektonConfig fields checked against operator.tekton.dev v1alpha1 at v0.81.1):
// - dashboard `readonly: true` and no HTTPRoute here: it has no authentication of its own, so it
//   is exposed only behind oauth2-proxy with Entra sign-in (tekton-dashboard-proxy.ts), or reached
//   with `kubectl port-forward` (Entra ID + Azure RBAC).
// - pipeline `disable-creds-init: true`: Tekton never turns ServiceAccount secrets into step
//   credentials; the pipeline mounts its few secrets explicitly as workspaces.
// - chains: in-toto provenance for TaskRuns/PipelineRuns and signatures of the built image,
//   stored as OCI artifacts beside the image (`oci` storage), signed with the stack's key
//   (components/cluster/image-verification/index.ts); Chains pushes them with the credentials of the
//   run's ServiceAccount (in the pipeline namespace) and publishes nothing to a public
//   transparency log. Keyless (Fulcio) signing would need the public Sigstore instance or a
//   private one and an OIDC issuer it trusts — a later step.
// - pruner: keep the last N runs per namespace on a schedule, so the runs (and their Chains
//   annotations) do not grow etcd without bound. The event-based `tektonpruner` is left off so
//   two pruners do not compete.
// - results: off (needs a database; not part of this stack).
// - Every field the CRD marks required is set here, so the object is valid on its own
//   (test/schemas.test.ts validates it against the vendored v0.81.1 CRD).
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NAMESPACES } from "../../../model/names";
import { chartRelease } from "../chart";
import { podSecurityLabels } from "../../../model/admission/pod-security-levels";
import { mirrored, PLATFORM_IMAGES } from "../platform-images";
import { CHARTS } from "../../../model/versions";
import {
    BundledComponentName,
    IMAGE_OVERRIDES_ANNOTATION,
    imageOverridesDigest,
    TEKTON_BUNDLED_COMPONENTS,
    TEKTON_OVERRIDE_TARGETS,
} from "../../../model/tekton-operator-images";
import { OperatorEnv, operatorImageEnv } from "./operator-images";

export interface TektonPlatformArgs {
    /** Kubernetes provider of the primary cluster. */
    provider: k8s.Provider;
    /** PipelineRuns/TaskRuns kept per namespace by the pruner. */
    pruneKeep?: number;
    /** Pruner cron schedule (UTC). */
    pruneSchedule?: string;
    /** ACR login server: the operator's images are pulled through its ghcr.io cache rule. */
    acrLoginServer: pulumi.Input<string>;
}

export const TEKTON_CONFIG_NAME = "config";
export const TEKTON_PROFILE = "all";

/**
 * The operator installs the tekton.dev / triggers.tekton.dev CRDs only while it reconciles the
 * TektonConfig; Pulumi must wait for that (its Ready condition) before anything creates a Task,
 * Pipeline or EventListener, or a from-scratch `up` fails with "no matches for kind".
 */
export const TEKTON_CONFIG_READY = {
    "pulumi.com/waitFor": "condition=Ready",
    "pulumi.com/timeoutSeconds": "1200",
} as const;

/**
 * The IMAGE_* env the operator's lifecycle container gets: the chart's own IMAGE_PIPELINES_PROXY
 * (chart 0.81.1 templates/deployment.yaml L51-52, `tekton-operator.webhook-proxy-image` in
 * _helpers.tpl L145-160: webhookProxy.image.repository, tag defaulting to appVersion) — the
 * `proxy` container of the operator's proxy webhook, which the operator installs with Pipelines
 * (tektoncd/operator v0.81.1 pkg/reconciler/common/initcontroller.go L97-100, L143-147) — and
 * `additionalEnvs` (the bundled components' overrides). IMAGE_JOB_PRUNER_TKN is left out: the
 * pruner CronJob is re-created whenever its image changes (pkg/reconciler/common/prune.go L171,
 * L282-292: its hash covers the tkn image).
 */
export function operatorComponentEnv(acrLoginServer: pulumi.Input<string>, overrides: OperatorEnv[]): OperatorEnv[] {
    const proxy = mirrored(acrLoginServer, PLATFORM_IMAGES.tektonOperator.webhookProxy).apply(
        repository => `${repository}:${CHARTS.tektonOperator.appVersion}`,
    );
    return [{ name: "IMAGE_PIPELINES_PROXY", value: proxy }, ...overrides];
}

/** The Helm values of the operator chart (keys checked against its values.yaml at 0.81.1). */
export function tektonOperatorValues(
    acrLoginServer: pulumi.Input<string>,
    imageEnv: OperatorEnv[] = operatorImageEnv(acrLoginServer),
): Record<string, unknown> {
    const repository = (upstream: string) => ({ repository: mirrored(acrLoginServer, upstream) });
    const images = PLATFORM_IMAGES.tektonOperator;
    return {
        // Chart 0.81.1 templates/_helpers.tpl: operator, webhook and webhook-proxy run
        // <image.repository or the flavour default>:<tag or appVersion>; the pruner
        // <repository>@<tag> when the tag is a digest (the chart's default is one).
        webhook: { image: repository(images.webhook) },
        webhookProxy: { image: repository(images.webhookProxy) },
        pruner: { image: repository(images.pruner) },
        // The operator CRDs (TektonConfig …) come with the chart; uninstalling the release
        // deletes every Tekton resource, which is why the release is never removed casually.
        installCRDs: true,
        operator: {
            // The stack creates TektonConfig `config` itself (below).
            autoInstallComponents: false,
            image: repository(images.operator),
            defaultTargetNamespace: NAMESPACES.tektonPipelines,
            // Every image the operator deploys from its bundled release manifests, or passes to
            // Tekton as a controller arg (TaskRun init containers, EventListener pods), through the
            // ACR by digest (operator-images.ts). The chart adds these to both operator containers
            // (chart 0.81.1 templates/deployment.yaml `range .Values.operator.additionalEnvs`); the
            // chart itself sets IMAGE_PIPELINES_PROXY and IMAGE_JOB_PRUNER_TKN from
            // webhookProxy.image and pruner.image above. TEKTON_REGISTRY_OVERRIDE is not used: it
            // replaces the first path segment of every image with one registry
            // (pkg/reconciler/common/transformers.go overrideImageRegistry), which cannot map
            // cgr.dev and mcr.microsoft.com images to their own cache paths.
            // A changed value reaches the running components through the digests in the
            // TektonConfig (imageOverridesDigests below).
            additionalEnvs: imageEnv,
        },
    };
}

/** Per component, the digest of the image env the operator transforms its manifests with (operatorComponentEnv). */
export type ImageOverridesDigests = Record<BundledComponentName, pulumi.Input<string>>;

/** The digests of `env` (resolved values), per bundled component. */
export function imageOverridesDigests(env: OperatorEnv[]): ImageOverridesDigests {
    const resolved = pulumi
        .all(env.map(e => pulumi.all([e.name, e.value])))
        .apply(pairs => pairs.map(([name, value]) => ({ name, value })));
    const digests = {} as ImageOverridesDigests;
    for (const component of Object.keys(TEKTON_BUNDLED_COMPONENTS) as BundledComponentName[])
        digests[component] = resolved.apply(r => imageOverridesDigest(r, component));
    return digests;
}

/**
 * A component's `options`: the digest of its image overrides as an annotation on one of its
 * Deployments, so that a changed override changes the component spec the operator hashes and
 * the operator re-applies the component (model/tekton-operator-images.ts, "Making an override
 * change reach the cluster").
 */
function overridesOptions(component: BundledComponentName, digest: pulumi.Input<string>): Record<string, unknown> {
    return {
        deployments: {
            [TEKTON_OVERRIDE_TARGETS[component].deployment]: { metadata: { annotations: { [IMAGE_OVERRIDES_ANNOTATION]: digest } } },
        },
    };
}

/** The stack's TektonConfig spec; `digests` of the operator's image env (imageOverridesDigests). */
export function tektonConfigSpec(pruneKeep: number, pruneSchedule: string, digests: ImageOverridesDigests): Record<string, unknown> {
    const options = (c: BundledComponentName) => ({ options: overridesOptions(c, digests[c]) });
    return {
        profile: TEKTON_PROFILE,
        targetNamespace: NAMESPACES.tektonPipelines,
        pipeline: {
            "disable-creds-init": true,
            "set-security-context": true,
            "enable-provenance-in-status": true,
            "keep-pod-on-cancel": false,
            ...options("pipeline"),
        },
        trigger: { disabled: false, ...options("triggers") },
        dashboard: { readonly: true, ...options("dashboard") },
        // Signatures and provenance are OCI artifacts next to the image (tektoncd/chains v0.29.1
        // docs/config.md: `oci` storage pushes `sha256-<digest>.sig` / `.att` beside the image the
        // run's IMAGE_URL/IMAGE_DIGEST results name — push-staging's Harbor image; promote's results
        // are deliberately not type hints, pipeline/tasks.ts CHAINS_TYPE_HINT_SUFFIXES), pushed with
        // the pipeline ServiceAccount's imagePullSecrets (the Harbor robot), so promotion can copy
        // them with the image and admission can verify them. The key is the stack's (ChainsSigningSecret), not one
        // the operator generates: admission must trust it before the first build.
        chain: {
            disabled: false,
            generateSigningSecret: false,
            "artifacts.taskrun.format": "in-toto",
            "artifacts.taskrun.storage": "oci",
            "artifacts.taskrun.signer": "x509",
            "artifacts.pipelinerun.format": "in-toto",
            "artifacts.pipelinerun.storage": "oci",
            "artifacts.pipelinerun.signer": "x509",
            "artifacts.oci.format": "simplesigning",
            "artifacts.oci.storage": "oci",
            "artifacts.oci.signer": "x509",
            "transparency.enabled": "false",
            ...options("chains"),
        },
        pruner: {
            disabled: false,
            resources: ["pipelinerun", "taskrun"],
            keep: pruneKeep,
            schedule: pruneSchedule,
        },
        // Both fields below are `required` in the operator's CRD (tektoncd/operator v0.81.1
        // config/base/generated-crds/operator.tekton.dev_tektonconfigs.yaml: `is_external_db` has no
        // omitempty in pkg/apis/operator/v1alpha1/tektonresult_types.go, `global-config` none in
        // tektonpruner_types.go). Without them the object is valid only if the operator's
        // defaulting webhook happens to be up when Pulumi applies it.
        tektonpruner: {
            disabled: true,
            // Unused while the event-based pruner is off. With the level set, the operator's
            // defaulting (tektonpruner_defaults.go Pruner.SetDefaults) leaves it as sent.
            "global-config": { enforcedConfigLevel: "global" },
        },
        // No Results database at all, so none is external.
        result: { disabled: true, is_external_db: false },
    };
}

export class TektonPlatform extends pulumi.ComponentResource {
    /** Namespace of the Tekton components (pipelines, triggers, interceptors, dashboard, chains). */
    readonly targetNamespace: string;
    /** Depend on this to order pipeline resources after the Tekton CRDs and components. */
    readonly config: k8s.apiextensions.CustomResource;

    constructor(name: string, args: TektonPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:TektonPlatform", name, {}, opts);
        const provider = args.provider;

        const namespace = new k8s.core.v1.Namespace(
            `${name}-operator-ns`,
            {
                metadata: {
                    name: NAMESPACES.tektonOperator,
                    labels: { ...podSecurityLabels(NAMESPACES.tektonOperator), "pod-security.kubernetes.io/warn": "restricted" },
                },
            },
            { parent: this, provider },
        );

        // Resolved once (each override is a registry lookup): the chart gets them, the
        // TektonConfig their digests.
        const overrides = operatorImageEnv(args.acrLoginServer);
        const release = chartRelease(
            `${name}-operator`,
            {
                chart: "tektonOperator",
                releaseName: "tekton-operator",
                namespace: namespace.metadata.name,
                values: tektonOperatorValues(args.acrLoginServer, overrides),
            },
            { parent: this, provider },
        );

        this.config = new k8s.apiextensions.CustomResource(
            `${name}-config`,
            {
                apiVersion: "operator.tekton.dev/v1alpha1",
                kind: "TektonConfig",
                // Cluster-scoped; the operator reconciles only the one named `config`.
                metadata: { name: TEKTON_CONFIG_NAME, annotations: TEKTON_CONFIG_READY },
                spec: tektonConfigSpec(
                    args.pruneKeep ?? 50,
                    args.pruneSchedule ?? "0 3 * * *",
                    imageOverridesDigests(operatorComponentEnv(args.acrLoginServer, overrides)),
                ),
            },
            { parent: this, provider, dependsOn: [release] },
        );

        this.targetNamespace = NAMESPACES.tektonPipelines;
        this.registerOutputs({ targetNamespace: this.targetNamespace, config: this.config });
    }
}
