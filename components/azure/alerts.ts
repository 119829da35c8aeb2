// Platform alerts, all delivered through one action group:
//
// - Traffic Manager: an endpoint whose probe state drops below 1 (Degraded) — an Azure platform
//   metric on the profile, split per endpoint.
// - Certificates (cert-manager) and GitOps drift (Argo CD) — in-cluster Prometheus metrics. They
//   reach Azure through Azure Monitor managed Prometheus: one Azure Monitor workspace, and per
//   cluster the data collection endpoint, rule and association that
//   `az aks update --enable-azure-monitor-metrics` would create, so the ama-metrics add-on ships
//   its samples to the workspace. A Prometheus rule group per cluster evaluates the alerts there.
//
// Requirements outside this component (see the report in the PR): the cluster must run the
// add-on (`azureMonitorProfile.metrics.enabled: true`), and the add-on must scrape the
// cert-manager and Argo CD pods (components/cluster/metrics-scraping.ts + pod annotations).
import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import * as alertsmanagement from "@pulumi/azure-native/alertsmanagement";
import { GatewaysServing } from "./serving-check";
import { AzureGovernance } from "./governance";

/** Traffic Manager platform metric: 1 while an endpoint's probe status is Online, else 0. */
export const TM_ENDPOINT_STATE_METRIC = "ProbeAgentCurrentEndpointStateByProfileResourceId";
export const TM_METRIC_NAMESPACE = "Microsoft.Network/trafficManagerProfiles";
export const TM_ENDPOINT_DIMENSION = "EndpointName";

/** A certificate this close to expiry means cert-manager's renewal (30 days before) has failed for two weeks. */
export const CERT_EXPIRY_WARNING_DAYS = 14;

/** Stream the ama-metrics add-on forwards; the only one a managed-Prometheus DCR carries. */
const PROMETHEUS_STREAM = "Microsoft-PrometheusMetrics";
const WORKSPACE_DESTINATION = "MonitoringAccount1";

export interface AlertsCluster {
    /** Stable key (primary, secondary): names and outputs are keyed by it. */
    key: string;
    /** ARM id of the AKS cluster: the data collection rule association's scope. */
    clusterId: pulumi.Input<string>;
    /** AKS cluster name: the `cluster` label the add-on stamps on every sample. */
    clusterName: pulumi.Input<string>;
    /** The cluster's region (names of its association). */
    location: string;
}

export interface AlertsArgs extends Pick<AzureGovernance, "tags" | "protect"> {
    resourceGroupName: pulumi.Input<string>;
    /** Region of the Azure Monitor workspace, its data collection endpoints/rules and rule groups. */
    location: string;
    namePrefix: string;
    /** E-mail receivers of the action group (config `alerts.emails`). */
    emails: readonly string[];
    /** An Argo CD application OutOfSync or Degraded this long is drift (config `alerts.driftMinutes`). */
    driftMinutes: number;
    /** ARM id of the Traffic Manager profile. */
    trafficManagerProfileId: pulumi.Input<string>;
    /**
     * What Traffic Manager probes, per region: the endpoint alert is created only once every
     * gateway has answered that probe for a whole alert window (serving-check.ts), so a first
     * deployment does not page. `after`: what must exist before probing starts (the gateways).
     */
    servingProbe: { addresses: pulumi.Input<string>[]; host: string; path: string; after: pulumi.Resource[] };
    /** Traffic Manager endpoint names to watch, one alert series each; empty watches every endpoint. */
    endpointNames: readonly pulumi.Input<string>[];
    clusters: readonly AlertsCluster[];
    /** `protect` the Azure Monitor workspace (prod): it holds the clusters' Prometheus metrics. */
    protect: boolean;
    /** Action group short name (≤ 12 characters, shown in SMS/e-mail); defaults to `<prefix>-ops`, truncated. */
    shortName?: string;
}

/** The Traffic Manager alert's evaluation window. */
export const TM_ALERT_WINDOW = "PT5M";

/** `PT5M` → 300 (minutes/hours forms only). */
export function isoSeconds(duration: string): number {
    const m = /^PT(?:(\d+)H)?(?:(\d+)M)?$/.exec(duration);
    if (!m || (!m[1] && !m[2])) throw new Error(`not a PT…H…M duration: ${duration}`);
    return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60;
}

/** `30` → `PT30M`; whole hours as `PT2H`. */
export function isoMinutes(minutes: number): string {
    if (!Number.isInteger(minutes) || minutes <= 0) throw new Error(`not a positive whole number of minutes: ${minutes}`);
    return minutes % 60 === 0 ? `PT${minutes / 60}H` : `PT${minutes}M`;
}

