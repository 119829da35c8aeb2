import { strict as assert } from "assert";
import { Alerts, AlertsArgs, isoMinutes, prometheusAlertRules } from "../../components/azure/alerts";
import { byName, byType, descendants, freshRun, StackRun } from "../harness";

const RG = "rg-platform";
const PROFILE_ID =
    "/subscriptions/00000000-1111-4222-8333-444444444444/resourceGroups/rg-platform/providers/Microsoft.Network/trafficmanagerprofiles/tm-scdev";
const clusterId = (key: string) =>
    `/subscriptions/00000000-1111-4222-8333-444444444444/resourceGroups/rg-${key}/providers/Microsoft.ContainerService/managedClusters/aks-scdev-${key}`;

function args(overrides: Partial<AlertsArgs> = {}): AlertsArgs {
    return {
        resourceGroupName: RG,
        location: "westeurope",
        namePrefix: "scdev",
        emails: ["oncall@example.com", "platform@example.com"],
        driftMinutes: 30,
        trafficManagerProfileId: PROFILE_ID,
        endpointNames: ["primary", "secondary"],
        servingProbe: { addresses: ["20.1.2.3", "20.4.5.6"], host: "app.dev.platform.example.com", path: "/healthz", after: [] },
        clusters: [
            { key: "primary", clusterId: clusterId("primary"), clusterName: "aks-scdev-primary", location: "westeurope" },
            { key: "secondary", clusterId: clusterId("secondary"), clusterName: "aks-scdev-secondary", location: "northeurope" },
        ],
        protect: false,
        tags: { env: "dev" },
        ...overrides,
    };
}

function run(overrides: Partial<AlertsArgs> = {}): Promise<StackRun> {
    return freshRun({
        stack: "dev",
        program: () => {
            new Alerts("alerts", args(overrides));
        },
    });
}

const T = {
    component: "platform:azure:Alerts",
    actionGroup: "azure-native:monitor:ActionGroup",
    metricAlert: "azure-native:monitor:MetricAlert",
    workspace: "azure-native:monitor:AzureMonitorWorkspace",
    dce: "azure-native:monitor:DataCollectionEndpoint",
    dcr: "azure-native:monitor:DataCollectionRule",
    dcra: "azure-native:monitor:DataCollectionRuleAssociation",
    ruleGroup: "azure-native:alertsmanagement:PrometheusRuleGroup",
};

type Rule = { alert: string; expression: string; for: string; severity: number; actions: { actionGroupId: string }[] };

