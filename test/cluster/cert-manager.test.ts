import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import { ACME_SERVERS, CertManager, CertManagerArgs } from "../../components/cluster/cert-manager";
import { PlatformGateway } from "../../components/cluster/gateway";
import { CLUSTER_ISSUERS, WORKLOAD_IDENTITY_SERVICE_ACCOUNTS } from "../../model/names";
import { byName, byType, descendants, freshRun, rejection, RecordedResource, StackRun } from "../harness";

type Spec = Record<string, any>;
const CLIENT_ID = "33333333-3333-4333-8333-333333333333";
const ZONE = { name: "platform.example.com", resourceGroupName: "rg-dns" };

function program(overrides: Partial<CertManagerArgs> = {}) {
    return () => {
        const provider = new k8s.Provider("primary", {});
        const gateway = new PlatformGateway("primary", {
            provider,
            acrLoginServer: "platformacr.azurecr.io",
            publicIp: { name: "pip", resourceGroupName: "rg" },
            hostnames: ["app.platform.example.com"],
            probeHostname: "app.platform.example.com",
            healthPath: "/healthz",
            clusterIssuer: CLUSTER_ISSUERS.staging,
        });
        new CertManager("primary", {
            acrLoginServer: "platformacr.azurecr.io",
            provider,
            identityClientId: CLIENT_ID,
            subscriptionId: "sub-123",
            dnsZone: ZONE,
            acmeEmail: "platform@example.com",
            dependsOn: [gateway.crdsReady],
            ...overrides,
        });
    };
}

describe("CertManager", () => {
    let run: StackRun;
    let release: RecordedResource;
    let issuers: RecordedResource[];
    before(async () => {
        run = await freshRun({ stack: "dev", program: program() });
        const component = byName(run, "platform:cluster:CertManager", "primary");
        const mine = descendants(run, component.urn);
        release = mine.find(r => r.type === "kubernetes:helm.sh/v3:Release")!;
        issuers = mine.filter(r => r.type === "kubernetes:cert-manager.io/v1:ClusterIssuer");
    });
    const values = () => release.rawInputs.values as Spec;

    it("installs the pinned chart with its CRDs into its own namespace, after the Gateway API CRDs", () => {
        assert.equal(release.rawInputs.chart, "cert-manager");
        assert.equal(release.rawInputs.version, "v1.21.1");
        assert.equal(release.rawInputs.namespace, WORKLOAD_IDENTITY_SERVICE_ACCOUNTS.certManager.namespace);
        assert.deepEqual(values().crds, { enabled: true, keep: true });
        const crdChart = byType(run, "kubernetes:helm.sh/v4:Chart").find(
            r => r.rawInputs.chart === "oci://docker.io/envoyproxy/gateway-crds-helm",
        )!;
        assert.ok(release.dependencies.includes(crdChart.urn), "cert-manager waits for Envoy Gateway's CRD chart (Gateway API CRDs)");
        assert.ok(release.dependencies.includes(byName(run, "kubernetes:core/v1:Namespace", "primary-ns").urn));
    });

    it("turns on Gateway API support in the controller configuration file", () => {
        assert.deepEqual(values().config, {
            apiVersion: "controller.config.cert-manager.io/v1alpha1",
            kind: "ControllerConfiguration",
            gatewayAPI: { enabled: true },
        });
    });

    it("authenticates with workload identity: fixed ServiceAccount with the client id, labelled pods", () => {
        const sa = WORKLOAD_IDENTITY_SERVICE_ACCOUNTS.certManager;
        assert.deepEqual(values().serviceAccount, {
            create: true,
            name: sa.name,
            annotations: { "azure.workload.identity/client-id": CLIENT_ID },
        });
        assert.deepEqual(values().podLabels, { "azure.workload.identity/use": "true" });
    });

    it("creates staging and production ACME issuers solving DNS-01 on the Azure zone with the managed identity", () => {
        const byIssuer: Record<string, Spec> = Object.fromEntries(
            issuers.map(i => [(i.rawInputs.metadata as Spec).name, (i.rawInputs.spec as Spec).acme]),
        );
        assert.deepEqual(Object.keys(byIssuer).sort(), [CLUSTER_ISSUERS.production, CLUSTER_ISSUERS.staging].sort());
        assert.equal(byIssuer[CLUSTER_ISSUERS.staging].server, ACME_SERVERS.staging);
        assert.equal(byIssuer[CLUSTER_ISSUERS.production].server, ACME_SERVERS.production);
        for (const [name, acme] of Object.entries(byIssuer)) {
            assert.equal(acme.email, "platform@example.com");
            assert.deepEqual(acme.privateKeySecretRef, { name: `${name}-account-key` });
            assert.equal(acme.solvers.length, 1);
            assert.deepEqual(acme.solvers[0].selector, { dnsZones: [ZONE.name] });
            assert.deepEqual(acme.solvers[0].dns01, {
                azureDNS: {
                    subscriptionID: "sub-123",
                    resourceGroupName: ZONE.resourceGroupName,
                    hostedZoneName: ZONE.name,
                    environment: "AzurePublicCloud",
                    managedIdentity: { clientID: CLIENT_ID },
                },
            });
            assert.equal(acme.solvers[0].dns01.azureDNS.clientSecretSecretRef, undefined, "no service principal secret");
        }
    });

    it("creates the issuers only after the release (whose readiness includes the webhook)", () => {
        for (const i of issuers) assert.ok(i.dependencies.includes(release.urn), i.name);
    });

    it("enables a PDB when running more than one controller", async () => {
        const r = await freshRun({ stack: "dev", program: program({ replicas: 2 }) });
        const v = byName(r, "kubernetes:helm.sh/v3:Release", "primary-cert-manager").rawInputs.values as Spec;
        assert.equal(v.replicaCount, 2);
        assert.deepEqual(v.podDisruptionBudget, { enabled: true, minAvailable: 1 });
    });

    it("refuses to install without a CRD dependency or with a bad e-mail", async () => {
        const err = await rejection(() => freshRun({ stack: "dev", program: program({ dependsOn: [], acmeEmail: "nope" }) }));
        assert.match(err.message, /dependsOn/);
        assert.match(err.message, /acmeEmail/);
    });
});
