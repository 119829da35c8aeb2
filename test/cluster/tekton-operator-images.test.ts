// Every image the Tekton Operator v0.81.1 deploys (or hands to Tekton as a controller arg) is
// overridden to the stack's ACR. Computed the way the operator does it: the upstream config files
// of the bundled components (test/vendor/tekton-operator-bundle, byte-for-byte at the versions
// components.yaml names), resolved as `ko resolve` names release images, then run through a port
// of the operator's own env → image transformer with the env the stack gives the operator chart.
// Scope: the four components' workloads (and the images their controllers get as args), the
// operator's own proxy webhook (its kodata, installed with Pipelines; image from the chart's
// IMAGE_PIPELINES_PROXY) and the pruner CronJob's image (IMAGE_JOB_PRUNER_TKN, read as is:
// tektoncd/operator v0.81.1 pkg/reconciler/common/prune.go L45, L171). The operator's own
// Deployments are the chart's (test/cluster/platform-images.test.ts).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import YAML from "yaml";
import { TektonPlatform, tektonConfigSpec } from "../../components/cluster/tekton";
import { registryLookupName as lookupName } from "../../components/cluster/registry-digest";
import {
    BundledComponent,
    BundledComponentName,
    IMAGE_OVERRIDES_ANNOTATION,
    imageOverridesDigest,
    koReleaseName,
    operatorEnvName,
    releasedImage,
    TEKTON_BUNDLED_COMPONENTS,
    TEKTON_BUNDLED_IMAGES,
    TEKTON_OPERATOR_BUNDLE_RELEASE,
    TEKTON_OPERATOR_IMAGE_ENVS,
    TEKTON_OVERRIDE_TARGETS,
    upstreamImage,
} from "../../model/tekton-operator-images";
import { effectiveImages } from "./chart-images";
import { CHARTS } from "../../model/versions";
import { mockRegistryDigest } from "../../tools/mock-outputs";
import { byName, freshRun, StackRun } from "../harness";

const VENDOR = path.join(__dirname, "..", "vendor", "tekton-operator-bundle");
const ACR = "platformacr.azurecr.io";
const read = (file: string) => fs.readFileSync(path.join(VENDOR, file), "utf8");

/** The config files each component's release manifest is built from (SOURCES.md). */
const CONFIG_FILES: Record<BundledComponentName, string[]> = {
    pipeline: ["pipeline/controller.yaml", "pipeline/events.yaml", "pipeline/resolvers-deployment.yaml", "pipeline/webhook.yaml"],
    triggers: ["triggers/controller.yaml", "triggers/webhook.yaml", "triggers/core-interceptors-deployment.yaml"],
    chains: ["chains/100-deployment.yaml"],
    dashboard: ["dashboard/300-deployment.yaml"],
};

interface Container {
    name: string;
    image: string;
    args?: string[];
}
interface Workload {
    kind: string;
    metadata: { name: string };
    spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } };
}

/** Replaces every `ko://…` string the way the component's release does (and kustomize image names for the dashboard). */
function resolveRelease(component: BundledComponentName, value: unknown, kustomizeImages: Record<string, string>): unknown {
    if (typeof value === "string") {
        const named = kustomizeImages[value] ?? value;
        return named.startsWith("ko://") ? releasedImage(component, named) : named;
    }
    if (Array.isArray(value)) return value.map(v => resolveRelease(component, v, kustomizeImages));
    if (value && typeof value === "object")
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRelease(component, v, kustomizeImages)]));
    return value;
}

/** The Deployments/StatefulSets of a component's release manifest, as the operator finds them in its kodata. */
function releaseWorkloads(component: BundledComponentName): Workload[] {
    // Dashboard: config/kustomization.yaml `images: [{name: dashboardImage, newName: ko://…}]`.
    const kustomizeImages: Record<string, string> = {};
    if (component === "dashboard") {
        for (const i of YAML.parse(read("dashboard/kustomization.yaml")).images as { name: string; newName: string }[])
            kustomizeImages[i.name] = i.newName;
    }
    return CONFIG_FILES[component]
        .flatMap(f => YAML.parseAllDocuments(read(f)).map(d => d.toJS()))
        .filter(o => o && (o.kind === "Deployment" || o.kind === "StatefulSet"))
        .map(o => resolveRelease(component, o, kustomizeImages) as Workload);
}

