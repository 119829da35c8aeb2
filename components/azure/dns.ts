// The platform's public DNS zone (cert-manager DNS-01 and ExternalDNS write to it; its name
// servers are a stack output for delegation) and the Pulumi-owned record of the shared app
// hostname: a CNAME to Traffic Manager, which is why it can never be the zone apex.
import * as pulumi from "@pulumi/pulumi";
import * as dns from "@pulumi/azure-native/dns";

export interface DnsArgs {
    zoneName: string;
    appHostname: string;
    resourceGroupName: pulumi.Input<string>;
    /** FQDN the app hostname points at (the Traffic Manager profile). */
    appTarget: pulumi.Input<string>;
    /** TTL of the app CNAME: no longer than Traffic Manager's own, or failover waits on it. */
    ttlSeconds: number;
    protect: boolean;
    tags: Record<string, string>;
}

/** `app.dev.example.com` in zone `dev.example.com` -> `app` (record names are zone-relative). */
export function relativeRecordName(hostname: string, zoneName: string): string {
    if (!hostname.endsWith(`.${zoneName}`)) throw new Error(`${hostname} is not below zone ${zoneName}`);
    return hostname.slice(0, -(zoneName.length + 1));
}

export class Dns extends pulumi.ComponentResource {
    readonly zoneId: pulumi.Output<string>;
    readonly zoneName: pulumi.Output<string>;
    readonly nameServers: pulumi.Output<string[]>;
    readonly resourceGroupName: pulumi.Output<string>;

    constructor(name: string, args: DnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:azure:Dns", name, {}, opts);
        const zone = new dns.Zone(`${name}-zone`, {
            zoneName: args.zoneName,
            resourceGroupName: args.resourceGroupName,
            location: "global",
            zoneType: "Public",
            tags: args.tags,
        }, { parent: this, protect: args.protect });
        new dns.RecordSet(`${name}-app-cname`, {
            zoneName: zone.name,
            resourceGroupName: args.resourceGroupName,
            relativeRecordSetName: relativeRecordName(args.appHostname, args.zoneName),
            recordType: "CNAME",
            ttl: args.ttlSeconds,
            cnameRecord: { cname: args.appTarget },
        }, { parent: this });
        this.zoneId = zone.id;
        this.zoneName = zone.name;
        this.nameServers = zone.nameServers.apply(ns => [...(ns ?? [])]);
        this.resourceGroupName = pulumi.output(args.resourceGroupName);
        this.registerOutputs({ zoneId: this.zoneId, nameServers: this.nameServers });
    }
}
