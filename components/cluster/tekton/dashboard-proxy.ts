// The Tekton dashboard (read-only, installed by the Tekton Operator into tekton-pipelines) on its
// own hostname, reachable only through oauth2-proxy with Entra ID sign-in: the dashboard has no
// authentication of its own.
//
//   client ─▶ Gateway (TLS, cert-manager certificate; SecurityPolicy: operators' networks only)
//          ─▶ HTTPRoute (tekton hostname) ─▶ oauth2-proxy  [tekton-dashboard-proxy namespace]
//          ─▶ tekton-dashboard:9097                          [tekton-pipelines namespace]
//
// The same ingress protections as Argo CD (argocd.ts): the client-CIDR SecurityPolicy on the
// route and an isolated namespace that only the Envoy proxies reach. In tekton-pipelines, a
// NetworkPolicy admits only the proxy's namespace to the dashboard pods, so nothing inside the
// cluster bypasses the sign-in either.
//
// oauth2-proxy (chart 10.7.0, app v7.15.3) uses the `entra-id` provider with the Entra workload
// identity federated token instead of a client secret (oauth2-proxy v7.15.3
// docs/docs/configuration/providers/ms_entra_id.md, "Workload Identity"), and admits only members
// of the three platform groups (`allowed_groups`, object ids from the `groups` claim). Its one
// generated secret is the cookie-encryption secret.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { mirroredRegistry, PLATFORM_IMAGES } from "../platform-images";
import * as random from "@pulumi/random";
import {
    NAMESPACES,
    SSO_SERVICE_ACCOUNTS,
    TEKTON_DASHBOARD_SERVICE,
    WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION,
    WORKLOAD_IDENTITY_POD_LABEL,
} from "../../../model/names";
import { clientAllowlistPolicySpec, normaliseClientCidrs } from "../argocd";
import { chartRelease } from "../chart";
import { gatewayRouteSpec } from "../gateway/route";
import { GATEWAY_PROXY_NAMESPACE, isolatedNamespace, NamedNetworkPolicy, namespacePeer } from "../network-policies";

/** The dashboard as the Tekton Operator installs it (tektoncd/dashboard v0.71.0 config/300-service.yaml, 300-deployment.yaml). */
export const TEKTON_DASHBOARD = {
    service: TEKTON_DASHBOARD_SERVICE.name,
    namespace: TEKTON_DASHBOARD_SERVICE.namespace,
    port: TEKTON_DASHBOARD_SERVICE.port,
    podLabels: { "app.kubernetes.io/part-of": "tekton-dashboard", "app.kubernetes.io/name": "dashboard" },
} as const;

/** oauth2-proxy (release `oauth2-proxy`: chart fullname = release name): Service, container port, pod labels. */
export const OAUTH2_PROXY = {
    service: { name: "oauth2-proxy", port: 80 },
    /** `--http-address=0.0.0.0:4180` in the chart's deployment template. */
    port: 4180,
    podLabels: { "app.kubernetes.io/name": "oauth2-proxy" },
    secret: "oauth2-proxy",
} as const;

export const TEKTON_DASHBOARD_ROUTE = "tekton-dashboard";

/** oauth2-proxy replicas: more than one, so the chart renders its PodDisruptionBudget. */
export const OAUTH2_PROXY_REPLICAS = 2;

export interface TektonDashboardProxyArgs {
    /** Kubernetes provider of the primary cluster. */
    provider: k8s.Provider;
    /** Public hostname (config `dns.tektonHostname`). */
    hostname: string;
    /** Entra v2.0 issuer. */
    issuer: pulumi.Input<string>;
    /** The dashboard's app registration client id (also the workload identity client id). */
    clientId: pulumi.Input<string>;
    /** Entra group object ids whose members may sign in (the three platform groups). */
    allowedGroups: readonly string[];
    /** Client networks the Gateway admits (as for Argo CD). */
    allowedClientCidrs: readonly string[];
    gatewayListener?: string;
    /** The Gateway API / Envoy Gateway CRDs. */
    routeDependsOn?: pulumi.Input<pulumi.Resource>[];
    /** The Tekton components (the dashboard's namespace exists once the TektonConfig is Ready). */
    dashboardDependsOn?: pulumi.Input<pulumi.Resource>[];
    /** ACR login server: the proxy's image is pulled through its quay.io cache rule. */
    acrLoginServer: pulumi.Input<string>;
}

