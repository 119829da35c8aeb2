// What Tekton, the network and the checked tools will actually do with the pipeline objects the
// stack deploys: step security AFTER the stepTemplate merge, PipelineRun timeouts, egress of the
// build pods, kubeconform's cache, and which tasks may see the push-capable token.
import { strict as assert } from "assert";
import { BUILDKIT_TASKS, RESTRICTED_STEP_SECURITY, ROOTLESS_BUILDKIT_SECURITY, TASKS } from "../../components/cluster/pipeline/tasks";
import { pipelineNetworkPolicies, TEKTON_TASK_LABEL } from "../../components/cluster/pipeline";
import { CHECK_RUN_TIMEOUTS } from "../../components/cluster/pipeline/triggers";
import { finallyTimeout, mergedSteps, mergeStepWithTemplate, onTasksStillRunning, tasksTimeout, validateTimeouts } from "./pipeline/tekton";
import { egressAllowed } from "./pipeline/network";
import { StackRun, stackRun } from "../harness";

type Any = Record<string, any>;

function tekton(r: StackRun, kind: string): Any[] {
    return r.resources.filter(x => x.type === `kubernetes:tekton.dev/v1:${kind}`).map(x => x.inputs as Any);
}
function triggersTemplates(r: StackRun): Any[] {
    return r.resources.filter(x => x.type === "kubernetes:triggers.tekton.dev/v1beta1:TriggerTemplate").map(x => x.inputs as Any);
}

describe("Tekton stepTemplate merge (tektoncd/pipeline v1.15.0 MergeStepsWithStepTemplate)", () => {
    // Cases from upstream's own pkg/apis/pipeline/v1/merge_test.go TestMergeStepsWithStepTemplate,
    // so the port is checked against Tekton's expectations, order included.
    it("reproduces upstream's merge_test.go cases", () => {
        assert.deepEqual(mergeStepWithTemplate({ command: ["/somecmd"] }, { image: "some-image", onError: "foo" }), {
            command: ["/somecmd"],
            image: "some-image",
            onError: "foo",
        });
        assert.deepEqual(mergeStepWithTemplate({ image: "some-image", command: ["/somecmd"] }, { image: "some-other-image" }), {
            command: ["/somecmd"],
            image: "some-other-image",
        });
        assert.deepEqual(
            mergeStepWithTemplate(
                {
                    env: [
                        { name: "KEEP_THIS", value: "A_VALUE" },
                        { name: "SOME_KEY", value: "ORIGINAL_VALUE" },
                    ],
                },
                {
                    env: [
                        { name: "NEW_KEY", value: "A_VALUE" },
                        { name: "SOME_KEY", value: "NEW_VALUE" },
                    ],
                },
            ).env,
            [
                { name: "NEW_KEY", value: "A_VALUE" },
                { name: "KEEP_THIS", value: "A_VALUE" },
                { name: "SOME_KEY", value: "NEW_VALUE" },
            ],
        );
    });

    it("merges securityContext field by field: a step cannot 'unset' what the template sets", () => {
        const merged = mergeStepWithTemplate(
            { securityContext: RESTRICTED_STEP_SECURITY },
            { securityContext: ROOTLESS_BUILDKIT_SECURITY },
        );
        assert.equal(merged.securityContext.allowPrivilegeEscalation, false);
        assert.deepEqual(merged.securityContext.capabilities, { drop: ["ALL"] });
    });
});

