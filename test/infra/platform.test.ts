import { strict as assert } from "assert";
import { byType, freshRun, planDocument, stackRun, StackRun, stackPreview } from "../harness";
import { MOCK_SUBSCRIPTION_ID, MOCK_TENANT_ID } from "../../tools/mock-outputs";

const STATEFUL = [
    "azure-native:containerregistry:Registry",
    "azure-native:containerregistry:Replication",
    "azure-native:dns:Zone",
    "azure-native:containerservice:ManagedCluster",
    "azure-native:operationalinsights:Workspace",
    // Harbor's image storage: every image the pipeline pushed.
    "azure-native:storage:StorageAccount",
    "azure-native:storage:BlobContainer",
    // Prometheus metrics (issue 9 item 5).
    "azure-native:monitor:AzureMonitorWorkspace",
    // Every identity: grants inside the locked registry group must go to stable principals (issue 9 item 1).
    "azure-native:managedidentity:UserAssignedIdentity",
];
const LOCK = "azure-native:authorization:ManagementLockAtResourceGroupLevel";
const SCOPE_LOCK = "azure-native:authorization:ManagementLockByScope";
const zoneIdOf = (run: StackRun) => {
    const zone = byType(run, "azure-native:dns:Zone")[0];
    return `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${zone.inputs.resourceGroupName}/providers/Microsoft.Network/dnsZones/${zone.inputs.zoneName}`;
};