/** oauth2-proxy's configuration file (TOML; option names from v7.15.3 pkg/apis/options). */
export function oauth2ProxyConfig(o: { hostname: string; issuer: string; allowedGroups: readonly string[] }): string {
    const str = (v: string) => JSON.stringify(v);
    const list = (v: readonly string[]) => `[${v.map(str).join(", ")}]`;
    return [
        `provider = ${str("entra-id")}`,
        `oidc_issuer_url = ${str(o.issuer)}`,
        // Client assertion from the projected ServiceAccount token: no client secret.
        "entra_id_federated_token_auth = true",
        `scope = ${str("openid profile email")}`,
        `redirect_url = ${str(`https://${o.hostname}/oauth2/callback`)}`,
        `upstreams = ${list([`http://${TEKTON_DASHBOARD.service}.${TEKTON_DASHBOARD.namespace}.svc.cluster.local:${TEKTON_DASHBOARD.port}`])}`,
        // Group membership is the gate; any e-mail domain of the tenant.
        `email_domains = ${list(["*"])}`,
        `allowed_groups = ${list([...o.allowedGroups].sort())}`,
        "cookie_secure = true",
        `cookie_samesite = ${str("lax")}`,
        "skip_provider_button = true",
        // Behind Envoy: X-Forwarded-* come from the Gateway.
        "reverse_proxy = true",
        "silence_ping_logging = true",
        "",
    ].join("\n");
}

