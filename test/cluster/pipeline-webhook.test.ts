// The webhook path, end to end, with the objects the component registers: a GitHub payload →
// the EventListener's CEL filter (evaluated with @bufbuild/cel) → TriggerBinding → TriggerTemplate
// → PipelineRun → the Pipeline task's params → the Task's step, EXECUTED (see run-step.ts)
// against local fixture repositories and a local GitHub stub.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { AddressInfo } from "net";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { run as celRun } from "@bufbuild/cel";
import { SupplyChainPipeline } from "../../components/cluster/pipeline";
import { freshRun, StackRun } from "../harness";
import {
    fixtureRepo,
    FS_GROUP,
    git,
    newRunRoot,
    removeRunRoot,
    requireStepTools,
    runStep,
    secretWorkspace,
    volumeWorkspace,
} from "./pipeline/run-step";
import { spawnSync } from "child_process";
import { ParamValue, pipelineTaskParams, validateTimeouts } from "./pipeline/tekton";

type Any = Record<string, any>;
const BOT = "platform-bot@example.com";
const TOKEN = "ghp_fixturetoken0000000000000000000000";
/** A PR base commit in payloads: GitHub sends it; the check does not use it. */
const BASE_SHA = "b".repeat(40);

/** The registered Tekton/Triggers objects by kind and metadata.name. */
function objects(r: StackRun) {
    const of = (kind: string) =>
        new Map(
            r.resources
                .filter(x => x.type.startsWith("kubernetes:") && x.type.endsWith(`:${kind}`))
                .map(x => [(x.inputs as Any).metadata.name as string, x.inputs as Any]),
        );
    return {
        listener: [...of("EventListener").values()][0],
        bindings: of("TriggerBinding"),
        templates: of("TriggerTemplate"),
        pipelines: of("Pipeline"),
        tasks: of("Task"),
    };
}

/** Triggers' `$(body.a.b)` in a binding value (a dotted path into the payload). */
function bindingValue(expr: string, body: Any): string {
    return expr.replace(/\$\(body\.([A-Za-z0-9_.]+)\)/g, (_, p: string) => {
        const v = p.split(".").reduce<any>((o, k) => o?.[k], body);
        if (v === undefined) throw new Error(`$(body.${p}) is not in the payload`);
        return String(v);
    });
}

/**
 * What the EventListener creates for a payload: the first trigger whose CEL filter passes (an
 * evaluation error means "not triggered", as in the CEL interceptor), its bindings' params, and
 * the TriggerTemplate's resource with `$(tt.params.*)` replaced. Undefined when nothing triggers.
 */
function triggered(r: StackRun, body: Any): Any | undefined {
    const o = objects(r);
    for (const trigger of o.listener.spec.triggers as Any[]) {
        const cel = (trigger.interceptors as Any[]).find(i => i.ref.name === "cel");
        const result = celRun(cel!.params.find((p: Any) => p.name === "filter").value, { body });
        if (result !== true) continue;
        const params: Record<string, string> = {};
        for (const b of trigger.bindings as Any[])
            for (const p of o.bindings.get(b.ref)!.spec.params as Any[]) params[p.name] = bindingValue(p.value, body);
        const template = o.templates.get(trigger.template.ref)!;
        for (const p of template.spec.params as Any[]) assert.ok(p.name in params, `binding provides ${p.name}`);
        const json = JSON.stringify(template.spec.resourcetemplates[0]).replace(/\$\(tt\.params\.([A-Za-z0-9_-]+)\)/g, (_, n) =>
            JSON.stringify(params[n]).slice(1, -1),
        );
        return JSON.parse(json);
    }
    return undefined;
}

/** The Task and its params for one task of the PipelineRun's Pipeline. */
function taskRun(
    r: StackRun,
    run: Any,
    pipelineTask: string,
    results: Record<string, Record<string, string>> = {},
    context: Record<string, string> = {},
) {
    const o = objects(r);
    const pipeline = o.pipelines.get(run.spec.pipelineRef.name)!;
    const pt = [...pipeline.spec.tasks, ...(pipeline.spec.finally ?? [])].find((t: Any) => t.name === pipelineTask);
    const runParams: Record<string, ParamValue> = Object.fromEntries((run.spec.params as Any[]).map(p => [p.name, p.value]));
    return {
        task: o.tasks.get(pt.taskRef.name)!,
        params: pipelineTaskParams(pt, runParams, results, context),
        bindings: pt.workspaces as Any[],
    };
}

