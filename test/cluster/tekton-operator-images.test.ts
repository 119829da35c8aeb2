// Every image the Tekton Operator v0.81.1 deploys (or hands to Tekton as a controller arg) is
// overridden to the stack's ACR. Computed the way the operator does it: the upstream config files
// of the bundled components (test/vendor/tekton-operator-bundle, byte-for-byte at the versions
// components.yaml names), resolved as `ko resolve` names release images, then run through a port
// of the operator's own env → image transformer with the env the stack gives the operator chart.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import YAML from "yaml";
import { TektonPlatform } from "../../components/cluster/tekton";
import { lookupName } from "../../components/cluster/tekton/operator-images";
import {
    BundledComponentName,
    koReleaseName,
    operatorEnvName,
    releasedImage,
    TEKTON_BUNDLED_COMPONENTS,
    TEKTON_BUNDLED_IMAGES,
    TEKTON_OPERATOR_BUNDLE_RELEASE,
    TEKTON_OPERATOR_IMAGE_ENVS,
    upstreamImage,
} from "../../model/tekton-operator-images";
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
    before(async () => {
        r = await freshRun({
            stack: "dev",
            program: () => {
                new TektonPlatform("tekton", { provider: new k8s.Provider("primary", {}), acrLoginServer: ACR });
            },
        });
        const values = (byName(r, "kubernetes:helm.sh/v3:Release", "tekton-operator").inputs as Record<string, any>).values;
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
        // running the component reconcilers), after its own IMAGE_PIPELINES_PROXY / IMAGE_JOB_PRUNER_TKN.
        const template = read("operator/chart-deployment.yaml");
        const lifecycle = template.indexOf("name: tekton-operator-lifecycle\n");
        const loop = template.indexOf("range .Values.operator.additionalEnvs");
        assert.ok(loop > 0 && loop < lifecycle, "additionalEnvs is rendered into the tekton-operator-lifecycle container");
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
