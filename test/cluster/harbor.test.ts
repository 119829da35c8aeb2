import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { byName, byType, descendants, freshRun, planDocument, RecordedResource, StackRun } from "../harness";
import { Harbor, HARBOR_SERVICE } from "../../components/cluster/harbor";
import { gatewayRouteSpec } from "../../components/cluster/gateway/route";
import { Severity } from "../../components/cluster/harbor/api";
import { pipelineRobotNeeds } from "../../components/cluster/harbor/permissions";
import { GATEWAY, NAMESPACES } from "../../model/names";

const STORAGE_KEY = "bW9jay1zdG9yYWdlLWtleS1mb3ItdGVzdHM=";
const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

function harborRun(opts: { blockSeverity?: Severity; cveAllowlist?: string[] } = {}): Promise<StackRun> {
    return freshRun({
        stack: "dev",
        program: () => {
            const provider = new k8s.Provider("primary", {});
            const harbor = new Harbor("harbor", {
                provider,
                acrLoginServer: "platformacr.azurecr.io",
                hostname: "harbor.dev.platform.example.com",
                storage: { accountName: "scdevharborabc", containerName: "harbor-registry", accountKey: pulumi.secret(STORAGE_KEY) },
                staging: {
                    blockSeverity: opts.blockSeverity ?? "high",
                    cveAllowlist: opts.cveAllowlist ?? ["CVE-2024-1234"],
                    retainTags: 10,
                    gcSchedule: "0 3 * * *",
                },
            });
            return {
                robotName: harbor.robot.name,
                robotSecret: harbor.robot.secret,
                registryHost: harbor.registryHost,
                adminPassword: harbor.adminPassword,
            };
        },
    });
}

/** Dynamic resources by their Pulumi name. */
function dynamic(run: StackRun, name: string): RecordedResource {
    return byName(run, DYNAMIC, name);
}

/** Every key path in a value, for walking Helm values. */
function keyPaths(value: unknown, prefix = ""): string[] {
    if (Array.isArray(value)) return value.flatMap((v, i) => keyPaths(v, `${prefix}[${i}]`));
    if (value && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => [`${prefix}.${k}`, ...keyPaths(v, `${prefix}.${k}`)]);
    }
    return [];
}