/**
 * The operator chart's Deployment template (chart 0.81.1 templates/deployment.yaml) parsed as YAML
 * with `operator.additionalEnvs` rendered by its `range` loop (L76-79, L136-139: `name`, `value |
 * quote`) and every other action blanked: a line holding only an action is dropped, an inline one
 * becomes the word TEMPLATE (if/else branches then both stay, hence duplicate keys allowed). Enough
 * to read which container gets which env names; the values of the chart's own env are its helpers'
 * (test/cluster/chart-images.ts).
 */
function chartOperatorContainers(
    additionalEnvs: { name: string; value: string }[],
): { name: string; env: { name: string; value?: string }[] }[] {
    const lines = read("operator/chart-deployment.yaml").split("\n");
    const out: string[] = [];
    for (let i = 0; i < lines.length; i++) {
        const range = /^(\s*)\{\{- range \.Values\.(\w+)\.additionalEnvs \}\}$/.exec(lines[i]);
        if (range) {
            const end = lines.findIndex((l, j) => j > i && l.trim() === "{{- end }}");
            assert.deepEqual(
                lines.slice(i + 1, end).map(l => l.trim()),
                ["- name: {{ .name }}", "value: {{ .value | quote }}"],
            );
            if (range[2] === "operator")
                for (const e of additionalEnvs)
                    out.push(`${range[1]}- name: ${JSON.stringify(e.name)}`, `${range[1]}  value: ${JSON.stringify(e.value)}`);
            i = end;
            continue;
        }
        if (/^\s*\{\{.*\}\}\s*$/.test(lines[i])) continue;
        out.push(lines[i].replace(/\{\{.*?\}\}/g, "TEMPLATE"));
    }
    return YAML.parseAllDocuments(out.join("\n"), { uniqueKeys: false })
        .map(d => d.toJS() as Workload)
        .filter(o => o?.kind === "Deployment")
        .flatMap(w => w.spec.template.spec.containers as unknown as { name: string; env: { name: string; value?: string }[] }[]);
}

/** The operator's own proxy webhook as it ships in its kodata (the operator installs it with Pipelines). */
function operatorWebhookWorkloads(): Workload[] {
    return YAML.parseAllDocuments(read("operator/kodata-webhook.yaml"))
        .map(d => d.toJS())
        .filter(o => o && (o.kind === "Deployment" || o.kind === "StatefulSet"));
}

// ---- Port of tektoncd/operator v0.81.1 pkg/reconciler/common/transformers.go (TEKTON_REGISTRY_OVERRIDE unset) ----

/** ImagesFromEnv (L170-184) + ToLowerCaseKeys (L223-232): env names with the prefix, minus it, lower-cased. */
function imagesFromEnv(env: { name: string; value: string }[], prefix: string): Map<string, string> {
    const images = new Map<string, string>();
    for (const e of env) {
        if (!e.name.startsWith(prefix)) continue;
        // `strings.Split(env, "=")[1]`: a value containing '=' would be cut there.
        images.set(e.name.slice(prefix.length).toLowerCase(), `${e.name}=${e.value}`.split("=")[1]);
    }
    return images;
}

/** formKey (L345-351). */
function formKey(prefix: string, arg: string): string {
    return (prefix + arg.toLowerCase()).replace(/-/g, "_");
}