/** The Prometheus alert rules evaluated per cluster. Pure, so tests and docs can read them. */
export function prometheusAlertRules(driftMinutes: number): {
    alert: string;
    expression: string;
    for: string;
    severity: number;
    summary: string;
}[] {
    const drift = isoMinutes(driftMinutes);
    return [
        {
            alert: "CertificateExpiringSoon",
            expression: `certmanager_certificate_expiration_timestamp_seconds - time() < ${CERT_EXPIRY_WARNING_DAYS} * 24 * 3600`,
            for: "PT15M",
            severity: 2,
            summary: `Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in less than ${CERT_EXPIRY_WARNING_DAYS} days; cert-manager has not renewed it.`,
        },
        {
            alert: "CertificateNotReady",
            expression: `certmanager_certificate_ready_status{condition="False"} == 1`,
            for: "PT30M",
            severity: 2,
            summary: "Certificate {{ $labels.namespace }}/{{ $labels.name }} is not Ready (issuance or renewal failing).",
        },
        {
            alert: "ArgoCDAppOutOfSync",
            expression: `argocd_app_info{sync_status="OutOfSync"} == 1`,
            for: drift,
            severity: 3,
            summary: `Argo CD application {{ $labels.name }} has been OutOfSync for more than ${driftMinutes} minutes (GitOps drift).`,
        },
        {
            alert: "ArgoCDAppDegraded",
            expression: `argocd_app_info{health_status="Degraded"} == 1`,
            for: drift,
            severity: 2,
            summary: `Argo CD application {{ $labels.name }} has been Degraded for more than ${driftMinutes} minutes.`,
        },
    ];
}

function problems(args: AlertsArgs, shortName: string): string[] {
    const out: string[] = [];
    if (args.emails.length === 0) out.push("emails: at least one receiver is required");
    if (new Set(args.emails.map(e => e.toLowerCase())).size !== args.emails.length) out.push("emails: duplicate address");
    if (shortName.length === 0 || shortName.length > 12) out.push(`shortName: '${shortName}' must be 1-12 characters`);
    if (!Number.isInteger(args.driftMinutes) || args.driftMinutes <= 0)
        out.push(`driftMinutes: ${args.driftMinutes} is not a positive whole number`);
    const keys = args.clusters.map(c => c.key);
    if (new Set(keys).size !== keys.length) out.push(`clusters: duplicate key in ${keys.join(", ")}`);
    return out;
}

export class Alerts extends pulumi.ComponentResource {
    readonly actionGroupId: pulumi.Output<string>;
    readonly workspaceId: pulumi.Output<string>;
    /** PromQL endpoint of the Azure Monitor workspace (Grafana data source). */
    readonly prometheusQueryEndpoint: pulumi.Output<string>;
    readonly endpointAlertId: pulumi.Output<string>;
    /** Per cluster key. */
    readonly dataCollectionRuleIds: Record<string, pulumi.Output<string>>;
    readonly ruleGroupIds: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:azure:Alerts", name, {}, opts);
        const shortName = args.shortName ?? `${args.namePrefix}-ops`.slice(0, 12);
        const bad = problems(args, shortName);
        if (bad.length > 0) throw new Error(`Alerts ${name}: ${bad.join("; ")}`);
        const tags = args.tags;
        const parent = { parent: this };

        const actionGroup = new monitor.ActionGroup(
            `${name}-action-group`,
            {
                actionGroupName: `ag-${args.namePrefix}-platform`,
                resourceGroupName: args.resourceGroupName,
                location: "Global", // action groups are global resources
                groupShortName: shortName,
                enabled: true,
                emailReceivers: args.emails.map((email, i) => ({
                    name: `email-${i + 1}`,
                    emailAddress: email,
                    useCommonAlertSchema: true,
                })),
                tags,
            },
            parent,
        );
        const actions = [{ actionGroupId: actionGroup.id }];

        // Traffic Manager: Maximum over 5 minutes below 1 means the endpoint stayed down for the
        // whole window (the profile's own probe tolerance already absorbs single failures).
        // Created only after both regions have served the probe for that window (no page while
        // a first deployment is still building them).
        const serving = new GatewaysServing(
            `${name}-gateways-serving`,
            {
                addresses: args.servingProbe.addresses,
                host: args.servingProbe.host,
                path: args.servingProbe.path,
                sustainSeconds: isoSeconds(TM_ALERT_WINDOW),
            },
            { parent: this, dependsOn: args.servingProbe.after },
        );
        const endpointAlert = new monitor.MetricAlert(
            `${name}-tm-endpoint-degraded`,
            {
                ruleName: `${args.namePrefix}-tm-endpoint-degraded`,
                resourceGroupName: args.resourceGroupName,
                location: "global",
                description: "A Traffic Manager endpoint is Degraded: its health probe fails, so the region receives no traffic.",
                severity: 1,
                enabled: true,
                scopes: [args.trafficManagerProfileId],
                evaluationFrequency: "PT1M",
                windowSize: TM_ALERT_WINDOW,
                autoMitigate: true,
                criteria: {
                    odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                    allOf: [
                        {
                            criterionType: "StaticThresholdCriterion",
                            name: "EndpointDegraded",
                            metricName: TM_ENDPOINT_STATE_METRIC,
                            metricNamespace: TM_METRIC_NAMESPACE,
                            operator: "LessThan",
                            threshold: 1,
                            timeAggregation: "Maximum",
                            // Listing the endpoints (or "*") splits the rule into one series per endpoint.
                            dimensions: [
                                {
                                    name: TM_ENDPOINT_DIMENSION,
                                    operator: "Include",
                                    values: args.endpointNames.length > 0 ? [...args.endpointNames] : ["*"],
                                },
                            ],
                        },
                    ],
                },
                actions,
                tags,
            },
            { parent: this, dependsOn: [serving] },
        );

