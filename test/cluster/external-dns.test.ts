import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import { AZURE_CONFIG_DIR, ExternalDns, ExternalDnsArgs } from "../../components/cluster/external-dns";
import { WORKLOAD_IDENTITY_SERVICE_ACCOUNTS } from "../../model/names";
import { byName, freshRun, rejection, StackRun } from "../harness";

type Spec = Record<string, any>;
const CLIENT_ID = "44444444-4444-4444-8444-444444444444";
const APP = "app.platform.example.com";

function program(overrides: Partial<ExternalDnsArgs> = {}) {
    return () => {
        new ExternalDns("primary", {
            acrLoginServer: "platformacr.azurecr.io",
            provider: new k8s.Provider("primary", {}),
            identityClientId: CLIENT_ID,
            tenantId: "tenant-1",
            subscriptionId: "sub-123",
            dnsZone: { name: "platform.example.com", resourceGroupName: "rg-dns" },
            txtOwnerId: "dev-primary",
            policy: "sync",
            excludeHostnames: [APP],
            ...overrides,
        });
    };
}

describe("ExternalDns", () => {
    let run: StackRun;
    let values: Spec;
    before(async () => {
        run = await freshRun({ stack: "dev", program: program() });
        values = byName(run, "kubernetes:helm.sh/v3:Release", "primary-external-dns").rawInputs.values as Spec;
    });

    it("runs the Azure provider on HTTPRoutes and Services, limited to the zone", () => {
        assert.deepEqual(values.provider, { name: "azure" });
        assert.deepEqual(values.sources, ["gateway-httproute", "service"]);
        assert.deepEqual(values.domainFilters, ["platform.example.com"]);
        assert.equal(values.registry, "txt");
        assert.equal(values.txtOwnerId, "dev-primary");
        assert.equal(values.policy, "sync");
    });

    it("never manages the Pulumi-owned app hostname", () => {
        assert.deepEqual(values.excludeDomains, [APP]);
        assert.ok(!values.domainFilters.includes(APP));
    });

    it("authenticates with workload identity and a credential-free azure.json", () => {
        const sa = WORKLOAD_IDENTITY_SERVICE_ACCOUNTS.externalDns;
        assert.deepEqual(values.serviceAccount, {
            create: true,
            name: sa.name,
            annotations: { "azure.workload.identity/client-id": CLIENT_ID },
        });
        assert.deepEqual(values.podLabels, { "azure.workload.identity/use": "true" });
        const cm = byName(run, "kubernetes:core/v1:ConfigMap", "primary-azure-config");
        assert.deepEqual(JSON.parse((cm.rawInputs.data as Spec)["azure.json"]), {
            tenantId: "tenant-1",
            subscriptionId: "sub-123",
            resourceGroup: "rg-dns",
            useWorkloadIdentityExtension: true,
        });
        const cmName = (cm.rawInputs.metadata as Spec).name;
        assert.deepEqual(values.extraVolumes, [{ name: "azure-config", configMap: { name: cmName } }]);
        assert.deepEqual(values.extraVolumeMounts, [{ name: "azure-config", mountPath: AZURE_CONFIG_DIR, readOnly: true }]);
        assert.match(values.podAnnotations["checksum/azure-config"], /^[0-9a-f]{64}$/);
        const release = byName(run, "kubernetes:helm.sh/v3:Release", "primary-external-dns");
        assert.ok(release.dependencies.includes(cm.urn), "config exists before the pod starts");
        assert.equal(release.rawInputs.namespace, sa.namespace);
    });

    it("uses upsert-only when asked (prod)", async () => {
        const r = await freshRun({ stack: "dev", program: program({ policy: "upsert-only", txtOwnerId: "prod-secondary" }) });
        const v = byName(r, "kubernetes:helm.sh/v3:Release", "primary-external-dns").rawInputs.values as Spec;
        assert.equal(v.policy, "upsert-only");
        assert.equal(v.txtOwnerId, "prod-secondary");
    });

    it("rejects an unusable owner id, policy or exclusion", async () => {
        const err = await rejection(() =>
            freshRun({
                stack: "dev",
                program: program({ txtOwnerId: "Prod Primary", policy: "create-only" as never, excludeHostnames: ["not a host"] }),
            }),
        );
        assert.match(err.message, /txtOwnerId/);
        assert.match(err.message, /policy/);
        assert.match(err.message, /not a host/);
    });
});