describe("platform composition (Azure layer)", () => {
    it("prod: stateful resources are protected; the registry group and the DNS zone's SOA record set carry CanNotDelete locks", async () => {
        const run = await stackRun("prod");
        for (const type of STATEFUL) {
            const rs = byType(run, type);
            assert.ok(rs.length > 0, type);
            for (const r of rs) assert.equal(r.protect, true, `${type} ${r.name}`);
        }
        // No lock on the DNS group or the zone: locks are inherited by record sets and would block
        // DNS-01 challenge cleanup, ExternalDNS deletions and replacing the app CNAME.
        const locks = byType(run, LOCK);
        assert.deepEqual(
            locks.map(l => [l.inputs.resourceGroupName, l.inputs.level]),
            [["rg-scprod-registry", "CanNotDelete"]],
        );
        const zone = byType(run, "azure-native:dns:Zone")[0];
        const scoped = byType(run, SCOPE_LOCK);
        assert.deepEqual(
            scoped.map(l => [l.inputs.scope, l.inputs.level]),
            [[`${zoneIdOf(run)}/SOA/@`, "CanNotDelete"]],
        );
        assert.ok(scoped[0].dependencies.includes(zone.urn), "the lock follows the zone");
        const lockedScopes = [
            ...scoped.map(l => String(l.inputs.scope)),
            ...locks.map(l => `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${l.inputs.resourceGroupName}`),
        ];
        for (const rs of byType(run, "azure-native:dns:RecordSet")) {
            const id = `${zoneIdOf(run)}/${rs.inputs.recordType}/${rs.inputs.relativeRecordSetName}`;
            assert.ok(!lockedScopes.some(scope => id.startsWith(`${scope}/`) || id === scope), `${id} inherits no lock`);
        }
        assert.equal(byType(run, "azure-native:containerregistry:Registry")[0].inputs.resourceGroupName, "rg-scprod-registry");
        assert.equal(byType(run, "azure-native:dns:Zone")[0].inputs.resourceGroupName, "rg-scprod-dns");
        // Nothing else is protected: replacing an endpoint or a role assignment must stay possible.
        const others = run.resources.filter(r => r.protect && !STATEFUL.includes(r.type));
        assert.deepEqual(
            others.map(r => r.type),
            [],
        );
    });

    it("dev: nothing protected, no locks", async () => {
        const run = await stackRun("dev");
        assert.deepEqual(
            run.resources.filter(r => r.protect).map(r => r.name),
            [],
        );
        assert.equal(byType(run, LOCK).length, 0);
        assert.equal(byType(run, SCOPE_LOCK).length, 0);
    });

    it("resource group names do not collide, per region and shared", async () => {
        const run = await stackRun("dev");
        const names = byType(run, "azure-native:resources:ResourceGroup")
            .map(r => r.inputs.resourceGroupName)
            .sort();
        assert.deepEqual(names, ["rg-scdev-dns", "rg-scdev-global", "rg-scdev-primary", "rg-scdev-registry", "rg-scdev-secondary"]);
    });

    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: kubeconfigs and secret config never appear in the plan JSON in clear`, async () => {
            const run = await stackRun(stack);
            const json = JSON.stringify(planDocument(run));
            for (const leaked of ["certificate-authority-data", "mock-ca:", "get-token", "clusterUser_", "offline-placeholder"]) {
                assert.ok(!json.includes(leaked), `plan JSON leaks ${leaked}`);
            }
            assert.equal(run.outputs.kubeconfigs, "[secret]");
            const raw = run.rawOutputs.kubeconfigs as { primary: string; secondary: string };
            assert.match(raw.primary, /--login\n\s*- azurecli/);
            assert.notEqual(raw.primary, raw.secondary);
            for (const p of byType(run, "pulumi:providers:kubernetes")) assert.equal(p.inputs.kubeconfig, "[secret]");
        });

        it(`${stack}: exports the typed output contract`, async () => {
            const run = await stackRun(stack);
            const o = run.outputs as Record<string, any>;
            assert.equal(o.environment, stack);
            assert.equal(o.subscriptionId, MOCK_SUBSCRIPTION_ID);
            assert.equal(o.tenantId, MOCK_TENANT_ID);
            assert.match(o.registry.loginServer, /^[a-z0-9]+\.azurecr\.io$/);
            for (const key of ["primary", "secondary"]) {
                const c = o.clusters[key];
                assert.equal(c.name, `aks-sc${stack}-${key}`);
                assert.equal(c.resourceGroupName, `rg-sc${stack}-${key}`);
                assert.match(c.oidcIssuerUrl, /^https:\/\/.+\.oic\.prod-aks\.azure\.com\//);
                assert.match(c.gatewayIp.address, /^\d+\.\d+\.\d+\.\d+$/);
                assert.equal(c.gatewayIp.resourceGroupName, c.resourceGroupName);
            }
            assert.notEqual(o.clusters.primary.oidcIssuerUrl, o.clusters.secondary.oidcIssuerUrl);
            assert.equal(o.clusters.primary.location, "westeurope");
            assert.equal(o.clusters.secondary.location, "northeurope");
            assert.equal(o.appHostname, stack === "dev" ? "app.dev.platform.example.com" : "app.platform.example.com");
            assert.equal(o.dnsZone.name, stack === "dev" ? "dev.platform.example.com" : "platform.example.com");
            assert.equal(o.dnsZone.nameServers.length, 4);
            assert.match(o.trafficManagerFqdn, /\.trafficmanager\.net$/);
            assert.equal(o.pipelineNamespace, "ci");
            assert.equal(o.pipelineIdentityClientId, o.identities.pipeline.clientId);
            assert.equal(
                new Set([
                    o.identities.pipeline.clientId,
                    o.identities.certManager.clientId,
                    o.identities.externalDns.clientId,
                    o.identities.manifestsCheck.clientId,
                ]).size,
                4,
            );
            assert.match(o.logAnalyticsWorkspaceId, /\/Microsoft\.OperationalInsights\/workspaces\//);
        });
    }

    it("is deterministic: two runs register identical plans", async () => {
        const a = planDocument(await stackRun("prod"));
        const b = planDocument(await freshRun({ stack: "prod" }));
        assert.deepEqual(b, a);
    });

    it("completes as a preview (isDryRun) with the same resources; what it knows agrees with the update, computed values are unknown", async () => {
        const preview: StackRun = await stackPreview("dev");
        const up = await stackRun("dev");
        assert.deepEqual(preview.resources.map(r => r.urn).sort(), up.resources.map(r => r.urn).sort());
        // Every value the preview knows is the value the update registers: "[unknown]" may stand
        // for anything, nothing else may differ (the preview never invents a value).
        const disagreements: string[] = [];
        const compare = (p: unknown, u: unknown, at: string): void => {
            if (p === "[unknown]") return;
            if (p && typeof p === "object" && u && typeof u === "object" && Array.isArray(p) === Array.isArray(u)) {
                for (const k of new Set([...Object.keys(p), ...Object.keys(u)])) {
                    compare((p as Record<string, unknown>)[k], (u as Record<string, unknown>)[k], `${at}.${k}`);
                }
            } else if (JSON.stringify(p) !== JSON.stringify(u)) disagreements.push(at);
        };
        const upByUrn = new Map(up.resources.map(r => [r.urn, r]));
        for (const r of preview.resources) compare(r.inputs, upByUrn.get(r.urn)!.inputs, r.urn);
        assert.deepEqual(disagreements, []);
        // What a from-scratch preview cannot know: computed outputs of resources to be created.
        const o = preview.outputs as Record<string, unknown>;
        assert.equal(o.environment, "dev");
        for (const key of ["registry", "clusters", "identities", "kubeconfigs", "pipelineIdentityClientId"])
            assert.equal(o[key], "[unknown]", key);
        for (const fic of byType(preview, "azure-native:managedidentity:FederatedIdentityCredential")) {
            assert.equal(fic.inputs.issuer, "[unknown]", "the AKS OIDC issuer is computed");
            assert.notEqual(fic.inputs.subject, "[unknown]");
        }
        for (const p of byType(preview, "pulumi:providers:kubernetes")) assert.equal(p.inputs.kubeconfig, "[unknown]");
        const unknowns = preview.resources.filter(r => JSON.stringify(r.inputs).includes('"[unknown]"')).length;
        assert.ok(
            unknowns > 0 && unknowns < preview.resources.length,
            `${unknowns} of ${preview.resources.length} resources have unknown inputs`,
        );
    });
});