        const workspace = new monitor.AzureMonitorWorkspace(
            `${name}-prometheus`,
            {
                azureMonitorWorkspaceName: `amw-${args.namePrefix}`,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tags,
            },
            { parent: this, protect: args.protect },
        );

        const rules = prometheusAlertRules(args.driftMinutes);
        this.dataCollectionRuleIds = {};
        this.ruleGroupIds = {};
        for (const cluster of args.clusters) {
            // Names follow the `MSProm-<region>-<cluster>` convention of the CLI/portal onboarding,
            // with the stable cluster key instead of the (possibly generated) cluster name.
            const base = `${args.namePrefix}-${cluster.key}`;
            const dce = new monitor.DataCollectionEndpoint(
                `${name}-${cluster.key}-dce`,
                {
                    dataCollectionEndpointName: `MSProm-${args.location}-${base}`.slice(0, 44),
                    resourceGroupName: args.resourceGroupName,
                    location: args.location,
                    kind: "Linux",
                    description: `Managed Prometheus ingestion for cluster ${cluster.key}`,
                    tags,
                },
                parent,
            );
            const dcr = new monitor.DataCollectionRule(
                `${name}-${cluster.key}-dcr`,
                {
                    dataCollectionRuleName: `MSProm-${args.location}-${base}`.slice(0, 64),
                    resourceGroupName: args.resourceGroupName,
                    location: args.location,
                    kind: "Linux",
                    description: `Managed Prometheus (ama-metrics) of cluster ${cluster.key} to the platform Azure Monitor workspace`,
                    dataCollectionEndpointId: dce.id,
                    dataSources: {
                        prometheusForwarder: [{ name: "PrometheusDataSource", streams: [PROMETHEUS_STREAM], labelIncludeFilter: {} }],
                    },
                    destinations: {
                        monitoringAccounts: [{ name: WORKSPACE_DESTINATION, accountResourceId: workspace.id }],
                    },
                    dataFlows: [{ streams: [PROMETHEUS_STREAM], destinations: [WORKSPACE_DESTINATION] }],
                    tags,
                },
                parent,
            );
            new monitor.DataCollectionRuleAssociation(
                `${name}-${cluster.key}-dcra`,
                {
                    associationName: `MSProm-${cluster.location}-${base}`.slice(0, 64),
                    resourceUri: cluster.clusterId,
                    dataCollectionRuleId: dcr.id,
                    description:
                        "Association of data collection rule. Deleting this association will break the Prometheus metrics collection of this AKS cluster.",
                },
                parent,
            );

            const group = new alertsmanagement.PrometheusRuleGroup(
                `${name}-${cluster.key}-rules`,
                {
                    ruleGroupName: `${base}-platform-alerts`,
                    resourceGroupName: args.resourceGroupName,
                    location: args.location,
                    description: `Certificate expiry and GitOps drift alerts for cluster ${cluster.key}`,
                    scopes: [workspace.id],
                    clusterName: cluster.clusterName,
                    enabled: true,
                    interval: "PT1M",
                    rules: rules.map(r => ({
                        alert: r.alert,
                        expression: r.expression,
                        for: r.for,
                        severity: r.severity,
                        enabled: true,
                        labels: { cluster_key: cluster.key },
                        annotations: { summary: r.summary },
                        resolveConfiguration: { autoResolved: true, timeToResolve: "PT10M" },
                        actions,
                    })),
                    tags,
                },
                parent,
            );
            this.dataCollectionRuleIds[cluster.key] = dcr.id;
            this.ruleGroupIds[cluster.key] = group.id;
        }

        this.actionGroupId = actionGroup.id;
        this.workspaceId = workspace.id;
        this.prometheusQueryEndpoint = workspace.metrics.apply(m => m?.prometheusQueryEndpoint ?? "");
        this.endpointAlertId = endpointAlert.id;
        this.registerOutputs({
            actionGroupId: this.actionGroupId,
            workspaceId: this.workspaceId,
            prometheusQueryEndpoint: this.prometheusQueryEndpoint,
            endpointAlertId: this.endpointAlertId,
            dataCollectionRuleIds: this.dataCollectionRuleIds,
            ruleGroupIds: this.ruleGroupIds,
        });
    }
}