describe("Harbor", () => {
    let run: StackRun;
    before(async () => {
        run = await harborRun();
    });

    it("installs the pinned chart exposed as ClusterIP behind the Gateway, Trivy on, azure storage", () => {
        const release = byType(run, "kubernetes:helm.sh/v3:Release")[0];
        assert.equal(release.inputs.chart, "harbor");
        assert.equal(release.inputs.namespace, NAMESPACES.harbor);
        const v = release.inputs.values as any;
        assert.equal(v.expose.type, "clusterIP");
        assert.equal(v.expose.tls.enabled, false);
        assert.equal(v.externalURL, "https://harbor.dev.platform.example.com");
        assert.equal(v.trivy.enabled, true);
        assert.equal(v.persistence.imageChartStorage.type, "azure");
        assert.equal(v.persistence.imageChartStorage.azure.accountname, "scdevharborabc");
        assert.equal(v.persistence.imageChartStorage.azure.container, "harbor-registry");
        assert.equal(v.persistence.imageChartStorage.azure.existingSecret, "harbor-azure-storage");
        assert.equal(v.existingSecretAdminPassword, "harbor-admin");
    });

    it("keeps secrets out of the Helm values (they reference existing Secrets; the DB password is a nested secret) and has no pull secrets anywhere", () => {
        const release = byType(run, "kubernetes:helm.sh/v3:Release")[0];
        const raw = JSON.stringify(release.rawInputs.values);
        assert.ok(!raw.includes(STORAGE_KEY), "storage key in values");
        assert.ok(!/harborAdminPassword|accountkey|"secretKey"/.test(raw), "a literal secret key in values");
        for (const r of descendants(run, byType(run, "platform:cluster:Harbor")[0].urn)) {
            assert.ok(!keyPaths(r.rawInputs).some(p => /imagePullSecrets/i.test(p)), `${r.type} ${r.name} has imagePullSecrets`);
            if (r.type === "kubernetes:core/v1:Secret") {
                assert.ok(!/dockerconfigjson|dockercfg/.test(String(r.rawInputs.type)), `${r.name} is a registry-credential Secret`);
                const ann = ((r.rawInputs.metadata as any)?.annotations ?? {}) as Record<string, string>;
                assert.ok(!Object.keys(ann).some(a => a.startsWith("tekton.dev/docker")), `${r.name} is a Tekton registry credential`);
            }
        }
    });

    it("stores the storage key in one Secret, in Harbor's namespace only", () => {
        const holders = run.resources.filter(r => JSON.stringify(r.rawInputs).includes(STORAGE_KEY));
        assert.deepEqual(
            holders.map(r => r.type),
            ["kubernetes:core/v1:Secret"],
        );
        assert.equal((holders[0].rawInputs.metadata as any).namespace, NAMESPACES.harbor);
        assert.equal(holders[0].inputs.stringData, "[secret]");
    });

    it("never stores the robot secret in any Secret: that is the Tekton component's job, in the pipeline namespace", () => {
        const secrets = byType(run, "kubernetes:core/v1:Secret");
        for (const s of secrets) {
            const data = JSON.stringify(s.rawInputs.stringData ?? {});
            assert.ok(!/robot/i.test(data), `${s.name} carries robot data`);
        }
        assert.deepEqual(
            secrets.map(s => (s.rawInputs.metadata as any).namespace).filter(n => n !== NAMESPACES.harbor),
            [],
        );
        assert.equal(run.outputs.robotSecret, "[secret]");
        assert.equal(run.outputs.robotName, "robot$staging+pipeline");
        assert.equal(run.outputs.registryHost, "harbor.dev.platform.example.com");
    });

    it("keeps the admin password and storage key secret: never in clear in the plan", () => {
        assert.equal(run.outputs.adminPassword, "[secret]");
        const password = String(run.rawOutputs.adminPassword);
        assert.match(password, /^mockpw-/);
        const json = JSON.stringify(planDocument(run));
        for (const leaked of [password, STORAGE_KEY, "mockpw-"]) {
            assert.ok(!json.includes(leaked), `plan JSON leaks ${leaked}`);
        }
        for (const name of ["harbor-staging", "harbor-robot-pipeline", "harbor-gc", "harbor-staging-retention"]) {
            assert.equal(dynamic(run, name).inputs.password, "[secret]", `${name} password`);
        }
    });

    it("generates the internal PostgreSQL password (not the chart's public default) and passes it only as a nested secret", () => {
        const release = byType(run, "kubernetes:helm.sh/v3:Release")[0];
        const raw = (release.rawInputs.values as any).database;
        assert.equal(raw.type, "internal");
        const password = String(raw.internal.password);
        assert.notEqual(password, "changeit");
        assert.match(password, /^mockpw-/, "from a RandomPassword");
        const generator = run.resources.find(
            r => r.type === "random:index/randomPassword:RandomPassword" && r.name === "harbor-database-password",
        );
        assert.ok(generator, "a RandomPassword for the database");
        assert.equal(generator!.inputs.special, false, "alphanumeric: it goes into connection URLs");
        assert.ok(Number(generator!.inputs.length) >= 32);
        // Only that leaf is redacted: the rest of the values stay readable in the plan.
        const v = release.inputs.values as any;
        assert.equal(v.database.internal.password, "[secret]");
        assert.equal(v.database.type, "internal");
        assert.equal(v.expose.type, "clusterIP");
        const json = JSON.stringify(planDocument(run));
        assert.ok(!json.includes(password), "plan JSON leaks the database password");
        assert.ok(!json.includes("changeit"), "plan JSON carries the chart's default password");
    });

    it("denies ingress to the harbor namespace except from Harbor itself and the Envoy proxies; egress open", () => {
        const policies = byType(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map(p => p.inputs as any);
        assert.deepEqual(policies.map(p => p.metadata.name).sort(), ["allow-from-gateway", "allow-same-namespace", "default-deny-ingress"]);
        for (const p of policies) {
            assert.equal(p.metadata.namespace, NAMESPACES.harbor);
            assert.deepEqual(p.spec.podSelector, {}, `${p.metadata.name} covers every pod`);
            assert.deepEqual(p.spec.policyTypes, ["Ingress"], `${p.metadata.name}: egress stays open`);
            assert.equal(p.spec.egress, undefined);
        }
        const byName = (n: string) => policies.find(p => p.metadata.name === n)!;
        assert.equal(byName("default-deny-ingress").spec.ingress, undefined);
        // Every allowed peer, exactly: own pods, and the namespace Envoy Gateway runs its proxies in.
        const peers = policies.flatMap(p => (p.spec.ingress ?? []).map((rule: any) => ({ from: rule.from, ports: rule.ports })));
        assert.deepEqual(peers, [
            { from: [{ podSelector: {} }], ports: undefined },
            { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "envoy-gateway-system" } } }], ports: undefined },
        ]);
        assert.equal(NAMESPACES.envoyGateway, "envoy-gateway-system");
    });

    it("routes the Harbor hostname on the shared Gateway with the request timeout disabled", () => {
        const route = byName(run, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "harbor-route");
        const spec = route.inputs.spec as any;
        assert.deepEqual(spec.hostnames, ["harbor.dev.platform.example.com"]);
        assert.equal(spec.parentRefs[0].name, GATEWAY.name);
        assert.equal(spec.parentRefs[0].namespace, GATEWAY.namespace);
        for (const rule of spec.rules) {
            assert.equal(rule.timeouts?.request, "0s", "request timeout disabled (Envoy's default 15 s breaks large pushes)");
            assert.ok(rule.timeouts.backendRequest === undefined || rule.timeouts.backendRequest === "0s");
            assert.deepEqual(
                rule.backendRefs.map((b: any) => [b.name, b.port]),
                [[HARBOR_SERVICE.name, HARBOR_SERVICE.port]],
            );
        }
        assert.ok(route.dependencies.includes(byType(run, "kubernetes:helm.sh/v3:Release")[0].urn), "route waits for the chart");
        assert.deepEqual(
            spec,
            gatewayRouteSpec({ hostname: "harbor.dev.platform.example.com", backend: HARBOR_SERVICE, timeouts: { request: "0s" } }),
            "built by the shared route builder",
        );
    });

    it("configures the staging project from config: scan on push, pull blocking, allowlist", () => {
        const p = dynamic(run, "harbor-staging").inputs;
        assert.equal(p.name, "staging");
        assert.equal(p.public, false);
        assert.equal(p.autoScan, true);
        assert.equal(p.preventVul, true);
        assert.equal(p.severity, "high");
        assert.equal(p.reuseSysCveAllowlist, false);
        assert.deepEqual(p.cveAllowlist, ["CVE-2024-1234"]);
    });

    it("turns pull blocking off for blockSeverity none", async () => {
        const none = await harborRun({ blockSeverity: "none", cveAllowlist: [] });
        const p = dynamic(none, "harbor-staging").inputs;
        assert.equal(p.preventVul, false);
        assert.deepEqual(p.cveAllowlist, []);
    });

    it("limits the robot to the staging project, holding exactly what the pipeline's Harbor calls need", () => {
        const r = dynamic(run, "harbor-robot-pipeline").inputs;
        assert.equal(r.project, "staging");
        const access = (r.access as any[]).map(a => `${a.resource}:${a.action}`).sort();
        // The registered resource, not the constant: what `pulumi up` sends is what is checked.
        assert.deepEqual(
            access,
            pipelineRobotNeeds()
                .map(a => `${a.resource}:${a.action}`)
                .sort(),
        );
        assert.ok(dynamic(run, "harbor-robot-pipeline").additionalSecretOutputs.includes("secret"));
    });

    it("sets tag retention and the GC schedule in Harbor's six-field cron", () => {
        const retention = dynamic(run, "harbor-staging-retention");
        assert.equal(retention.inputs.retainTags, 10);
        assert.equal(retention.inputs.cron, "0 0 3 * * *");
        assert.ok(retention.dependencies.includes(dynamic(run, "harbor-staging").urn));
        const gc = dynamic(run, "harbor-gc");
        assert.equal(gc.inputs.cron, "0 0 3 * * *");
        assert.equal(gc.inputs.deleteUntagged, true);
    });

    it("talks to Harbor only after the chart and the route exist", () => {
        const release = byType(run, "kubernetes:helm.sh/v3:Release")[0].urn;
        const route = byName(run, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "harbor-route").urn;
        for (const r of byType(run, DYNAMIC)) {
            assert.equal(r.inputs.apiUrl, "https://harbor.dev.platform.example.com");
            assert.ok(r.dependencies.includes(release) && r.dependencies.includes(route), `${r.name} waits for Harbor`);
        }
    });
});
