// The pipeline's trust wiring over the whole dev and prod plans: what Tekton Chains needs to sign
// (the Harbor robot on the pipeline ServiceAccount's imagePullSecrets) is admitted by the stack's
// own Gatekeeper constraints and policy pack in the pipeline namespace and nowhere else.
import { strict as assert } from "assert";
import { RecordedResource, stackRun, StackRun } from "../harness";
import { admit, KubeObject, policySetsFromRun } from "../../model/admission/evaluator";
import { PIPELINE_SERVICE_ACCOUNT } from "../../model/names";
import { evaluatePolicies } from "../../tools/policy-offline";
import { withoutSignatureCheck } from "../../tools/admit";

type Any = Record<string, any>;

function serviceAccount(run: StackRun, name: string): RecordedResource {
    const found = run.resources.filter(r => r.type === "kubernetes:core/v1:ServiceAccount" && (r.rawInputs as Any).metadata?.name === name);
    assert.equal(found.length, 1, `one ServiceAccount ${name}`);
    return found[0];
}

for (const stack of ["dev", "prod"] as const) {
    describe(`pipeline trust wiring (${stack})`, () => {
        let run: StackRun;
        let pipelineNs: string;
        let sa: KubeObject;
        before(async () => {
            run = await stackRun(stack);
            const recorded = serviceAccount(run, PIPELINE_SERVICE_ACCOUNT);
            sa = { apiVersion: "v1", kind: "ServiceAccount", ...(recorded.rawInputs as object) } as KubeObject;
            pipelineNs = (sa.metadata as Any).namespace;
        });

        it("the pipeline ServiceAccount carries the Harbor robot as its one imagePullSecret (what Chains signs with)", () => {
            assert.deepEqual((sa as Any).imagePullSecrets, [{ name: "harbor-robot" }]);
            const robot = run.resources.find(
                r => r.type === "kubernetes:core/v1:Secret" && (r.rawInputs as Any).metadata?.name === "harbor-robot",
            )!;
            assert.equal((robot.rawInputs as Any).metadata.namespace, pipelineNs);
            assert.equal((robot.rawInputs as Any).type, "kubernetes.io/dockerconfigjson");
        });

        it("Gatekeeper (the stack's own constraints, evaluated offline) admits it in the pipeline namespace and refuses it anywhere else", () => {
            // Ratify's signature template is Rego with external data (not evaluable offline; `admit` drops it the same way).
            const { sets } = withoutSignatureCheck(policySetsFromRun(run));
            assert.ok(sets.length >= 1);
            const [here] = admit(sets, [sa]);
            assert.ok(here.allowed && here.warnings.length === 0, JSON.stringify(here));
            for (const ns of ["apps", "argocd", "harbor"]) {
                const moved = { ...sa, metadata: { ...(sa.metadata as Any), namespace: ns } } as KubeObject;
                const [there] = admit(sets, [moved]);
                const hits = [...there.denials, ...there.warnings].filter(v => v.constraintKind === "PlatformNoImagePullSecrets");
                assert.equal(hits.length, 1, `${ns}: ${JSON.stringify(there)}`);
                assert.match(hits[0].message, /imagePullSecrets are not allowed outside namespace/);
                // prod enforces (deny); dev audits (dryrun/warn) like its other constraints.
                if (stack === "prod") assert.equal(there.allowed, false, ns);
            }
        });

        it("the policy pack's images-only-from-acr passes the whole plan, pipeline Tasks included (no blanket exception left)", () => {
            const out = evaluatePolicies(run, { environment: stack, pipelineNamespace: pipelineNs }).filter(
                v => v.policy === "images-only-from-acr",
            );
            assert.deepEqual(
                out.map(v => v.message),
                [],
            );
            const tasks = run.resources.filter(r => r.type === "kubernetes:tekton.dev/v1:Task");
            assert.ok(tasks.length >= 12 && tasks.every(t => (t.rawInputs as Any).metadata.namespace === pipelineNs));
        });

        it("the policy pack's credential rule passes it in the pipeline namespace only", () => {
            const urn = serviceAccount(run, PIPELINE_SERVICE_ACCOUNT).urn;
            const creds = (ns: string) =>
                evaluatePolicies(run, { environment: stack, pipelineNamespace: ns }).filter(
                    v => v.policy === "no-registry-credentials-outside-pipeline-namespace" && v.urn === urn,
                );
            assert.deepEqual(creds(pipelineNs), []);
            assert.equal(creds("some-other-namespace").length, 1);
        });
    });
}