describe("webhook → PipelineRun → steps, executed", function () {
    let root: string;
    let source: ReturnType<typeof fixtureRepo>;
    let manifests: ReturnType<typeof fixtureRepo>;
    let r: StackRun;
    let github: { server: http.Server; url: string; requests: Any[] };

    before(async () => {
        requireStepTools();
        root = newRunRoot();
        source = fixtureRepo(root, "shop", { Dockerfile: "FROM scratch\n", "src/app.ts": "export {};\n" });
        manifests = fixtureRepo(root, "shop-manifests", {
            "clusters/primary/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\n",
            "clusters/secondary/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\n",
        });
        const requests: Any[] = [];
        const server = http.createServer((req, res) => {
            let raw = "";
            req.on("data", d => {
                raw += d;
            });
            req.on("end", () => {
                requests.push({ method: req.method, url: req.url, body: JSON.parse(raw || "null") });
                res.writeHead(201);
                res.end("{}");
            });
        });
        await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
        github = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
        r = await freshRun({
            stack: "dev",
            program: () => {
                new SupplyChainPipeline("delivery", {
                    provider: new k8s.Provider("primary", {}),
                    namespace: "ci",
                    pipelineIdentityClientId: "00000000-0000-0000-0000-000000000001",
                    checkIdentityClientId: "00000000-0000-0000-0000-000000000002",
                    signingPublicKeys: [{ generation: 1, publicKeyPem: "-----BEGIN PUBLIC KEY-----\n" }],
                    acrLoginServer: "shopacr.azurecr.io",
                    harbor: {
                        host: "harbor.dev.example.com",
                        project: "staging",
                        robotName: "robot$staging+pipeline",
                        robotSecret: pulumi.secret("s"),
                    },
                    // Local fixture repositories stand in for GitHub (the Tasks take any git URL).
                    sourceRepoUrl: source.url,
                    manifestsRepoUrl: "https://github.com/example/shop-manifests",
                    branch: "main",
                    manifestsPathByRegion: { primary: "clusters/primary", secondary: "clusters/secondary" },
                    botName: "platform-bot",
                    botEmail: BOT,
                    blockSeverity: "high",
                    gitPushToken: pulumi.secret(TOKEN),
                    gitReadToken: pulumi.secret("read-token"),
                    webhookSecret: pulumi.secret("hmac"),
                    hooksHostname: "hooks.dev.example.com",
                    policyBundleYaml: "",
                    kubernetesVersion: "1.34",
                });
            },
        });
    });
    after(() => {
        github?.server.close();
        if (root) removeRunRoot(root);
    });

    const repoHtml = () => source.url.replace(/\.git$/, "");
    const push = (o: { email?: string } = {}) => ({
        ref: "refs/heads/main",
        deleted: false,
        after: source.head,
        repository: { html_url: repoHtml() },
        head_commit: {
            id: source.head,
            author: { email: o.email ?? "dev@example.com" },
            committer: { email: o.email ?? "dev@example.com" },
        },
        commits: [{ added: [], modified: ["src/app.ts"], removed: [] }],
    });

    it("a push to main starts the build, whose clone step checks out exactly the pushed commit", async () => {
        const run = triggered(r, push())!;
        assert.ok(run, "triggered");
        assert.equal(run.kind, "PipelineRun");
        assert.deepEqual(run.spec.params, [{ name: "revision", value: source.head }]);
        assert.deepEqual(validateTimeouts(run.spec.timeouts), []);
        const clone = taskRun(r, run, "clone");
        assert.deepEqual(clone.params, { url: source.url, revision: source.head });
        // The PipelineRun's `source` volume, with the subPath the pipeline task binds.
        const sourceBinding = clone.bindings.find(w => w.name === "output")!;
        assert.ok(run.spec.workspaces.find((w: Any) => w.name === sourceBinding.workspace).volumeClaimTemplate);
        const out = volumeWorkspace(root, "build-source", sourceBinding.subPath);
        const auth = secretWorkspace(root, "build-git-auth", { token: TOKEN });
        const res = await runStep({
            task: clone.task,
            step: "clone",
            root,
            params: clone.params,
            workspaces: { output: out, "git-auth": auth },
        });
        assert.equal(res.code, 0, res.stderr);
        assert.equal(res.results.commit, source.head);
        assert.ok(fs.existsSync(path.join(out, "Dockerfile")));
    });

    it("the bot's own commits and other branches start nothing", () => {
        assert.equal(triggered(r, push({ email: BOT })), undefined);
        assert.equal(triggered(r, { ...push(), ref: "refs/heads/feature" }), undefined);
    });

    describe("a manifests pull request", () => {
        const pr = (sha: string) => ({
            action: "opened",
            repository: { html_url: "https://github.com/example/shop-manifests" },
            pull_request: { base: { ref: "main", sha: BASE_SHA }, head: { sha, repo: { clone_url: manifests.url } } },
        });

        it("clones the PR head, passes the policy guard, and the finally report maps the outcome to a commit status", async () => {
            const run = triggered(r, pr(manifests.head))!;
            assert.equal(run.spec.pipelineRef.name, "manifests-check");
            assert.deepEqual(validateTimeouts(run.spec.timeouts), []);
            const clone = taskRun(r, run, "clone");
            assert.deepEqual(clone.params, { url: manifests.url, revision: manifests.head });
            const src = volumeWorkspace(root, "check-source");
            const auth = secretWorkspace(root, "check-git-auth", { token: TOKEN });
            const cloned = await runStep({
                task: clone.task,
                step: "clone",
                root,
                params: clone.params,
                workspaces: { output: src, "git-auth": auth },
            });
            assert.equal(cloned.code, 0, cloned.stderr);

            const policy = taskRun(r, run, "policy");
            const guard = await runStep({
                task: policy.task,
                step: "reject-policy-objects",
                root,
                params: policy.params,
                workspaces: { source: src, policy: volumeWorkspace(root, "policy") },
            });
            assert.equal(guard.code, 0, guard.stderr);

            // finally: `$(tasks.status)` is the aggregate status; the report posts to the API base
            // derived from the manifests repo, here pointed at the local stub.
            const report = taskRun(r, run, "report", {}, { "tasks.status": "Failed" });
            assert.equal(report.params["api-url"], "https://api.github.com");
            const status = await runStep({
                task: report.task,
                step: "status",
                root,
                params: { ...report.params, "api-url": github.url },
                workspaces: { "git-auth": auth },
            });
            assert.equal(status.code, 0, status.stderr);
            const last = github.requests.at(-1)!;
            assert.equal(last.url, `/repos/example/shop-manifests/statuses/${manifests.head}`);
            assert.equal(last.body.state, "failure");
        });

        it("a digest bump: every digest under the manifests paths is verified with the stack's key, the unchanged one too", async () => {
            // The PR: one commit on top of the manifests fixture, bumping primary's image to a new digest.
            const OLD = `shopacr.azurecr.io/shop@sha256:${"a".repeat(64)}`;
            const NEW = `shopacr.azurecr.io/shop@sha256:${"c".repeat(64)}`;
            const deploy = (image: string) =>
                `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: shop\n          image: ${image}\n`;
            const repo = fixtureRepo(root, "bump", {
                "clusters/primary/app.yaml": deploy(OLD),
                "clusters/secondary/app.yaml": deploy(OLD),
            });
            const work = fs.mkdtempSync(path.join(root, "bump-work-"));
            spawnSync("chown", ["-R", "0:0", repo.bare]); // the fixture side's git is root
            git(work, "clone", "-q", repo.bare, ".");
            fs.writeFileSync(path.join(work, "clusters/primary/app.yaml"), deploy(NEW));
            git(work, "commit", "-q", "-am", "bump");
            git(work, "push", "-q", "origin", "HEAD:refs/heads/bump");
            const head = git(work, "rev-parse", "HEAD");
            spawnSync("chown", ["-R", `${FS_GROUP}:${FS_GROUP}`, repo.bare]);

            const run = triggered(r, {
                ...pr(head),
                pull_request: { base: { ref: "main", sha: repo.head }, head: { sha: head, repo: { clone_url: repo.url } } },
            })!;
            // Only the head is cloned: nothing is diffed against a base snapshot.
            assert.deepEqual(
                objects(r)
                    .pipelines.get(run.spec.pipelineRef.name)!
                    .spec.tasks.map((t: Any) => t.name)
                    .filter((n: string) => n.startsWith("clone")),
                ["clone"],
            );
            const clone = taskRun(r, run, "clone");
            const ws = { head: volumeWorkspace(root, "sig-source", "head") };
            const cloned = await runStep({ task: clone.task, step: "clone", root, params: clone.params, workspaces: { output: ws.head } });
            assert.equal(cloned.code, 0, cloned.stderr);

            const sig = taskRun(r, run, "signatures");
            assert.deepEqual(
                run.spec.taskRunSpecs.map((x: Any) => x.pipelineTaskName),
                ["signatures"],
                "its pod alone is labelled for workload identity",
            );
            const scratch = path.join(root, "sig-work");
            fs.mkdirSync(scratch, { mode: 0o2777 });
            fs.chownSync(scratch, 0, FS_GROUP);
            fs.chmodSync(scratch, 0o2777);
            const keys = path.join(root, "workspace", "sig-keys");
            fs.mkdirSync(keys, { recursive: true, mode: 0o755 });
            fs.writeFileSync(path.join(keys, "generation-1.pub"), "-----BEGIN PUBLIC KEY-----\n");
            fs.chmodSync(keys, 0o755);
            const workspaces = { source: ws.head, "signing-keys": keys };
            // The Application source rules are bound to the configured manifests repository and branch.
            assert.equal(sig.params["repo-url"], "https://github.com/example/shop-manifests");
            assert.equal(sig.params.branch, "main");
            const found = await runStep({
                task: sig.task,
                step: "image-references",
                root,
                params: sig.params,
                workspaces,
                mounts: { "/work": scratch },
            });
            assert.equal(found.code, 0, found.stderr);
            assert.equal(
                fs.readFileSync(path.join(scratch, "images.tsv"), "utf8"),
                `clusters/primary/app.yaml\t10\t${NEW}\t${NEW}\nclusters/secondary/app.yaml\t10\t${OLD}\t${OLD}\n`,
            );

            const cosign = path.join(root, "bin", "cosign");
            fs.writeFileSync(cosign, '#!/bin/sh\necho "$*" >> /tmp/cosign.calls\n', { mode: 0o755 });
            try {
                const verified = await runStep({
                    task: sig.task,
                    step: "verify",
                    root,
                    params: sig.params,
                    workspaces,
                    mounts: { "/work": scratch },
                });
                assert.equal(verified.code, 0, verified.stderr);
                assert.deepEqual(
                    fs
                        .readFileSync(path.join(root, "tmp", "cosign.calls"), "utf8")
                        .trimEnd()
                        .split("\n"),
                    [OLD, NEW].map(
                        ref =>
                            `verify --k8s-keychain --key ${keys}/generation-1.pub --insecure-ignore-tlog=true --new-bundle-format=false ${ref}`,
                    ),
                );
            } finally {
                fs.rmSync(cosign);
            }
        });

        it("a PR bringing its own ConstraintTemplate fails the policy task before gator runs", async () => {
            const evil = fixtureRepo(root, "evil", {
                "clusters/primary/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\n",
                "clusters/secondary/override.yaml":
                    "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata:\n  name: k8sallowedrepos\nspec: {}\n",
            });
            const run = triggered(r, {
                ...pr(evil.head),
                pull_request: { base: { ref: "main", sha: BASE_SHA }, head: { sha: evil.head, repo: { clone_url: evil.url } } },
            })!;
            const clone = taskRun(r, run, "clone");
            const src = volumeWorkspace(root, "evil-source");
            const cloned = await runStep({ task: clone.task, step: "clone", root, params: clone.params, workspaces: { output: src } });
            assert.equal(cloned.code, 0, cloned.stderr);
            const policy = taskRun(r, run, "policy");
            const guard = await runStep({
                task: policy.task,
                step: "reject-policy-objects",
                root,
                params: policy.params,
                workspaces: { source: src, policy: volumeWorkspace(root, "evil-policy") },
            });
            assert.equal(guard.code, 1);
            assert.match(
                guard.stderr,
                /clusters\/secondary\/override\.yaml: templates\.gatekeeper\.sh\/v1 ConstraintTemplate k8sallowedrepos/,
            );
        });
    });
});
