import { strict as assert } from "assert";
import * as path from "path";
import * as fs from "fs";
import * as os from "os";
import { execFileSync } from "child_process";
import { Writable } from "stream";
import * as k8s from "@pulumi/kubernetes";
import { Gatekeeper } from "../../components/cluster/gatekeeper";
import { ConstraintObject, ConstraintTemplateObject, EnforcementAction } from "../../model/admission/policies";
import { exemptNamespaces } from "../../model/names";
import {
    Admission,
    admit,
    formatReview,
    ManifestError,
    parseManifests,
    PolicyError,
    PolicySet,
    policySetsFromRun,
    readManifests,
} from "../../model/admission/evaluator";
import { main } from "../../tools/admit";
import { freshRun, ROOT, stackRun, StackRun } from "../harness";

const FIXTURES = path.join(ROOT, "test", "fixtures", "admit");
const fixture = (...p: string[]) => path.join(FIXTURES, ...p);
const DIGEST = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

function gatekeeperRun(enforcementAction: EnforcementAction = "deny"): Promise<StackRun> {
    return freshRun({
        stack: "dev",
        program: () => {
            const provider = new k8s.Provider("primary", {});
            new Gatekeeper("primary", {
                provider,
                acrLoginServer: "myacr.azurecr.io",
                pipelineNamespace: "ci",
                exemptNamespaces: exemptNamespaces(),
                enforcementAction,
                failurePolicy: "Fail",
                replicas: 3,
            });
        },
    });
}

class Capture extends Writable {
    text = "";
    _write(chunk: Buffer, _enc: string, cb: () => void) {
        this.text += chunk.toString();
        cb();
    }
    get lines() {
        return this.text.split("\n").filter(Boolean);
    }
}

async function admitCli(run: StackRun, ...argv: string[]) {
    const out = new Capture();
    const err = new Capture();
    const code = await main(["--stack", "dev", ...argv], { run, out, err });
    return { code, out: out.lines, err: err.text };
}

/** Constraint names in a DENY line. */
const denied = (line: string) => [...line.matchAll(/\[([a-z0-9-]+)\]/g)].map(m => m[1]).sort();

