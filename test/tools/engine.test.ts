import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import * as k8s from "@pulumi/kubernetes";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as authorization from "@pulumi/azure-native/authorization";
import { byName, byType, dependencyClosure, freshRun, planDocument, readStackConfig, ROOT, stackPreview } from "../harness";
import { MOCK_TENANT_ID } from "../../tools/mock-outputs";

/** A small program touching every secret path the engine must honour. */
function secretsProgram() {
    const password = new random.RandomPassword("pw", { length: 24 });
    const key = new tls.PrivateKey("key", { algorithm: "RSA", rsaBits: 4096 });
    const cluster = new containerservice.ManagedCluster("aks", { resourceGroupName: "rg-a", location: "westeurope", dnsPrefix: "a" });
    const kubeconfig = containerservice
        .listManagedClusterUserCredentialsOutput({ resourceGroupName: "rg-a", resourceName: cluster.name })
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
            stack: "dev",
            program: () => {
                const a = new managedidentity.UserAssignedIdentity("a", { resourceGroupName: "rg" });
                const b = new managedidentity.UserAssignedIdentity("b", { resourceGroupName: "rg" });
                return { a: a.clientId, b: b.clientId, aPrincipal: a.principalId, id: a.id };
            },
        });
        const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/;
        assert.match(String(run.outputs.a), uuid);
        assert.notEqual(run.outputs.a, run.outputs.b);
        assert.notEqual(run.outputs.a, run.outputs.aPrincipal);
        assert.match(
            String(run.outputs.id),
            /^\/subscriptions\/[0-9a-f-]+\/resourceGroups\/rg\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/a[0-9a-f]{7}$/,
        );
    });

    it("records parent, explicit provider, dependencies and protect", async () => {
        const run = await freshRun({
            stack: "dev",
            program: () => {
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

    it("is deterministic: two runs, and two dry runs, are byte-identical", async () => {
        const serialized = async (dryRun: boolean) => {
            const run = await freshRun({ stack: "dev", program: secretsProgram, dryRun });
            return JSON.stringify({ plan: planDocument(run), raw: run.resources.map(r => r.rawInputs), rawOutputs: run.rawOutputs });
        };
        assert.equal(await serialized(false), await serialized(false));
        assert.equal(await serialized(true), await serialized(true));
    });

    it("reports a missing mock instead of silently dropping outputs", async () => {
        const err = await freshRun({
            stack: "dev",
            program: async () => {
                await pulumi.runtime.invoke("azure-native:nothing:getNothing", {});
                return {};
            },
        }).then(
            () => undefined,
            e => e as Error,
        );
        assert.ok(err, "expected the run to fail");
        assert.match(String(err), /no mock for function azure-native:nothing:getNothing/);
    });
});

/** Computed outputs flowing into other resources' inputs, nested, into Helm values, and into invokes. */
function previewProgram() {
    const identity = new managedidentity.UserAssignedIdentity("id", { resourceGroupName: "rg", location: "westeurope" });
    const cluster = new containerservice.ManagedCluster("aks", {
        resourceGroupName: "rg",
        location: "westeurope",
        dnsPrefix: "a",
        oidcIssuerProfile: { enabled: true },
    });
    // A computed output nested in an object the program set (issuerURL under oidcIssuerProfile).
    new managedidentity.FederatedIdentityCredential("fic", {
        resourceGroupName: "rg",
        resourceName: identity.name,
        issuer: cluster.oidcIssuerProfile.apply(p => p!.issuerURL!),
        subject: "system:serviceaccount:ci:pipeline",
        audiences: ["api://AzureADTokenExchange"],
    });
    new k8s.core.v1.ServiceAccount("sa", {
        metadata: { name: "pipeline", namespace: "ci", annotations: { "azure.workload.identity/client-id": identity.clientId } },
    });
    new k8s.helm.v3.Release("chart", {
        chart: "external-dns",
        namespace: "external-dns",
        values: { replicas: 2, serviceAccount: { annotations: { "azure.workload.identity/client-id": identity.clientId } } },
    });
    // Secret config next to a computed password: the secret stays "[secret]".
    const token = new pulumi.Config("platform").requireSecret("gitPushToken");
    const password = new random.RandomPassword("pw", { length: 24 });
    new k8s.core.v1.ConfigMap("cm", { metadata: { name: "cm", namespace: "ci" }, data: { token, password: password.result } });
    // An output-form invoke with an unknown argument never reaches the monitor (there is no mock
    // for this token: a call would fail the run); one with known arguments still gets its mock.
    const nothing = pulumi.runtime.invokeOutput<{ value: string }>("azure-native:nothing:getNothing", { name: cluster.name });
    const kubeconfig = containerservice.listManagedClusterUserCredentialsOutput({ resourceGroupName: "rg", resourceName: cluster.name });
    const client = authorization.getClientConfigOutput();
    return {
        clientId: identity.clientId,
        id: identity.id,
        nothing: nothing.value,
        kubeconfig: kubeconfig.kubeconfigs,
        tenantId: client.tenantId,
        literal: "x",
    };
}

describe("offline engine: dry run (a from-scratch `pulumi preview`)", () => {
    it("knows the inputs only: computed outputs reach dependents as [unknown], literals stay known", async () => {
        const run = await freshRun({ stack: "dev", program: previewProgram, dryRun: true });
        const sa = byName(run, "kubernetes:core/v1:ServiceAccount", "sa");
        assert.deepEqual(sa.inputs.metadata, {
            name: "pipeline",
            namespace: "ci",
            annotations: { "azure.workload.identity/client-id": "[unknown]" },
        });
        const fic = byName(run, "azure-native:managedidentity:FederatedIdentityCredential", "fic");
        assert.equal(fic.inputs.issuer, "[unknown]", "a computed output nested in an input object is unknown, not undefined");
        assert.equal(fic.inputs.resourceName, "[unknown]", "azure-native's `name` output is computed");
        assert.equal(fic.inputs.subject, "system:serviceaccount:ci:pipeline");
        assert.equal(fic.inputs.resourceGroupName, "rg");
        const release = byName(run, "kubernetes:helm.sh/v3:Release", "chart");
        assert.deepEqual(release.inputs.values, {
            replicas: 2,
            serviceAccount: { annotations: { "azure.workload.identity/client-id": "[unknown]" } },
        });
        const cm = byName(run, "kubernetes:core/v1:ConfigMap", "cm");
        assert.deepEqual(cm.inputs.data, { token: "[secret]", password: "[unknown]" });
        assert.match(String((cm.rawInputs.data as Record<string, unknown>).token), /^offline-placeholder/);
        // Inputs the program set to literals are known, as a real preview knows them.
        const aks = byName(run, "azure-native:containerservice:ManagedCluster", "aks");
        assert.deepEqual(aks.inputs.oidcIssuerProfile, { enabled: true });
        assert.equal(aks.inputs.dnsPrefix, "a");
        // Stack outputs: computed ones and unknown invokes unknown, known-argument invokes answered.
        assert.equal(run.outputs.clientId, "[unknown]");
        assert.equal(run.outputs.id, "[unknown]", "no id before the resource exists");
        assert.equal(run.outputs.nothing, "[unknown]");
        assert.equal(run.outputs.kubeconfig, "[unknown]");
        assert.equal(run.outputs.tenantId, MOCK_TENANT_ID);
        assert.equal(run.outputs.literal, "x");
        const json = JSON.stringify(planDocument(run));
        for (const leaked of ["offline-placeholder", "mockpw-"]) assert.ok(!json.includes(leaked), `plan JSON leaks ${leaked}`);
    });

    it("in an update run the same invoke is called (its argument is known) and fails for want of a mock", async () => {
        const err = await freshRun({ stack: "dev", program: previewProgram }).then(
            () => undefined,
            e => e as Error,
        );
        assert.match(String(err), /no mock for function azure-native:nothing:getNothing/);
    });

    it("runs the dev stack as a preview: the plan shows [unknown] and no secret in clear", async () => {
        const run = await stackPreview("dev");
        const json = JSON.stringify(planDocument(run));
        assert.ok(json.includes('"[unknown]"'));
        for (const leaked of [
            "offline-placeholder",
            "mockpw-",
            "mockrobot-",
            "BEGIN RSA PRIVATE KEY",
            "certificate-authority-data",
            "get-token",
        ]) {
            assert.ok(!json.includes(leaked), `plan JSON leaks ${leaked}`);
        }
        for (const p of byType(run, "pulumi:providers:kubernetes"))
            assert.equal(p.inputs.kubeconfig, "[unknown]", "the kubeconfig invoke's arguments are unknown");
        assert.equal(run.outputs.environment, "dev");
    });
});

describe("offline engine: URN uniqueness", () => {
    it("rejects two resources with the same URN, as the real engine does", async () => {
        const err = await freshRun({
            stack: "dev",
            program: () => {
                const a = new pulumi.ComponentResource("platform:test:Cluster", "primary", {}, {});
                const b = new pulumi.ComponentResource("platform:test:Cluster", "secondary", {}, {});
                new k8s.core.v1.Namespace("gateway", {}, { parent: a });
                new k8s.core.v1.Namespace("gateway", {}, { parent: b });
                return {};
            },
        }).then(
            () => undefined,
            e => e as Error,
        );
        assert.match(String(err), /Duplicate resource URN/);
    });
});

describe("offline engine: dependency closure", () => {
    it("follows dependencies transitively, and providers only when asked", async () => {
        const run = await freshRun({
            stack: "dev",
            program: () => {
                const provider = new k8s.Provider("p", {});
                const a = new k8s.core.v1.Namespace("a", { metadata: { name: "a" } }, { provider });
                const b = new k8s.core.v1.ConfigMap("b", { metadata: { namespace: a.metadata.name } }, { provider });
                new k8s.core.v1.ConfigMap("c", { metadata: { name: "c" } }, { provider, dependsOn: [b] });
                return {};
            },
        });
        const [p, a, b, c] = [
            ["pulumi:providers:kubernetes", "p"],
            ["kubernetes:core/v1:Namespace", "a"],
            ["kubernetes:core/v1:ConfigMap", "b"],
            ["kubernetes:core/v1:ConfigMap", "c"],
        ].map(([t, n]) => byName(run, t, n));
        assert.deepEqual([...dependencyClosure(run, c)].sort(), [a.urn, b.urn].sort());
        assert.deepEqual([...dependencyClosure(run, c, { viaProviders: true })].sort(), [a.urn, b.urn, p.urn].sort());
        assert.equal(dependencyClosure(run, a).size, 0);
    });
});

describe("offline engine: azure-native version aliases", () => {
    const program = () => {
        const identity = new managedidentity.UserAssignedIdentity("id", { resourceGroupName: "rg", location: "westeurope" });
        return { clientId: identity.clientId };
    };

    it("the SDK sends an alias per other API version; offline runs strip them without changing the plan", async () => {
        const kept = await freshRun({ stack: "dev", program, keepVersionAliases: true });
        const stripped = await freshRun({ stack: "dev", program });
        const aliases = (run: typeof kept) => byType(run, "azure-native:managedidentity:UserAssignedIdentity")[0].aliasCount;
        assert.ok(aliases(kept) > 1, `the SDK registers version aliases (${aliases(kept)})`);
        assert.equal(aliases(stripped), 0);
        assert.deepEqual(planDocument(stripped), planDocument(kept));
    });

    it("the program itself strips no alias: what `pulumi up` sends keeps every azure-native version alias", async () => {
        const run = await freshRun({ stack: "dev", keepVersionAliases: true });
        const withoutAliases = run.resources
            .filter(r => r.custom && r.type.startsWith("azure-native:") && r.aliasCount === 0)
            .map(r => r.urn);
        assert.ok(run.resources.some(r => r.type.startsWith("azure-native:")));
        assert.deepEqual(withoutAliases, []);
    });
});

describe("offline engine: a program that never finishes", () => {
    it("fails the process with a clear message instead of exiting 0 with no plan", function () {
        this.timeout(60_000);
        // A child process: the guard acts when the process exits with a run still pending.
        const engine = path.join(ROOT, "tools", "engine.ts");
        const script = `require(${JSON.stringify(engine)}).runStack({ stack: "dev", program: () => new Promise(() => {}) }).then(() => console.log("settled"));`;
        const r = spawnSync(process.execPath, ["--require", path.join(ROOT, "tools", "launch.cjs"), "-e", script], {
            cwd: ROOT,
            encoding: "utf8",
        });
        assert.equal(r.status, 1, `exit ${r.status}\n${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /the program never finished \(1 run\(s\) pending at exit\)/);
        assert.doesNotMatch(r.stdout, /settled/);
    });
});
