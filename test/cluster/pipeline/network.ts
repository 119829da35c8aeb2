// Kubernetes NetworkPolicy egress semantics for a pod talking to an address outside the cluster
// (networking.k8s.io/v1; kubernetes/api networking/v1/types.go and the NetworkPolicy concept page):
// a pod selected by no Egress policy may send anywhere; a selected pod only where some rule of
// some selecting policy allows. A rule without `to` allows every destination, an ipBlock allows
// its CIDR minus `except`; a rule without `ports` allows every port (protocol defaults to TCP).
// Namespace/pod peers never match an address outside the cluster.
type Obj = Record<string, any>;

export function selects(selector: Obj, labels: Record<string, string>): boolean {
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of (selector.matchExpressions ?? []) as Obj[]) {
        const has = e.key in labels;
        switch (e.operator) {
            case "In":
                if (!has || !e.values.includes(labels[e.key])) return false;
                break;
            case "NotIn":
                if (has && e.values.includes(labels[e.key])) return false;
                break;
            case "Exists":
                if (!has) return false;
                break;
            case "DoesNotExist":
                if (has) return false;
                break;
            default:
                throw new Error(`operator ${e.operator}`);
        }
    }
    return true;
}

function ipv4(a: string): number {
    const parts = a.split(".").map(Number);
    if (parts.length !== 4 || parts.some(p => !(p >= 0 && p <= 255))) throw new Error(`not IPv4: ${a}`);
    return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function inCidr(ip: string, cidr: string): boolean {
    const [base, bits] = cidr.split("/");
    const n = Number(bits);
    const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
    return (ipv4(ip) & mask) === (ipv4(base) & mask);
}

/** May a pod with `labels` open TCP/`port` to the external address `ip` under these policy specs? */
export function egressAllowed(specs: Obj[], labels: Record<string, string>, ip: string, port: number, protocol = "TCP"): boolean {
    const selecting = specs.filter(s => (s.policyTypes ?? []).includes("Egress") && selects(s.podSelector ?? {}, labels));
    if (selecting.length === 0) return true;
    return selecting.some(s =>
        ((s.egress ?? []) as Obj[]).some(rule => {
            const portOk =
                !rule.ports ||
                rule.ports.length === 0 ||
                (rule.ports as Obj[]).some(
                    p =>
                        (p.protocol ?? "TCP") === protocol &&
                        (p.port === undefined || (p.endPort !== undefined ? port >= p.port && port <= p.endPort : p.port === port)),
                );
            const peerOk =
                !rule.to ||
                rule.to.length === 0 ||
                (rule.to as Obj[]).some(
                    peer =>
                        peer.ipBlock && inCidr(ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((x: string) => inCidr(ip, x)),
                );
            return portOk && peerOk;
        }),
    );
}
