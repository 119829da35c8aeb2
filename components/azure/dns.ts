// The platform's public DNS zone (cert-manager DNS-01 and ExternalDNS write to it; its name
// servers are a stack output for delegation) and the Pulumi-owned record of the shared app
// hostname: a CNAME to Traffic Manager, which is why it can never be the zone apex.
import * as pulumi from "@pulumi/pulumi";
import * as dns from "@pulumi/azure-native/dns";
import * as authorization from "@pulumi/azure-native/authorization";
import { AzureGovernance } from "./governance";

/**
 * `lock`: a CanNotDelete lock on the zone's SOA record set: the zone cannot be deleted (ARM would
 * have to delete the locked SOA with it) while every other record set stays freely writable and
 * deletable. Never a lock on the zone or its group: locks are inherited by record sets.
 */
export interface DnsArgs extends AzureGovernance {
    zoneName: string;
    appHostname: string;
    resourceGroupName: pulumi.Input<string>;
    /** FQDN the app hostname points at (the Traffic Manager profile). */
    appTarget: pulumi.Input<string>;
    /** TTL of the app CNAME: no longer than Traffic Manager's own, or failover waits on it. */
    ttlSeconds: number;
}

/** Name of the SOA record set: the zone apex. Azure creates it with the zone; it cannot be deleted alone. */
export const SOA_RECORD_SET = "@";

/** ARM id of a zone's SOA record set (`<zone id>/SOA/@`), the scope of the zone's deletion lock. */
export function soaRecordSetId(zoneId: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.interpolate`${zoneId}/SOA/${SOA_RECORD_SET}`;
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
        const zone = new dns.Zone(
            `${name}-zone`,
            {
                zoneName: args.zoneName,
                resourceGroupName: args.resourceGroupName,
                location: "global",
                zoneType: "Public",
                tags: args.tags,
            },
            { parent: this, protect: args.protect },
        );
        if (args.lock) {
            // Azure DNS, "How to protect DNS zones and records": lock the SOA record set rather
            // than the zone, so DNS-01 challenge cleanup and ExternalDNS deletions keep working.
            new authorization.ManagementLockByScope(
                `${name}-zone-lock`,
                {
                    scope: soaRecordSetId(zone.id),
                    lockName: "do-not-delete-zone",
                    level: "CanNotDelete",
                    notes: "Prevents deleting the platform DNS zone (it cannot be deleted without its SOA record set); record sets stay writable. Managed by Pulumi (protectStatefulResources).",
                },
                { parent: this },
            );
        }
        new dns.RecordSet(
            `${name}-app-cname`,
            {
                zoneName: zone.name,
                resourceGroupName: args.resourceGroupName,
                relativeRecordSetName: relativeRecordName(args.appHostname, args.zoneName),
                recordType: "CNAME",
                ttl: args.ttlSeconds,
                cnameRecord: { cname: args.appTarget },
            },
            { parent: this },
        );
        this.zoneId = zone.id;
        this.zoneName = zone.name;
        this.nameServers = zone.nameServers.apply(ns => [...(ns ?? [])]);
        this.resourceGroupName = pulumi.output(args.resourceGroupName);
        this.registerOutputs({ zoneId: this.zoneId, nameServers: this.nameServers });
    }
}