/** replaceContainerImages (L314-326) + replaceContainersArgsImage (L328-343); records the keys used. */
function replaceContainerImages(containers: Container[], images: Map<string, string>, used: Set<string>): void {
    for (const c of containers) {
        const key = formKey("", c.name);
        if (images.has(key)) {
            c.image = images.get(key)!;
            used.add(key);
        }
        const args = c.args ?? [];
        args.forEach((arg, a) => {
            const split = arg.split("=");
            if (split.length === 2) {
                const k = formKey("arg_", split[0]);
                if (images.has(k)) {
                    args[a] = `${split[0]}=${images.get(k)}`;
                    used.add(k);
                }
                return;
            }
            const k = formKey("arg_", arg);
            if (images.has(k)) {
                args[a + 1] = images.get(k)!;
                used.add(k);
            }
        });
    }
}

/** A controller flag whose value is an image (`-entrypoint-image`, `-shell-image-win`, `-el-image` …). */
const IMAGE_FLAG = /^-[a-z-]+-image(-[a-z]+)?$/;

/** Every image reference a workload carries: container images and the values of `-*-image` args. */
function imagesOf(w: Workload): string[] {
    const spec = w.spec.template.spec;
    return [...spec.containers, ...(spec.initContainers ?? [])].flatMap(c => [
        c.image,
        ...(c.args ?? []).flatMap((a, i, all) =>
            IMAGE_FLAG.test(a) ? [all[i + 1]] : IMAGE_FLAG.test(a.split("=")[0]) && a.includes("=") ? [a.split("=")[1]] : [],
        ),
    ]);
}

