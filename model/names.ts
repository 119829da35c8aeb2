// Namespaces and ServiceAccounts that more than one part of the stack must agree on: the Azure
// layer federates identities to these subjects, the cluster components create them, Gatekeeper
// exempts the platform namespaces. One place, so the subject and the ServiceAccount cannot drift.

/** The two cluster roles. `primary` also hosts Harbor and Tekton. */
export const CLUSTER_KEYS = ["primary", "secondary"] as const;
export type ClusterKey = (typeof CLUSTER_KEYS)[number];

/** Namespaces of the platform components, per cluster. */
export const NAMESPACES = {
    envoyGateway: "envoy-gateway-system",
    gateway: "gateway",
    certManager: "cert-manager",
    externalDns: "external-dns",
    sealedSecrets: "sealed-secrets",
    gatekeeper: "gatekeeper-system",
    argocd: "argocd",
    harbor: "harbor",
    tektonOperator: "tekton-operator",
    tektonPipelines: "tekton-pipelines",
    /** oauth2-proxy in front of the Tekton dashboard (Entra sign-in). */
    tektonDashboardProxy: "tekton-dashboard-proxy",
} as const;

/**
 * The Tekton dashboard's Service as the Tekton Operator installs it (tektoncd/dashboard v0.71.0
 * config/300-service.yaml): no authentication of its own, so only oauth2-proxy may route to it
 * (components/cluster/tekton/dashboard-proxy.ts; the policy pack's `tekton-dashboard-only-via-oauth2-proxy`).
 */
export const TEKTON_DASHBOARD_SERVICE = { namespace: NAMESPACES.tektonPipelines, name: "tekton-dashboard", port: 9097 } as const;

/** Kubernetes' own namespaces: never subject to the application constraints. */
export const SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", NAMESPACES.gatekeeper] as const;

/** Where AKS runs its add-ons (the managed-Prometheus scraper ama-metrics, CoreDNS, …). */
export const KUBE_SYSTEM = "kube-system";

/** Namespaces Gatekeeper exempts: system plus platform (their charts pull pinned upstream images). */
export function exemptNamespaces(extra: readonly string[] = []): string[] {
    return [...new Set([...SYSTEM_NAMESPACES, ...Object.values(NAMESPACES), ...extra])].sort();
}

/** ServiceAccounts that authenticate to Azure with workload identity. */
export const WORKLOAD_IDENTITY_SERVICE_ACCOUNTS = {
    certManager: { namespace: NAMESPACES.certManager, name: "cert-manager" },
    externalDns: { namespace: NAMESPACES.externalDns, name: "external-dns" },
} as const;

/**
 * ServiceAccounts that sign in to their Entra app registration with a federated token instead of
 * a client secret (components/azure/entra-apps.ts federates them; the charts create them).
 */
export const SSO_SERVICE_ACCOUNTS = {
    /** argo-cd chart 10.1.1 values.yaml `server.serviceAccount.name`. */
    argocdServer: { namespace: NAMESPACES.argocd, name: "argocd-server" },
    /** oauth2-proxy chart 10.7.0: the chart fullname (release `oauth2-proxy`). */
    oauth2Proxy: { namespace: NAMESPACES.tektonDashboardProxy, name: "oauth2-proxy" },
} as const;

/**
 * Label marking the one namespace allowed to hold registry credentials; the policy pack checks
 * it names the namespace it was configured with.
 */
export const PIPELINE_NAMESPACE_LABEL = "platform.example.com/pipeline";

/** The pipeline's ServiceAccount name (its namespace comes from config: delivery.pipelineNamespace). */
export const PIPELINE_SERVICE_ACCOUNT = "pipeline";

/**
 * The ServiceAccount the manifests-PR check runs as (same namespace). Its identity holds AcrPull
 * only, federated on the primary cluster, so the check can read image signatures from ACR.
 */
export const MANIFESTS_CHECK_SERVICE_ACCOUNT = "manifests-check";

/** Workload identity federation subject for a ServiceAccount. */
export function serviceAccountSubject(namespace: string, name: string): string {
    return `system:serviceaccount:${namespace}:${name}`;
}

/** Audience Azure AD expects in federated tokens. */
export const AZURE_FEDERATION_AUDIENCE = "api://AzureADTokenExchange";

/** Label that opts a pod into the workload identity webhook; the SA carries the client-id annotation. */
export const WORKLOAD_IDENTITY_POD_LABEL = { "azure.workload.identity/use": "true" } as const;
export const WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id";
/**
 * Pod annotation: `;`-separated container names the webhook leaves without the token and Azure
 * env (Azure/azure-workload-identity v1.6.0, 04d01a2f, pkg/webhook/consts.go:17,
 * pkg/webhook/webhook.go:231-237, 360-369 getSkipContainers).
 */
export const WORKLOAD_IDENTITY_SKIP_CONTAINERS_ANNOTATION = "azure.workload.identity/skip-containers";

/** The one shared Gateway per cluster; apps and platform UIs attach HTTPRoutes to it. */
export const GATEWAY = { name: "platform", namespace: NAMESPACES.gateway, className: "envoy" } as const;

/**
 * Application namespaces labelled with this (value "true") may attach HTTPRoutes to the shared
 * listeners (the app hostname) — a contract with app teams (README, "Onboarding a service").
 */
export const GATEWAY_ROUTES_LABEL = "platform.gateway/routes";

/** cert-manager ClusterIssuers (ACME DNS-01 on the Azure DNS zone). */
export const CLUSTER_ISSUERS = { staging: "letsencrypt-staging", production: "letsencrypt-production" } as const;
