// CRDs follow their chart's version: an upgrade (a version bump in model/versions.ts) upgrades them.
//
// Every chart goes through chart.ts chartRelease, a helm.v3.Release, i.e. a real Helm release:
// Helm installs a chart's `crds/` folder on the first install only and never upgrades it
// (helm.sh/docs/chart_best_practices/custom_resource_definitions: "There is no support at this
// time for upgrading or deleting CRDs using Helm"). So a chart whose CRDs live in `crds/` needs
// another path; one whose CRDs are templates is upgraded by `helm upgrade` like any object. These
// tests hold every pinned chart to one of those paths.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import { CHARTS, ChartName } from "../../model/versions";
import { SEALED_SECRETS_CRD, sealedSecretsCrd } from "../../components/cluster/sealed-secrets";
import { isKubernetesCustomResource } from "../../tools/deploy-path";
import { byType, dependencyClosure, RecordedResource, stackRun, StackRun } from "../harness";

type Any = Record<string, any>;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const CHART_V4 = "kubernetes:helm.sh/v4:Chart";

/**
 * Where each pinned chart's CRDs are, and what in our inputs makes an upgrade upgrade them.
 * Sources (the chart at the version in model/versions.ts):
 * - envoyGateway v1.9.0: crds/ of the `crds` subchart (envoyproxy/gateway charts/gateway-helm/charts/
 *   crds/crds/, 39763b1c), enabled by `crds.enabled`: must be off; the CRDs come from envoyGatewayCrds.
 * - envoyGatewayCrds v1.9.0: templates (charts/gateway-crds-helm/templates/), rendered by Pulumi.
 * - sealedSecrets 2.18.5: crds/ only (bitnami-labs/sealed-secrets helm/sealed-secrets/crds/,
 *   e12ae821; no template renders it): skipCrds, the stack applies the CRD itself.
 * - gatekeeper 3.23.0: crds/, plus a pre-install/pre-upgrade hook Job applying the CRDs
 *   (open-policy-agent/gatekeeper charts/gatekeeper/templates/upgrade-crds-hook.yaml, cdf332c3,
 *   `upgradeCRDs.enabled`, default true): must stay on.
 * - certManager v1.21.1: templates (cert-manager/cert-manager deploy/charts/cert-manager/templates/
 *   crd-*.yaml, 24e33194) behind `crds.enabled`.
 * - argocd 10.1.1: templates (argoproj/argo-helm charts/argo-cd/templates/crds/, af0a9310) behind `crds.install`.
 * - tektonOperator 0.81.1: `installCRDs` ("If the Tekton-operator CRDs should automatically be
 *   installed and upgraded", tektoncd/operator charts/tekton-operator/values.yaml, 1510682b).
 * - ratify 1.15.0: crds/, plus a pre-install/pre-upgrade hook Job applying them (ratify-project/ratify
 *   charts/ratify/templates/upgrade-crds-hook.yaml, v1.4.0 f3f6229d, `upgradeCRDs.enabled`, default true).
 * - externalDns 1.21.1, harbor 1.19.1, oauth2Proxy 10.7.0 (oauth2-proxy/manifests): no CRDs.
 */
const CRD_UPGRADE: Record<ChartName, { how: string; ok: (release: RecordedResource) => boolean }> = {
    envoyGateway: { how: "crds subchart off (CRDs from envoyGatewayCrds)", ok: r => values(r).crds?.enabled === false },
    envoyGatewayCrds: { how: "rendered by Pulumi (helm.v4.Chart), never a Helm release", ok: () => false },
    sealedSecrets: { how: "skipCrds; the stack applies the CRD", ok: r => r.rawInputs.skipCrds === true },
    gatekeeper: { how: "pre-upgrade CRD hook on", ok: r => values(r).upgradeCRDs?.enabled !== false && r.rawInputs.disableHooks !== true },
    certManager: { how: "CRDs as templates", ok: r => values(r).crds?.enabled === true },
    argocd: { how: "CRDs as templates", ok: r => values(r).crds?.install === true },
    tektonOperator: { how: "installCRDs", ok: r => values(r).installCRDs === true },
    externalDns: { how: "no CRDs", ok: () => true },
    harbor: { how: "no CRDs", ok: () => true },
    oauth2Proxy: { how: "no CRDs", ok: () => true },
    ratify: { how: "pre-upgrade CRD hook on", ok: r => values(r).upgradeCRDs?.enabled !== false && r.rawInputs.disableHooks !== true },
};

function values(r: RecordedResource): Any {
    return (r.rawInputs.values ?? {}) as Any;
}

function chartName(chart: string): ChartName {
    const found = (Object.keys(CHARTS) as ChartName[]).find(k => CHARTS[k].chart === chart);
    assert.ok(found, `chart ${chart} is pinned in versions.ts`);
    return found;
}