describe("Tekton Operator bundled images through ACR", () => {
    let r: StackRun;
    let env: { name: string; value: string }[];
    let values: Record<string, any>;
    before(async () => {
        r = await freshRun({
            stack: "dev",
            program: () => {
                new TektonPlatform("tekton", { provider: new k8s.Provider("primary", {}), acrLoginServer: ACR });
            },
        });
        values = (byName(r, "kubernetes:helm.sh/v3:Release", "tekton-operator").inputs as Record<string, any>).values;
        env = values.operator.additionalEnvs ?? [];
    });

    it("the table is read for the operator release the stack installs (an operator bump fails here until it is re-read)", () => {
        assert.equal(TEKTON_OPERATOR_BUNDLE_RELEASE, CHARTS.tektonOperator.appVersion);
    });

    it("the vendored config files are the versions operator v0.81.1 bundles (components.yaml)", () => {
        const components = YAML.parse(read("operator/components.yaml")) as Record<string, { github: string; version: string }>;
        for (const [name, c] of Object.entries(TEKTON_BUNDLED_COMPONENTS)) {
            assert.equal(components[name].github, `tektoncd/${c.repo}`, name);
            assert.equal(components[name].version, c.version, name);
        }
    });

    it("names released images as the components' releases did (md5 names checked against the operator's own bundled kodata)", () => {
        // Real release manifests once committed into the operator's kodata (SOURCES.md): the same
        // ko naming rule at older versions must reproduce every image they name.
        const released = new Set(
            read("operator/kodata-images-27102a1.txt")
                .split("\n")
                .filter(Boolean)
                .map(l => l.split("@")[0]),
        );
        const older: Record<string, { repo: string; version: string }> = {
            pipeline: { repo: "pipeline", version: "v1.2.0" },
            triggers: { repo: "triggers", version: "v0.32.0" },
            chains: { repo: "chains", version: "v0.25.1" },
            dashboard: { repo: "dashboard", version: "v0.59.0" },
        };
        const computed = new Set(
            TEKTON_BUNDLED_IMAGES.filter(s => s.bundled.startsWith("ko://")).map(s => {
                const o = older[s.component];
                // Chains switched to --preserve-import-paths after v0.25.1 (its .tekton/release.yaml at v0.29.1).
                return koReleaseName(o.repo, "md5", s.bundled.slice("ko://".length), o.version);
            }),
        );
        assert.deepEqual([...computed].sort(), [...released].sort());
        assert.equal(
            releasedImage("chains", "ko://github.com/tektoncd/chains/cmd/controller"),
            "ghcr.io/tektoncd/chains/github.com/tektoncd/chains/cmd/controller:v0.29.1",
        );
    });

    it("every image slot of the bundled manifests has an entry (containers and -*-image args), and no entry is stale", () => {
        for (const component of Object.keys(CONFIG_FILES) as BundledComponentName[]) {
            const slots = releaseWorkloads(component).flatMap(w =>
                w.spec.template.spec.containers.flatMap(c => [
                    `container:${c.name}`,
                    ...(c.args ?? []).filter(a => IMAGE_FLAG.test(a)).map(a => `arg:${a}`),
                ]),
            );
            const table = TEKTON_BUNDLED_IMAGES.filter(s => s.component === component).map(s =>
                "arg" in s.slot ? `arg:${s.slot.arg}` : `container:${s.slot.container}`,
            );
            assert.deepEqual([...new Set(slots)].sort(), [...table].sort(), component);
        }
    });

    it("the operator chart gets one env variable per bundled image, named as the operator's docs list them", () => {
        assert.deepEqual(
            env.map(e => e.name),
            [...TEKTON_OPERATOR_IMAGE_ENVS],
        );
        // The names docs/AirGapImageConfiguration.md (v0.81.1) lists for these images.
        for (const documented of [
            "IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER",
            "IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE",
            "IMAGE_PIPELINES_ARG__NOP_IMAGE",
            "IMAGE_PIPELINES_ARG__SHELL_IMAGE",
            "IMAGE_PIPELINES_ARG__SHELL_IMAGE_WIN",
            "IMAGE_PIPELINES_ARG__WORKINGDIRINIT_IMAGE",
            "IMAGE_PIPELINES_CONTROLLER",
            "IMAGE_PIPELINES_TEKTON_EVENTS_CONTROLLER",
            "IMAGE_PIPELINES_WEBHOOK",
            "IMAGE_TRIGGERS_ARG__EL_IMAGE",
            "IMAGE_TRIGGERS_TEKTON_TRIGGERS_CONTROLLER",
            "IMAGE_TRIGGERS_TEKTON_TRIGGERS_CORE_INTERCEPTORS",
            "IMAGE_TRIGGERS_WEBHOOK",
            "IMAGE_CHAINS_TEKTON_CHAINS_CONTROLLER",
            "IMAGE_DASHBOARD_TEKTON_DASHBOARD",
        ])
            assert.ok(TEKTON_OPERATOR_IMAGE_ENVS.includes(documented), documented);
        // The chart puts operator.additionalEnvs on the operator's lifecycle container (the one
        // running the component reconcilers), beside its own IMAGE_PIPELINES_PROXY / IMAGE_JOB_PRUNER_TKN.
        const lifecycle = chartOperatorContainers(env).find(c => c.name === "tekton-operator-lifecycle");
        assert.ok(lifecycle, "the chart has a tekton-operator-lifecycle container");
        const names = lifecycle.env.map(e => e.name);
        for (const name of ["IMAGE_PIPELINES_PROXY", "IMAGE_JOB_PRUNER_TKN", ...TEKTON_OPERATOR_IMAGE_ENVS])
            assert.ok(names.includes(name), name);
        for (const e of env) assert.equal(lifecycle.env.find(x => x.name === e.name)?.value, e.value, e.name);
    });

    it("after the operator's transformer, every image it deploys or passes as an arg is <acr>/<host>/<path>:<tag>@<digest>", () => {
        const used = new Set<string>();
        const seen: string[] = [];
        for (const component of Object.keys(CONFIG_FILES) as BundledComponentName[]) {
            const prefix = TEKTON_BUNDLED_COMPONENTS[component].envPrefix;
            const images = imagesFromEnv(env, prefix);
            for (const w of releaseWorkloads(component)) {
                replaceContainerImages(w.spec.template.spec.containers, images, used);
                replaceContainerImages(w.spec.template.spec.initContainers ?? [], images, used);
                for (const image of imagesOf(w)) {
                    seen.push(image);
                    assert.ok(image.startsWith(`${ACR}/`), `${component} ${w.metadata.name}: ${image} is not from the ACR`);
                    assert.match(image, /^[a-z0-9.]+\/[a-z0-9.-]+\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$/, image);
                }
            }
            for (const key of images.keys()) assert.ok(used.has(key), `${prefix}${key.toUpperCase()} matches no container or arg`);
        }
        assert.equal(seen.length, TEKTON_BUNDLED_IMAGES.length);
    });

    it("the operator's proxy webhook (its kodata, installed with Pipelines) and the pruner CronJob run the chart's IMAGE_PIPELINES_PROXY / IMAGE_JOB_PRUNER_TKN, from the ACR", () => {
        // The chart sets both from webhookProxy.image and pruner.image (templates/deployment.yaml
        // L51-54; the helpers' rendering in test/cluster/chart-images.ts).
        const chartImages = effectiveImages("tektonOperator", values);
        const lifecycleEnv = [
            { name: "IMAGE_PIPELINES_PROXY", value: chartImages.webhookProxy },
            { name: "IMAGE_JOB_PRUNER_TKN", value: chartImages.pruner },
            ...env,
        ];
        const images = imagesFromEnv(lifecycleEnv, TEKTON_BUNDLED_COMPONENTS.pipeline.envPrefix);
        const used = new Set<string>();
        const webhooks = operatorWebhookWorkloads();
        assert.deepEqual(
            webhooks.map(w => w.metadata.name),
            ["tekton-operator-proxy-webhook"],
        );
        for (const w of webhooks) {
            replaceContainerImages(w.spec.template.spec.containers, images, used);
            for (const image of imagesOf(w)) assert.ok(image.startsWith(`${ACR}/`), `${w.metadata.name}: ${image} is not from the ACR`);
        }
        assert.ok(used.has("proxy"), "IMAGE_PIPELINES_PROXY replaces the proxy container's image");
        assert.equal(
            webhooks[0].spec.template.spec.containers[0].image,
            `${ACR}/ghcr.io/tektoncd/operator/proxy-webhook-f6167da7bc41b96a27c5529f850e63d1:${CHARTS.tektonOperator.appVersion}`,
        );
        // The pruner CronJob's container image is the variable's value as is (prune.go L171, L292).
        assert.match(chartImages.pruner, new RegExp(`^${ACR.replace(/\./g, "\\.")}/ghcr\\.io/tektoncd/plumbing/tkn@sha256:[0-9a-f]{64}$`));
    });

    it("each override is the bundled image's own repository and tag through its host's cache rule, pinned by the registry's digest", () => {
        for (const slot of TEKTON_BUNDLED_IMAGES) {
            const value = env.find(e => e.name === operatorEnvName(slot))!.value;
            const upstream = upstreamImage(slot);
            if (upstream.includes("@")) {
                // A digest pinned in the upstream config itself is kept (the Windows shell image).
                assert.equal(value, `${ACR}/${upstream}`, slot.bundled);
            } else {
                assert.equal(value, `${ACR}/${upstream}@${mockRegistryDigest(lookupName(upstream))}`, slot.bundled);
            }
            if (!slot.replacement) assert.equal(upstream, releasedImage(slot.component, slot.bundled));
        }
        // The only replacement: cgr.dev has no cache rule (model/image-sources.ts UPSTREAM_REGISTRIES).
        assert.deepEqual(
            TEKTON_BUNDLED_IMAGES.filter(s => s.replacement).map(s => [s.bundled.split("/")[0], s.replacement!.image]),
            [["cgr.dev", "gcr.io/distroless/static-debian13:debug-nonroot"]],
        );
    });
});