describe("pipeline steps as Tekton runs them (dev stack)", () => {
    let r: StackRun;
    before(async () => {
        r = await stackRun("dev");
    });

    it("BuildKit steps, after the merge, keep privilege escalation and capabilities (newuidmap), never privileged (finding 2)", () => {
        const tasks = tekton(r, "Task");
        const buildkit = tasks.filter(t => BUILDKIT_TASKS.includes(t.metadata.name));
        assert.deepEqual(buildkit.map(t => t.metadata.name).sort(), [TASKS.build, TASKS.test].sort());
        for (const t of buildkit) {
            for (const step of mergedSteps(t)) {
                const sc = step.securityContext;
                assert.notEqual(sc.allowPrivilegeEscalation, false, "rootlesskit runs the setuid newuidmap");
                assert.equal(sc.capabilities, undefined, "no capability dropped (newuidmap's file capabilities) or added");
                assert.equal(sc.privileged, false);
                assert.ok(step.image.includes("-rootless@sha256:"));
                assert.deepEqual(sc, ROOTLESS_BUILDKIT_SECURITY, `${t.metadata.name}/${step.name}`);
            }
        }
    });

    it("every other step, after the merge, is restricted: non-root, no escalation, all capabilities dropped, RuntimeDefault seccomp", () => {
        const others = tekton(r, "Task").filter(t => !BUILDKIT_TASKS.includes(t.metadata.name));
        assert.ok(others.length >= 10);
        for (const t of others) {
            for (const step of mergedSteps(t))
                assert.deepEqual(step.securityContext, RESTRICTED_STEP_SECURITY, `${t.metadata.name}/${step.name}`);
        }
    });

    it("no step sets a security context of its own: the Task's stepTemplate is the one place", () => {
        for (const t of tekton(r, "Task")) {
            for (const s of t.spec.steps as Any[]) assert.equal(s.securityContext, undefined, `${t.metadata.name}/${s.name}`);
        }
    });
});

describe("PipelineRun timeouts (Tekton v1.15 semantics)", () => {
    let r: StackRun;
    before(async () => {
        r = await stackRun("dev");
    });

    it("a run whose pipeline has `finally` gives it its own budget: a tasks timeout still runs the status report (finding 7)", () => {
        const pipelines = new Map(tekton(r, "Pipeline").map(p => [p.metadata.name, p]));
        const runs = triggersTemplates(r).flatMap(tt => tt.spec.resourcetemplates as Any[]);
        const withFinally = runs.filter(run => (pipelines.get(run.spec.pipelineRef.name)?.spec.finally ?? []).length > 0);
        assert.deepEqual(
            withFinally.map(run => run.spec.pipelineRef.name),
            ["manifests-check"],
        );
        for (const run of runs) {
            const t = run.spec.timeouts;
            assert.deepEqual(validateTimeouts(t), [], run.spec.pipelineRef.name);
        }
        for (const run of withFinally) {
            const t = run.spec.timeouts;
            const tasks = tasksTimeout(t);
            assert.ok(
                tasks !== undefined,
                "timeouts.tasks (or pipeline + finally) must be set, or the pipeline timeout cancels finally too",
            );
            assert.ok(finallyTimeout(t)! >= 5 * 60_000, "finally gets at least 5 minutes");
            // The checks hang: past the tasks budget, the reconciler times out the tasks and runs finally.
            assert.equal(onTasksStillRunning(t, tasks + 1), "tasks-timed-out-finally-runs");
        }
        assert.deepEqual(withFinally[0].spec.timeouts, CHECK_RUN_TIMEOUTS);
    });

    it("the port of Tekton's rules: only `pipeline` set cancels finally with the run", () => {
        assert.equal(tasksTimeout({ pipeline: "30m0s" }), undefined);
        assert.equal(onTasksStillRunning({ pipeline: "30m0s" }, 31 * 60_000), "run-timed-out-finally-cancelled");
        assert.equal(tasksTimeout({ pipeline: "30m0s", finally: "5m0s" }), 25 * 60_000);
        assert.deepEqual(validateTimeouts({ pipeline: "30m0s", tasks: "26m0s", finally: "5m0s" }).length, 1);
    });
});

describe("kubeconform cache (finding 7)", () => {
    it("passes -cache with an existing (emptyDir-mounted) directory; no KUBECONFORM_CACHE, which v0.7.0 ignores", async () => {
        const r = await stackRun("dev");
        const task = tekton(r, "Task").find(t => t.metadata.name === TASKS.schemaCheck)!;
        const [step] = task.spec.steps as Any[];
        const args: string[] = step.args;
        const i = args.indexOf("-cache");
        assert.ok(i >= 0 && i + 1 < args.length, "-cache DIR");
        const mount = (step.volumeMounts as Any[]).find(m => m.mountPath === args[i + 1]);
        assert.ok(mount, "the cache folder is a mounted volume (kubeconform fails on a missing folder)");
        assert.deepEqual(
            (task.spec.volumes as Any[]).find(v => v.name === mount.name),
            { name: mount.name, emptyDir: {} },
        );
        assert.ok(!(step.env ?? []).some((e: Any) => e.name === "KUBECONFORM_CACHE"));
    });
});

