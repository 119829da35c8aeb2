// The Pod Security Standards constraints held against Kubernetes' own test data: every pod
// upstream's pod-security-admission tests expect to pass at a level is admitted there, every pod
// they expect to fail is denied, through the offline evaluator and the very templates and
// constraints the Gatekeeper component registers. Fixtures: test/vendor/pod-security (ORIGIN).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import * as k8s from "@pulumi/kubernetes";
import { PolicyResource } from "@pulumi/policy";
import { Gatekeeper } from "../../components/cluster/gatekeeper";
import { PIPELINE_RELAXED_CONTROLS, POLICY_DIR, RESTRICTED_NAMESPACE_LABEL } from "../../model/admission/policies";
import { ROOTLESS_BUILDKIT_SECURITY } from "../../components/cluster/pipeline/tasks";
import { exemptNamespaces } from "../../model/names";
import { Admission, KubeObject, parseManifests, PolicySet, policySetsFromRun, Review } from "../../model/admission/evaluator";
import { PLATFORM_POD_SECURITY, POD_SECURITY_ENFORCE_LABEL } from "../../model/admission/pod-security-levels";
import { evaluate } from "../../tools/policy-offline";
import { podSecurityStandards } from "../../policy/policies";
import { byType, freshRun, ROOT, stackRun, StackRun } from "../harness";

const ACR = "myacr.azurecr.io";
const DIGEST = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const IMAGE = `${ACR}/upstream/pause@sha256:${DIGEST}`;
const APP_NS = "team-a";
const VENDOR = path.join(ROOT, "test", "vendor", "pod-security");
/** The newest Kubernetes minor the vendored test data covers (the stack's minor). */
const MINOR = "v1.34";
const POD_SECURITY_CONSTRAINTS = new Set(["pod-security-baseline", "pod-security-restricted"]);
const CONTAINER_LISTS = ["containers", "initContainers", "ephemeralContainers"] as const;

type Pod = KubeObject & { spec: Record<string, any> };
type Level = "baseline" | "restricted";

function fixtures(level: Level, verdict: "pass" | "fail"): { file: string; pod: Pod }[] {
    const dir = path.join(VENDOR, "testdata", level, MINOR, verdict);
    return fs
        .readdirSync(dir)
        .filter(f => f.endsWith(".yaml"))
        .sort()
        .map(f => ({
            file: `${level}/${verdict}/${f}`,
            pod: parseManifests(fs.readFileSync(path.join(dir, f), "utf8"), f)[0].object as Pod,
        }));
}

/** Upstream's pod, changed only so that no other rule fires: ACR image pinned by digest, an application namespace. */
function adapt(pod: Pod): Pod {
    const copy = structuredClone(pod);
    copy.metadata.namespace = APP_NS;
    for (const list of CONTAINER_LISTS) for (const c of copy.spec[list] ?? []) c.image = IMAGE;
    return copy;
}

function namespace(level: Level): KubeObject {
    const labels: Record<string, string> =
        level === "restricted" ? { [RESTRICTED_NAMESPACE_LABEL.key]: RESTRICTED_NAMESPACE_LABEL.value } : {};
    return { apiVersion: "v1", kind: "Namespace", metadata: { name: APP_NS, labels } };
}

/** The pod's spec and metadata as the pod template of each built-in workload kind. */
function asWorkloads(pod: Pod): KubeObject[] {
    const template = {
        metadata: { labels: { app: "x" }, ...(pod.metadata.annotations ? { annotations: pod.metadata.annotations } : {}) },
        spec: pod.spec,
    };
    const meta = { name: pod.metadata.name, namespace: pod.metadata.namespace };
    const selector = { matchLabels: { app: "x" } };
    return [
        { apiVersion: "apps/v1", kind: "Deployment", metadata: meta, spec: { selector, template } },
        { apiVersion: "apps/v1", kind: "StatefulSet", metadata: meta, spec: { selector, serviceName: "x", template } },
        { apiVersion: "apps/v1", kind: "DaemonSet", metadata: meta, spec: { selector, template } },
        { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: meta, spec: { selector, template } },
        { apiVersion: "v1", kind: "ReplicationController", metadata: meta, spec: { selector: { app: "x" }, template } },
        { apiVersion: "batch/v1", kind: "Job", metadata: meta, spec: { template } },
        { apiVersion: "batch/v1", kind: "CronJob", metadata: meta, spec: { schedule: "0 * * * *", jobTemplate: { spec: { template } } } },
    ];
}

