import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { Gatekeeper, GatekeeperArgs, waitForAdmissionWebhook } from "../../components/cluster/gatekeeper";
import {
    base64Infixes,
    CEL_ENGINE,
    GATEKEEPER_TARGET,
    policyBundle,
    POLICIES,
    POLICY_DIR,
    REGISTRY_CREDENTIAL_SECRET_TYPES,
} from "../../model/admission/policies";
import { exemptNamespaces, NAMESPACES, SYSTEM_NAMESPACES } from "../../model/names";
import { CHARTS } from "../../model/versions";
import { policySetsFromRun } from "../../model/admission/evaluator";
import { byName, byType, descendants, freshRun, rejection, RecordedResource, StackRun } from "../harness";

type Spec = Record<string, any>;
const ACR = "myacr.azurecr.io";
const TEMPLATE_TYPE = "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate";
const CONSTRAINT_PREFIX = "kubernetes:constraints.gatekeeper.sh/v1beta1:";

/** The explicit exempt list: a change to names.ts must show up here as a deliberate test change. */
const EXPECTED_EXEMPT = [
    "argocd",
    "cert-manager",
    "envoy-gateway-system",
    "external-dns",
    "gatekeeper-system",
    "gateway",
    "harbor",
    "kube-node-lease",
    "kube-public",
    "kube-system",
    "sealed-secrets",
    "tekton-dashboard-proxy",
    "tekton-operator",
    "tekton-pipelines",
];

function args(overrides: Partial<Omit<GatekeeperArgs, "provider">> = {}): Omit<GatekeeperArgs, "provider"> {
    return {
        acrLoginServer: ACR,
        pipelineNamespace: "ci",
        exemptNamespaces: exemptNamespaces(),
        enforcementAction: "deny",
        failurePolicy: "Fail",
        replicas: 3,
        ...overrides,
    };
}

function gatekeeperRun(overrides: Partial<Omit<GatekeeperArgs, "provider">> = {}): Promise<StackRun> {
    return freshRun({
        stack: "dev",
        program: () => {
            const provider = new k8s.Provider("primary", {});
            new Gatekeeper("primary", { provider, ...args(overrides) });
        },
    });
}

const release = (run: StackRun) => byType(run, "kubernetes:helm.sh/v3:Release")[0];
const values = (run: StackRun) => release(run).rawInputs.values as Spec;
const templates = (run: StackRun) => byType(run, TEMPLATE_TYPE);
const constraints = (run: StackRun) => run.resources.filter(r => r.type.startsWith(CONSTRAINT_PREFIX));

