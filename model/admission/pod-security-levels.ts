// The Pod Security Standards level each platform namespace runs at: the strictest its components
// allow at the chart values this stack sets. The label is Kubernetes' Pod Security Admission label,
// so the built-in admission enforces it and Gatekeeper's restricted constraint, which selects the
// same label (gatekeeper-policies.ts RESTRICTED_NAMESPACE_LABEL), does too. Gatekeeper's baseline
// constraint binds every namespace but Kubernetes' own whatever the label says. README, security
// table, says the same.
import { NAMESPACES } from "../names";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";
export const POD_SECURITY_ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";

/**
 * Restricted where the chart's defaults set what restricted asks of every pod and container
 * (runAsNonRoot, seccomp RuntimeDefault, allowPrivilegeEscalation false, drop ALL), checked against
 * the pinned values.yaml; baseline where they do not, or where that was not verified:
 * - cert-manager v1.21.1 values.yaml: securityContext (runAsNonRoot, seccompProfile RuntimeDefault)
 *   and containerSecurityContext (allowPrivilegeEscalation false, drop ALL) for the controller,
 *   webhook, cainjector and startupapicheck;
 * - external-dns chart 1.21.1 values.yaml: podSecurityContext (runAsNonRoot, seccompProfile
 *   RuntimeDefault), securityContext (allowPrivilegeEscalation false, runAsNonRoot, drop ALL);
 * - sealed-secrets chart 2.18.5 values.yaml: containerSecurityContext sets neither
 *   allowPrivilegeEscalation nor a seccomp profile, so baseline;
 * - Argo CD (incl. the HA redis-ha subchart in prod), Harbor, Envoy Gateway and its data plane
 *   (gateway namespace), Tekton: not verified against their rendered manifests, so baseline.
 * Gatekeeper's own namespace is restricted (and, as a system namespace, outside the constraints).
 * The Tekton Operator creates tekton-pipelines itself; the pipeline namespace is labelled in
 * pipeline.ts (privileged for Kubernetes' admission, Gatekeeper baseline minus seccomp/AppArmor).
 */
export const PLATFORM_POD_SECURITY = {
    [NAMESPACES.envoyGateway]: "baseline",
    [NAMESPACES.gateway]: "baseline",
    [NAMESPACES.certManager]: "restricted",
    [NAMESPACES.externalDns]: "restricted",
    [NAMESPACES.sealedSecrets]: "baseline",
    [NAMESPACES.gatekeeper]: "restricted",
    [NAMESPACES.argocd]: "baseline",
    [NAMESPACES.harbor]: "baseline",
    [NAMESPACES.tektonOperator]: "baseline",
} as const satisfies Partial<Record<(typeof NAMESPACES)[keyof typeof NAMESPACES], PodSecurityLevel>>;

export type PlatformNamespace = keyof typeof PLATFORM_POD_SECURITY;

/** The labels that put a platform namespace at its level. */
export function podSecurityLabels(namespace: PlatformNamespace): Record<string, string> {
    return { [POD_SECURITY_ENFORCE_LABEL]: PLATFORM_POD_SECURITY[namespace] };
}