/** The same pod with its init containers run as ephemeral containers (`kubectl debug`). */
function initAsEphemeral(pod: Pod): Pod {
    const copy = structuredClone(pod);
    copy.spec.ephemeralContainers = copy.spec.initContainers ?? [];
    delete copy.spec.initContainers;
    return copy;
}

function verdict(r: Review): string {
    return r.allowed ? "allowed" : `denied: ${r.denials.map(d => `[${d.constraint}] ${d.message}`).join("; ")}`;
}

describe("Pod Security Standards against upstream's test data", () => {
    let admission: Admission;
    const review = (obj: KubeObject, level: Level) => admission.reviewAll([namespace(level), obj])[1];

    before(async () => {
        const run = await freshRun({
            stack: "dev",
            program: () => {
                new Gatekeeper("primary", {
                    provider: new k8s.Provider("primary", {}),
                    acrLoginServer: ACR,
                    pipelineNamespace: "ci",
                    exemptNamespaces: exemptNamespaces(),
                    enforcementAction: "deny",
                    failurePolicy: "Fail",
                    replicas: 1,
                });
            },
        });
        const sets = policySetsFromRun(run);
        assert.equal(sets.length, 1);
        admission = new Admission(sets);
    });

    it("vendors upstream's v1.34 fixtures with their origin", () => {
        const origin = fs.readFileSync(path.join(VENDOR, "ORIGIN"), "utf8");
        assert.match(origin, /^repository: https:\/\/github.com\/kubernetes\/pod-security-admission$/m);
        assert.match(origin, /^commit: [0-9a-f]{40}$/m);
        // Every level and verdict is present (a missing folder must not pass vacuously).
        for (const level of ["baseline", "restricted"] as const) {
            for (const v of ["pass", "fail"] as const) assert.ok(fixtures(level, v).length >= 14, `${level}/${v}`);
        }
    });

    for (const level of ["baseline", "restricted"] as const) {
        describe(level, () => {
            it("admits every upstream pass fixture, as a Pod and as every workload kind, ephemeral containers included", () => {
                const wrong: string[] = [];
                for (const { file, pod } of fixtures(level, "pass")) {
                    const adapted = adapt(pod);
                    for (const obj of [adapted, initAsEphemeral(adapted), ...asWorkloads(adapted)]) {
                        const r = review(obj, level);
                        if (!r.allowed) wrong.push(`${file} as ${obj.kind}: ${verdict(r)}`);
                    }
                }
                assert.deepEqual(wrong, []);
            });

            it("denies every upstream fail fixture by pod security alone, as a Pod and as every workload kind, ephemeral containers included", () => {
                const wrong: string[] = [];
                for (const { file, pod } of fixtures(level, "fail")) {
                    const adapted = adapt(pod);
                    for (const obj of [adapted, initAsEphemeral(adapted), ...asWorkloads(adapted)]) {
                        const r = review(obj, level);
                        const others = r.denials.filter(d => !POD_SECURITY_CONSTRAINTS.has(d.constraint));
                        if (r.allowed || others.length) wrong.push(`${file} as ${obj.kind}: ${verdict(r)}`);
                    }
                }
                assert.deepEqual(wrong, []);
            });
        });
    }

    it("leaves an unlabelled namespace at baseline: restricted's own failures are admitted there", () => {
        const restrictedOnly = fixtures("restricted", "fail").filter(f =>
            /^restricted\/fail\/(allowprivilegeescalation|runasnonroot|runasuser|capabilities_restricted)/.test(f.file),
        );
        assert.ok(restrictedOnly.length >= 10);
        for (const { file, pod } of restrictedOnly) assert.ok(review(adapt(pod), "baseline").allowed, file);
    });

    it("names the control and the container in each message", () => {
        const pod = (name: string) => adapt(fixtures("baseline", "fail").find(f => f.file.endsWith(`/${name}.yaml`))!.pod);
        const messages = (name: string, level: Level = "baseline") => review(pod(name), level).denials.map(d => d.message);
        assert.deepEqual(messages("hostports0"), ["hostPort 12345 on container container1: host ports are not allowed"]);
        assert.match(
            messages("windowshostprocess0").join("\n"),
            /^windowsOptions.hostProcess on .*container: Windows HostProcess is not allowed$|windowsOptions\.hostProcess on/m,
        );
        for (const m of [...messages("capabilities_baseline0"), ...messages("procmount1"), ...messages("hostprobesandhostlifecycle0")]) {
            assert.match(m, / on container (container1|initcontainer1)/, m);
        }
    });

    describe("the pipeline namespace", () => {
        const buildkitPod = (ns: string): KubeObject => ({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "build", namespace: ns },
            spec: { containers: [{ name: "build", image: IMAGE, securityContext: structuredClone(ROOTLESS_BUILDKIT_SECURITY) }] },
        });

        it("admits rootless BuildKit's Unconfined seccomp and AppArmor there, and only there", () => {
            assert.deepEqual([...PIPELINE_RELAXED_CONTROLS].sort(), ["appArmorProfile", "seccompProfile"]);
            assert.equal(admission.reviewAll([buildkitPod("ci")])[0].allowed, true);
            const elsewhere = admission.reviewAll([buildkitPod(APP_NS)])[0];
            assert.deepEqual(elsewhere.denials.map(d => d.message).sort(), [
                "AppArmor profile on container build: AppArmor may only be RuntimeDefault or Localhost",
                "seccompProfile on container build: seccomp may only be RuntimeDefault or Localhost",
            ]);
        });

        it("still holds every other baseline control there", () => {
            for (const { file, pod } of fixtures("baseline", "fail").filter(f => !/(seccompprofile|apparmorprofile)/.test(f.file))) {
                const r = admission.reviewAll([{ ...adapt(pod), metadata: { ...pod.metadata, namespace: "ci" } }])[0];
                assert.ok(!r.allowed, `${file} in ci`);
            }
        });
    });

    describe("samples (gatekeeper-library layout)", () => {
        for (const policy of fs.readdirSync(POLICY_DIR).sort()) {
            const samples = path.join(POLICY_DIR, policy, "samples");
            if (!fs.existsSync(samples)) continue;
            for (const sample of fs.readdirSync(samples).sort()) {
                it(`${policy}/${sample}: allowed example admitted, disallowed example denied`, () => {
                    const read = (f: string) =>
                        parseManifests(fs.readFileSync(path.join(samples, sample, f), "utf8"), f).map(o => o.object);
                    const template = YAML.parse(fs.readFileSync(path.join(POLICY_DIR, policy, "template.yaml"), "utf8"));
                    const set: PolicySet = { templates: [template], constraints: read("constraint.yaml") as never };
                    const sampleAdmission = new Admission(set);
                    // Each file is reviewed as a whole, so a Namespace in it supplies its objects' namespaceObject.
                    const verdicts = (f: string) => sampleAdmission.reviewAll(read(f)).filter(r => r.kind !== "Namespace");
                    for (const r of verdicts("example_allowed.yaml"))
                        assert.ok(r.allowed, `${r.kind}/${r.name}: ${r.denials.map(d => d.message).join("; ")}`);
                    const disallowed = verdicts("example_disallowed.yaml");
                    assert.ok(disallowed.length > 0);
                    for (const r of disallowed) assert.ok(!r.allowed, `${r.kind}/${r.name}`);
                });
            }
        }
    });
});

