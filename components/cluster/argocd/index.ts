// Argo CD in one cluster (pull model: the manifests repo's read-only token is the only credential
// it gets, and nothing outside the cluster can push into it).
//
// Projects:
//   platform-root  the root app-of-apps: the manifests repo, only `Application` objects, only in
//                  the Argo CD namespace, nothing cluster-scoped.
//   apps           applications: the manifests repo, any namespace except the system/platform
//                  ones (deny destinations, `!ns`), namespaced kinds plus `Namespace` (for
//                  CreateNamespace), sync windows per environment.
//   default        Argo CD creates it, fully open, at startup; patched here (server-side apply,
//                  forced) to allow nothing, so no Application can escape into it.
//
// Served through the shared Gateway: TLS ends there, so argocd-server runs with
// `server.insecure` and the UI/CLI use HTTPS + gRPC-web. Only the operators' networks reach it:
// an Envoy Gateway SecurityPolicy on the route denies every other client IP (the Gateway's
// Service has externalTrafficPolicy Local, so Envoy sees the real client address).
//
// Network: ingress to the namespace is denied except between Argo CD's own pods, from the Envoy
// proxies to argocd-server, and from kube-system (the managed-Prometheus scraper) to the
// application controller's metrics port. Egress stays open (git, Helm repositories).
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { KUBE_SYSTEM, NAMESPACES } from "../../../model/names";
import { isIpv4Cidr } from "../../../model/validators";
import { chartRelease } from "../chart";
import { mirrored, PLATFORM_IMAGES } from "../platform-images";
import { gatewayRouteSpec } from "../gateway/route";
import { GATEWAY_PROXY_NAMESPACE, isolatedNamespace, NamedNetworkPolicy, namespacePeer } from "../network-policies";
import { METRICS_PORTS, scrapeAnnotations } from "../metrics-scraping";
import { ArgoCdSso, argoCdSsoValues, mergeValues } from "./sso";
import { podSecurityLabels } from "../../../model/admission/pod-security-levels";
import { z } from "zod";
import { problemsOf } from "../../args-schema";

/** The in-cluster API server as Argo CD names it. */
export const IN_CLUSTER = "https://kubernetes.default.svc";
export const ROOT_PROJECT = "platform-root";
export const APPS_PROJECT = "apps";
/** argocd-server's Service (release `argocd`, chart fullname `argocd`) and its HTTP port. */
export const ARGOCD_SERVER_SERVICE = { name: "argocd-server", port: 80 } as const;
/** The HTTPRoute's name (the SecurityPolicy targets it). */
export const ARGOCD_ROUTE = "argocd-server";
/** Pod labels (`app.kubernetes.io/name`: nameOverride `argocd` + component name) and container ports, chart 10.1.1. */
export const ARGOCD_PODS = {
    server: { labels: { "app.kubernetes.io/name": "argocd-server" }, port: 8080 },
    applicationController: {
        labels: { "app.kubernetes.io/name": "argocd-application-controller" },
        port: METRICS_PORTS.argocdApplicationController,
    },
} as const;
/** Where the AKS managed-Prometheus add-on (ama-metrics) runs. */
export const METRICS_SCRAPER_NAMESPACE = KUBE_SYSTEM;

export interface SyncWindow {
    kind: "allow" | "deny";
    /** Five-field cron (UTC). */
    schedule: string;
    /** e.g. 10h, 30m */
    duration: string;
    manualSync: boolean;
}

