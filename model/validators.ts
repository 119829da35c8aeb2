// Small, dependency-free predicates used by the config schema. Kept apart from the schema so
// they can be unit-tested on their own and reused by the policy pack and tools.
import * as net from "net";

/** Azure public-cloud regions (programmatic names) that offer AKS, ACR and Traffic Manager endpoints. */
export const AZURE_REGIONS: readonly string[] = [
    "australiacentral",
    "australiaeast",
    "australiasoutheast",
    "austriaeast",
    "belgiumcentral",
    "brazilsouth",
    "brazilsoutheast",
    "canadacentral",
    "canadaeast",
    "centralindia",
    "centralus",
    "chilecentral",
    "denmarkeast",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "francesouth",
    "germanynorth",
    "germanywestcentral",
    "indonesiacentral",
    "israelcentral",
    "italynorth",
    "japaneast",
    "japanwest",
    "koreacentral",
    "koreasouth",
    "malaysiawest",
    "mexicocentral",
    "newzealandnorth",
    "northcentralus",
    "northeurope",
    "norwayeast",
    "norwaywest",
    "polandcentral",
    "qatarcentral",
    "southafricanorth",
    "southafricawest",
    "southcentralus",
    "southeastasia",
    "southindia",
    "spaincentral",
    "swedencentral",
    "switzerlandnorth",
    "switzerlandwest",
    "uaecentral",
    "uaenorth",
    "uksouth",
    "ukwest",
    "westcentralus",
    "westeurope",
    "westindia",
    "westus",
    "westus2",
    "westus3",
];

/** The platform's short name prefix (config `namePrefix`): 2-12 lower-case letters and digits, starting with a letter. */
export const NAME_PREFIX_PATTERN = /^[a-z][a-z0-9]{1,11}$/;

/** An IPv4 CIDR such as `10.10.0.0/16`, with no host bits set. */
export function isIpv4Cidr(value: string): boolean {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(value);
    if (!m || !net.isIPv4(m[1])) return false;
    const prefix = Number(m[2]);
    if (prefix > 32) return false;
    const hostMask = prefix === 32 ? 0 : 0xffffffff >>> prefix;
    return (ipv4ToInt(m[1]) & hostMask) === 0;
}

/** An IPv4 address or IPv4 CIDR, the forms AKS accepts for API server authorized ranges. */
export function isIpv4AddressOrCidr(value: string): boolean {
    return net.isIPv4(value) || isIpv4Cidr(value);
}

export function ipv4ToInt(ip: string): number {
    return ip.split(".").reduce((acc, octet) => ((acc << 8) + Number(octet)) >>> 0, 0);
}

/** True when two valid IPv4 CIDRs share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
    const range = (cidr: string): [number, number] => {
        const [ip, bits] = cidr.split("/");
        const start = ipv4ToInt(ip);
        const size = 2 ** (32 - Number(bits));
        return [start, start + size - 1];
    };
    const [aStart, aEnd] = range(a);
    const [bStart, bEnd] = range(b);
    return aStart <= bEnd && bStart <= aEnd;
}

/**
 * A fully qualified DNS name (the one hostname check of the stack: config, Gateway listeners,
 * ExternalDNS exclusions): lower-case labels of 1-63 characters, at least two labels, no trailing dot.
 */
export function isDnsName(value: string): boolean {
    if (value.length > 253) return false;
    const labels = value.split(".");
    return labels.length >= 2 && labels.every(l => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l));
}

/** True when `host` is strictly below `zone` (not the zone apex itself). */
export function isBelowZone(host: string, zone: string): boolean {
    return host.endsWith(`.${zone}`) && host.length > zone.length + 1;
}

/** A Kubernetes namespace or other DNS-1123 label. */
export function isDnsLabel(value: string): boolean {
    return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(value);
}

/**
 * An e-mail address (the one e-mail check of the stack: config, cert-manager's ACME account):
 * zod's own e-mail pattern (zod 4.6.7 v4/core/regexes.js `email`, the one
 * `z.string().email()` used before; test/model/validators.test.ts holds them equal); kept as a plain predicate so model/ needs no zod.
 */
export const EMAIL_PATTERN = /^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$/;

export function isEmail(value: string): boolean {
    return EMAIL_PATTERN.test(value);
}

export function isUuid(value: string): boolean {
    return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
