// Platform images through ACR, over the whole dev and prod plans: every image a chart release
// runs (computed from the chart's own values.yaml and templates, test/cluster/chart-images.ts) and
// every image a Kubernetes object names is `<acr>/<upstream host>/…`, reached by an artifact-cache
// rule — except in Kubernetes' own namespaces.
import { strict as assert } from "assert";
import { byType, RecordedResource, stackRun, StackRun } from "../harness";
import { SYSTEM_NAMESPACES } from "../../model/names";
import { CHART_IMAGE_VALUES, throughAcr, UPSTREAM_REGISTRIES } from "../../model/image-sources";
import { CHARTS } from "../../model/versions";
import {
    BundledComponentName,
    IMAGE_OVERRIDES_ANNOTATION,
    imageOverridesDigest,
    TEKTON_OPERATOR_IMAGE_ENVS,
    TEKTON_OVERRIDE_TARGETS,
} from "../../model/tekton-operator-images";
import { CHART_DEFAULTS, CHART_IMAGES, chartOf, effectiveImages, qualified } from "./chart-images";

type Any = Record<string, any>;
const RELEASE = "kubernetes:helm.sh/v3:Release";

/** The pipeline's Task steps run `<acr>/<host>/<path>@<digest>` (components/cluster/pipeline/images.ts stepImageThroughAcr). */
const PIPELINE_STEP_KINDS = new Set(["kubernetes:tekton.dev/v1:Task", "kubernetes:tekton.dev/v1:Pipeline"]);

/** The `{name, value}` IMAGE_* env the stack gives the Tekton Operator chart. */
function operatorImageEnv(run: StackRun): { name: string; value: string }[] {
    const release = byType(run, RELEASE).find(r => chartOf(r) === "tektonOperator")!;
    return ((release.inputs.values as Any).operator.additionalEnvs as { name: string; value: string }[]).filter(e =>
        e.name.startsWith("IMAGE_"),
    );
}

/** `ecr-public.aws.com/docker/library/<x>` (argo-cd's Redis/HAProxy) is the Docker official image `docker.io/library/<x>`. */
function upstreamOf(defaultRef: string): string {
    return qualified(defaultRef).replace(/^ecr-public\.aws\.com\/docker\/library\//, "docker.io/library/");
}

/** Every string stored under an `image` key anywhere in `value`, with its path. */
function imageStrings(value: unknown, at = "", found: [string, string][] = []): [string, string][] {
    if (Array.isArray(value)) value.forEach((v, i) => imageStrings(v, `${at}[${i}]`, found));
    else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            if (k === "image" && typeof v === "string") found.push([`${at}.${k}`, v]);
            imageStrings(v, `${at}.${k}`, found);
        }
    }
    return found;
}

function getPath(v: Any, p: string): unknown {
    return p.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Any)[k] : undefined), v);
}
function setPath(v: Any, p: string, value: unknown): Any {
    const keys = p.split(".");
    let o = v;
    for (const k of keys.slice(0, -1)) o = o[k] ??= {};
    o[keys[keys.length - 1]] = value;
    return v;
}

function namespaceOf(r: RecordedResource): string | undefined {
    return (r.inputs as Any).metadata?.namespace ?? (r.inputs as Any).namespace;
}