/** For each denied fixture: the DENY line's object and the constraints that must refuse it (exactly). */
const DENIED: Record<string, { object: string; constraints: string[] }> = {
    "lookalike-registry.yaml": { object: "Deployment/team-a/web", constraints: ["images-from-platform-registry"] },
    "foreign-registry.yaml": { object: "Pod/team-a/nginx", constraints: ["images-from-platform-registry"] },
    "image-without-tag.yaml": { object: "StatefulSet/team-a/db", constraints: ["images-pinned"] },
    "registry-port-without-tag.yaml": { object: "Pod/team-a/ported", constraints: ["images-from-platform-registry", "images-pinned"] },
    "latest-tag.yaml": { object: "ReplicaSet/team-a/web", constraints: ["images-pinned"] },
    "init-container-foreign-image.yaml": { object: "Deployment/team-a/web", constraints: ["images-from-platform-registry"] },
    "ephemeral-container-foreign-image.yaml": { object: "Pod/team-a/web", constraints: ["images-from-platform-registry"] },
    "image-volume-foreign-image.yaml": { object: "Pod/team-a/tools", constraints: ["images-from-platform-registry"] },
    "cronjob-nested-template.yaml": { object: "CronJob/team-a/miner", constraints: ["images-from-platform-registry"] },
    "privileged-init-container.yaml": { object: "Job/team-a/setup", constraints: ["pod-security-baseline"] },
    "privileged-yaml11-boolean.yaml": { object: "Pod/team-a/sneaky", constraints: ["pod-security-baseline"] },
    "host-access.yaml": { object: "DaemonSet/team-a/node-reader", constraints: ["pod-security-baseline", "pod-security-baseline"] },
    "dockerconfigjson-secret.yaml": { object: "Secret/team-a/regcred", constraints: ["registry-credentials-only-in-pipeline"] },
    "dockercfg-secret.yaml": { object: "Secret/team-a/regcred-legacy", constraints: ["registry-credentials-only-in-pipeline"] },
    "opaque-secret-with-docker-config.yaml": {
        object: "Secret/team-a/not-a-regcred",
        constraints: ["registry-credentials-only-in-pipeline"],
    },
    "sealed-registry-secret.yaml": { object: "SealedSecret/team-a/regcred", constraints: ["registry-credentials-only-in-pipeline"] },
    "sealed-secret-template-data-docker-key.yaml": {
        object: "SealedSecret/team-a/pull-config",
        constraints: ["registry-credentials-only-in-pipeline"],
    },
    "sealed-secret-untyped-encrypted-docker-key.yaml": {
        object: "SealedSecret/team-a/regcred-untyped",
        constraints: ["registry-credentials-only-in-pipeline"],
    },
    "tekton-docker-annotation-secret.yaml": {
        object: "Secret/team-a/registry-login",
        constraints: ["registry-credentials-only-in-pipeline"],
    },
    "opaque-secret-with-docker-config-file.yaml": {
        object: "Secret/team-a/buildkit-auth",
        constraints: ["registry-credentials-only-in-pipeline"],
    },
    "opaque-secret-with-docker-config-file-stringdata.yaml": {
        object: "Secret/team-a/kaniko-auth",
        constraints: ["registry-credentials-only-in-pipeline"],
    },
    "platform-namespace-host-access.yaml": {
        object: "Pod/gateway/node-shell",
        constraints: ["pod-security-baseline", "pod-security-baseline", "pod-security-baseline"],
    },
    "platform-namespace-upstream-image.yaml": { object: "Pod/argocd/debug", constraints: ["images-from-platform-registry"] },
    "serviceaccount-image-pull-secrets.yaml": { object: "ServiceAccount/team-a/default", constraints: ["no-image-pull-secrets"] },
    "workload-image-pull-secrets.yaml": { object: "Deployment/team-a/web", constraints: ["no-image-pull-secrets"] },
    "list-wrapped-pod.yaml": { object: "Pod/team-a/wrapped", constraints: ["images-from-platform-registry"] },
    "mixed.yaml": { object: "Pod/team-a/bad", constraints: ["images-pinned"] },
    "baseline-host-port-and-capability.yaml": {
        object: "Deployment/team-a/web",
        constraints: ["pod-security-baseline", "pod-security-baseline"],
    },
    "restricted-namespace.yaml": {
        object: "Pod/payments/api",
        constraints: ["pod-security-restricted", "pod-security-restricted", "pod-security-restricted", "pod-security-restricted"],
    },
    "secret-without-namespace.yaml": { object: "Secret/-/regcred", constraints: ["registry-credentials-only-in-pipeline"] },
};