describe("Gatekeeper", () => {
    let prod: StackRun;
    let dev: StackRun;
    before(async () => {
        prod = await gatekeeperRun();
        dev = await gatekeeperRun({ failurePolicy: "Ignore", replicas: 1, exemptNamespaces: exemptNamespaces(["legacy-batch"]) });
    });

    describe("chart", () => {
        it("installs the pinned chart into its explicitly created namespace through the cluster's provider", () => {
            const component = byName(prod, "platform:cluster:Gatekeeper", "primary");
            const ns = byType(prod, "kubernetes:core/v1:Namespace")[0];
            const r = release(prod);
            assert.equal(ns.parent, component.urn);
            assert.equal((ns.rawInputs.metadata as Spec).name, NAMESPACES.gatekeeper);
            assert.equal(r.parent, component.urn);
            assert.equal(r.rawInputs.chart, CHARTS.gatekeeper.chart);
            assert.equal(r.rawInputs.version, CHARTS.gatekeeper.version);
            assert.equal(r.rawInputs.namespace, NAMESPACES.gatekeeper);
            assert.equal(r.rawInputs.createNamespace, false);
            assert.ok(r.dependencies.includes(ns.urn), "release waits for its namespace");
            const provider = byType(prod, "pulumi:providers:kubernetes")[0].urn;
            for (const child of descendants(prod, component.urn))
                assert.equal(child.provider, provider, `${child.name} uses the cluster provider`);
        });

        it("fails closed (webhook Fail) in prod and open (Ignore) in dev", () => {
            assert.equal(values(prod).validatingWebhookFailurePolicy, "Fail");
            assert.equal(values(dev).validatingWebhookFailurePolicy, "Ignore");
        });

        it("runs HA replicas with a PDB that never blocks node drains of a single replica", () => {
            assert.equal(values(prod).replicas, 3);
            assert.equal(values(prod).pdb.controllerManager.minAvailable, 2);
            assert.equal(values(prod).controllerManager.topologySpreadConstraints[0].topologyKey, "topology.kubernetes.io/zone");
            assert.equal(values(dev).replicas, 1);
            assert.equal(values(dev).pdb.controllerManager.minAvailable, 0);
            assert.deepEqual(values(dev).controllerManager.topologySpreadConstraints, []);
        });

        it("keeps audit and the CEL engine on", () => {
            assert.equal(values(prod).disableAudit, false);
            assert.ok(values(prod).auditInterval > 0);
            assert.equal(values(prod).enableK8sNativeValidation, true);
        });
    });

    describe("exempt namespaces", () => {
        it("is the explicit system + platform list of names.ts", () => {
            assert.deepEqual(exemptNamespaces(), EXPECTED_EXEMPT);
            for (const ns of [...SYSTEM_NAMESPACES, ...Object.values(NAMESPACES)]) assert.ok(EXPECTED_EXEMPT.includes(ns), ns);
        });

        it("is passed to the chart, and each constraint skips exactly its policy's scope", () => {
            const withExtra = [...EXPECTED_EXEMPT, "legacy-batch"].sort();
            const excluded = (run: StackRun, kind: string) =>
                (constraints(run).find(c => c.type.endsWith(`:${kind}`))!.rawInputs.spec as Spec).match.excludedNamespaces;
            // The pinning rule skips system + platform namespaces (their charts' upstream images) …
            assert.deepEqual(excluded(prod, "PlatformPinnedImages"), EXPECTED_EXEMPT);
            assert.deepEqual(excluded(dev, "PlatformPinnedImages"), withExtra);
            // … the ACR-only rule binds platform namespaces (their charts pull through the ACR's
            // cache rules), the Tekton components' (the operator's image overrides) and the
            // pipeline's (every step, pluto included): only Kubernetes' own are skipped, whatever is extra-exempt …
            const registryRuleSkips = [...SYSTEM_NAMESPACES].sort();
            assert.deepEqual(excluded(prod, "PlatformAllowedRegistries"), registryRuleSkips);
            assert.deepEqual(excluded(dev, "PlatformAllowedRegistries"), registryRuleSkips);
            for (const platformNs of [
                NAMESPACES.argocd,
                NAMESPACES.harbor,
                NAMESPACES.certManager,
                NAMESPACES.envoyGateway,
                NAMESPACES.tektonOperator,
                NAMESPACES.tektonPipelines,
                "ci",
            ]) {
                assert.ok(!excluded(prod, "PlatformAllowedRegistries").includes(platformNs), platformNs);
            }
            // … and the credential and pod-security rules bind every namespace but Kubernetes' own:
            // no platform namespace may hold registry credentials, and none needs privileged or
            // host access (write access to e.g. gateway must not buy a node-owning pod).
            const everyScope = new Set(POLICIES.map(p => p.exemption));
            assert.deepEqual([...everyScope].sort(), ["platform", "system"]);
            assert.deepEqual(
                POLICIES.filter(p => p.exemption === "system")
                    .map(p => p.kind)
                    .sort(),
                [
                    "PlatformAllowedRegistries",
                    "PlatformNoImagePullSecrets",
                    "PlatformPodSecurity",
                    "PlatformPodSecurityRestricted",
                    "PlatformRegistryCredentials",
                ],
            );
            for (const kind of [
                "PlatformRegistryCredentials",
                "PlatformNoImagePullSecrets",
                "PlatformPodSecurity",
                "PlatformPodSecurityRestricted",
            ]) {
                assert.deepEqual(excluded(prod, kind), [...SYSTEM_NAMESPACES].sort(), kind);
                for (const platformNs of Object.values(NAMESPACES).filter(n => !(SYSTEM_NAMESPACES as readonly string[]).includes(n)))
                    assert.ok(!excluded(dev, kind).includes(platformNs), `${kind} skips ${platformNs}`);
            }
        });

        it("gives the chart only the namespaces every constraint skips (Gatekeeper 3.23 copies it into every generated VAP)", () => {
            // --exempt-namespace flows into each generated ValidatingAdmissionPolicy as a match
            // condition skipping every object in those namespaces (gatekeeper v3.23.0
            // pkg/drivers/k8scel/transform/cel_snippets.go matchGlobalExemptedNamespacesGlob), so a
            // platform namespace there would escape the pod-security and credential policies.
            const systemOnly = [...SYSTEM_NAMESPACES].sort();
            assert.deepEqual(values(prod).controllerManager.exemptNamespaces, systemOnly);
            // An extra exempt namespace only leaves the image rules: it stays out of the chart's list.
            assert.deepEqual(values(dev).controllerManager.exemptNamespaces, systemOnly);
            for (const run of [prod, dev]) {
                for (const ns of values(run).controllerManager.exemptNamespaces as string[]) {
                    for (const c of constraints(run))
                        assert.ok((c.rawInputs.spec as Spec).match.excludedNamespaces.includes(ns), `${c.name} skips ${ns}`);
                }
            }
        });

        it("never exempts the pipeline namespace from any rule", async () => {
            for (const c of constraints(prod)) {
                assert.ok(!(c.rawInputs.spec as Spec).match.excludedNamespaces.includes("ci"), c.type);
            }
            const err = await rejection(() => gatekeeperRun({ exemptNamespaces: exemptNamespaces(["ci"]) }));
            assert.match(err.message, /pipeline namespace 'ci' must not be exempt/);
        });
    });

    describe("templates and constraints", () => {
        it("registers one CEL template and one constraint per policy", () => {
            assert.equal(templates(prod).length, POLICIES.length);
            assert.equal(constraints(prod).length, POLICIES.length);
            for (const t of templates(prod)) {
                const spec = t.rawInputs.spec as Spec;
                assert.equal(spec.targets.length, 1);
                assert.equal(spec.targets[0].target, GATEKEEPER_TARGET);
                assert.equal(spec.targets[0].rego, undefined, "no Rego: the same CEL runs offline");
                assert.deepEqual(
                    spec.targets[0].code.map((c: Spec) => c.engine),
                    [CEL_ENGINE],
                );
                assert.ok(spec.targets[0].code[0].source.validations.length > 0);
                assert.equal((t.rawInputs.metadata as Spec).name, spec.crd.spec.names.kind.toLowerCase());
            }
        });

        it("templates wait for Gatekeeper to create the constraint CRD and come after the chart", () => {
            for (const t of templates(prod)) {
                assert.equal((t.rawInputs.metadata as Spec).annotations["pulumi.com/waitFor"], "jsonpath={.status.created}=true", t.name);
                assert.ok(t.dependencies.includes(release(prod).urn), `${t.name} depends on the chart`);
            }
        });

        it("every constraint depends on the template that defines its kind", () => {
            const templateByKind = new Map(templates(prod).map(t => [(t.rawInputs.spec as Spec).crd.spec.names.kind as string, t]));
            for (const c of constraints(prod)) {
                const kind = c.rawInputs.kind as string;
                assert.equal(c.type, `${CONSTRAINT_PREFIX}${kind}`);
                const template = templateByKind.get(kind);
                assert.ok(template, `a template defines ${kind}`);
                assert.ok(c.dependencies.includes(template!.urn), `${c.name} depends on ${template!.name}`);
            }
        });

        it("carries the enforcement action from args", async () => {
            for (const c of constraints(prod)) assert.equal((c.rawInputs.spec as Spec).enforcementAction, "deny");
            const warn = await gatekeeperRun({ enforcementAction: "warn" });
            for (const c of constraints(warn)) assert.equal((c.rawInputs.spec as Spec).enforcementAction, "warn");
        });

        it("puts the ACR login server, with a trailing slash, in the registry constraint's parameters", async () => {
            const c = constraints(prod).find(r => r.rawInputs.kind === "PlatformAllowedRegistries")!;
            assert.deepEqual((c.rawInputs.spec as Spec).parameters, { registries: [`${ACR}/`] });
            // An Output (the registry's loginServer) resolves the same way.
            const fromOutput = await gatekeeperRun({ acrLoginServer: pulumi.output("other.azurecr.io") });
            const c2 = constraints(fromOutput).find(r => r.rawInputs.kind === "PlatformAllowedRegistries")!;
            assert.deepEqual((c2.rawInputs.spec as Spec).parameters, { registries: ["other.azurecr.io/"] });
        });

        it("confines registry credentials and pull secrets to the pipeline namespace", () => {
            const creds = constraints(prod).find(r => r.rawInputs.kind === "PlatformRegistryCredentials")!;
            assert.equal((creds.rawInputs.spec as Spec).parameters.pipelineNamespace, "ci");
            assert.deepEqual((creds.rawInputs.spec as Spec).parameters.secretTypes, [...REGISTRY_CREDENTIAL_SECRET_TYPES]);
            // Tekton's credential annotation and a docker config.json count as credentials too
            // (the policy pack flags the same annotation).
            assert.deepEqual((creds.rawInputs.spec as Spec).parameters.annotationPrefixes, ["tekton.dev/docker-"]);
            assert.deepEqual((creds.rawInputs.spec as Spec).parameters.configFileKeys, ["config.json"]);
            assert.deepEqual((creds.rawInputs.spec as Spec).parameters.configFileMarkers, ['"auths"']);
            assert.deepEqual((creds.rawInputs.spec as Spec).parameters.configFileMarkersBase64, base64Infixes('"auths"'));
            const credKinds = (creds.rawInputs.spec as Spec).match.kinds.map((k: Spec) => `${k.apiGroups.join(",")}/${k.kinds.join(",")}`);
            assert.deepEqual(credKinds, ["/Secret", "bitnami.com/SealedSecret"]);
            const pull = constraints(prod).find(r => r.rawInputs.kind === "PlatformNoImagePullSecrets")!;
            assert.equal((pull.rawInputs.spec as Spec).parameters.pipelineNamespace, "ci");
            const kinds = (pull.rawInputs.spec as Spec).match.kinds.flatMap((k: Spec) => k.kinds);
            assert.ok(kinds.includes("ServiceAccount"));
        });

        it("finds a text inside base64 at every byte alignment (Secret data is base64; CEL has no decoder)", () => {
            const marker = '"auths"';
            const infixes = base64Infixes(marker);
            assert.equal(infixes.length, 3);
            for (const prefix of ["", "{", "{\n", "{\n  ", "  {", '{"credsStore":"x",', "\u00e9{"]) {
                const encoded = Buffer.from(`${prefix}${marker}: {"reg": {"auth": "eDp5"}}}`).toString("base64");
                assert.ok(
                    infixes.some(i => encoded.includes(i)),
                    `marker after ${JSON.stringify(prefix)}`,
                );
            }
            for (const plain of ['{"auth": {"issuer": "x"}}', '{"author": "a"}', '{"logLevel": "info"}', "auths without quotes"]) {
                const encoded = Buffer.from(plain).toString("base64");
                for (const [i, infix] of infixes.entries()) assert.ok(!encoded.includes(infix), `${plain} (alignment ${i})`);
            }
        });

        it("matches Pods and every pod-template kind for the image and pod-security rules", () => {
            for (const kind of [
                "PlatformAllowedRegistries",
                "PlatformPinnedImages",
                "PlatformPodSecurity",
                "PlatformPodSecurityRestricted",
            ]) {
                const c = constraints(prod).find(r => r.rawInputs.kind === kind)!;
                const matched = (c.rawInputs.spec as Spec).match.kinds
                    .map((k: Spec) => k.kinds.map((n: string) => `${k.apiGroups.join(",")}/${n}`))
                    .flat()
                    .sort();
                assert.deepEqual(
                    matched,
                    [
                        "/Pod",
                        "/ReplicationController",
                        "apps/DaemonSet",
                        "apps/Deployment",
                        "apps/ReplicaSet",
                        "apps/StatefulSet",
                        "batch/CronJob",
                        "batch/Job",
                    ],
                    kind,
                );
            }
        });

        it("registers exactly the objects the policy module defines (what admit evaluates is what is deployed)", () => {
            const expected = policyBundle(
                { acrLoginServer: ACR, pipelineNamespace: "ci" },
                { enforcementAction: "deny", exemptNamespaces: EXPECTED_EXEMPT, systemNamespaces: [...SYSTEM_NAMESPACES] },
            );
            const sets = policySetsFromRun(prod);
            assert.equal(sets.length, 1);
            const fromRun = sets[0];
            const byKind = <T extends { kind: string; spec: unknown }>(xs: T[]) => [...xs].sort((a, b) => a.kind.localeCompare(b.kind));
            assert.deepEqual(byKind(fromRun.constraints), byKind(expected.constraints));
            const tKey = (t: { metadata: { name: string } }) => t.metadata.name;
            assert.deepEqual(
                [...fromRun.templates].sort((a, b) => tKey(a).localeCompare(tKey(b))),
                [...expected.templates].sort((a, b) => tKey(a).localeCompare(tKey(b))),
            );
        });

        it("registers the CEL template files as written (the file is what is deployed)", () => {
            for (const dir of ["pod-security-baseline", "pod-security-restricted"]) {
                const file = YAML.parse(fs.readFileSync(path.join(POLICY_DIR, dir, "template.yaml"), "utf8"));
                const registered = templates(prod).find(t => (t.rawInputs.metadata as Spec).name === file.metadata.name);
                assert.ok(registered, dir);
                assert.deepEqual(registered!.rawInputs.spec, file.spec, dir);
                assert.equal((registered!.rawInputs.metadata as Spec).annotations.description, file.metadata.annotations.description);
            }
        });

        it("selects the restricted level by the Pod Security Admission label, and relaxes only seccomp/AppArmor in the pipeline namespace", () => {
            const spec = (kind: string) => constraints(prod).find(r => r.rawInputs.kind === kind)!.rawInputs.spec as Spec;
            assert.deepEqual(spec("PlatformPodSecurityRestricted").parameters, {
                namespaceLabel: { key: "pod-security.kubernetes.io/enforce", value: "restricted" },
            });
            // No namespaceSelector: gator (the manifests-PR check) would auto-reject every object whose
            // Namespace is not among the manifests; the template reads namespaceObject instead.
            for (const c of constraints(prod)) assert.equal((c.rawInputs.spec as Spec).match.namespaceSelector, undefined, c.name);
            assert.deepEqual(spec("PlatformPodSecurity").parameters, {
                relaxations: [{ namespace: "ci", controls: ["seccompProfile", "appArmorProfile"] }],
            });
        });

        it("gives two instances (two clusters) distinct resource names", async () => {
            const run = await freshRun({
                stack: "dev",
                program: () => {
                    for (const cluster of ["primary", "secondary"]) {
                        new Gatekeeper(cluster, { provider: new k8s.Provider(cluster, {}), ...args() });
                    }
                },
            });
            const urns = run.resources.map((r: RecordedResource) => r.urn);
            assert.equal(new Set(urns).size, urns.length);
            assert.equal(templates(run).length, 2 * POLICIES.length);
        });

        it("rejects nonsense replicas before registering anything", async () => {
            const err = await rejection(() => gatekeeperRun({ replicas: 0 }));
            assert.match(err.message, /replicas must be a positive integer/);
        });
    });
});

