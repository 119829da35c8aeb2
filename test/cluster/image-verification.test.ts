// Signatures end to end, over the whole stacks: the stack's signing key is Tekton Chains' signing
// secret (newest generation), Chains stores signatures/attestations as OCI artifacts, and in both
// clusters Ratify trusts exactly the stack's public keys for the stack's registry, behind a
// Gatekeeper constraint that denies (prod) or audits (dev) unsigned Pod images in application
// namespaces.
import { strict as assert } from "assert";
import { MOCK_TENANT_ID } from "../../tools/mock-outputs";
import * as fs from "fs";
import * as path from "path";
import {
    byName,
    byType,
    descendants,
    freshRun,
    planDocument,
    readStackConfig,
    rejection,
    RecordedResource,
    stackRun,
    StackRun,
} from "../harness";
import { exemptNamespaces, NAMESPACES, SYSTEM_NAMESPACES } from "../../model/names";
import { CHARTS } from "../../model/versions";
import { uuidFrom } from "../../tools/mock-outputs";
import { CHAINS_SIGNING_SECRET, RATIFY_PROVIDER, VERIFICATION_KIND, verificationRego } from "../../components/cluster/image-verification";
import { CHART_DEFAULTS, helmMerge } from "./chart-images";

type Any = Record<string, any>;
const RELEASE = "kubernetes:helm.sh/v3:Release";

function ratifyRelease(run: StackRun, key: string): RecordedResource {
    return byName(run, RELEASE, `${key}-image-verification-ratify`);
}
function constraintOf(run: StackRun, key: string): RecordedResource {
    return byName(run, `kubernetes:constraints.gatekeeper.sh/v1beta1:${VERIFICATION_KIND}`, `${key}-image-verification-constraint`);
}