describe("admit", () => {
    let run: StackRun;
    before(async () => {
        run = await gatekeeperRun();
    });

    describe("fixtures", () => {
        it("covers every denied fixture in the table", () => {
            assert.deepEqual(fs.readdirSync(fixture("denied")).sort(), Object.keys(DENIED).sort());
        });

        it("has the allowed fixtures the tests below name (a new one is picked up by the loop)", () => {
            const files = fs.readdirSync(fixture("allowed")).sort();
            for (const f of ["app.yaml", "exempt-namespace.yaml", "harmless-secrets.yaml", "pipeline-namespace.yaml"])
                assert.ok(files.includes(f), f);
        });

        for (const file of fs.readdirSync(path.join(__dirname, "..", "fixtures", "admit", "allowed")).sort()) {
            it(`allows allowed/${file} (exit 0)`, async () => {
                const { code, out, err } = await admitCli(run, fixture("allowed", file));
                assert.equal(code, 0, out.join("\n") + err);
                assert.ok(out.length > 0);
                for (const line of out) assert.match(line, /^ALLOW [A-Za-z]+\/[a-z0-9-]+\/[a-z0-9-]+$/);
            });
        }

        for (const [file, want] of Object.entries(DENIED)) {
            it(`denies denied/${file} (exit 1): ${want.constraints.join(", ")}`, async () => {
                const { code, out } = await admitCli(run, fixture("denied", file));
                assert.equal(code, 1, out.join("\n"));
                const line = out.find(l => l.startsWith(`DENY ${want.object}: `));
                assert.ok(line, `a DENY line for ${want.object} in:\n${out.join("\n")}`);
                assert.deepEqual(denied(line!), [...want.constraints].sort(), line);
            });
        }

        it("names the control and the container in pod-security messages", async () => {
            const { out } = await admitCli(run, fixture("denied", "baseline-host-port-and-capability.yaml"));
            assert.match(out[0], /\[pod-security-baseline\] hostPort 8080 on container web: host ports are not allowed;/);
            assert.match(
                out[0],
                /\[pod-security-baseline\] capabilities\.add NET_ADMIN on container web: only AUDIT_WRITE, .* may be added$/,
            );
        });

        it("prints one line per object of a multi-document file, in order", async () => {
            const { code, out } = await admitCli(run, fixture("denied", "mixed.yaml"));
            assert.equal(code, 1);
            assert.equal(out.length, 2);
            assert.equal(out[0], "ALLOW ConfigMap/team-a/settings");
            assert.match(out[1], /^DENY Pod\/team-a\/bad: \[images-pinned\] .*main=myacr\.azurecr\.io\/team-a\/main$/);
        });

        it("names the offending image and the allowed prefix (look-alike host is not ACR)", async () => {
            const { out } = await admitCli(run, fixture("denied", "lookalike-registry.yaml"));
            assert.equal(
                out[0],
                "DENY Deployment/team-a/web: [images-from-platform-registry] container images must come from myacr.azurecr.io/; not allowed: web=myacr.azurecr.io.evil.example/x:1.0",
            );
        });

        it("reports every violation of an object, not only the first", async () => {
            const { out } = await admitCli(run, fixture("denied", "host-access.yaml"));
            assert.match(out[0], /hostNetwork, hostPID on the pod: host namespaces are not allowed;/);
            assert.match(out[0], /hostPath volume root: hostPath volumes are not allowed$/);
        });

        it("says why a Secret is a registry credential (type, key, Tekton annotation, docker config.json)", async () => {
            const line = async (file: string) => (await admitCli(run, fixture("denied", file))).out[0];
            assert.match(
                await line("dockerconfigjson-secret.yaml"),
                /registry credentials \(type kubernetes\.io\/dockerconfigjson, key \.dockerconfigjson\) are only allowed in namespace ci;/,
            );
            assert.match(
                await line("tekton-docker-annotation-secret.yaml"),
                /registry credentials \(annotation tekton\.dev\/docker-0\) are only allowed in namespace ci;/,
            );
            assert.match(
                await line("opaque-secret-with-docker-config-file.yaml"),
                /registry credentials \(docker config in key config\.json\) are only allowed/,
            );
            assert.match(
                await line("sealed-secret-template-data-docker-key.yaml"),
                /registry credentials \(key \.dockerconfigjson\) are only allowed/,
            );
        });

        it("pod security binds platform namespaces too; only Kubernetes' own are exempt", async () => {
            const { out } = await admitCli(run, fixture("denied", "platform-namespace-host-access.yaml"));
            assert.equal(
                out[0],
                "DENY Pod/gateway/node-shell: [pod-security-baseline] privileged on container shell: privileged containers are not allowed; " +
                    "[pod-security-baseline] hostPID on the pod: host namespaces are not allowed; [pod-security-baseline] hostPath volume host-root: hostPath volumes are not allowed",
            );
            // The fixture's image comes through the ACR and platform namespaces skip the pinning rule: only pod security speaks.
            const allowedSystem = await admitCli(run, fixture("allowed", "exempt-namespace.yaml"));
            assert.equal(allowedSystem.code, 0);
            assert.ok(allowedSystem.out.includes("ALLOW DaemonSet/kube-system/node-agent"), "kube-system stays exempt");
        });

        it("the ACR-only rule binds platform namespaces: an upstream image in argocd is denied", async () => {
            const { code, out } = await admitCli(run, fixture("denied", "platform-namespace-upstream-image.yaml"));
            assert.equal(code, 1);
            assert.equal(
                out[0],
                "DENY Pod/argocd/debug: [images-from-platform-registry] container images must come from myacr.azurecr.io/; not allowed: shell=quay.io/argoproj/argocd:v3.4.4",
            );
        });

        it("applies --namespace to objects that name none", async () => {
            assert.equal((await admitCli(run, fixture("denied", "secret-without-namespace.yaml"))).code, 1);
            const inPipeline = await admitCli(run, "--namespace", "ci", fixture("denied", "secret-without-namespace.yaml"));
            assert.equal(inPipeline.code, 0);
            assert.deepEqual(inPipeline.out, ["ALLOW Secret/ci/regcred"]);
        });

        it("evaluates a directory recursively and several files together", async () => {
            const dir = await admitCli(run, fixture("allowed"));
            assert.equal(dir.code, 0);
            assert.ok(dir.out.length >= 10);
            const both = await admitCli(run, fixture("allowed", "app.yaml"), fixture("denied", "latest-tag.yaml"));
            assert.equal(both.code, 1);
            assert.equal(both.out.filter(l => l.startsWith("DENY")).length, 1);
        });
    });

    describe("exit 2: unreadable or malformed input, bad usage, nothing to evaluate", () => {
        for (const file of fs.readdirSync(path.join(__dirname, "..", "fixtures", "admit", "malformed")).sort()) {
            it(`rejects malformed/${file} with a clear message and no verdicts`, async () => {
                const { code, out, err } = await admitCli(run, fixture("allowed", "app.yaml"), fixture("malformed", file));
                assert.equal(code, 2);
                assert.deepEqual(out, [], "no verdicts when the input is not fully readable");
                assert.ok(err.includes(`malformed/${file}: document`), err);
                assert.doesNotMatch(err, /\n\s+at /, "no stack trace");
            });
        }

        it("names the line of a YAML syntax error", async () => {
            const { err } = await admitCli(run, fixture("malformed", "bad-yaml.yaml"));
            assert.match(err, /bad-yaml\.yaml: document 1: invalid YAML \(line \d+, column \d+\)/);
        });

        it("rejects a missing file, missing arguments and unknown options", async () => {
            assert.equal((await admitCli(run, fixture("does-not-exist.yaml"))).code, 2);
            const out = new Capture();
            const err = new Capture();
            assert.equal(await main([fixture("allowed", "app.yaml")], { run, out, err }), 2);
            assert.match(err.text, /--stack is required/);
            assert.equal(await main(["--stack", "dev"], { run, out, err }), 2);
            assert.match(err.text, /no manifest files given/);
            assert.equal(await main(["--stack", "dev", "--bogus", "x.yaml"], { run, out, err }), 2);
            assert.equal(out.text, "");
        });

        it("refuses to pass anything when the stack has no Gatekeeper constraints", async () => {
            const empty = await freshRun({
                stack: "dev",
                program: () => {
                    new k8s.Provider("p", {});
                },
            });
            const { code, err } = await admitCli(empty, fixture("allowed", "app.yaml"));
            assert.equal(code, 2);
            assert.match(err, /registers no Gatekeeper ConstraintTemplates/);
        });

        it("exits 2 without a stack trace from the real command line", () => {
            let status = 0;
            let stderr = "";
            try {
                execFileSync(
                    process.execPath,
                    [
                        require.resolve("tsx/cli"),
                        path.join(ROOT, "tools", "admit.ts"),
                        "--stack",
                        "dev",
                        fixture("malformed", "bad-yaml.yaml"),
                    ],
                    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
                );
            } catch (e) {
                status = (e as { status: number }).status;
                stderr = String((e as { stderr: Buffer }).stderr);
            }
            assert.equal(status, 2);
            assert.match(stderr, /^admit: unreadable or malformed input:/);
            assert.doesNotMatch(stderr, /\n\s+at /);
        });
    });

    describe("two clusters", () => {
        it("evaluates identical cluster policies once, and differing ones each", async () => {
            const program = (secondaryAcr: string) => () => {
                for (const [cluster, acr] of [
                    ["primary", "myacr.azurecr.io"],
                    ["secondary", secondaryAcr],
                ]) {
                    new Gatekeeper(cluster, {
                        provider: new k8s.Provider(cluster, {}),
                        acrLoginServer: acr,
                        pipelineNamespace: "ci",
                        exemptNamespaces: exemptNamespaces(),
                        enforcementAction: "deny",
                        failurePolicy: "Fail",
                        replicas: 2,
                    });
                }
            };
            const same = await freshRun({ stack: "dev", program: program("myacr.azurecr.io") });
            assert.equal(policySetsFromRun(same).length, 1);
            const { code, out } = await admitCli(same, fixture("denied", "lookalike-registry.yaml"));
            assert.equal(code, 1);
            assert.deepEqual(denied(out[0]), ["images-from-platform-registry"], "reported once, not once per cluster");

            const differ = await freshRun({ stack: "dev", program: program("other.azurecr.io") });
            assert.equal(policySetsFromRun(differ).length, 2);
            const r = await admitCli(differ, fixture("allowed", "app.yaml"));
            assert.equal(r.code, 1, "an image from the primary's ACR is refused by the secondary's policy");
            assert.match(
                r.out.find(l => l.startsWith("DENY Deployment"))!,
                /must come from other\.azurecr\.io\//,
            );
        });
    });

    describe("enforcement actions", () => {
        it("warn: allowed (exit 0), violations reported on stderr", async () => {
            const warnRun = await gatekeeperRun("warn");
            const { code, out, err } = await admitCli(warnRun, fixture("denied", "latest-tag.yaml"));
            assert.equal(code, 0);
            assert.deepEqual(out, ["ALLOW ReplicaSet/team-a/web"]);
            assert.match(err, /^WARN ReplicaSet\/team-a\/web: \[images-pinned\] \(warn\) /m);
        });
    });

    describe("namespace labels (the restricted level)", () => {
        const RESTRICTED = { "pod-security.kubernetes.io/enforce": "restricted" };
        let withNamespaces: StackRun;
        before(async () => {
            withNamespaces = await freshRun({
                stack: "dev",
                program: () => {
                    const provider = new k8s.Provider("primary", {});
                    new Gatekeeper("primary", {
                        provider,
                        acrLoginServer: "myacr.azurecr.io",
                        pipelineNamespace: "ci",
                        exemptNamespaces: exemptNamespaces(),
                        enforcementAction: "deny",
                        failurePolicy: "Fail",
                        replicas: 1,
                    });
                    // A namespace the stack itself creates, raised to restricted.
                    new k8s.core.v1.Namespace("payments", { metadata: { name: "payments", labels: RESTRICTED } }, { provider });
                },
            });
        });
        // Baseline-clean, but nothing restricted asks for (non-root, seccomp, drop ALL …).
        const plainPod = (namespace: string) => ({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "p", namespace },
            spec: { containers: [{ name: "web", image: `myacr.azurecr.io/web@sha256:${DIGEST}` }] },
        });
        const constraintsOf = (r: { denials: { constraint: string }[] }) => [...new Set(r.denials.map(d => d.constraint))];

        it("takes a namespace's labels from the stack's own Namespace when the manifests hold none", () => {
            const sets = policySetsFromRun(withNamespaces);
            assert.equal(sets.length, 1);
            assert.ok(sets[0].namespaces!.some(n => n.metadata.name === "payments"));
            const [inPayments, inTeam] = admit(sets, [plainPod("payments"), plainPod("team-a")] as never);
            assert.deepEqual(constraintsOf(inPayments), ["pod-security-restricted"]);
            assert.match(inPayments.denials[0].message, /on container web/);
            // A namespace neither reviewed nor created by the stack counts as unlabelled: baseline.
            assert.equal(inTeam.allowed, true);
        });

        it("lets a reviewed Namespace manifest decide, over the stack's", () => {
            const sets = policySetsFromRun(withNamespaces);
            const ns = (name: string, labels: Record<string, string>) => ({
                apiVersion: "v1",
                kind: "Namespace",
                metadata: { name, labels },
            });
            const reviews = admit(sets, [ns("team-a", RESTRICTED), plainPod("team-a"), ns("payments", {}), plainPod("payments")] as never);
            assert.deepEqual(constraintsOf(reviews[1]), ["pod-security-restricted"]);
            assert.equal(reviews[3].allowed, true);
        });
    });

    describe("evaluation library", () => {
        let set: PolicySet;
        before(() => {
            [set] = policySetsFromRun(run);
        });

        const pod = (image: string, extra: Record<string, unknown> = {}) => ({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "p", namespace: "team-a" },
            spec: { containers: [{ name: "c", image }], ...extra },
        });
        const verdict = (obj: object) => formatReview(admit(set, [obj as never])[0]);

        it("takes the templates and constraints from the run", () => {
            assert.equal(set.templates.length, 6);
            assert.equal(set.constraints.length, 6);
            assert.equal(new Admission(set).size, 6);
        });

        it("pins: digest or non-latest tag; host:port is not a tag", () => {
            const ok = [
                "myacr.azurecr.io/a:1.0",
                `myacr.azurecr.io/a@sha256:${DIGEST}`,
                `myacr.azurecr.io/a:latest@sha256:${DIGEST}`,
                "myacr.azurecr.io/team/a:v2_rc.1",
            ];
            const bad = [
                "myacr.azurecr.io/a",
                "myacr.azurecr.io/a:latest",
                "myacr.azurecr.io/a@sha256:abc",
                "myacr.azurecr.io/a@sha256:" + DIGEST.toUpperCase(),
            ];
            for (const image of ok) assert.match(verdict(pod(image)), /^ALLOW/, image);
            for (const image of bad) assert.match(verdict(pod(image)), /^DENY .*\[images-pinned\]/, image);
        });

        it("registry: only the exact ACR prefix with a slash", () => {
            for (const image of [
                "myacr.azurecr.io.evil.example/x:1",
                "evil.example/myacr.azurecr.io/x:1",
                "myacr.azurecr.iox/x:1",
                "myacr.azurecr.io:1.0",
            ]) {
                assert.match(verdict(pod(image)), /\[images-from-platform-registry\]/, image);
            }
        });

        describe("registry credentials", () => {
            const secret = (extra: Record<string, unknown>, namespace = "team-a", annotations?: Record<string, string>) => ({
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: "s", namespace, ...(annotations ? { annotations } : {}) },
                ...extra,
            });
            const sealed = (spec: Record<string, unknown>, namespace = "team-a") => ({
                apiVersion: "bitnami.com/v1alpha1",
                kind: "SealedSecret",
                metadata: { name: "s", namespace },
                spec,
            });
            const CRED = /^DENY .*\[registry-credentials-only-in-pipeline\]/;
            const b64 = (text: string) => Buffer.from(text).toString("base64");

            it("a tekton.dev/docker-* annotation makes any Secret a credential; other annotations do not", () => {
                for (const key of ["tekton.dev/docker-0", "tekton.dev/docker-harbor"]) {
                    assert.match(
                        verdict(
                            secret({ type: "kubernetes.io/basic-auth", stringData: { username: "u", password: "p" } }, "team-a", {
                                [key]: "https://reg",
                            }),
                        ),
                        CRED,
                        key,
                    );
                    assert.match(
                        verdict(secret({ type: "Opaque" }, "harbor", { [key]: "https://reg" })),
                        CRED,
                        `${key} in a platform namespace`,
                    );
                    assert.match(
                        verdict(secret({ type: "kubernetes.io/basic-auth" }, "ci", { [key]: "https://reg" })),
                        /^ALLOW/,
                        `${key} in the pipeline namespace`,
                    );
                }
                for (const key of ["tekton.dev/git-0", "tekton.dev/dockerfile", "example.com/tekton.dev/docker-0", "docker-0"]) {
                    assert.match(verdict(secret({ type: "kubernetes.io/basic-auth" }, "team-a", { [key]: "https://reg" })), /^ALLOW/, key);
                }
            });

            it("a config.json key is a credential when it holds a docker config's auths, base64 or plain, at any alignment", () => {
                for (const config of [
                    '{"auths":{"reg":{"auth":"eDp5"}}}',
                    '{ "auths": {} }',
                    '{\n\t"auths": {"reg": {}}\n}',
                    '{"credsStore":"","auths":{}}',
                ]) {
                    assert.match(
                        verdict(secret({ type: "Opaque", data: { "config.json": b64(config) } })),
                        CRED,
                        `data ${JSON.stringify(config)}`,
                    );
                    assert.match(verdict(secret({ stringData: { "config.json": config } })), CRED, `stringData ${JSON.stringify(config)}`);
                    assert.match(verdict(secret({ stringData: { "config.json": config } }, "ci")), /^ALLOW/);
                }
                // Precise: only the key config.json, and only with auths in it.
                assert.match(verdict(secret({ data: { "config.json": b64('{"auth":{"issuer":"x"},"authors":[]}') } })), /^ALLOW/);
                assert.match(verdict(secret({ stringData: { "config.json": '{"logLevel":"info"}' } })), /^ALLOW/);
                assert.match(
                    verdict(secret({ data: { "settings.json": b64('{"auths":{}}') }, stringData: { "docker.json": '{"auths":{}}' } })),
                    /^ALLOW/,
                );
                // Plain text in data (not base64) is not how the API server stores it; the base64 markers only.
                assert.match(verdict(secret({ data: { "config.json": b64("x").repeat(3) } })), /^ALLOW/);
            });

            it("a SealedSecret's keys are scanned in spec.encryptedData and spec.template.data, with or without a type", () => {
                for (const key of [".dockerconfigjson", ".dockercfg"]) {
                    assert.match(verdict(sealed({ encryptedData: { [key]: "AgB=" } })), CRED, `encryptedData ${key}`);
                    assert.match(
                        verdict(sealed({ encryptedData: { token: "AgB=" }, template: { data: { [key]: "{{ .token }}" } } })),
                        CRED,
                        `template.data ${key}`,
                    );
                    assert.match(
                        verdict(sealed({ template: { metadata: { name: "s" }, data: { [key]: "x" } } })),
                        CRED,
                        `template.data only ${key}`,
                    );
                }
                assert.match(
                    verdict(
                        sealed({
                            encryptedData: { token: "AgB=" },
                            template: { data: { "config.json": '{"auths":{"reg":{"auth":"{{ .token }}"}}}' } },
                        }),
                    ),
                    CRED,
                    "template config.json with auths",
                );
                assert.match(
                    verdict(
                        sealed({
                            encryptedData: { token: "AgB=" },
                            template: { metadata: { annotations: { "tekton.dev/docker-0": "https://reg" } } },
                        }),
                    ),
                    CRED,
                    "template annotation",
                );
                assert.match(
                    verdict(sealed({ encryptedData: { token: "AgB=" }, template: { data: { "config.json": '{"logLevel":"info"}' } } })),
                    /^ALLOW/,
                );
                assert.match(verdict(sealed({ encryptedData: { ".dockerconfigjson": "AgB=" } }, "ci")), /^ALLOW/);
                assert.match(verdict(sealed({})), /^ALLOW/, "an empty spec is not a credential (and does not crash)");
            });
        });

        it("a container without an image, or a null field, does not slip through or crash", () => {
            assert.match(
                verdict({
                    apiVersion: "v1",
                    kind: "Pod",
                    metadata: { name: "p", namespace: "team-a" },
                    spec: { containers: [{ name: "c" }] },
                }),
                /^DENY .*\[images-from-platform-registry\].*c=<no image>/,
            );
            assert.match(verdict(pod("myacr.azurecr.io/a:1", { initContainers: null, volumes: null })), /^ALLOW/);
        });

        it("parses YAML integers as CEL ints (arithmetic as in Kubernetes), floats as doubles", () => {
            const arithmetic: PolicySet = {
                templates: [
                    template("ReplicaLimit", {
                        validations: [
                            {
                                expression:
                                    "variables.anyObject.spec.replicas % 2 == 1 && variables.anyObject.spec.replicas + 1 <= variables.params.max",
                                message: "odd replicas up to max-1",
                            },
                        ],
                    }),
                ],
                constraints: [constraintOf("ReplicaLimit", { max: 4 })],
            };
            const objs = parseManifests(
                [
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: x}\nspec: {replicas: 3}",
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b, namespace: x}\nspec: {replicas: 5}",
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: c, namespace: x}\nspec: {replicas: 3.0}",
                ].join("\n---\n"),
                "inline",
            );
            const reviews = admit(arithmetic, objs).map(formatReview);
            assert.equal(reviews[0], "ALLOW Deployment/x/a");
            assert.equal(reviews[1], "DENY Deployment/x/b: [replicalimit] odd replicas up to max-1");
            // 3.0 is a double: `%` has no double overload, an error, and errors fail closed.
            assert.match(reviews[2], /^DENY Deployment\/x\/c: \[replicalimit\] validation 1 of ReplicaLimit could not be evaluated/);
        });

        it("honours match kinds, excluded-namespace globs and namespaces", () => {
            const t = template("AlwaysDeny", { validations: [{ expression: "false", message: "no" }] });
            const c = constraintOf(
                "AlwaysDeny",
                {},
                {
                    kinds: [{ apiGroups: ["apps"], kinds: ["Deployment"] }],
                    excludedNamespaces: ["team-*"],
                    namespaces: ["team-*", "prod-*"],
                },
            );
            const a = new Admission({ templates: [t], constraints: [c] });
            const dep = (ns: string) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: ns } });
            assert.equal(a.review(dep("prod-1")).allowed, false);
            assert.equal(a.review(dep("team-a")).allowed, true, "excluded by glob");
            assert.equal(a.review(dep("other")).allowed, true, "not in namespaces");
            assert.equal(
                a.review({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "prod-1" } }).allowed,
                true,
                "kind not matched",
            );
            assert.equal(
                a.review({ apiVersion: "extensions/v1beta1", kind: "Deployment", metadata: { name: "d", namespace: "prod-1" } }).allowed,
                true,
                "group not matched",
            );
        });

        it("uses messageExpression, falling back to message when it fails", () => {
            const t = template("Msg", {
                validations: [
                    { expression: "false", message: "static", messageExpression: "'dynamic ' + variables.anyObject.metadata.name" },
                    { expression: "false", message: "fallback", messageExpression: "variables.anyObject.nope" },
                ],
            });
            const r = admit({ templates: [t], constraints: [constraintOf("Msg", {})] }, [
                { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "n" } },
            ])[0];
            assert.deepEqual(
                r.denials.map(d => d.message),
                ["dynamic p", "fallback"],
            );
        });

        it("refuses templates it cannot evaluate: Rego only, bad CEL, constraint without template", () => {
            const rego: ConstraintTemplateObject = { ...template("Rego", { validations: [] }) };
            rego.spec.targets = [{ target: "admission.k8s.gatekeeper.sh", code: [], rego: "package x" }];
            assert.throws(() => new Admission({ templates: [rego], constraints: [] }), PolicyError);
            const bad = template("Bad", { validations: [{ expression: "object.(", message: "x" }] });
            assert.throws(() => new Admission({ templates: [bad], constraints: [] }), /CEL does not parse/);
            assert.throws(
                () => new Admission({ templates: [], constraints: [constraintOf("Missing", {})] }),
                /no ConstraintTemplate defines kind Missing/,
            );
        });

        it("reads files through the library the same way (ManifestError for bad input)", () => {
            assert.ok(readManifests([fixture("allowed", "app.yaml")]).length >= 6);
            assert.throws(() => readManifests([fixture("malformed", "duplicate-key.yaml")]), ManifestError);
        });
    });
});

