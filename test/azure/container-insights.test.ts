import { strict as assert } from "assert";
import { ContainerInsights, ContainerInsightsArgs, containerInsightsRuleName } from "../../components/azure/container-insights";
import { MOCK_SUBSCRIPTION_ID } from "../../tools/mock-outputs";
import { CLUSTER_KEYS } from "../../infra/config";
import { byName, byType, descendants, freshRun, RecordedResource, stackRun, StackRun } from "../harness";

const AKS = "azure-native:containerservice:ManagedCluster";
const WORKSPACE = "azure-native:operationalinsights:Workspace";
const DCR = "azure-native:monitor:DataCollectionRule";
const DCRA = "azure-native:monitor:DataCollectionRuleAssociation";
const COMPONENT = "platform:azure:ContainerInsights";
const STREAM = "Microsoft-ContainerInsights-Group-Default";

const armId = (rg: unknown, type: string, name: unknown) =>
    `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${rg}/providers/${type}/${name}`;
const clusterIdOf = (c: RecordedResource) =>
    armId(c.inputs.resourceGroupName, "Microsoft.ContainerService/managedClusters", c.inputs.resourceName);
const dcrIdOf = (r: RecordedResource) =>
    armId(r.inputs.resourceGroupName, "Microsoft.Insights/dataCollectionRules", r.inputs.dataCollectionRuleName);
type Extension = {
    name: string;
    extensionName: string;
    streams: string[];
    extensionSettings: { dataCollectionSettings: Record<string, unknown> };
};
const extensionsOf = (r: RecordedResource) => (r.inputs.dataSources as { extensions?: Extension[] } | undefined)?.extensions ?? [];
/** Data collection rules that carry the ContainerInsights extension (alerts.ts adds managed-Prometheus ones). */
const containerInsightsRules = (run: StackRun) =>
    byType(run, DCR).filter(r => extensionsOf(r).some(e => e.extensionName === "ContainerInsights"));

for (const stack of ["dev", "prod"] as const) {
    describe(`Container Insights with managed-identity auth (${stack})`, () => {
        let run: StackRun;
        let workspaceId: string;
        before(async () => {
            run = await stackRun(stack);
            const [workspace] = byType(run, WORKSPACE);
            workspaceId = armId(
                workspace.inputs.resourceGroupName,
                "Microsoft.OperationalInsights/workspaces",
                workspace.inputs.workspaceName,
            );
        });

        it("every cluster's monitoring add-on authenticates with its managed identity (useAADAuth), to the shared workspace", () => {
            const clusters = byType(run, AKS);
            assert.equal(clusters.length, 2);
            for (const c of clusters) {
                const omsagent = (c.inputs.addonProfiles as Record<string, any>).omsagent;
                assert.equal(omsagent.enabled, true);
                // AKS reads the add-on config as strings: exactly "true", not a boolean.
                assert.strictEqual(
                    omsagent.config.useAADAuth,
                    "true",
                    `${c.name}: without useAADAuth the agent uses the workspace shared key`,
                );
                assert.equal(omsagent.config.logAnalyticsWorkspaceResourceID, workspaceId);
            }
        });

        it("gives each cluster exactly one Container Insights rule to the shared workspace and one association scoped to that cluster", () => {
            const rules = containerInsightsRules(run);
            assert.equal(rules.length, CLUSTER_KEYS.length);
            const associations = byType(run, DCRA).filter(a => rules.some(r => a.inputs.dataCollectionRuleId === dcrIdOf(r)));
            assert.equal(associations.length, CLUSTER_KEYS.length);
            for (const key of CLUSTER_KEYS) {
                const cluster = byName(run, AKS, `${key}-aks`);
                const clusterId = clusterIdOf(cluster);
                const dcr = byName(run, DCR, `${key}-container-insights-dcr`);
                const dcra = byName(run, DCRA, `${key}-container-insights-dcra`);

                // The rule the CLI's --enable-msi-auth-for-monitoring onboarding creates.
                assert.equal(dcr.inputs.kind, "Linux");
                assert.deepEqual(extensionsOf(dcr), [
                    {
                        name: "ContainerInsightsExtension",
                        extensionName: "ContainerInsights",
                        streams: [STREAM],
                        extensionSettings: {
                            dataCollectionSettings: { interval: "1m", namespaceFilteringMode: "Off", enableContainerLogV2: true },
                        },
                    },
                ]);
                const destinations = dcr.inputs.destinations as { logAnalytics: { name: string; workspaceResourceId: string }[] };
                assert.equal(destinations.logAnalytics.length, 1);
                assert.equal(destinations.logAnalytics[0].workspaceResourceId, workspaceId);
                assert.deepEqual(dcr.inputs.dataFlows, [{ streams: [STREAM], destinations: [destinations.logAnalytics[0].name] }]);
                // In the workspace's region, named after the cluster, in the cluster's own group.
                const [workspace] = byType(run, WORKSPACE);
                assert.equal(dcr.inputs.location, workspace.inputs.location);
                assert.equal(dcr.inputs.dataCollectionRuleName, `MSCI-${workspace.inputs.location}-${cluster.inputs.resourceName}`);
                assert.equal(dcr.inputs.resourceGroupName, cluster.inputs.resourceGroupName);

                assert.equal(dcra.inputs.associationName, "ContainerInsightsExtension");
                assert.equal(dcra.inputs.resourceUri, clusterId);
                assert.equal(dcra.inputs.dataCollectionRuleId, dcrIdOf(dcr));
                assert.ok(dcra.propertyDependencies.resourceUri?.includes(cluster.urn), "scope comes from the cluster's id");
                assert.ok(dcra.dependencies.includes(dcr.urn));
            }
        });

        it("names its rules per cluster, distinct from each other and from the managed-Prometheus rules", () => {
            const all = byType(run, DCR).map(r => String(r.inputs.dataCollectionRuleName).toLowerCase());
            assert.equal(new Set(all).size, all.length, `DCR names collide: ${all.join(", ")}`);
            const ci = containerInsightsRules(run).map(r => String(r.inputs.dataCollectionRuleName));
            assert.equal(new Set(ci).size, CLUSTER_KEYS.length);
            for (const n of ci) assert.match(n, /^MSCI-/);
            // Association names repeat (the CLI's fixed name) but hang off different clusters.
            const ids = byType(run, DCRA).map(a => `${a.inputs.resourceUri}/${a.inputs.associationName}`.toLowerCase());
            assert.equal(new Set(ids).size, ids.length);
        });
    });
}

