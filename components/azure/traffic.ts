// Traffic Manager in front of both regions. Endpoints are AzureEndpoints targeting each
// region's static gateway IP (their location is implied by the target, so Performance routing
// needs no endpointLocation). The health probe is HTTPS on the health path WITH a Host header:
// without it the gateway does not route the probe and both endpoints show Degraded.
import * as pulumi from "@pulumi/pulumi";
import * as trafficmanager from "@pulumi/azure-native/trafficmanager";
import { CLUSTER_KEYS, ClusterKey } from "../../model/names";
import { AzureGovernance } from "./governance";

/**
 * How Traffic Manager picks a region; each method carries only the settings it uses.
 * - Performance: the region with the lowest latency to the client (no settings).
 * - Priority: the lowest-numbered healthy region (1–1000, distinct): active/passive.
 * - Weighted: regions in proportion to their weights (1–1000).
 * - Geographic: by the client's location; each region serves its list of geographic codes.
 */
export type TrafficRouting =
    | { method: "Performance" }
    | { method: "Priority"; priorities: Readonly<Record<ClusterKey, number>> }
    | { method: "Weighted"; weights: Readonly<Record<ClusterKey, number>> }
    | { method: "Geographic"; geoMappings: Readonly<Record<ClusterKey, readonly string[]>> };

export interface TrafficArgs extends Pick<AzureGovernance, "tags"> {
    /** Globally unique label: `<relativeName>.trafficmanager.net`. */
    relativeName: string;
    resourceGroupName: pulumi.Input<string>;
    routing: TrafficRouting;
    /** Path the probe requests (HTTPS, port 443); each region's gateway answers it. */
    healthPath: string;
    /** DNS TTL of the profile, in seconds. */
    ttlSeconds: number;
    /** Host header the probe sends (the shared app hostname the gateway serves). */
    probeHost: string;
    /** Per region, the public IP resource id the endpoint targets. */
    targets: Record<ClusterKey, pulumi.Input<string>>;
}

/** Probe timing: 30 s interval, 10 s timeout, 3 tolerated failures (about 90 s to fail over). */
export const PROBE = { intervalInSeconds: 30, timeoutInSeconds: 10, toleratedNumberOfFailures: 3 } as const;

/** Routing-specific endpoint properties for one region. */
export function endpointRouting(routing: TrafficRouting, key: ClusterKey): { priority?: number; weight?: number; geoMapping?: string[] } {
    switch (routing.method) {
        case "Priority":
            return { priority: routing.priorities[key] };
        case "Weighted":
            return { weight: routing.weights[key] };
        case "Geographic":
            return { geoMapping: [...routing.geoMappings[key]] };
        case "Performance":
            return {};
    }
}

export class Traffic extends pulumi.ComponentResource {
    readonly fqdn: pulumi.Output<string>;
    readonly profileName: pulumi.Output<string>;
    readonly profileId: pulumi.Output<string>;
    /** Endpoint names, one per cluster key (the dimension the endpoint alerts split on). */
    readonly endpointNames: string[] = [...CLUSTER_KEYS];

    constructor(name: string, args: TrafficArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:azure:Traffic", name, {}, opts);
        const profile = new trafficmanager.Profile(
            `${name}-profile`,
            {
                profileName: args.relativeName,
                resourceGroupName: args.resourceGroupName,
                location: "global",
                profileStatus: "Enabled",
                trafficRoutingMethod: args.routing.method,
                dnsConfig: { relativeName: args.relativeName, ttl: args.ttlSeconds },
                monitorConfig: {
                    protocol: "HTTPS",
                    port: 443,
                    path: args.healthPath,
                    customHeaders: [{ name: "Host", value: args.probeHost }],
                    expectedStatusCodeRanges: [{ min: 200, max: 299 }],
                    ...PROBE,
                },
                trafficViewEnrollmentStatus: "Disabled",
                tags: args.tags,
            },
            { parent: this },
        );
        let previous: pulumi.Resource | undefined;
        for (const key of CLUSTER_KEYS) {
            // One after another: both are writes under the same profile; serialising costs seconds
            // and rules out concurrent-modification conflicts on it.
            previous = new trafficmanager.Endpoint(
                `${name}-${key}`,
                {
                    endpointName: key,
                    profileName: profile.name.apply(n => n!),
                    resourceGroupName: args.resourceGroupName,
                    endpointType: "AzureEndpoints",
                    targetResourceId: args.targets[key],
                    endpointStatus: "Enabled",
                    ...endpointRouting(args.routing, key),
                },
                { parent: this, dependsOn: previous ? [previous] : [] },
            );
        }
        this.profileName = profile.name.apply(n => n!);
        this.profileId = profile.id;
        this.fqdn = profile.dnsConfig.apply(d => d!.fqdn!);
        this.registerOutputs({ fqdn: this.fqdn });
    }
}
