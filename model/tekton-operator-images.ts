// The images the Tekton Operator (chart 0.81.1, operator v0.81.1) deploys into tekton-pipelines
// and hands to Tekton as controller args, and the operator env variables that override each one.
//
// The operator installs Pipelines, Triggers, Chains and Dashboard from release manifests bundled in
// its image (kodata; tektoncd/operator v0.81.1 hack/fetch-releases.sh fetches
// infra.tekton.dev/tekton-releases/<component>/previous/<version>/release.yaml at the versions of
// components.yaml), which name ghcr.io images. Those release manifests are `ko resolve` output of
// each component's config/ at its tag: every `ko://<import path>` becomes
// `ghcr.io/tektoncd/<repo>/<name>:<version>@sha256:<digest>` (KO_DOCKER_REPO =
// imageRegistry/imageRegistryPath, `-t <versionTag>`: tekton/publish.yaml, release/publish.yaml for
// chains). <name> is ko's default `<last path element>-<md5(import path)>` unless the release runs
// with --preserve-import-paths, which keeps the whole import path:
// - pipeline v1.15.0 .tekton/release.yaml L50-65 (imageRegistryPath tektoncd/pipeline, koExtraArgs "");
// - triggers v0.37.0 and dashboard v0.71.0 tekton/release-cheat-sheet.md (koExtraArgs="");
// - chains v0.29.1 .tekton/release.yaml L50-71 (koExtraArgs "--preserve-import-paths"; chains
//   switched after v0.25.1).
// The operator's own history holds bundled kodata of earlier releases with exactly these names
// (tektoncd/operator 27102a1189bb287d41eb320b8ac80c5ad3be2712^: pipeline 1.2.0 controller-10a3e32792f33651396d02b6855a6e36, triggers
// 0.32.0, dashboard 0.59.0, chains 0.25.1 controller-<md5>), and the chart's own default
// operator-303303c315a48490ba6517859ef65b77 is md5("github.com/tektoncd/operator/cmd/kubernetes/operator").
// The digests are release artifacts, not in any repository, and infra.tekton.dev is not reachable
// from here: the digest of each `<repo>:<version>` is asked of the registry at preview/update
// (components/cluster/tekton/operator-images.ts), the way the pipeline's unpinned step images are.
// Refresh on an operator bump: read the new components.yaml, re-vendor the config files below
// (test/vendor/tekton-operator-bundle/SOURCES.md) and update the versions and slots here; the test
// fails until every image of the new manifests has its override.
//
// The upstream config files these entries are read from are vendored in
// test/vendor/tekton-operator-bundle/ (SOURCES.md); test/cluster/tekton-operator-images.test.ts
// resolves them the way `ko resolve` names images and applies the operator's own env → image
// transformer to them, so a version bump that adds or renames an image fails there.
//
// Dependency-free (the policy pack imports it).
import { createHash } from "node:crypto";

/** The operator release this table was read for (model/versions.ts CHARTS.tektonOperator.appVersion must match). */
export const TEKTON_OPERATOR_BUNDLE_RELEASE = "v0.81.1";

/** A Tekton component the operator installs, at the version operator v0.81.1 bundles (components.yaml). */
export interface BundledComponent {
    /** tektoncd/<repo>. */
    readonly repo: string;
    readonly version: string;
    /** Operator env prefix it reads this component's overrides from (pkg/reconciler/common/transformers.go L49-60). */
    readonly envPrefix: string;
    /** How the release names ko-built images (see the header). */
    readonly koNaming: "md5" | "preserve-import-paths";
}

export const TEKTON_BUNDLED_COMPONENTS = {
    pipeline: { repo: "pipeline", version: "v1.15.0", envPrefix: "IMAGE_PIPELINES_", koNaming: "md5" },
    triggers: { repo: "triggers", version: "v0.37.0", envPrefix: "IMAGE_TRIGGERS_", koNaming: "md5" },
    chains: { repo: "chains", version: "v0.29.1", envPrefix: "IMAGE_CHAINS_", koNaming: "preserve-import-paths" },
    dashboard: { repo: "dashboard", version: "v0.71.0", envPrefix: "IMAGE_DASHBOARD_", koNaming: "md5" },
} as const satisfies Record<string, BundledComponent>;

export type BundledComponentName = keyof typeof TEKTON_BUNDLED_COMPONENTS;

/** One image slot of a bundled manifest: a container's image or a `-<flag>` controller arg. */
export interface BundledImageSlot {
    readonly component: BundledComponentName;
    /** The container whose image it is, or the arg flag (with its leading `-`) whose value it is. */
    readonly slot: { container: string } | { arg: string };
    /** `ko://<import path>` as in the component's config/, or a literal reference with its digest. */
    readonly bundled: string;
    /**
     * The image run instead, when the bundled one's registry has no ACR cache rule (upstream host +
     * path + tag; its digest is looked up like the others), with the reason.
     */
    readonly replacement?: { readonly image: string; readonly why: string };
}