for (const stack of ["dev", "prod"] as const) {
    describe(`image verification (${stack})`, () => {
        let run: StackRun;
        let out: Any;
        let acr: string;
        before(async () => {
            run = await stackRun(stack);
            out = run.rawOutputs as Any;
            acr = out.registry.loginServer;
        });

        it("Ratify in both clusters, pinned, beside Gatekeeper, after it", () => {
            for (const key of ["primary", "secondary"]) {
                const r = ratifyRelease(run, key);
                assert.equal(r.inputs.chart, CHARTS.ratify.chart);
                assert.equal(r.inputs.version, CHARTS.ratify.version);
                assert.equal(r.inputs.namespace, NAMESPACES.gatekeeper);
                const gatekeeperChart = byName(run, RELEASE, `${key}-gatekeeper-chart`);
                assert.ok(
                    r.dependencies.some(d => d.includes(`${key}-gatekeeper`)),
                    "after Gatekeeper (its Provider and template CRDs)",
                );
                assert.ok(gatekeeperChart);
            }
        });

        it("trusts exactly the stack's signing keys (a stack output), for the stack's registry, with no transparency log; reads ACR as the cluster's kubelet identity", () => {
            const trusted: string[] = out.imageSigning.trustedPublicKeys;
            assert.equal(trusted.length, 1);
            assert.match(trusted[0], /^-----BEGIN PUBLIC KEY-----\n/);
            assert.equal(out.imageSigning.publicKeyPem, trusted[trusted.length - 1]);
            for (const key of ["primary", "secondary"]) {
                const v = helmMerge(CHART_DEFAULTS.ratify(), ratifyRelease(run, key).inputs.values);
                assert.deepEqual(v.cosignKeys, trusted);
                // templates/verifier.yaml takes the trustPolicies branch (not the legacy single key) only without cosign.key.
                assert.equal(v.cosign.key, "");
                assert.equal(v.cosign.enabled, true);
                assert.deepEqual(v.cosign.scopes, [`${acr}/*`]);
                assert.equal(v.cosign.tLogVerify, false);
                assert.equal(v.notation.enabled, false, "only cosign signatures (what Chains writes)");
                assert.equal(v.provider.enableMutation, false, "Gatekeeper mutation is disabled in this stack");
                assert.equal(v.oras.authProviders.azureManagedIdentityEnabled, true);
                assert.deepEqual(v.oras.authProviders.azureContainerRegistryEndpoints, [acr]);
                // The pre-created kubelet identity (components/azure/cluster.ts), which holds AcrPull.
                const kubelet = byName(run, "azure-native:managedidentity:UserAssignedIdentity", `${key}-kubelet-identity`);
                assert.equal(v.azureManagedIdentity.clientId, uuidFrom(kubelet.urn, "client"));
                // Ratify's Azure auth provider fails on an empty AZURE_TENANT_ID (rendered from this value).
                assert.equal(v.azureManagedIdentity.tenantId, MOCK_TENANT_ID);
                // Ratify's README: the provider timeout MUST match Gatekeeper's webhook timeout.
                const gatekeeper = byName(run, RELEASE, `${key}-gatekeeper-chart`).inputs.values as Any;
                assert.equal(v.provider.timeout.validationTimeoutSeconds, gatekeeper.validatingWebhookTimeoutSeconds);
                assert.equal(v.gatekeeper.namespace, NAMESPACES.gatekeeper);
                assert.equal(v.gatekeeper.version, CHARTS.gatekeeper.appVersion.replace(/^v/, ""));
            }
        });

        it(`the constraint ${stack === "prod" ? "denies (fail closed)" : "audits (dryrun)"} unsigned Pod images in application namespaces only`, () => {
            for (const key of ["primary", "secondary"]) {
                const c = constraintOf(run, key);
                const spec = c.inputs.spec as Any;
                assert.equal(spec.enforcementAction, stack === "prod" ? "deny" : "dryrun");
                assert.deepEqual(spec.match.kinds, [{ apiGroups: [""], kinds: ["Pod"] }]);
                const pipelineNamespace = JSON.parse(readStackConfig(stack).config["platform:delivery"]).pipelineNamespace;
                assert.deepEqual(spec.match.excludedNamespaces, [...new Set([...exemptNamespaces(), pipelineNamespace])].sort());
                for (const ns of SYSTEM_NAMESPACES) assert.ok(spec.match.excludedNamespaces.includes(ns));
                assert.ok(!spec.match.excludedNamespaces.includes("team-a"));
                const template = byName(
                    run,
                    "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate",
                    `${key}-image-verification-template`,
                );
                assert.ok(c.dependencies.includes(template.urn));
                assert.ok(template.dependencies.includes(ratifyRelease(run, key).urn));
                const rego = (template.inputs.spec as Any).targets[0].rego as string;
                assert.equal(rego, verificationRego());
                // The provider the chart registers (ratify v1.4.0 charts/ratify/templates/provider.yaml) is the one the Rego calls.
                assert.ok(rego.includes(`external_data({"provider": "${RATIFY_PROVIDER}"`));
            }
        });

        it("no application is synced before the verifier exists", () => {
            for (const key of ["primary", "secondary"]) {
                const root = byName(run, "kubernetes:argoproj.io/v1alpha1:Application", `${key}-argocd-root`);
                const verification = run.resources.find(
                    r => r.type === "platform:cluster:ImageVerification" && r.name === `${key}-image-verification`,
                )!;
                assert.ok(
                    root.dependencies.includes(verification.urn) ||
                        root.dependencies.some(d => descendants(run, verification.urn).some(x => x.urn === d)),
                );
            }
        });

        it("Chains signs with the newest key (a Pulumi secret, PKCS8 ECDSA P-256) and stores signatures and attestations as OCI artifacts", () => {
            const config = byType(run, "kubernetes:operator.tekton.dev/v1alpha1:TektonConfig")[0];
            const chain = (config.inputs.spec as Any).chain;
            assert.equal(chain.generateSigningSecret, false);
            for (const k of ["artifacts.oci.storage", "artifacts.taskrun.storage", "artifacts.pipelinerun.storage"])
                assert.equal(chain[k], "oci", k);
            for (const k of ["artifacts.oci.signer", "artifacts.taskrun.signer", "artifacts.pipelinerun.signer"])
                assert.equal(chain[k], "x509", k);

            const patch = byType(run, "kubernetes:core/v1:SecretPatch").find(
                r => (r.inputs.metadata as Any).name === CHAINS_SIGNING_SECRET.name,
            )!;
            assert.ok(patch, "signing-secrets");
            assert.equal((patch.inputs.metadata as Any).namespace, NAMESPACES.tektonPipelines);
            assert.ok(patch.dependencies.includes(config.urn), "after the operator created Chains' namespace");
            assert.equal(patch.provider, byType(run, "pulumi:providers:kubernetes").find(p => p.name === "primary-k8s")!.urn);
            // Recorded as a secret; the raw value is the newest generation's PKCS8 private key.
            assert.equal(patch.inputs.stringData, "[secret]");
            assert.deepEqual(Object.keys(patch.rawInputs.stringData as Any), [CHAINS_SIGNING_SECRET.key]);
            assert.match((patch.rawInputs.stringData as Any)[CHAINS_SIGNING_SECRET.key], /^-----BEGIN PRIVATE KEY-----\n/);
            const key = byName(run, "tls:index/privateKey:PrivateKey", "image-signing-key-g1-key");
            assert.equal(key.inputs.algorithm, "ECDSA");
            assert.equal(key.inputs.ecdsaCurve, "P256");
            assert.ok(patch.dependencies.includes(key.urn));
            // The plan (what is written to disk/CI) never shows the private key.
            const doc = JSON.stringify(planDocument(run));
            assert.ok(!doc.includes("BEGIN PRIVATE KEY"), "the private key never appears in the plan");
            assert.equal((planDocument(run).resources as Any[]).find(r => r.urn === patch.urn)!.inputs.stringData, "[secret]");
        });
    });
}