describe("build pod egress (finding 5)", () => {
    const specs = pipelineNetworkPolicies().map(([, spec]) => spec as Any);
    const pod = (task: string) => ({ [TEKTON_TASK_LABEL]: task, "tekton.dev/pipeline": "supply-chain" });
    const DEBIAN_MIRROR = "151.101.2.132"; // deb.debian.org (Fastly); any public address

    it("build and test pods reach public addresses on http/80 (apt) and 443", () => {
        for (const t of [TASKS.build, TASKS.test]) {
            assert.equal(egressAllowed(specs, pod(t), DEBIAN_MIRROR, 80), true, `${t}: http`);
            assert.equal(egressAllowed(specs, pod(t), DEBIAN_MIRROR, 443), true, `${t}: https`);
        }
    });

    it("…but not the metadata endpoint, pod/service/node ranges, or other ports; other pods stay HTTPS-only", () => {
        for (const ip of ["169.254.169.254", "10.0.0.10", "172.16.0.1", "192.168.1.1", "100.64.0.1"]) {
            assert.equal(egressAllowed(specs, pod(TASKS.build), ip, 80), false, ip);
        }
        assert.equal(egressAllowed(specs, pod(TASKS.build), DEBIAN_MIRROR, 8080), false);
        for (const t of [TASKS.clone, TASKS.push, TASKS.promote, TASKS.openPr, TASKS.scanSource]) {
            assert.equal(egressAllowed(specs, pod(t), DEBIAN_MIRROR, 80), false, t);
            assert.equal(egressAllowed(specs, pod(t), DEBIAN_MIRROR, 443), true, t);
        }
    });
});

describe("the push-capable token and the pull request's files (finding 9)", () => {
    it("no task that reads the PR's checkout gets the git-auth workspace; only the status reports do (clone gets the read-only git-read)", async () => {
        const r = await stackRun("dev");
        const check = tekton(r, "Pipeline").find(p => p.metadata.name === "manifests-check")!;
        const all = [...check.spec.tasks, ...check.spec.finally] as Any[];
        const withToken = all
            .filter(t => (t.workspaces ?? []).some((w: Any) => w.workspace === "git-auth"))
            .map(t => t.name)
            .sort();
        assert.deepEqual(withToken, ["pending", "report"]);
        const withReadToken = all.filter(t => (t.workspaces ?? []).some((w: Any) => w.workspace === "git-read")).map(t => t.name);
        assert.deepEqual(withReadToken, ["clone"]);
        const readsPr = all
            .filter(t => t.name !== "clone" && (t.workspaces ?? []).some((w: Any) => w.workspace === "source"))
            .map(t => t.name)
            .sort();
        assert.deepEqual(readsPr, ["deprecated-apis", "policy", "schemas", "signatures"]);
        // …and the Tasks they run declare no credential workspace at all.
        const tasks = new Map(tekton(r, "Task").map(t => [t.metadata.name, t]));
        for (const name of readsPr) {
            const ref = all.find(t => t.name === name)!.taskRef.name;
            assert.deepEqual(
                (tasks.get(ref)!.spec.workspaces as Any[]).map(w => w.name).filter(n => /auth/.test(n)),
                [],
                ref,
            );
        }
    });

    it("the policy task rejects PR policy objects before gator, over exactly the paths gator reads", async () => {
        const r = await stackRun("dev");
        const task = tekton(r, "Task").find(t => t.metadata.name === TASKS.policyCheck)!;
        const [guard, gator] = task.spec.steps as Any[];
        assert.equal(guard.name, "reject-policy-objects");
        assert.deepEqual(guard.args, ["$(params.paths[*])"]);
        assert.equal(guard.workingDir, gator.workingDir);
        assert.equal(
            gator.args[1],
            "--filename=$(workspaces.policy.path)/policy.yaml",
            "the stack's bundle comes from the policy workspace, not the PR",
        );
        const check = tekton(r, "Pipeline").find(p => p.metadata.name === "manifests-check")!;
        const policy = (check.spec.tasks as Any[]).find(t => t.name === "policy")!;
        const param = (n: string) => policy.params.find((p: Any) => p.name === n).value as string[];
        assert.deepEqual(
            param("filename-args"),
            param("paths").map(p => `--filename=${p}`),
        );
    });
});