// ---- What makes the operator re-apply a component (tektoncd/operator v0.81.1) ----

/**
 * The component CR specs the TektonConfig reconciler derives from a TektonConfig spec (JSON as the
 * API server stores it): Pipeline/Trigger/Chain/Dashboard are inlined into the CR spec next to the
 * shared CommonSpec (targetNamespace), Config and NetworkPolicy —
 * pkg/reconciler/shared/tektonconfig/pipeline/pipeline.go GetTektonPipelineCR L65-84,
 * trigger/trigger.go GetTektonTriggerCR L64-83, chain/chain.go GetTektonChainCR L157-176,
 * pkg/reconciler/kubernetes/tektonconfig/extension/dashboard.go L72-78 (no NetworkPolicy); the
 * spec types in pkg/apis/operator/v1alpha1/tekton{pipeline,trigger,chain,dashboard}_types.go.
 * `options.deployments` is map[string]appsv1.Deployment (additional_options.go), so the annotation
 * is a typed field (ObjectMeta.Annotations) and survives the decoding into the CR.
 */
function componentSpecs(spec: Record<string, any>): Record<BundledComponentName, unknown> {
    const common = { targetNamespace: spec.targetNamespace, config: spec.config, networkPolicy: spec.networkPolicy };
    return {
        pipeline: { ...common, ...spec.pipeline },
        triggers: { ...common, ...spec.trigger },
        chains: { ...common, ...spec.chain },
        dashboard: { targetNamespace: spec.targetNamespace, config: spec.config, ...spec.dashboard },
    };
}

