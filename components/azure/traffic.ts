// Traffic Manager in front of both regions. Endpoints are AzureEndpoints targeting each
// region's static gateway IP (their location is implied by the target, so Performance routing
// needs no endpointLocation). The health probe is HTTPS on the health path WITH a Host header:
// without it the gateway does not route the probe and both endpoints show Degraded.
import * as pulumi from "@pulumi/pulumi";
import * as trafficmanager from "@pulumi/azure-native/trafficmanager";
import { CLUSTER_KEYS, ClusterKey, PlatformConfig } from "../../infra/config";

type TrafficConfig = PlatformConfig["traffic"];

export interface TrafficArgs {
    /** Globally unique label: `<relativeName>.trafficmanager.net`. */
    relativeName: string;
    resourceGroupName: pulumi.Input<string>;
    traffic: TrafficConfig;
    /** Host header the probe sends (the shared app hostname the gateway serves). */
    probeHost: string;
    /** Per region, the public IP resource id the endpoint targets. */
    targets: Record<ClusterKey, pulumi.Input<string>>;
    tags: Record<string, string>;
}

/** Probe timing: 30 s interval, 10 s timeout, 3 tolerated failures (about 90 s to fail over). */
export const PROBE = { intervalInSeconds: 30, timeoutInSeconds: 10, toleratedNumberOfFailures: 3 } as const;

/** Routing-specific endpoint properties for one region. */
export function endpointRouting(t: TrafficConfig, key: ClusterKey): { priority?: number; weight?: number; geoMapping?: string[] } {
    switch (t.routingMethod) {
        case "Priority": return { priority: t.priorities![key] };
        case "Weighted": return { weight: t.weights![key] };
        case "Geographic": return { geoMapping: [...t.geoMappings![key]] };
        default: return {};
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
        const t = args.traffic;
        const profile = new trafficmanager.Profile(`${name}-profile`, {
            profileName: args.relativeName,
            resourceGroupName: args.resourceGroupName,
            location: "global",
            profileStatus: "Enabled",
            trafficRoutingMethod: t.routingMethod,
            dnsConfig: { relativeName: args.relativeName, ttl: t.ttlSeconds },
            monitorConfig: {
                protocol: "HTTPS",
                port: 443,
                path: t.healthPath,
                customHeaders: [{ name: "Host", value: args.probeHost }],
                expectedStatusCodeRanges: [{ min: 200, max: 299 }],
                ...PROBE,
            },
            trafficViewEnrollmentStatus: "Disabled",
            tags: args.tags,
        }, { parent: this });
        let previous: pulumi.Resource | undefined;
        for (const key of CLUSTER_KEYS) {
            // One after another: both are writes under the same profile; serialising costs seconds
            // and rules out concurrent-modification conflicts on it.
            previous = new trafficmanager.Endpoint(`${name}-${key}`, {
                endpointName: key,
                profileName: profile.name.apply(n => n!),
                resourceGroupName: args.resourceGroupName,
                endpointType: "AzureEndpoints",
                targetResourceId: args.targets[key],
                endpointStatus: "Enabled",
                ...endpointRouting(t, key),
            }, { parent: this, dependsOn: previous ? [previous] : [] });
        }
        this.profileName = profile.name.apply(n => n!);
        this.profileId = profile.id;
        this.fqdn = profile.dnsConfig.apply(d => d!.fqdn!);
        this.registerOutputs({ fqdn: this.fqdn });
    }
}
