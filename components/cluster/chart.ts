// The one way this stack installs a Helm chart: pinned from model/versions.ts, a fixed release
// name (no random suffix, so re-runs show no diff), into a namespace the caller created (so
// namespace labels and ordering are explicit), through the cluster's provider.
//
// helm.v3.Release (not helm.v4.Chart) because several charts rely on Helm hooks and because a
// Release previews without contacting a cluster that does not exist yet.
//
// CRDs: a Release is a real Helm release, so a chart's `crds/` folder is installed on the first
// install only and never upgraded (Helm: "There is no support at this time for upgrading or
// deleting CRDs using Helm", helm.sh/docs/chart_best_practices/custom_resource_definitions). Every
// chart here therefore gets its CRDs another way that upgrades them with the chart version: as
// chart templates (cert-manager, Argo CD, Tekton operator), through the chart's pre-upgrade CRD
// hook (Gatekeeper), from a CRD chart rendered by Pulumi (Envoy Gateway, crdChart below), or as
// Pulumi-managed objects with the chart's crds/ skipped (Sealed Secrets). test/cluster/crds.test.ts
// holds each chart to it.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CHARTS, ChartName } from "../../model/versions";

export interface ChartReleaseArgs {
    /** Which pinned chart (key of CHARTS). */
    chart: ChartName;
    /** Helm release name; stable across runs. */
    releaseName: string;
    /** Target namespace (pass the Namespace resource's name output to order after it). */
    namespace: pulumi.Input<string>;
    /** Chart values; every key checked against the chart's values.yaml at the pinned version. */
    values: pulumi.Input<Record<string, unknown>>;
    /** Seconds Helm waits for the release to become ready. */
    timeoutSeconds?: number;
    /** Skip the chart's `crds/` folder (the caller installs and upgrades those CRDs itself). */
    skipCrds?: boolean;
}

export function chartRelease(
    name: string,
    args: ChartReleaseArgs,
    opts: pulumi.CustomResourceOptions & { provider: k8s.Provider },
): k8s.helm.v3.Release {
    const pin = CHARTS[args.chart];
    return new k8s.helm.v3.Release(
        name,
        {
            name: args.releaseName,
            chart: pin.chart,
            version: pin.version,
            repositoryOpts: pin.repo ? { repo: pin.repo } : undefined,
            namespace: args.namespace,
            createNamespace: false,
            values: args.values,
            // Roll back a failed upgrade instead of leaving a half-applied release.
            atomic: true,
            cleanupOnFail: true,
            timeout: args.timeoutSeconds ?? 600,
            ...(args.skipCrds ? { skipCrds: true } : {}),
        },
        opts,
    );
}

export interface CrdChartArgs {
    /** Which pinned chart (key of CHARTS): a chart that holds only CRDs. */
    chart: ChartName;
    /** Chart values (which CRDs to render). */
    values: Record<string, unknown>;
}

/**
 * A CRD-only chart, rendered by Pulumi (helm.v4.Chart: `helm template --include-crds`, then every
 * object is an ordinary Pulumi resource applied server-side) instead of installed as a Helm
 * release. Pulumi updates each CRD whenever the pinned version renders it differently, and no
 * Helm release Secret has to hold the CRDs (Envoy Gateway's exceed its 1 MiB limit:
 * envoyproxy/gateway#6105; its chart README @ v1.9.0 documents `helm template | kubectl apply
 * --server-side` for the same reason). pulumi/pulumi-kubernetes provider/pkg/provider/helm/v4/
 * chart.go (v4.32.0, a03ff6ba): IncludeCRDs = !SkipCrds, hooks disabled (a CRD chart has none),
 * every rendered object registered as a resource. Unlike a Release, rendering runs in the
 * provider at preview; only a CRD-only chart uses this helper.
 */
export function crdChart(
    name: string,
    args: CrdChartArgs,
    opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider },
): k8s.helm.v4.Chart {
    const pin = CHARTS[args.chart];
    return new k8s.helm.v4.Chart(
        name,
        {
            chart: pin.chart,
            version: pin.version,
            repositoryOpts: pin.repo ? { repo: pin.repo } : undefined,
            values: args.values,
            skipCrds: false,
        },
        opts,
    );
}
