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
// `server.insecure` and the UI/CLI use HTTPS + gRPC-web.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { GATEWAY, NAMESPACES } from "../../infra/names";
import { chartRelease } from "./chart";

/** The in-cluster API server as Argo CD names it. */
export const IN_CLUSTER = "https://kubernetes.default.svc";
export const ROOT_PROJECT = "platform-root";
export const APPS_PROJECT = "apps";
/** argocd-server's Service (release `argocd`, chart fullname `argocd`) and its HTTP port. */
export const ARGOCD_SERVER_SERVICE = { name: "argocd-server", port: 80 } as const;

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
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class ArgoCd extends pulumi.ComponentResource {
    readonly namespace: k8s.core.v1.Namespace;
    readonly release: k8s.helm.v3.Release;
    readonly rootApplication: k8s.apiextensions.CustomResource;
    readonly url: string;

    constructor(name: string, args: ArgoCdArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:ArgoCd", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.provider };
        const ns = NAMESPACES.argocd;
        this.url = `https://${args.hostname}`;

        this.namespace = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: ns, labels: { "app.kubernetes.io/part-of": "platform" } },
        }, { ...k8sOpts, dependsOn: args.dependsOn });

        // Repository credentials, picked up by label; read-only token, HTTPS.
        const repoSecret = new k8s.core.v1.Secret(`${name}-manifests-repo`, {
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
        }, k8sOpts);

        this.release = chartRelease(`${name}-release`, {
            chart: "argocd",
            releaseName: "argocd",
            namespace: this.namespace.metadata.name,
            values: argoCdValues(args.hostname, args.ha),
            timeoutSeconds: 900,
        }, k8sOpts);

        // Custom resources wait for the chart's CRDs.
        const crOpts = { ...k8sOpts, dependsOn: [this.release] };

        new k8s.apiextensions.CustomResource(`${name}-route`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: "argocd-server", namespace: this.namespace.metadata.name },
            spec: argoCdRouteSpec(args.hostname, args.gatewayListener),
        }, crOpts);

        const rootProject = new k8s.apiextensions.CustomResource(`${name}-project-root`, {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "AppProject",
            metadata: { name: ROOT_PROJECT, namespace: this.namespace.metadata.name },
            spec: rootProjectSpec(args.manifestsRepoUrl),
        }, crOpts);

        const appsProject = new k8s.apiextensions.CustomResource(`${name}-project-apps`, {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "AppProject",
            metadata: { name: APPS_PROJECT, namespace: this.namespace.metadata.name },
            spec: appsProjectSpec(args.manifestsRepoUrl, args.exemptNamespaces, args.syncWindows),
        }, crOpts);

        // argocd-server creates `default` (open to everything) when it starts; take its fields
        // over with a forced server-side apply patch rather than a create (which would collide).
        new k8s.apiextensions.CustomResourcePatch(`${name}-project-default`, {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "AppProject",
            metadata: {
                name: "default",
                namespace: this.namespace.metadata.name,
                annotations: { "pulumi.com/patchForce": "true" },
            },
            spec: lockedDefaultProjectSpec(),
        }, crOpts);

        this.rootApplication = new k8s.apiextensions.CustomResource(`${name}-root`, {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Application",
            // No resources-finalizer: deleting or replacing this object must never cascade into
            // deleting every workload in the region.
            metadata: { name: `root-${args.clusterKey}`, namespace: this.namespace.metadata.name },
            spec: rootApplicationSpec(args.manifestsRepoUrl, args.branch, args.path),
        }, { ...k8sOpts, dependsOn: [this.release, rootProject, appsProject, repoSecret] });

        this.registerOutputs({ url: this.url, rootApplication: this.rootApplication.metadata.name });
    }
}

/**
 * Chart values (keys checked against argo-cd chart 10.1.1 values.yaml). HA follows the chart's
 * "HA mode without autoscaling" guidance: redis-ha, one controller, two of server, repo-server
 * and applicationset controller.
 */
export function argoCdValues(hostname: string, ha: boolean): Record<string, unknown> {
    const replicas = ha ? 2 : 1;
    return {
        global: { domain: hostname },
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
        // No SSO configured: no Dex.
        dex: { enabled: false },
        "redis-ha": { enabled: ha },
        controller: { replicas: 1 },
        server: { replicas, pdb: { enabled: ha } },
        repoServer: { replicas, pdb: { enabled: ha } },
        applicationSet: { replicas, pdb: { enabled: ha } },
    };
}

export function argoCdRouteSpec(hostname: string, listener?: string): Record<string, unknown> {
    return {
        parentRefs: [{
            group: "gateway.networking.k8s.io",
            kind: "Gateway",
            name: GATEWAY.name,
            namespace: GATEWAY.namespace,
            ...(listener ? { sectionName: listener } : {}),
        }],
        hostnames: [hostname],
        rules: [{
            matches: [{ path: { type: "PathPrefix", value: "/" } }],
            backendRefs: [{ group: "", kind: "Service", name: ARGOCD_SERVER_SERVICE.name, port: ARGOCD_SERVER_SERVICE.port }],
        }],
    };
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