/**
 * The hash the operator compares with the installer sets' operator.tekton.dev/last-applied-hash
 * (pkg/reconciler/shared/hash/hash.go Compute: sha256 of the JSON): {Spec, PlatformData,
 * RegistryOverride} for Pipelines, Triggers and Dashboard
 * (pkg/reconciler/kubernetes/tektoninstallerset/client/check.go L140-150, specHashInput L162-171;
 * no platform data on Kubernetes, TEKTON_REGISTRY_OVERRIDE unset), the bare spec for Chains
 * (pkg/reconciler/kubernetes/tektonchain/tektonchain.go L439-448).
 */
function operatorSpecHashes(spec: Record<string, any>): Record<BundledComponentName, string> {
    // Go marshals struct fields in declaration order whatever order the object arrived in: keys sorted here.
    const canonical = (v: unknown): unknown =>
        Array.isArray(v)
            ? v.map(canonical)
            : v && typeof v === "object"
              ? Object.fromEntries(
                    Object.keys(v)
                        .sort()
                        .map(k => [k, canonical((v as Record<string, unknown>)[k])]),
                )
              : v;
    const sha = (v: unknown) =>
        createHash("sha256")
            .update(JSON.stringify(canonical(v)))
            .digest("hex");
    const specs = componentSpecs(spec);
    return {
        pipeline: sha({ Spec: specs.pipeline, PlatformData: "", RegistryOverride: "" }),
        triggers: sha({ Spec: specs.triggers, PlatformData: "", RegistryOverride: "" }),
        chains: sha(specs.chains),
        dashboard: sha({ Spec: specs.dashboard, PlatformData: "", RegistryOverride: "" }),
    };
}

/** Resolves every Output in a value (the recorded TektonConfig spec holds the digests as Outputs when built directly). */
async function resolved(value: unknown): Promise<any> {
    return new Promise(resolve => pulumi.output(value as Record<string, unknown>).apply(v => resolve(v)));
}

