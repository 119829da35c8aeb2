import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import * as k8s from "@pulumi/kubernetes";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as containerservice from "@pulumi/azure-native/containerservice";
import { byName, freshRun, planDocument, readStackConfig } from "../harness";

/** A small program touching every secret path the engine must honour. */
function secretsProgram() {
    const password = new random.RandomPassword("pw", { length: 24 });
    const key = new tls.PrivateKey("key", { algorithm: "RSA", rsaBits: 4096 });
    const cluster = new containerservice.ManagedCluster("aks", { resourceGroupName: "rg-a", location: "westeurope", dnsPrefix: "a" });
    const kubeconfig = containerservice.listManagedClusterUserCredentialsOutput({ resourceGroupName: "rg-a", resourceName: cluster.name })
        .kubeconfigs.apply(k => Buffer.from(k[0].value, "base64").toString());
    new k8s.core.v1.Secret("s", { stringData: { password: password.result, key: key.privateKeyPem } });
    const token = new pulumi.Config("platform").requireSecret("gitPushToken");
    new k8s.core.v1.Secret("t", { stringData: { token } });
    return { password: password.result, kubeconfig: pulumi.secret(kubeconfig), publicKey: key.publicKeyPem };
}

describe("offline engine", () => {
    it("keeps additionalSecretOutputs secret (the SDK does not under mocks) and redacts them everywhere", async () => {
        const run = await freshRun({ stack: "dev", program: secretsProgram });
        const json = JSON.stringify(planDocument(run));
        assert.equal(run.outputs.password, "[secret]");
        assert.equal(run.outputs.kubeconfig, "[secret]");
        assert.match(String(run.rawOutputs.password), /^mockpw-/);
        assert.match(String(run.rawOutputs.kubeconfig), /--login/);
        assert.ok(String(run.outputs.publicKey).includes("BEGIN PUBLIC KEY"), "public key is not secret");
        for (const leaked of ["mockpw-", "BEGIN RSA PRIVATE KEY", "offline-placeholder", "certificate-authority-data"]) {
            assert.ok(!json.includes(leaked), `plan JSON leaks ${leaked}`);
        }
        const secret = byName(run, "kubernetes:core/v1:Secret", "s");
        assert.deepEqual(secret.inputs.stringData, "[secret]");
        assert.match(JSON.stringify(secret.rawInputs), /mockpw-/);
    });

    it("turns secure: config values into placeholder secrets", async () => {
        const { config, secretKeys } = readStackConfig("dev");
        assert.ok(secretKeys.includes("platform:gitPushToken"));
        assert.match(config["platform:gitPushToken"], /^offline-placeholder/);
        const run = await freshRun({ stack: "dev", program: secretsProgram });
        assert.equal(byName(run, "kubernetes:core/v1:Secret", "t").inputs.stringData, "[secret]");
    });

    it("returns unique, realistically shaped identities per resource", async () => {
        const run = await freshRun({
            stack: "dev", program: () => {
                const a = new managedidentity.UserAssignedIdentity("a", { resourceGroupName: "rg" });
                const b = new managedidentity.UserAssignedIdentity("b", { resourceGroupName: "rg" });
                return { a: a.clientId, b: b.clientId, aPrincipal: a.principalId, id: a.id };
            },
        });
        const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/;
        assert.match(String(run.outputs.a), uuid);
        assert.notEqual(run.outputs.a, run.outputs.b);
        assert.notEqual(run.outputs.a, run.outputs.aPrincipal);
        assert.match(String(run.outputs.id), /^\/subscriptions\/[0-9a-f-]+\/resourceGroups\/rg\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/a[0-9a-f]{7}$/);
    });

    it("records parent, explicit provider, dependencies and protect", async () => {
        const run = await freshRun({
            stack: "dev", program: () => {
                const parent = new pulumi.ComponentResource("platform:test:Parent", "parent", {}, {});
                const provider = new k8s.Provider("p", {}, { parent });
                const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "x" } }, { parent, provider, protect: true });
                new k8s.core.v1.ConfigMap("cm", { metadata: { namespace: ns.metadata.name } }, { parent, provider });
                return {};
            },
        });
        const ns = byName(run, "kubernetes:core/v1:Namespace", "ns");
        const cm = byName(run, "kubernetes:core/v1:ConfigMap", "cm");
        assert.equal(ns.parent, byName(run, "platform:test:Parent", "parent").urn);
        assert.equal(ns.provider, byName(run, "pulumi:providers:kubernetes", "p").urn);
        assert.equal(ns.protect, true);
        assert.deepEqual(cm.dependencies, [ns.urn]);
        assert.deepEqual(cm.propertyDependencies, { metadata: [ns.urn] }, "data dependencies are recorded per input");
        assert.deepEqual(ns.propertyDependencies, {});
        assert.equal(ns.urn, "urn:pulumi:dev::platform::platform:test:Parent$kubernetes:core/v1:Namespace::ns");
    });

    it("is deterministic and supports preview (isDryRun)", async () => {
        const a = JSON.stringify(planDocument(await freshRun({ stack: "dev", program: secretsProgram })));
        const b = JSON.stringify(planDocument(await freshRun({ stack: "dev", program: secretsProgram, dryRun: true })));
        assert.equal(a, b);
    });

    it("reports a missing mock instead of silently dropping outputs", async () => {
        const err = await freshRun({
            stack: "dev", program: async () => {
                await pulumi.runtime.invoke("azure-native:nothing:getNothing", {});
                return {};
            },
        }).then(() => undefined, e => e as Error);
        assert.ok(err, "expected the run to fail");
        assert.match(String(err), /no mock for function azure-native:nothing:getNothing/);
    });
});

describe("offline engine: URN uniqueness", () => {
    it("rejects two resources with the same URN, as the real engine does", async () => {
        const err = await freshRun({
            stack: "dev", program: () => {
                const a = new pulumi.ComponentResource("platform:test:Cluster", "primary", {}, {});
                const b = new pulumi.ComponentResource("platform:test:Cluster", "secondary", {}, {});
                new k8s.core.v1.Namespace("gateway", {}, { parent: a });
                new k8s.core.v1.Namespace("gateway", {}, { parent: b });
                return {};
            },
        }).then(() => undefined, e => e as Error);
        assert.match(String(err), /Duplicate resource URN/);
    });
});