export interface ArgoCdArgs {
    provider: k8s.Provider;
    /** Which cluster (names the root Application). */
    clusterKey: string;
    /** This cluster's Argo CD hostname (config `dns.argocdHostnames[key]`). */
    hostname: string;
    /** Manifests repository (config `delivery.manifestsRepoUrl`). */
    manifestsRepoUrl: string;
    /** Branch the root Application tracks (config `delivery.branch`). */
    branch: string;
    /** This region's path in the manifests repo (config `delivery.manifestsPaths[key]`). */
    path: string;
    /** Read-only token for the manifests repo (config secret `gitReadToken`). */
    repoReadToken: pulumi.Output<string>;
    /** HA mode (config `delivery.argocdHa`): redis-ha and several replicas; needs >= 3 nodes. */
    ha: boolean;
    /** Sync windows of the `apps` project (config `delivery.syncWindows`). */
    syncWindows: readonly SyncWindow[];
    /**
     * Namespaces applications may never deploy to: system + platform (names.exemptNamespaces())
     * plus the pipeline namespace, which alone holds registry credentials.
     */
    exemptNamespaces: readonly string[];
    /** Gateway listener (sectionName) to attach to; default: every listener that admits the route. */
    gatewayListener?: string;
    /**
     * Client networks allowed to reach the UI/API through the Gateway (IPv4 addresses or CIDRs;
     * the operators' networks, e.g. `kubernetes.authorizedIpRanges`). Every other client gets 403.
     * An empty list is an error: exposing Argo CD to the whole internet must not happen by accident.
     */
    allowedClientCidrs: readonly string[];
    /** Sign-in with Entra ID (argocd-sso.ts): OIDC, group RBAC, local admin disabled. */
    sso: ArgoCdSso;
    /** What the HTTPRoute and its SecurityPolicy need first: the Gateway API and Envoy Gateway CRDs. */
    routeDependsOn?: pulumi.Input<pulumi.Resource>[];
    /**
     * What must exist before the root Application syncs any application: the guard rails
     * (Gatekeeper's constraints). The chart itself installs without waiting for them.
     */
    applicationsDependOn?: pulumi.Input<pulumi.Resource>[];
    /** ACR login server: every image is pulled through its cache rules. */
    acrLoginServer: pulumi.Input<string>;
}

/** `allowedClientCidrs` as the SecurityPolicy wants them (a bare address becomes /32), or the problems. */
export function normaliseClientCidrs(cidrs: readonly string[]): { cidrs: string[]; problems: string[] } {
    const problems = problemsOf(CLIENT_CIDRS_SCHEMA, cidrs);
    const out = [...new Set(cidrs.map(asCidr).filter(c => isIpv4Cidr(c) && !c.endsWith("/0")))];
    return { cidrs: out, problems };
}

/** A bare address is its /32. */
const asCidr = (c: string) => (net.isIPv4(c) ? `${c}/32` : c);

const CLIENT_CIDRS_SCHEMA = z
    .array(
        z
            .string()
            .refine(c => isIpv4Cidr(asCidr(c)), {
                error: iss => `allowedClientCidrs: '${iss.input}' is not an IPv4 address or CIDR (without host bits)`,
                abort: true,
            })
            .refine(c => !asCidr(c).endsWith("/0"), { error: iss => `allowedClientCidrs: '${iss.input}' allows every client` }),
    )
    .min(1, "allowedClientCidrs is empty: the UI would be open to every client on the internet; list the operators' networks");

export class ArgoCd extends pulumi.ComponentResource {
    readonly namespace: k8s.core.v1.Namespace;
    readonly release: k8s.helm.v3.Release;
    readonly url: string;

    constructor(name: string, args: ArgoCdArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:ArgoCd", name, {}, opts);
        // Validated before any child is registered.
        const allowlist = normaliseClientCidrs(args.allowedClientCidrs);
        if (allowlist.problems.length) throw new Error(`ArgoCd ${name}: ${allowlist.problems.join("; ")}`);
        const k8sOpts = { parent: this, provider: args.provider };
        const ns = NAMESPACES.argocd;
        this.url = `https://${args.hostname}`;

        this.namespace = new k8s.core.v1.Namespace(
            `${name}-ns`,
            {
                metadata: { name: ns, labels: { "app.kubernetes.io/part-of": "platform", ...podSecurityLabels(ns) } },
            },
            k8sOpts,
        );

        // Repository credentials, picked up by label; read-only token, HTTPS.
        const repoSecret = new k8s.core.v1.Secret(
            `${name}-manifests-repo`,
            {
                metadata: {
                    name: "manifests-repo",
                    namespace: this.namespace.metadata.name,
                    labels: { "argocd.argoproj.io/secret-type": "repository" },
                },
                type: "Opaque",
                stringData: {
                    type: "git",
                    url: args.manifestsRepoUrl,
                    // GitHub accepts any username with a token; this one also works for app tokens.
                    username: "x-access-token",
                    password: pulumi.secret(args.repoReadToken),
                },
            },
            k8sOpts,
        );

        this.release = chartRelease(
            `${name}-release`,
            {
                chart: "argocd",
                releaseName: "argocd",
                namespace: this.namespace.metadata.name,
                values: mergeValues(argoCdValues(args.hostname, args.ha, args.acrLoginServer), argoCdSsoValues(args.sso)),
                timeoutSeconds: 900,
            },
            k8sOpts,
        );

        // Custom resources wait for the chart's CRDs.
        const crOpts = { ...k8sOpts, dependsOn: [this.release] };

        const route = new k8s.apiextensions.CustomResource(
            `${name}-route`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { name: ARGOCD_ROUTE, namespace: this.namespace.metadata.name },
                spec: gatewayRouteSpec({
                    hostname: args.hostname,
                    listener: args.gatewayListener,
                    backend: ARGOCD_SERVER_SERVICE,
                    timeouts: { ...ARGOCD_ROUTE_TIMEOUTS },
                }),
            },
            { ...k8sOpts, dependsOn: [this.release, ...(args.routeDependsOn ?? [])] },
        );