/** Chart values (keys checked against oauth2-proxy chart 10.7.0 values.yaml, vendored in test/vendor/charts). */
export function oauth2ProxyValues(
    configFile: pulumi.Input<string>,
    clientId: pulumi.Input<string>,
    acrLoginServer: pulumi.Input<string>,
): Record<string, unknown> {
    return {
        // oauth2-proxy chart 10.7.0 templates/deployment.yaml: the image is
        // `<image.registry | global.imageRegistry | "quay.io">/<image.repository>:<tag | v+appVersion>`
        // (oauth2-proxy/manifests 2a4bdf83); the tag stays the chart's.
        image: {
            registry: mirroredRegistry(acrLoginServer, PLATFORM_IMAGES.oauth2Proxy.registry),
            repository: PLATFORM_IMAGES.oauth2Proxy.repository,
        },
        config: {
            // client-id and cookie-secret from our Secret (the chart renders its own only without
            // existingSecret: templates/secret.yaml); no client-secret key (federated token).
            existingSecret: OAUTH2_PROXY.secret,
            requiredSecretKeys: ["client-id", "cookie-secret"],
            configFile,
        },
        serviceAccount: {
            enabled: true,
            name: SSO_SERVICE_ACCOUNTS.oauth2Proxy.name,
            annotations: { [WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: clientId },
        },
        podLabels: { ...WORKLOAD_IDENTITY_POD_LABEL },
        // Two replicas (sessions live in the cookie, so any replica serves any user), so that a node
        // drain or upgrade never takes sign-in down. Chart 10.7.0 templates/poddisruptionbudget.yaml
        // L1-5 renders its PDB (values: minAvailable 1) only when replicaCount > 1: with one
        // replica there was no budget at all.
        replicaCount: OAUTH2_PROXY_REPLICAS,
        podDisruptionBudget: { enabled: true, minAvailable: 1, maxUnavailable: null },
        // No ServiceMonitor/Prometheus operator here.
        metrics: { enabled: false },
    };
}

/**
 * Proxy namespace: default-deny plus the Envoy proxies to oauth2-proxy's port. Dashboard pods (in
 * tekton-pipelines): ingress only from the proxy namespace, on the dashboard port.
 */
export function proxyNetworkPolicies(): NamedNetworkPolicy[] {
    return [
        ...isolatedNamespace(),
        [
            "allow-proxy-from-gateway",
            {
                podSelector: { matchLabels: { ...OAUTH2_PROXY.podLabels } },
                policyTypes: ["Ingress"],
                ingress: [{ from: [namespacePeer(GATEWAY_PROXY_NAMESPACE)], ports: [{ protocol: "TCP", port: OAUTH2_PROXY.port }] }],
            },
        ],
    ];
}

export function dashboardNetworkPolicy(): NamedNetworkPolicy {
    return [
        "tekton-dashboard-only-via-sso-proxy",
        {
            podSelector: { matchLabels: { ...TEKTON_DASHBOARD.podLabels } },
            policyTypes: ["Ingress"],
            ingress: [
                { from: [namespacePeer(NAMESPACES.tektonDashboardProxy)], ports: [{ protocol: "TCP", port: TEKTON_DASHBOARD.port }] },
            ],
        },
    ];
}

export class TektonDashboardProxy extends pulumi.ComponentResource {
    /** https://<hostname>: the sign-in URL. */
    readonly url: string;

    constructor(name: string, args: TektonDashboardProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:TektonDashboardProxy", name, {}, opts);
        const allowlist = normaliseClientCidrs(args.allowedClientCidrs);
        const problems = [...allowlist.problems];
        if (args.allowedGroups.length === 0) problems.push("allowedGroups is empty: nobody could sign in");
        if (problems.length) throw new Error(`TektonDashboardProxy ${name}: ${problems.join("; ")}`);
        const k8sOpts = { parent: this, provider: args.provider };
        this.url = `https://${args.hostname}`;

        const namespace = new k8s.core.v1.Namespace(
            `${name}-ns`,
            {
                metadata: {
                    name: NAMESPACES.tektonDashboardProxy,
                    labels: { "app.kubernetes.io/part-of": "platform", "pod-security.kubernetes.io/enforce": "restricted" },
                },
            },
            k8sOpts,
        );

        // oauth2-proxy wants 16, 24 or 32 bytes; 32 alphanumerics are 32 bytes.
        const cookieSecret = new random.RandomPassword(`${name}-cookie-secret`, { length: 32, special: false }, { parent: this });
        const secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: { name: OAUTH2_PROXY.secret, namespace: namespace.metadata.name },
                type: "Opaque",
                stringData: { "client-id": args.clientId, "cookie-secret": pulumi.secret(cookieSecret.result) },
            },
            k8sOpts,
        );

        const configFile = pulumi
            .output(args.issuer)
            .apply(issuer => oauth2ProxyConfig({ hostname: args.hostname, issuer, allowedGroups: args.allowedGroups }));
        const release = chartRelease(
            `${name}-release`,
            {
                chart: "oauth2Proxy",
                releaseName: "oauth2-proxy",
                namespace: namespace.metadata.name,
                values: oauth2ProxyValues(configFile, args.clientId, args.acrLoginServer),
            },
            { ...k8sOpts, dependsOn: [secret] },
        );

        const route = new k8s.apiextensions.CustomResource(
            `${name}-route`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { name: TEKTON_DASHBOARD_ROUTE, namespace: namespace.metadata.name },
                spec: gatewayRouteSpec({ hostname: args.hostname, listener: args.gatewayListener, backend: OAUTH2_PROXY.service }),
            },
            { ...k8sOpts, dependsOn: [release, ...(args.routeDependsOn ?? [])] },
        );

        new k8s.apiextensions.CustomResource(
            `${name}-client-allowlist`,
            {
                apiVersion: "gateway.envoyproxy.io/v1alpha1",
                kind: "SecurityPolicy",
                metadata: { name: `${TEKTON_DASHBOARD_ROUTE}-client-allowlist`, namespace: namespace.metadata.name },
                spec: clientAllowlistPolicySpec(TEKTON_DASHBOARD_ROUTE, allowlist.cidrs),
            },
            { ...k8sOpts, dependsOn: [route] },
        );

        for (const [id, spec] of proxyNetworkPolicies()) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${id}`,
                {
                    metadata: { name: id, namespace: namespace.metadata.name },
                    spec,
                },
                k8sOpts,
            );
        }
        const [dashId, dashSpec] = dashboardNetworkPolicy();
        new k8s.networking.v1.NetworkPolicy(
            `${name}-${dashId}`,
            {
                metadata: { name: dashId, namespace: TEKTON_DASHBOARD.namespace },
                spec: dashSpec,
            },
            { ...k8sOpts, dependsOn: args.dashboardDependsOn ?? [] },
        );

        this.registerOutputs({ url: this.url });
    }
}