/** `git hash-object` of a file: the blob id git records for it upstream. */
function gitBlob(file: string): string {
    const data = fs.readFileSync(file);
    return crypto.createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
}

for (const stack of ["dev", "prod"] as const) {
    describe(`CRDs are upgraded with their charts (${stack})`, () => {
        let run: StackRun;
        before(async () => {
            run = await stackRun(stack);
        });

        it("every Helm release gets its chart's CRDs on upgrade too, not only on first install", () => {
            const releases = byType(run, RELEASE);
            assert.ok(releases.length >= 12);
            for (const r of releases) {
                const name = chartName(r.rawInputs.chart as string);
                assert.ok(CRD_UPGRADE[name].ok(r), `${r.name} (${name}): ${CRD_UPGRADE[name].how}`);
            }
        });

        it("Envoy Gateway and Gateway API CRDs come from Envoy Gateway's CRD chart, rendered by Pulumi, at the controller's version", () => {
            const crdCharts = byType(run, CHART_V4);
            assert.equal(crdCharts.length, 2, "one per cluster");
            const providers = new Set(crdCharts.map(c => c.provider));
            assert.equal(providers.size, 2);
            // The CRD chart moves with the controller chart (one Envoy Gateway version).
            assert.equal(CHARTS.envoyGatewayCrds.version, CHARTS.envoyGateway.version);
            for (const c of crdCharts) {
                assert.equal(c.rawInputs.chart, CHARTS.envoyGatewayCrds.chart);
                assert.equal(c.rawInputs.version, CHARTS.envoyGatewayCrds.version);
                // Both groups are off by default in gateway-crds-helm's values.yaml; the experimental
                // channel is what gateway-helm's crds subchart installed so far (no CRD is dropped).
                assert.deepEqual(values(c), {
                    crds: { gatewayAPI: { enabled: true, channel: "experimental" }, envoyGateway: { enabled: true } },
                });
                assert.notEqual(c.rawInputs.skipCrds, true);

                // Every Gateway API / Envoy Gateway object on that cluster waits for them.
                const objects = run.resources.filter(
                    r =>
                        r.provider === c.provider &&
                        isKubernetesCustomResource(r.type) &&
                        /^kubernetes:gateway\.(networking\.k8s|envoyproxy)\.io\//.test(r.type),
                );
                assert.ok(objects.length >= 6);
                for (const o of objects) assert.ok(dependencyClosure(run, o).has(c.urn), `${o.type} ${o.name} waits for the CRDs`);
            }
            // The controller release no longer installs its own (never-upgraded) copy.
            for (const r of byType(run, RELEASE).filter(x => x.rawInputs.chart === CHARTS.envoyGateway.chart)) {
                assert.equal(values(r).crds.enabled, false);
            }
        });

        it("the SealedSecret CRD is the pinned chart's, applied by the stack (server-side, forced, never deleted), and the chart skips its copy", () => {
            const patches = byType(run, "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch");
            assert.equal(patches.length, 2, "one per cluster");
            const upstream = sealedSecretsCrd();
            for (const p of patches) {
                const meta = p.rawInputs.metadata as Any;
                assert.equal(meta.name, "sealedsecrets.bitnami.com");
                assert.equal(meta.annotations["pulumi.com/patchForce"], "true", "takes the fields over from Helm's crds/ install");
                assert.deepEqual(p.rawInputs.spec, upstream.spec);
                const release = byType(run, RELEASE).find(
                    r => r.provider === p.provider && r.rawInputs.chart === CHARTS.sealedSecrets.chart,
                )!;
                assert.equal(release.rawInputs.skipCrds, true);
                assert.ok(release.dependencies.includes(p.urn), "the controller starts after its CRD");
            }
        });
    });
}

describe("the vendored SealedSecret CRD", () => {
    it("is byte for byte the chart's crds/ file at the pinned chart version", () => {
        assert.equal(
            SEALED_SECRETS_CRD.chartVersion,
            CHARTS.sealedSecrets.version,
            "bumping the sealed-secrets chart needs the CRD of the new tag vendored too",
        );
        assert.equal(SEALED_SECRETS_CRD.ref, `helm-v${CHARTS.sealedSecrets.version}`);
        assert.ok(SEALED_SECRETS_CRD.file.includes(`sealed-secrets-${CHARTS.sealedSecrets.version}.`));
        assert.equal(gitBlob(SEALED_SECRETS_CRD.file), SEALED_SECRETS_CRD.gitBlob);
        const crd = sealedSecretsCrd();
        assert.equal(crd.kind, "CustomResourceDefinition");
        assert.deepEqual(
            crd.spec.versions.map((v: Any) => [v.name, v.served, v.storage]),
            [["v1alpha1", true, true]],
        );
    });
});