        // Envoy Gateway's CRDs come with the gateway chart, which the route waits for.
        new k8s.apiextensions.CustomResource(
            `${name}-client-allowlist`,
            {
                apiVersion: "gateway.envoyproxy.io/v1alpha1",
                kind: "SecurityPolicy",
                metadata: { name: `${ARGOCD_ROUTE}-client-allowlist`, namespace: this.namespace.metadata.name },
                spec: clientAllowlistPolicySpec(ARGOCD_ROUTE, allowlist.cidrs),
            },
            { ...k8sOpts, dependsOn: [route] },
        );

        for (const [id, spec] of argoCdNetworkPolicies()) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${id}`,
                {
                    metadata: { name: id, namespace: this.namespace.metadata.name },
                    spec,
                },
                k8sOpts,
            );
        }

        const rootProject = new k8s.apiextensions.CustomResource(
            `${name}-project-root`,
            {
                apiVersion: "argoproj.io/v1alpha1",
                kind: "AppProject",
                metadata: { name: ROOT_PROJECT, namespace: this.namespace.metadata.name },
                spec: rootProjectSpec(args.manifestsRepoUrl),
            },
            crOpts,
        );

        const appsProject = new k8s.apiextensions.CustomResource(
            `${name}-project-apps`,
            {
                apiVersion: "argoproj.io/v1alpha1",
                kind: "AppProject",
                metadata: { name: APPS_PROJECT, namespace: this.namespace.metadata.name },
                spec: appsProjectSpec(args.manifestsRepoUrl, args.exemptNamespaces, args.syncWindows),
            },
            crOpts,
        );

        // argocd-server creates `default` (open to everything) when it starts; take its fields
        // over with a forced server-side apply patch rather than a create (which would collide).
        new k8s.apiextensions.CustomResourcePatch(
            `${name}-project-default`,
            {
                apiVersion: "argoproj.io/v1alpha1",
                kind: "AppProject",
                metadata: {
                    name: "default",
                    namespace: this.namespace.metadata.name,
                    annotations: { "pulumi.com/patchForce": "true" },
                },
                spec: lockedDefaultProjectSpec(),
            },
            crOpts,
        );

        const rootApplication = new k8s.apiextensions.CustomResource(
            `${name}-root`,
            {
                apiVersion: "argoproj.io/v1alpha1",
                kind: "Application",
                // No resources-finalizer: deleting or replacing this object must never cascade into
                // deleting every workload in the region.
                metadata: { name: `root-${args.clusterKey}`, namespace: this.namespace.metadata.name },
                spec: rootApplicationSpec(args.manifestsRepoUrl, args.branch, args.path),
            },
            { ...k8sOpts, dependsOn: [this.release, rootProject, appsProject, repoSecret, ...(args.applicationsDependOn ?? [])] },
        );

        this.registerOutputs({ url: this.url, rootApplication: rootApplication.metadata.name });
    }
}

/**
 * Chart values (keys checked against argo-cd chart 10.1.1 values.yaml). HA follows the chart's
 * "HA mode without autoscaling" guidance: redis-ha, one controller, two of server, repo-server
 * and applicationset controller.
 */
export function argoCdValues(hostname: string, ha: boolean, acrLoginServer: pulumi.Input<string>): Record<string, unknown> {
    const replicas = ha ? 2 : 1;
    const image = (upstream: string) => mirrored(acrLoginServer, upstream);
    const images = PLATFORM_IMAGES.argocd;
    return {
        // Images (argo-cd 10.1.1 templates): every Argo CD component runs
        // <component.image.repository or global.image.repository>:<tag or appVersion>; dex, redis and
        // its exporter <…image.repository>:<…image.tag> (templates/dex, templates/redis); redis-ha
        // 4.38.0 <image.repository>:<image.tag>, "<exporter.image>:<exporter.tag>", haproxy likewise.
        global: { domain: hostname, image: { repository: image(images.argocd) } },
        crds: { install: true, keep: true },
        configs: {
            params: {
                // TLS terminates at the Gateway; argocd-server speaks plain HTTP (and gRPC-web) behind it.
                "server.insecure": true,
            },
            cm: {
                "exec.enabled": false,
                "statusbadge.enabled": false,
            },
        },
        // SSO is Argo CD's own OIDC client against Entra ID (argocd-sso.ts): no Dex.
        dex: { enabled: false, image: { repository: image(images.dex) } },
        redis: { image: { repository: image(images.redis) }, exporter: { image: { repository: image(images.redisExporter) } } },
        "redis-ha": {
            enabled: ha,
            image: { repository: image(images.redis) },
            exporter: { image: image(images.redisExporter) },
            haproxy: { image: { repository: image(images.haproxy) } },
            configmapTest: { image: { repository: image(images.shellcheck) } },
        },
        controller: {
            replicas: 1,
            // The GitOps-drift alerts read argocd_app_info; ama-metrics scrapes annotated pods.
            // The controller always serves /metrics on containerPorts.metrics (8082);
            // `controller.metrics.enabled` only adds a Service/ServiceMonitor, not needed here.
            podAnnotations: scrapeAnnotations(METRICS_PORTS.argocdApplicationController),
        },
        server: { replicas, pdb: argoCdPdb(ha), extensions: { image: { repository: image(images.extensionInstaller) } } },
        repoServer: { replicas, pdb: argoCdPdb(ha) },
        applicationSet: { replicas, pdb: argoCdPdb(ha) },
    };
}

/**
 * PDB values of a replicated Argo CD component. Chart 10.1.1 renders `minAvailable:
 * {{ .pdb.minAvailable | default 0 }}` unless `maxUnavailable` is set (argoproj/argo-helm
 * charts/argo-cd/templates/argocd-server/pdb.yaml @ argo-cd-10.1.1, af0a9310; the same in the
 * repo-server and applicationset templates), so `enabled` alone gives a PDB of minAvailable 0,
 * which protects nothing. maxUnavailable 1: drains evict one pod at a time, whatever the replicas.
 */
export function argoCdPdb(enabled: boolean): Record<string, unknown> {
    return { enabled, maxUnavailable: 1 };
}

/**
 * HTTPRoute timeouts of the Argo CD route. Without one, Envoy Gateway sets no route timeout and
 * Envoy's default of 15 s applies (envoyproxy/gateway internal/gatewayapi/route.go
 * processRouteTimeout and internal/xds/translator/route.go getEffectiveRequestTimeout @ v1.9.0,
 * 39763b1c: only a configured timeout is set on the route), which cuts the UI's event streams and
 * the CLI's gRPC-web streams (`app wait`, `app logs -f`). "0s" disables the request timeout (Gateway
 * API HTTPRoute `timeouts.request`: "Setting a timeout to the zero duration (e.g. "0s") SHOULD
 * disable the timeout completely"; Envoy Gateway parses it to a route timeout of 0, which Envoy
 * treats as none). Idle connections are still closed by Envoy's stream idle timeout.
 */
export const ARGOCD_ROUTE_TIMEOUTS = { request: "0s" } as const;

/**
 * Envoy Gateway SecurityPolicy (v1alpha1, Envoy Gateway v1.9) on one HTTPRoute: deny by default,
 * allow only the listed client CIDRs. With no ClientTrafficPolicy, the client IP is the
 * connection's peer address (X-Forwarded-For from clients is not trusted).
 */
export function clientAllowlistPolicySpec(routeName: string, cidrs: readonly string[]): Record<string, unknown> {
    return {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: routeName }],
        authorization: {
            defaultAction: "Deny",
            rules: [{ name: "operator-networks", action: "Allow", principal: { clientCIDRs: [...cidrs] } }],
        },
    };
}

/**
 * Default-deny ingress plus: Argo CD's own pods (server, repo-server, controller, redis,
 * applicationset talk to each other), the Envoy proxies to argocd-server's HTTP port, and
 * kube-system (ama-metrics) to the application controller's metrics port.
 */
export function argoCdNetworkPolicies(): NamedNetworkPolicy[] {
    const tcp = (port: number) => [{ protocol: "TCP", port }];
    return [
        ...isolatedNamespace(),
        [
            "allow-server-from-gateway",
            {
                podSelector: { matchLabels: { ...ARGOCD_PODS.server.labels } },
                policyTypes: ["Ingress"],
                ingress: [{ from: [namespacePeer(GATEWAY_PROXY_NAMESPACE)], ports: tcp(ARGOCD_PODS.server.port) }],
            },
        ],
        [
            "allow-controller-metrics",
            {
                podSelector: { matchLabels: { ...ARGOCD_PODS.applicationController.labels } },
                policyTypes: ["Ingress"],
                ingress: [{ from: [namespacePeer(METRICS_SCRAPER_NAMESPACE)], ports: tcp(ARGOCD_PODS.applicationController.port) }],
            },
        ],
    ];
}

const inCluster = (namespace: string) => ({ server: IN_CLUSTER, namespace });

/** The root app-of-apps project: Applications in the Argo CD namespace, from the manifests repo. */
export function rootProjectSpec(repoUrl: string): Record<string, unknown> {
    return {
        description: "Root app-of-apps: only Application objects, only in the Argo CD namespace",
        sourceRepos: [repoUrl],
        destinations: [inCluster(NAMESPACES.argocd)],
        clusterResourceWhitelist: [],
        namespaceResourceWhitelist: [{ group: "argoproj.io", kind: "Application" }],
    };
}

/** The applications project: any namespace but the exempt ones, namespaced kinds plus Namespace. */
export function appsProjectSpec(repoUrl: string, exempt: readonly string[], windows: readonly SyncWindow[]): Record<string, unknown> {
    const denied = [...new Set(exempt)].sort();
    return {
        description: "Applications: the manifests repo, application namespaces only",
        sourceRepos: [repoUrl],
        // A destination is allowed when an allow rule matches and no deny (`!`) rule does.
        destinations: [...denied.map(ns => inCluster(`!${ns}`)), inCluster("*")],
        // Namespace only, for CreateNamespace; never one of the exempt namespaces.
        clusterResourceWhitelist: [{ group: "", kind: "Namespace" }],
        clusterResourceBlacklist: denied.map(ns => ({ group: "", kind: "Namespace", name: ns })),
        namespaceResourceWhitelist: [{ group: "*", kind: "*" }],
        syncWindows: windows.map(w => ({
            kind: w.kind,
            schedule: w.schedule,
            duration: w.duration,
            manualSync: w.manualSync,
            applications: ["*"],
            timeZone: "UTC",
        })),
    };
}

/** `default` allows nothing: no sources, no destinations, no kinds. */
export function lockedDefaultProjectSpec(): Record<string, unknown> {
    return {
        description: "Locked: every Application belongs to platform-root or apps",
        sourceRepos: [],
        sourceNamespaces: [],
        destinations: [],
        clusterResourceWhitelist: [],
        namespaceResourceWhitelist: [],
        namespaceResourceBlacklist: [{ group: "*", kind: "*" }],
    };
}

export function rootApplicationSpec(repoUrl: string, branch: string, path: string): Record<string, unknown> {
    return {
        project: ROOT_PROJECT,
        source: { repoURL: repoUrl, targetRevision: branch, path },
        destination: inCluster(NAMESPACES.argocd),
        syncPolicy: {
            automated: { prune: true, selfHeal: true },
            retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } },
            syncOptions: ["CreateNamespace=true", "SkipDryRunOnMissingResource=true"],
        },
    };
}