function template(
    kind: string,
    source: {
        validations: { expression: string; message: string; messageExpression?: string }[];
        variables?: { name: string; expression: string }[];
    },
): ConstraintTemplateObject {
    return {
        apiVersion: "templates.gatekeeper.sh/v1",
        kind: "ConstraintTemplate",
        metadata: { name: kind.toLowerCase() },
        spec: {
            crd: { spec: { names: { kind } } },
            targets: [{ target: "admission.k8s.gatekeeper.sh", code: [{ engine: "K8sNativeValidation", source }] }],
        },
    };
}

function constraintOf(kind: string, parameters: Record<string, unknown>, match: ConstraintObject["spec"]["match"] = {}): ConstraintObject {
    return {
        apiVersion: "constraints.gatekeeper.sh/v1beta1",
        kind,
        metadata: { name: kind.toLowerCase() },
        spec: { enforcementAction: "deny", match, parameters },
    };
}

describe("admit on the whole stacks: signatures are checked at admission, not here", () => {
    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: evaluates the CEL policies, leaves out the signature constraint, and says the cluster checks signatures`, async () => {
            const run = await stackRun(stack);
            const acr = (run.rawOutputs as Record<string, any>).registry.loginServer;
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "admit-"));
            const file = path.join(dir, "app.yaml");
            fs.writeFileSync(
                file,
                [
                    "apiVersion: v1",
                    "kind: Pod",
                    "metadata: {name: web, namespace: team-a}",
                    `spec: {containers: [{name: web, image: "${acr}/team-a/web@sha256:${DIGEST}"}]}`,
                    "",
                ].join("\n"),
            );
            const out = new Capture();
            const err = new Capture();
            const code = await main(["--stack", stack, file], { run, out, err });
            fs.rmSync(dir, { recursive: true, force: true });
            assert.equal(code, 0, err.text);
            assert.deepEqual(out.lines, ["ALLOW Pod/team-a/web"]);
            assert.match(
                err.text,
                /^NOTE: image signatures are not checked here \(admit cannot reach a registry\); they are checked at admission by the cluster \(Ratify, constraint images-signed-by-pipeline\)/m,
            );
            assert.match(err.text, stack === "prod" ? /is denied\.$/m : /is reported \(dryrun\), not denied\.$/m);
        });
    }
});