export const TEKTON_BUNDLED_IMAGES: readonly BundledImageSlot[] = [
    // tektoncd/pipeline v1.15.0 config/controller.yaml (container and its -*-image args)
    {
        component: "pipeline",
        slot: { container: "tekton-pipelines-controller" },
        bundled: "ko://github.com/tektoncd/pipeline/cmd/controller",
    },
    { component: "pipeline", slot: { arg: "-entrypoint-image" }, bundled: "ko://github.com/tektoncd/pipeline/cmd/entrypoint" },
    { component: "pipeline", slot: { arg: "-nop-image" }, bundled: "ko://github.com/tektoncd/pipeline/cmd/nop" },
    {
        component: "pipeline",
        slot: { arg: "-sidecarlogresults-image" },
        bundled: "ko://github.com/tektoncd/pipeline/cmd/sidecarlogresults",
    },
    { component: "pipeline", slot: { arg: "-workingdirinit-image" }, bundled: "ko://github.com/tektoncd/pipeline/cmd/workingdirinit" },
    {
        component: "pipeline",
        slot: { arg: "-shell-image" },
        bundled: "cgr.dev/chainguard/busybox@sha256:19f02276bf8dbdd62f069b922f10c65262cc34b710eea26ff928129a736be791",
        // The "place-scripts" init container runs `sh -c` with touch, chmod and cat, then Tekton's own
        // entrypoint binary (tektoncd/pipeline v1.15.0 pkg/pod/script.go convertScripts L93-107,
        // L197-198), with runAsNonRoot and no runAsUser when set-security-context is on
        // (pkg/pod/security_context_config.go LinuxSecurityContext): the image itself must run as a
        // non-root user, which Docker Hub's busybox (root) does not. Distroless' debug-nonroot
        // image does: busybox on its PATH, user 65532 (GoogleContainerTools/distroless cd080764
        // static/static.bzl static_debug_*: PATH "$PATH:/busybox", user = uid; common/variables.bzl
        // NONROOT = 65532; README tags latest, nonroot, debug, debug-nonroot). Tekton itself shipped
        // a distroless shell image before cgr.dev (tektoncd/pipeline v0.20.0 config/controller.yaml
        // -shell-image gcr.io/distroless/base@sha256:9272…). The tag floats: the digest looked up
        // at preview is the one deployed.
        replacement: {
            image: "gcr.io/distroless/static-debian13:debug-nonroot",
            why: "cgr.dev is not an ACR artifact-cache upstream; distroless' non-root busybox image on gcr.io serves the same purpose",
        },
    },
    {
        component: "pipeline",
        slot: { arg: "-shell-image-win" },
        bundled: "mcr.microsoft.com/powershell:nanoserver@sha256:b6d5ff841b78bdf2dfed7550000fd4f3437385b8fa686ec0f010be24777654d6",
    },
    // config/events.yaml, config/resolvers/resolvers-deployment.yaml, config/webhook.yaml
    { component: "pipeline", slot: { container: "tekton-events-controller" }, bundled: "ko://github.com/tektoncd/pipeline/cmd/events" },
    { component: "pipeline", slot: { container: "controller" }, bundled: "ko://github.com/tektoncd/pipeline/cmd/resolvers" },
    { component: "pipeline", slot: { container: "webhook" }, bundled: "ko://github.com/tektoncd/pipeline/cmd/webhook" },
    // tektoncd/triggers v0.37.0 config/controller.yaml (-el-image: every EventListener's pod),
    // config/webhook.yaml, config/interceptors/core-interceptors-deployment.yaml
    {
        component: "triggers",
        slot: { container: "tekton-triggers-controller" },
        bundled: "ko://github.com/tektoncd/triggers/cmd/controller",
    },
    { component: "triggers", slot: { arg: "-el-image" }, bundled: "ko://github.com/tektoncd/triggers/cmd/eventlistenersink" },
    { component: "triggers", slot: { container: "webhook" }, bundled: "ko://github.com/tektoncd/triggers/cmd/webhook" },
    {
        component: "triggers",
        slot: { container: "tekton-triggers-core-interceptors" },
        bundled: "ko://github.com/tektoncd/triggers/cmd/interceptors",
    },
    // tektoncd/chains v0.29.1 config/100-deployment.yaml
    { component: "chains", slot: { container: "tekton-chains-controller" }, bundled: "ko://github.com/tektoncd/chains/cmd/controller" },
    // tektoncd/dashboard v0.71.0 config/300-deployment.yaml (image `dashboardImage`, set by
    // config/kustomization.yaml images[].newName)
    { component: "dashboard", slot: { container: "tekton-dashboard" }, bundled: "ko://github.com/tektoncd/dashboard/cmd/dashboard" },
];

/** `ghcr.io/tektoncd/<repo>/<name>:<version>` for a `ko://<import path>` under a ko naming (see the header). */
export function koReleaseName(repo: string, koNaming: BundledComponent["koNaming"], importPath: string, version: string): string {
    const name =
        koNaming === "md5"
            ? `${importPath.slice(importPath.lastIndexOf("/") + 1)}-${createHash("md5").update(importPath).digest("hex")}`
            : importPath;
    return `ghcr.io/tektoncd/${repo}/${name}:${version}`;
}

