// Tells the AKS managed-Prometheus add-on (ama-metrics) which in-cluster metrics to collect for
// the platform alerts (components/azure/alerts.ts): pod-annotation-based scraping, limited to the
// cert-manager and Argo CD namespaces.
//
// Why annotations and not PodMonitor/ServiceMonitor: the add-on only reads its own
// `azmonitoring.coreos.com` monitor CRDs, which it installs asynchronously once
// `azureMonitorProfile.metrics` is enabled — a custom resource in the same `pulumi up` would race
// that install, and the charts' built-in monitors (`monitoring.coreos.com`) are ignored by the
// add-on. Both charts already carry, or can set, `prometheus.io/*` pod annotations; this
// ConfigMap is the only switch needed, and its namespace regex keeps collection (and ingestion
// cost) to exactly the namespaces the alerts read.
//
// Keys and format follow the add-on's documented `ama-metrics-settings-configmap` (schema v1);
// sections left out keep the add-on's defaults.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { isDnsLabel } from "../../model/validators";
import { KUBE_SYSTEM, NAMESPACES } from "../../model/names";
import { z } from "zod";
import { checkArgs } from "../args-schema";

export const AMA_METRICS_SETTINGS_CONFIGMAP = { name: "ama-metrics-settings-configmap", namespace: KUBE_SYSTEM } as const;

/** Namespaces whose annotated pods feed the platform alerts. */
export const ALERT_METRICS_NAMESPACES: readonly string[] = [NAMESPACES.certManager, NAMESPACES.argocd];

/**
 * Ports the alerting metrics are served on that the stack annotates itself: the Argo CD
 * application controller's. cert-manager's chart annotates its own pods (values.yaml v1.21.1
 * `prometheus.enabled: true`: "'prometheus.io' annotations are added to the cert-manager …
 * Deployments"), so its port is the chart's business.
 */
export const METRICS_PORTS = { argocdApplicationController: 8082 } as const;

/** The pod annotations the add-on's pod-annotation job honours. */
export function scrapeAnnotations(port: number, path = "/metrics"): Record<string, string> {
    return { "prometheus.io/scrape": "true", "prometheus.io/port": String(port), "prometheus.io/path": path };
}

/** `podannotationnamespaceregex` value: exact namespace names, sorted (Prometheus anchors relabel regexes). */
export function namespaceRegex(namespaces: readonly string[]): string {
    return [...new Set(namespaces)].sort().join("|");
}

/** Free-form version of the settings file (the add-on keeps ≤ 10 characters); bump on a change. */
const SETTINGS_CONFIG_VERSION = "ver1";

export interface MetricsScrapingArgs {
    provider: k8s.Provider;
    /** Namespaces to scrape annotated pods in; default ALERT_METRICS_NAMESPACES. */
    namespaces?: readonly string[];
}

const NAMESPACES_SCHEMA = z
    .array(z.string().refine(isDnsLabel, { error: iss => `namespaces: '${iss.input}' is not a namespace name` }))
    .min(1, "namespaces: at least one is required");

export class MetricsScraping extends pulumi.ComponentResource {
    readonly configMap: k8s.core.v1.ConfigMap;
    /** The namespace regex the add-on applies. */
    readonly namespaceRegex: string;

    constructor(name: string, args: MetricsScrapingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:MetricsScraping", name, {}, opts);
        const namespaces = args.namespaces ?? ALERT_METRICS_NAMESPACES;
        checkArgs(NAMESPACES_SCHEMA, namespaces, `MetricsScraping ${name}`);
        this.namespaceRegex = namespaceRegex(namespaces);

        this.configMap = new k8s.core.v1.ConfigMap(
            `${name}-settings`,
            {
                metadata: {
                    name: AMA_METRICS_SETTINGS_CONFIGMAP.name,
                    namespace: AMA_METRICS_SETTINGS_CONFIGMAP.namespace,
                    labels: { "app.kubernetes.io/managed-by": "pulumi" },
                },
                data: {
                    "schema-version": "v1",
                    "config-version": SETTINGS_CONFIG_VERSION,
                    // TOML; namespace names need no escaping (DNS labels).
                    "pod-annotation-based-scraping": `podannotationnamespaceregex = "${this.namespaceRegex}"`,
                },
            },
            { parent: this, provider: args.provider },
        );

        this.registerOutputs({ namespaceRegex: this.namespaceRegex });
    }
}
