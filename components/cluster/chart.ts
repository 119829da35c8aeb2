// The one way this stack installs a Helm chart: pinned from infra/versions.ts, a fixed release
// name (no random suffix, so re-runs show no diff), into a namespace the caller created (so
// namespace labels and ordering are explicit), through the cluster's provider.
//
// helm.v3.Release (not helm.v4.Chart) because several charts rely on Helm hooks and because a
// Release previews without contacting a cluster that does not exist yet.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CHARTS, ChartName } from "../../infra/versions";

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
}

export function chartRelease(
    name: string,
    args: ChartReleaseArgs,
    opts: pulumi.CustomResourceOptions & { provider: k8s.Provider },
): k8s.helm.v3.Release {
    const pin = CHARTS[args.chart];
    return new k8s.helm.v3.Release(name, {
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
    }, opts);
}