/** Minutes of an ISO 8601 duration of the PT#H#M form. */
function minutesOf(iso: string): number {
    const m = /^PT(?:(\d+)H)?(?:(\d+)M)?$/.exec(iso);
    assert.ok(m && (m[1] || m[2]), `not a PT duration: ${iso}`);
    return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

describe("Alerts", () => {
    let r: StackRun;
    let actionGroupId: string;
    before(async () => {
        r = await run();
        actionGroupId = `/subscriptions/00000000-1111-4222-8333-444444444444/resourceGroups/${RG}/providers/Microsoft.Insights/actionGroups/ag-scdev-platform`;
    });

    it("is one component whose resources are all its children", () => {
        const [component] = byType(r, T.component);
        assert.ok(component);
        const mine = descendants(r, component.urn)
            .map(c => c.urn)
            .sort();
        const all = r.resources
            .filter(x => x.type !== T.component && x.type !== "pulumi:pulumi:Stack")
            .map(x => x.urn)
            .sort();
        assert.deepEqual(mine, all);
    });

    it("creates a global action group with the configured e-mail receivers on the common alert schema", () => {
        const [ag] = byType(r, T.actionGroup);
        assert.equal(ag.inputs.location, "Global");
        assert.equal(ag.inputs.enabled, true);
        const shortName = ag.inputs.groupShortName as string;
        assert.ok(shortName.length >= 1 && shortName.length <= 12, `short name '${shortName}'`);
        const receivers = ag.inputs.emailReceivers as { name: string; emailAddress: string; useCommonAlertSchema: boolean }[];
        assert.deepEqual(
            receivers.map(x => x.emailAddress),
            ["oncall@example.com", "platform@example.com"],
        );
        assert.ok(receivers.every(x => x.useCommonAlertSchema === true));
        assert.equal(new Set(receivers.map(x => x.name)).size, receivers.length, "receiver names must be unique");
    });

    it("alerts on a Degraded Traffic Manager endpoint, per endpoint, scoped to the profile", () => {
        const [alert] = byType(r, T.metricAlert);
        assert.deepEqual(alert.inputs.scopes, [PROFILE_ID]);
        assert.equal(alert.inputs.location, "global");
        assert.equal(alert.inputs.severity, 1);
        assert.ok(minutesOf(alert.inputs.evaluationFrequency as string) <= 1, "short evaluation frequency");
        const criteria = alert.inputs.criteria as { odataType: string; allOf: Record<string, any>[] };
        assert.equal(criteria.odataType, "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria");
        assert.equal(criteria.allOf.length, 1);
        const [c] = criteria.allOf;
        assert.equal(c.metricName, "ProbeAgentCurrentEndpointStateByProfileResourceId");
        assert.equal(c.metricNamespace, "Microsoft.Network/trafficManagerProfiles");
        assert.equal(c.operator, "LessThan");
        assert.equal(c.threshold, 1);
        assert.deepEqual(c.dimensions, [{ name: "EndpointName", operator: "Include", values: ["primary", "secondary"] }]);
    });

    it("watches every endpoint when none are named", async () => {
        const all = await run({ endpointNames: [] });
        const [alert] = byType(all, T.metricAlert);
        const [c] = (alert.inputs.criteria as { allOf: Record<string, any>[] }).allOf;
        assert.deepEqual(c.dimensions[0].values, ["*"]);
    });

    it("sends every alert to the action group", () => {
        const [ag] = byType(r, T.actionGroup);
        assert.ok(ag.urn);
        const [alert] = byType(r, T.metricAlert);
        assert.deepEqual(alert.inputs.actions, [{ actionGroupId }]);
        assert.ok(alert.dependencies.includes(ag.urn));
        const groups = byType(r, T.ruleGroup);
        assert.equal(groups.length, 2);
        for (const g of groups) {
            const rules = g.inputs.rules as Rule[];
            assert.ok(rules.length > 0);
            for (const rule of rules) assert.deepEqual(rule.actions, [{ actionGroupId }], `${g.name}/${rule.alert}`);
            assert.ok(g.dependencies.includes(ag.urn));
        }
    });

    it("collects each cluster's Prometheus metrics into one shared Azure Monitor workspace", () => {
        const workspaces = byType(r, T.workspace);
        assert.equal(workspaces.length, 1);
        const workspaceId = `/subscriptions/00000000-1111-4222-8333-444444444444/resourceGroups/${RG}/providers/Microsoft.Monitor/accounts/${workspaces[0].inputs.azureMonitorWorkspaceName}`;
        assert.equal(byType(r, T.dce).length, 2);
        assert.equal(byType(r, T.dcr).length, 2);
        for (const key of ["primary", "secondary"]) {
            const dce = byName(r, T.dce, `alerts-${key}-dce`);
            const dcr = byName(r, T.dcr, `alerts-${key}-dcr`);
            const dcra = byName(r, T.dcra, `alerts-${key}-dcra`);
            assert.equal(dce.inputs.kind, "Linux");
            assert.ok(String(dce.inputs.dataCollectionEndpointName).length <= 44);
            // The DCR shape managed-Prometheus onboarding creates.
            assert.equal(
                dcr.inputs.dataCollectionEndpointId,
                `/subscriptions/00000000-1111-4222-8333-444444444444/resourceGroups/${RG}/providers/Microsoft.Insights/dataCollectionEndpoints/${dce.inputs.dataCollectionEndpointName}`,
            );
            const sources = dcr.inputs.dataSources as { prometheusForwarder: { name: string; streams: string[] }[] };
            assert.deepEqual(
                sources.prometheusForwarder.map(s => s.streams),
                [["Microsoft-PrometheusMetrics"]],
            );
            const destinations = dcr.inputs.destinations as { monitoringAccounts: { name: string; accountResourceId: string }[] };
            assert.equal(destinations.monitoringAccounts.length, 1);
            assert.equal(destinations.monitoringAccounts[0].accountResourceId, workspaceId);
            assert.deepEqual(dcr.inputs.dataFlows, [
                { streams: ["Microsoft-PrometheusMetrics"], destinations: [destinations.monitoringAccounts[0].name] },
            ]);
            // Associated with this cluster, to this cluster's rule.
            assert.equal(dcra.inputs.resourceUri, clusterId(key));
            assert.equal(
                dcra.inputs.dataCollectionRuleId,
                `/subscriptions/00000000-1111-4222-8333-444444444444/resourceGroups/${RG}/providers/Microsoft.Insights/dataCollectionRules/${dcr.inputs.dataCollectionRuleName}`,
            );
        }
        assert.notEqual(
            byName(r, T.dcra, "alerts-primary-dcra").inputs.dataCollectionRuleId,
            byName(r, T.dcra, "alerts-secondary-dcra").inputs.dataCollectionRuleId,
        );
    });

    it("gives each cluster its own rule group, filtered to that cluster, on the workspace", () => {
        const [workspace] = byType(r, T.workspace);
        for (const key of ["primary", "secondary"]) {
            const g = byName(r, T.ruleGroup, `alerts-${key}-rules`);
            assert.equal(g.inputs.clusterName, `aks-scdev-${key}`);
            assert.equal((g.inputs.scopes as string[]).length, 1);
            assert.match(
                (g.inputs.scopes as string[])[0],
                new RegExp(`/providers/Microsoft\\.Monitor/accounts/${workspace.inputs.azureMonitorWorkspaceName}$`),
            );
            assert.ok(minutesOf(g.inputs.interval as string) >= 1 && minutesOf(g.inputs.interval as string) <= 15);
        }
    });

    it("alerts on certificates expiring within 14 days or not Ready", () => {
        const rules = byName(r, T.ruleGroup, "alerts-primary-rules").inputs.rules as Rule[];
        const expressions = rules.map(x => x.expression);
        assert.ok(
            expressions.includes("certmanager_certificate_expiration_timestamp_seconds - time() < 14 * 24 * 3600"),
            expressions.join("\n"),
        );
        assert.ok(expressions.includes(`certmanager_certificate_ready_status{condition="False"} == 1`));
    });

    it("alerts on Argo CD applications OutOfSync or Degraded for longer than driftMinutes", async () => {
        for (const [driftMinutes, result] of [
            [30, r],
            [90, await run({ driftMinutes: 90 })],
            [120, await run({ driftMinutes: 120 })],
        ] as const) {
            for (const g of byType(result, T.ruleGroup)) {
                const rules = g.inputs.rules as Rule[];
                const drift = rules.filter(x => /^argocd_app_info\{/.test(x.expression));
                assert.deepEqual(drift.map(x => x.expression).sort(), [
                    `argocd_app_info{health_status="Degraded"} == 1`,
                    `argocd_app_info{sync_status="OutOfSync"} == 1`,
                ]);
                for (const rule of drift) assert.equal(minutesOf(rule.for), driftMinutes, `${rule.alert}: for ${rule.for}`);
            }
        }
    });

    it("rejects unusable arguments before registering anything", async () => {
        await assert.rejects(run({ emails: [] }), /emails/);
        await assert.rejects(run({ shortName: "much-too-long-name" }), /shortName/);
        await assert.rejects(run({ clusters: [args().clusters[0], args().clusters[0]] }), /duplicate key/);
    });

    it("formats durations as ISO 8601", () => {
        assert.equal(isoMinutes(30), "PT30M");
        assert.equal(isoMinutes(120), "PT2H");
        assert.throws(() => isoMinutes(0));
        assert.equal(prometheusAlertRules(45).filter(x => x.for === "PT45M").length, 2);
    });
});