describe("Tekton Operator: a changed image override reaches the running components", () => {
    let r: StackRun;
    let env: { name: string; value: string }[];
    let tektonConfig: Record<string, any>;
    before(async () => {
        r = await freshRun({
            stack: "dev",
            program: () => {
                new TektonPlatform("tekton", { provider: new k8s.Provider("primary", {}), acrLoginServer: ACR });
            },
        });
        const values = (byName(r, "kubernetes:helm.sh/v3:Release", "tekton-operator").inputs as Record<string, any>).values;
        // What the operator's lifecycle container gets (chart 0.81.1 templates/deployment.yaml
        // L51-54 and the additionalEnvs loop L76-79): the chart's IMAGE_PIPELINES_PROXY as its
        // helper renders it from the values, then the stack's overrides.
        const proxy = effectiveImages("tektonOperator", values).webhookProxy;
        env = [{ name: "IMAGE_PIPELINES_PROXY", value: proxy }, ...values.operator.additionalEnvs];
        tektonConfig = byName(r, "kubernetes:operator.tekton.dev/v1alpha1:TektonConfig", "tekton-config").inputs as Record<string, any>;
    });

    it("each component's TektonConfig options annotate one of its Deployments with exactly the digest of its IMAGE_* env", () => {
        for (const [component, c] of Object.entries(TEKTON_BUNDLED_COMPONENTS) as [BundledComponentName, BundledComponent][]) {
            const target = TEKTON_OVERRIDE_TARGETS[component];
            // sha256 over `NAME=value\n` of the component's env, sorted (model/tekton-operator-images.ts).
            const lines = env
                .filter(e => e.name.startsWith(c.envPrefix))
                .map(e => `${e.name}=${e.value}\n`)
                .sort();
            assert.ok(lines.length > 0, component);
            const digest = `sha256:${createHash("sha256").update(lines.join("")).digest("hex")}`;
            assert.deepEqual(
                tektonConfig.spec[target.specKey].options,
                { deployments: { [target.deployment]: { metadata: { annotations: { [IMAGE_OVERRIDES_ANNOTATION]: digest } } } } },
                component,
            );
            // …on a Deployment the component's release really has (so the options transformer finds it).
            assert.ok(
                releaseWorkloads(component).some(w => w.kind === "Deployment" && w.metadata.name === target.deployment),
                `${target.deployment} is a Deployment of ${component}`,
            );
        }
        // The pipeline digest covers the proxy webhook's image too (it is installed with Pipelines).
        assert.ok(
            env.some(e => e.name === "IMAGE_PIPELINES_PROXY" && e.value.startsWith(`${ACR}/ghcr.io/tektoncd/operator/proxy-webhook-`)),
        );
    });

    it("changing one override value changes the spec hash the operator compares for that component (and only that one)", async () => {
        const specWith = async (e: { name: string; value: string }[]) => {
            const digests = Object.fromEntries(
                (Object.keys(TEKTON_BUNDLED_COMPONENTS) as BundledComponentName[]).map(c => [c, imageOverridesDigest(e, c)]),
            ) as Record<BundledComponentName, string>;
            return resolved(tektonConfigSpec(50, "0 3 * * *", digests));
        };
        const before = operatorSpecHashes(await specWith(env));
        // The floating shell image resolves to another digest at the next preview.
        const shell = "IMAGE_PIPELINES_ARG__SHELL_IMAGE";
        const changed = env.map(e => (e.name === shell ? { ...e, value: e.value.replace(/@sha256:.*/, `@sha256:${"0".repeat(64)}`) } : e));
        assert.notDeepEqual(changed, env);
        const after = operatorSpecHashes(await specWith(changed));
        assert.notEqual(after.pipeline, before.pipeline, "TektonPipeline spec hash");
        assert.deepEqual([after.triggers, after.chains, after.dashboard], [before.triggers, before.chains, before.dashboard]);
        // One value of each other component likewise changes its own hash.
        for (const component of ["triggers", "chains", "dashboard"] as const) {
            const name = TEKTON_OPERATOR_IMAGE_ENVS.find(n => n.startsWith(TEKTON_BUNDLED_COMPONENTS[component].envPrefix))!;
            const other = env.map(e => (e.name === name ? { ...e, value: `${e.value}x` } : e));
            assert.notEqual(operatorSpecHashes(await specWith(other))[component], before[component], component);
        }
    });

    it("the recorded TektonConfig's component specs are what the hash is computed over (the plan carries the digests)", async () => {
        const recorded = operatorSpecHashes(tektonConfig.spec);
        const built = operatorSpecHashes(
            await resolved(
                tektonConfigSpec(
                    50,
                    "0 3 * * *",
                    Object.fromEntries(
                        (Object.keys(TEKTON_BUNDLED_COMPONENTS) as BundledComponentName[]).map(c => [c, imageOverridesDigest(env, c)]),
                    ) as Record<BundledComponentName, string>,
                ),
            ),
        );
        assert.deepEqual(recorded, built);
    });
});