for (const stack of ["dev", "prod"] as const) {
    describe(`platform images through ACR (${stack})`, () => {
        let run: StackRun;
        let acr: string;
        before(async () => {
            run = await stackRun(stack);
            acr = (run.rawOutputs as Any).registry.loginServer;
        });

        it("every chart release runs only <acr>/<host>/… images: the chart's own default images, moved to ACR (same repository and tag)", () => {
            const releases = byType(run, RELEASE);
            assert.ok(releases.length >= 8);
            for (const release of releases) {
                const chart = chartOf(release);
                const actual = effectiveImages(chart, release.inputs.values as Any);
                const defaults = CHART_IMAGES[chart](CHART_DEFAULTS[chart]());
                for (const [slot, image] of Object.entries(actual)) {
                    assert.ok(image.startsWith(`${acr}/`), `${release.name} (${chart}) ${slot}: ${image} is not from ${acr}`);
                    // Slots of subcharts only rendered when enabled (argo-cd's redis-ha) have no default here.
                    if (defaults[slot] !== undefined) {
                        assert.equal(image, throughAcr(acr, upstreamOf(defaults[slot])), `${release.name} ${slot}`);
                    }
                }
            }
        });

        it("the policy pack's table of image values (CHART_IMAGE_VALUES) is exact: those keys alone move every image, and each one matters", () => {
            assert.deepEqual(
                Object.keys(CHART_IMAGE_VALUES).sort(),
                Object.values(CHARTS)
                    .map(c => c.chart)
                    .sort(),
            );
            for (const release of byType(run, RELEASE)) {
                const chart = chartOf(release);
                const values = release.inputs.values as Any;
                const keys = CHART_IMAGE_VALUES[CHARTS[chart].chart];
                // Only the table's keys (plus what decides which subcharts render) from the stack's values.
                const only: Any = values["redis-ha"] ? { "redis-ha": { enabled: values["redis-ha"].enabled } } : {};
                for (const k of keys) setPath(only, k, getPath(values, k));
                for (const [slot, image] of Object.entries(effectiveImages(chart, only))) {
                    assert.ok(image.startsWith(`${acr}/`), `${release.name}: with only CHART_IMAGE_VALUES keys, ${slot} is ${image}`);
                }
                // Each key matters: without it some image falls back upstream (subchart keys only when it renders).
                for (const k of keys) {
                    if (k.startsWith("redis-ha.") && !values["redis-ha"]?.enabled) continue;
                    const without = JSON.parse(JSON.stringify(values));
                    const parent = k.includes(".") ? (getPath(without, k.slice(0, k.lastIndexOf("."))) as Any) : without;
                    delete parent[k.slice(k.lastIndexOf(".") + 1)];
                    const moved = Object.values(effectiveImages(chart, without)).some(i => !i.startsWith(`${acr}/`));
                    assert.ok(moved, `${release.name}: values.${k} changes no image`);
                }
            }
        });

        it("every upstream registry an image comes from has a cache rule, and every cache rule is used", () => {
            const hosts = new Set<string>();
            for (const release of byType(run, RELEASE)) {
                for (const image of Object.values(effectiveImages(chartOf(release), release.inputs.values as Any))) {
                    hosts.add(image.slice(acr.length + 1).split("/")[0]);
                }
            }
            // …the pipeline's step images (Tasks): each through ACR, so each host needs its rule…
            for (const r of run.resources.filter(x => PIPELINE_STEP_KINDS.has(x.type))) {
                for (const [, image] of imageStrings(r.inputs))
                    if (image.startsWith(`${acr}/`)) hosts.add(image.slice(acr.length + 1).split("/")[0]);
            }
            // …and the Tekton Operator's IMAGE_* overrides (the components it installs, Tekton's init images).
            for (const image of operatorImageEnv(run).map(e => e.value)) hosts.add(image.slice(acr.length + 1).split("/")[0]);
            const rules = byType(run, "azure-native:containerregistry:CacheRule").map(r =>
                String(r.inputs.sourceRepository).replace(/\/\*$/, ""),
            );
            assert.deepEqual([...hosts].sort(), [...rules].sort());
            assert.deepEqual([...rules].sort(), UPSTREAM_REGISTRIES.map(u => u.host).sort());
        });

        it("the Tekton Operator gets every IMAGE_* override its bundled components need, each <acr>/<host>/…@<digest>, and the TektonConfig their digests", () => {
            const env = operatorImageEnv(run);
            assert.deepEqual(
                env.map(e => e.name),
                [...TEKTON_OPERATOR_IMAGE_ENVS],
            );
            for (const e of env)
                assert.match(e.value, new RegExp(`^${acr.replace(/\./g, "\\.")}/[a-z0-9.-]+/\\S+@sha256:[0-9a-f]{64}$`), e.name);
            // …and the TektonConfig carries their digests, so the operator re-applies a component whose
            // overrides change (test/cluster/tekton-operator-images.test.ts shows the hash it compares).
            const release = byType(run, RELEASE).find(r => chartOf(r) === "tektonOperator")!;
            const lifecycleEnv = [
                { name: "IMAGE_PIPELINES_PROXY", value: effectiveImages("tektonOperator", release.inputs.values as Any).webhookProxy },
                ...env,
            ];
            const config = byType(run, "kubernetes:operator.tekton.dev/v1alpha1:TektonConfig");
            assert.equal(config.length, 1);
            for (const [component, target] of Object.entries(TEKTON_OVERRIDE_TARGETS) as [
                BundledComponentName,
                { specKey: string; deployment: string },
            ][]) {
                const options = (config[0].inputs as Any).spec[target.specKey].options;
                assert.equal(
                    options.deployments[target.deployment].metadata.annotations[IMAGE_OVERRIDES_ANNOTATION],
                    imageOverridesDigest(lifecycleEnv, component),
                    component,
                );
            }
        });

        it("no Kubernetes object outside Kubernetes' own namespaces names an image outside ACR (pipeline steps included, pluto too)", () => {
            const offenders: string[] = [];
            let checked = 0;
            for (const r of run.resources.filter(x => x.type.startsWith("kubernetes:") && x.type !== RELEASE)) {
                const ns = namespaceOf(r);
                if (ns && (SYSTEM_NAMESPACES as readonly string[]).includes(ns)) continue;
                for (const [where, image] of imageStrings(r.inputs)) {
                    checked++;
                    if (!image.startsWith(`${acr}/`)) offenders.push(`${r.type} ${r.name}${where}: ${image}`);
                }
            }
            assert.ok(checked > 15, "the EnvoyProxy and every pipeline step name an image");
            assert.deepEqual(offenders, []);
        });
    });
}