describe("image verification: rotation and config", () => {
    it("a second key generation: both trusted in both clusters, Chains signs with the newest", async () => {
        const run = await freshRun({
            stack: "dev",
            configOverrides: { "platform:imageVerification": { keyGenerations: [1, 2], enforcementAction: "dryrun" } },
        });
        const out = run.rawOutputs as Any;
        assert.equal(out.imageSigning.trustedPublicKeys.length, 2);
        assert.notEqual(out.imageSigning.trustedPublicKeys[0], out.imageSigning.trustedPublicKeys[1]);
        assert.equal(out.imageSigning.publicKeyPem, out.imageSigning.trustedPublicKeys[1]);
        for (const key of ["primary", "secondary"]) {
            assert.deepEqual((ratifyRelease(run, key).inputs.values as Any).cosignKeys, out.imageSigning.trustedPublicKeys);
        }
        const patch = byType(run, "kubernetes:core/v1:SecretPatch").find(
            r => (r.inputs.metadata as Any).name === CHAINS_SIGNING_SECRET.name,
        )!;
        const g2 = byName(run, "tls:index/privateKey:PrivateKey", "image-signing-key-g2-key");
        const g1 = byName(run, "tls:index/privateKey:PrivateKey", "image-signing-key-g1-key");
        assert.ok(patch.dependencies.includes(g2.urn) && !patch.dependencies.includes(g1.urn));
    });

    it("bad settings are config errors naming the key", async () => {
        const err = await rejection(() =>
            freshRun({
                stack: "dev",
                configOverrides: { "platform:imageVerification": { keyGenerations: [2, 1], enforcementAction: "block" } },
            }),
        );
        assert.match(err.message, /platform:imageVerification\.keyGenerations: must be strictly increasing/);
        assert.match(err.message, /platform:imageVerification\.enforcementAction/);
    });

    it("the Rego is Ratify's default verification template at the pinned version (vendored file, unchanged)", () => {
        const rego = fs.readFileSync(
            path.join(__dirname, "..", "..", "components", "cluster", "image-verification", "verification.rego"),
            "utf8",
        );
        for (const rule of [
            'violation[{"msg": msg}]',
            "remote_data.system_error",
            "count(remote_data.errors) > 0",
            "subject_validation[1].isSuccess == false",
            "input.review.object.spec.initContainers",
            "input.review.object.spec.ephemeralContainers",
        ]) {
            assert.ok(rego.includes(rule), rule);
        }
    });
});