describe("ContainerInsights component", () => {
    const clusterId =
        "/subscriptions/00000000-1111-4222-8333-444444444444/resourceGroups/rg-scdev-primary/providers/Microsoft.ContainerService/managedClusters/aks-scdev-primary";
    const workspaceId =
        "/subscriptions/00000000-1111-4222-8333-444444444444/resourceGroups/rg-scdev-global/providers/Microsoft.OperationalInsights/workspaces/log-scdev";
    const args = (overrides: Partial<ContainerInsightsArgs> = {}): ContainerInsightsArgs => ({
        clusterId,
        clusterName: "aks-scdev-primary",
        location: "westeurope",
        workspaceId,
        resourceGroupName: "rg-scdev-primary",
        tags: { env: "dev" },
        ...overrides,
    });
    const run = (overrides: Partial<ContainerInsightsArgs> = {}) =>
        freshRun({
            stack: "dev",
            program: () => {
                new ContainerInsights("ci", args(overrides));
            },
        });

    it("is one component holding exactly a rule and its association", async () => {
        const r = await run();
        const [component] = byType(r, COMPONENT);
        assert.deepEqual(
            descendants(r, component.urn)
                .map(x => x.type)
                .sort(),
            [DCR, DCRA],
        );
        const dcr = byName(r, DCR, "ci-dcr");
        assert.equal(dcr.inputs.dataCollectionRuleName, "MSCI-westeurope-aks-scdev-primary");
        assert.deepEqual(dcr.inputs.tags, { env: "dev" });
        assert.equal(byName(r, DCRA, "ci-dcra").inputs.resourceUri, clusterId);
    });

    it("cuts the rule name to the 64 characters Azure allows", () => {
        const name = containerInsightsRuleName("germanywestcentral", "aks-" + "x".repeat(80));
        assert.equal(name.length, 64);
        assert.ok(name.startsWith("MSCI-germanywestcentral-aks-"));
    });

    it("rejects a region display name before registering anything", async () => {
        await assert.rejects(run({ location: "West Europe" }), /location 'West Europe'/);
    });
});