/** What the component's release names a bundled image: ko:// resolved (koReleaseName), literals as they are. */
export function releasedImage(component: BundledComponentName, bundled: string): string {
    if (!bundled.startsWith("ko://")) return bundled;
    const c = TEKTON_BUNDLED_COMPONENTS[component];
    return koReleaseName(c.repo, c.koNaming, bundled.slice("ko://".length), c.version);
}

/**
 * The env variable the operator reads for a slot: its component prefix plus the key it looks up —
 * `arg_` + flag for args, the container name for containers, lower-cased with `-` as `_`
 * (tektoncd/operator v0.81.1 pkg/reconciler/common/transformers.go formKey L345-351, looked up by
 * replaceContainerImages L314-326 / replaceContainersArgsImage L328-343 in the map
 * ImagesFromEnv(prefix) (L170-184) + ToLowerCaseKeys (L223-232) builds). Upper-cased here as the
 * operator's docs spell them (docs/AirGapImageConfiguration.md).
 */
export function operatorEnvName(slot: BundledImageSlot): string {
    const prefix = TEKTON_BUNDLED_COMPONENTS[slot.component].envPrefix;
    const key = "arg" in slot.slot ? `arg_${slot.slot.arg}` : slot.slot.container;
    return `${prefix}${key.toLowerCase().replace(/-/g, "_").toUpperCase()}`;
}

/** The upstream image an override names: the released one, or its replacement. */
export function upstreamImage(slot: BundledImageSlot): string {
    return slot.replacement?.image ?? releasedImage(slot.component, slot.bundled);
}

/** Every operator env variable the stack sets for the bundled images (the policy pack checks them all). */
export const TEKTON_OPERATOR_IMAGE_ENVS: readonly string[] = TEKTON_BUNDLED_IMAGES.map(operatorEnvName);

// ---- Making an override change reach the cluster ----
//
// The operator re-applies a component's TektonInstallerSets only when the hash of the component's
// spec changes: Pipelines, Triggers and Dashboard hash {Spec, PlatformData, RegistryOverride}
// (tektoncd/operator v0.81.1 pkg/reconciler/kubernetes/tektoninstallerset/client/check.go L140-150,
// specHashInput L162-171; set on update by client/update.go L91-97), Chains hashes its spec
// (pkg/reconciler/kubernetes/tektonchain/tektonchain.go L439-483). The IMAGE_* env is in none of
// them, so a changed value alone leaves the running Deployments on the old images
// (docs/AirGapImageConfiguration.md L57-65). The TektonConfig's per-component `options` are copied
// into those specs (pkg/reconciler/shared/tektonconfig/pipeline/pipeline.go L79, L137-138;
// trigger/trigger.go L79, L109-110; chain/chain.go L120-121, L172;
// pkg/reconciler/kubernetes/tektonconfig/extension/dashboard.go L77, L103-104), so the stack puts
// a digest of each component's overrides there, as an annotation on one of its Deployments
// (`options.deployments.<name>.metadata.annotations`, merged into the Deployment's annotations by
// pkg/reconciler/common/transformer_additional_options.go updateDeployments L247-264,
// updateMapField L137-160; nothing else of the Deployment is set when the option carries only
// metadata; the TektonConfig webhook validates only webhookConfigurationOptions of `options`:
// pkg/apis/operator/v1alpha1/additional_options_validation.go L41-48, tektonconfig_validation.go
// L139-142). A changed override changes the digest, the component spec, its hash: the operator
// re-transforms the manifests with the current env and updates the installer sets. The first `up`
// with these annotations re-applies all four components once.

/** The annotation carrying the digest of a component's image overrides. */
export const IMAGE_OVERRIDES_ANNOTATION = "platform.example.com/tekton-image-overrides";

/** Where each component's overrides digest goes: its TektonConfig spec key and the Deployment annotated. */
export const TEKTON_OVERRIDE_TARGETS: Record<BundledComponentName, { readonly specKey: string; readonly deployment: string }> = {
    // Deployment names: tektoncd/pipeline v1.15.0 config/controller.yaml, triggers v0.37.0
    // config/controller.yaml, chains v0.29.1 config/100-deployment.yaml, dashboard v0.71.0
    // config/300-deployment.yaml (vendored; the test checks each is a Deployment of its component).
    pipeline: { specKey: "pipeline", deployment: "tekton-pipelines-controller" },
    triggers: { specKey: "trigger", deployment: "tekton-triggers-controller" },
    chains: { specKey: "chain", deployment: "tekton-chains-controller" },
    dashboard: { specKey: "dashboard", deployment: "tekton-dashboard" },
};

/**
 * `sha256:<hex>` of the image env the operator reads for a component (every `name=value` with its
 * env prefix, sorted by name, one a line): what its Deployments and args are transformed with.
 */
export function imageOverridesDigest(env: readonly { name: string; value: string }[], component: BundledComponentName): string {
    const prefix = TEKTON_BUNDLED_COMPONENTS[component].envPrefix;
    const lines = env
        .filter(e => e.name.startsWith(prefix))
        .map(e => `${e.name}=${e.value}\n`)
        .sort();
    return `sha256:${createHash("sha256").update(lines.join("")).digest("hex")}`;
}
