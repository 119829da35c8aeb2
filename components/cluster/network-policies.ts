// NetworkPolicy building blocks shared by the platform namespaces that isolate themselves.
import * as k8s from "@pulumi/kubernetes";
import { NAMESPACES } from "../../model/names";

export type NamedNetworkPolicy = [name: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec];

/** Envoy Gateway's default deployment mode runs the proxies in the controller's namespace. */
export const GATEWAY_PROXY_NAMESPACE = NAMESPACES.envoyGateway;

/** A peer selecting one namespace by name. */
export function namespacePeer(namespace: string): k8s.types.input.networking.v1.NetworkPolicyPeer {
    // Set by the API server on every namespace and immutable: a tenant cannot relabel into it.
    return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } };
}

/** Default-deny ingress, then ingress from the namespace's own pods (its components talk to each other). */
export function isolatedNamespace(): NamedNetworkPolicy[] {
    return [
        ["default-deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] }],
        [
            "allow-same-namespace",
            {
                podSelector: {},
                policyTypes: ["Ingress"],
                // A bare podSelector peer means "any pod in this policy's namespace".
                ingress: [{ from: [{ podSelector: {} }] }],
            },
        ],
    ];
}