describe("waitForAdmissionWebhook", () => {
    class Holder extends pulumi.ComponentResource {
        constructor(name: string, build: (parent: pulumi.Resource) => void, opts?: pulumi.ComponentResourceOptions) {
            super("test:index:Holder", name, {}, opts);
            build(this);
        }
    }

    it("makes every Kubernetes object below a component (nested too) wait for the release, and nothing else", async () => {
        const run = await freshRun({
            stack: "prod",
            program: () => {
                const provider = new k8s.Provider("c", {});
                const release = new k8s.core.v1.ConfigMap("stand-in-release", {}, { provider });
                new Holder(
                    "outer",
                    outer => {
                        new k8s.core.v1.Namespace("ns", {}, { parent: outer, provider });
                        new Holder(
                            "inner",
                            inner => {
                                new k8s.core.v1.ConfigMap("cm", {}, { parent: inner, provider, dependsOn: [outer] });
                                new random.RandomPassword("pw", { length: 8 }, { parent: inner });
                            },
                            { parent: outer },
                        );
                    },
                    waitForAdmissionWebhook(release),
                );
            },
        });
        const release = byName(run, "kubernetes:core/v1:ConfigMap", "stand-in-release");
        for (const [type, name] of [
            ["kubernetes:core/v1:Namespace", "ns"],
            ["kubernetes:core/v1:ConfigMap", "cm"],
        ]) {
            assert.ok(byName(run, type, name).dependencies.includes(release.urn), name);
        }
        assert.ok(
            !byName(run, "random:index/randomPassword:RandomPassword", "pw").dependencies.includes(release.urn),
            "not a Kubernetes object",
        );
    });

    it("refuses a helm.v4.Chart below it (the provider creates its objects: they could not be made to wait)", async () => {
        const err = await rejection(() =>
            freshRun({
                stack: "prod",
                program: () => {
                    const provider = new k8s.Provider("c", {});
                    const release = new k8s.core.v1.ConfigMap("stand-in-release", {}, { provider });
                    new Holder(
                        "outer",
                        outer => {
                            new k8s.helm.v4.Chart("crds", { chart: "oci://example/crds" }, { parent: outer, provider });
                        },
                        waitForAdmissionWebhook(release),
                    );
                },
            }),
        );
        assert.match(err.message, /helm\.v4\.Chart.*install it before Gatekeeper/);
    });
});
