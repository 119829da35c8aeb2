import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import { NAMESPACES } from "../../model/names";
import { CHARTS } from "../../model/versions";
import { TektonPlatform } from "../../components/cluster/tekton";
import { byName, byType, descendants, freshRun, StackRun } from "../harness";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CR_TYPE = "kubernetes:operator.tekton.dev/v1alpha1:TektonConfig";

function run(): Promise<StackRun> {
    return freshRun({
        stack: "dev",
        program: () => {
            const provider = new k8s.Provider("primary", {});
            new TektonPlatform("tekton", {
                provider,
                acrLoginServer: "platformacr.azurecr.io",
                pruneKeep: 20,
                pruneSchedule: "15 2 * * *",
            });
        },
    });
}

describe("TektonPlatform", () => {
    let r: StackRun;
    before(async () => {
        r = await run();
    });

    it("installs the pinned operator chart with its CRDs and without auto-installed components", () => {
        const release = byName(r, RELEASE, "tekton-operator");
        const inputs = release.inputs as Record<string, any>;
        assert.equal(inputs.chart, CHARTS.tektonOperator.chart);
        assert.equal(inputs.version, CHARTS.tektonOperator.version);
        assert.equal(inputs.namespace, NAMESPACES.tektonOperator);
        assert.equal(inputs.values.installCRDs, true);
        // `autoInstallComponents` lives under `operator` in the chart's values.
        assert.equal(inputs.values.operator.autoInstallComponents, false);
        assert.equal(inputs.values.autoInstallComponents, undefined);
        assert.equal(inputs.values.imagePullSecrets, undefined, "no pull secrets: clusters pull with kubelet identity");
    });

    it("creates TektonConfig `config` after the chart: pipelines, triggers, read-only dashboard, chains, pruning", () => {
        const cfg = byType(r, CR_TYPE);
        assert.equal(cfg.length, 1);
        const c = cfg[0];
        const inputs = c.inputs as Record<string, any>;
        assert.equal(inputs.metadata.name, "config");
        assert.equal(inputs.spec.targetNamespace, NAMESPACES.tektonPipelines);
        assert.equal(inputs.spec.profile, "all");
        assert.equal(inputs.spec.dashboard.readonly, true);
        assert.equal(inputs.spec.trigger.disabled, false);
        assert.equal(inputs.spec.pipeline["disable-creds-init"], true);
        assert.equal(inputs.spec.chain.disabled, false);
        // Chains stores signatures/attestations as OCI artifacts beside the image (verified at
        // admission), with the stack's key rather than one the operator generates.
        for (const k of ["artifacts.taskrun.storage", "artifacts.pipelinerun.storage", "artifacts.oci.storage"]) {
            assert.equal(inputs.spec.chain[k], "oci", k);
        }
        assert.equal(inputs.spec.chain.generateSigningSecret, false);
        assert.equal(inputs.spec.pruner.keep, 20);
        assert.equal(inputs.spec.pruner.schedule, "15 2 * * *");
        assert.deepEqual(inputs.spec.pruner.resources, ["pipelinerun", "taskrun"]);
        const release = byName(r, RELEASE, "tekton-operator");
        assert.ok(c.dependencies.includes(release.urn), "TektonConfig must wait for the operator chart (CRDs)");
    });

    it("makes Pulumi wait until the operator reports TektonConfig Ready (the Tekton CRDs exist only then)", () => {
        const metadata = (byType(r, CR_TYPE)[0].inputs as Record<string, any>).metadata;
        assert.equal(metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
        assert.ok(Number(metadata.annotations["pulumi.com/timeoutSeconds"]) >= 600);
    });

    it("does not expose the dashboard", () => {
        assert.equal(byType(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").length, 0);
        assert.equal(byType(r, "kubernetes:core/v1:Service").length, 0);
    });

    it("is one component whose Kubernetes children all use the given provider", () => {
        const comp = byType(r, "platform:cluster:TektonPlatform");
        assert.equal(comp.length, 1);
        const children = descendants(r, comp[0].urn).filter(c => c.custom);
        assert.ok(children.length >= 3);
        for (const c of children) assert.match(c.provider ?? "", /::primary$/, c.urn);
    });
});
