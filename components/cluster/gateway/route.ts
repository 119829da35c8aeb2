// The one builder of an HTTPRoute spec on the shared Gateway (model/names.ts GATEWAY), so the
// parentRef and the route shape cannot drift between the components that expose something
// (Argo CD, Harbor, the webhook path).
import { GATEWAY } from "../../../model/names";

export interface GatewayRouteOptions {
    /** The hostname the route serves (must match a listener's hostname). */
    hostname: string;
    /** Gateway listener (sectionName) to attach to; default: every listener that admits the route. */
    listener?: string;
    /** The Service the route forwards to, in the route's namespace. */
    backend: { name: string; port: number };
    /** Path prefix the route matches; default "/". */
    pathPrefix?: string;
    /** Gateway API rule timeouts (e.g. `{ request: "0s" }` disables the request timeout). */
    timeouts?: { request?: string; backendRequest?: string };
    /** Rule filters (e.g. a URLRewrite). */
    filters?: Record<string, unknown>[];
    /** Gateway to attach to; default the shared one (GATEWAY). */
    gateway?: { name: string; namespace: string };
}

/** HTTPRoute `spec`: one parentRef (the shared Gateway), one hostname, one PathPrefix rule to one Service. */
export function gatewayRouteSpec(o: GatewayRouteOptions): Record<string, unknown> {
    const gateway = o.gateway ?? GATEWAY;
    return {
        parentRefs: [
            {
                group: "gateway.networking.k8s.io",
                kind: "Gateway",
                name: gateway.name,
                namespace: gateway.namespace,
                ...(o.listener ? { sectionName: o.listener } : {}),
            },
        ],
        hostnames: [o.hostname],
        rules: [
            {
                matches: [{ path: { type: "PathPrefix", value: o.pathPrefix ?? "/" } }],
                ...(o.filters ? { filters: o.filters } : {}),
                // `group` left out: the core API group ("") is the CRD's default.
                backendRefs: [{ kind: "Service", name: o.backend.name, port: o.backend.port }],
                ...(o.timeouts ? { timeouts: o.timeouts } : {}),
            },
        ],
    };
}