describe("Pod Security Standards: the stack's own namespaces and workloads", () => {
    const runs: Record<string, StackRun> = {};
    before(async () => {
        for (const stack of ["dev", "prod"] as const) runs[stack] = await stackRun(stack);
    });

    it("labels each platform namespace with its level (README, security table)", () => {
        for (const run of Object.values(runs)) {
            const labelled = new Map(
                byType(run, "kubernetes:core/v1:Namespace").map(r => {
                    const meta = r.rawInputs.metadata as { name: string; labels?: Record<string, string> };
                    return [meta.name, meta.labels?.[POD_SECURITY_ENFORCE_LABEL]];
                }),
            );
            for (const [ns, level] of Object.entries(PLATFORM_POD_SECURITY)) assert.equal(labelled.get(ns), level, ns);
        }
        assert.deepEqual(
            Object.entries(PLATFORM_POD_SECURITY)
                .filter(([, l]) => l === "restricted")
                .map(([n]) => n)
                .sort(),
            ["cert-manager", "external-dns", "gatekeeper-system"],
        );
    });

    it("the policy pack finds nothing to flag in the workloads the stack creates (BuildKit in the pipeline namespace included)", () => {
        for (const [stack, run] of Object.entries(runs)) {
            const violations = evaluate(run, { environment: stack }, [podSecurityStandards]);
            assert.deepEqual(violations, [], stack);
            // Not vacuous: the pipeline's Tasks (BuildKit's Unconfined steps among them) were reviewed.
            assert.ok(byType(run, "kubernetes:tekton.dev/v1:Task").length > 0);
        }
    });

    it("the policy pack flags at preview what admission would refuse, with the same messages", async () => {
        const bad = await freshRun({
            stack: "dev",
            program: () => {
                const provider = new k8s.Provider("c", {});
                new k8s.core.v1.Namespace(
                    "payments",
                    { metadata: { name: "payments", labels: { [RESTRICTED_NAMESPACE_LABEL.key]: RESTRICTED_NAMESPACE_LABEL.value } } },
                    { provider },
                );
                new k8s.apps.v1.Deployment(
                    "web",
                    {
                        metadata: { name: "web", namespace: APP_NS },
                        spec: {
                            selector: { matchLabels: { app: "web" } },
                            template: {
                                metadata: { labels: { app: "web" } },
                                spec: { containers: [{ name: "web", image: IMAGE, ports: [{ containerPort: 8080, hostPort: 8080 }] }] },
                            },
                        },
                    },
                    { provider },
                );
                // Rootless BuildKit outside the pipeline namespace; and a plain pod where restricted applies.
                new k8s.apiextensions.CustomResource(
                    "build",
                    {
                        apiVersion: "tekton.dev/v1",
                        kind: "Task",
                        metadata: { name: "build", namespace: APP_NS },
                        spec: { steps: [{ name: "build", image: IMAGE, securityContext: structuredClone(ROOTLESS_BUILDKIT_SECURITY) }] },
                    },
                    { provider },
                );
                new k8s.core.v1.Pod(
                    "plain",
                    { metadata: { name: "plain", namespace: "payments" }, spec: { containers: [{ name: "app", image: IMAGE }] } },
                    { provider },
                );
            },
        });
        const messages = evaluate(bad, { environment: "dev" }, [podSecurityStandards])
            .map(v => v.message)
            .sort();
        assert.deepEqual(
            messages.filter(m => !m.startsWith("plain")),
            [
                "build (namespace team-a): [pod-security-baseline] AppArmor profile on container build: AppArmor may only be RuntimeDefault or Localhost",
                "build (namespace team-a): [pod-security-baseline] seccompProfile on container build: seccomp may only be RuntimeDefault or Localhost",
                "web (namespace team-a): [pod-security-baseline] hostPort 8080 on container web: host ports are not allowed",
            ],
        );
        assert.ok(
            messages.filter(m => m.startsWith("plain (namespace payments): [pod-security-restricted]")).length >= 4,
            messages.join("\n"),
        );
    });

    it("the policy pack reports a securityContext unknown at preview as unverifiable (mandatory), and ignores unknown images", () => {
        /* eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's own unknown sentinel and proxy */
        const sdk = require("@pulumi/policy/proxy") as {
            unknownCheckingProxy<T>(v: T): T;
            unknownStringValue: string;
            unknownObjectValue: string;
        };
        const task = (name: string, step: Record<string, unknown>): PolicyResource =>
            ({
                type: "kubernetes:tekton.dev/v1:Task",
                name,
                urn: `urn:pulumi:test::platform::kubernetes:tekton.dev/v1:Task::${name}`,
                props: sdk.unknownCheckingProxy({
                    apiVersion: "tekton.dev/v1",
                    kind: "Task",
                    metadata: { name, namespace: APP_NS },
                    spec: { steps: [{ name: "s", ...step }] },
                }),
                opts: {
                    protect: false,
                    ignoreChanges: [],
                    aliases: [],
                    additionalSecretOutputs: [],
                    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                },
                dependencies: [],
                propertyDependencies: {},
                isType: () => false,
                asType: () => undefined,
            }) as unknown as PolicyResource;
        const args = {
            resources: [
                task("unknown-image", { image: sdk.unknownStringValue }),
                task("unknown-context", { image: IMAGE, securityContext: sdk.unknownObjectValue }),
            ],
            stackTags: new Map(),
            getConfig: <T extends object>() => ({ pipelineNamespace: "ci" }) as T,
            notApplicable: (reason?: string): never => {
                throw new Error(`not applicable: ${reason}`);
            },
        };
        const out: string[] = [];
        podSecurityStandards.validateStack(args, message => {
            out.push(message);
        });
        assert.equal(out.length, 1, out.join("\n"));
        assert.match(
            out[0],
            /^unknown-context: spec\.containers\[0\]\.securityContext is unknown during preview .*its pod security cannot be verified/,
        );
    });
});
