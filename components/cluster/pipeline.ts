// The supply-chain pipeline (primary cluster): its namespace — the ONLY place registry and git
// credentials exist — locked down by NetworkPolicies, the workload-identity ServiceAccount, the
// Tekton Tasks/Pipelines, and the GitHub webhook path (EventListener + HTTPRoute /hooks).
//
//   push ─▶ /hooks ─▶ EventListener (GitHub HMAC + CEL) ─▶ PipelineRun supply-chain
//   manifests PR ─▶ /hooks ─▶ EventListener ─▶ PipelineRun manifests-check ─▶ commit status
//
// Credentials (all Pulumi secrets, all Secrets in this namespace only):
// - `harbor-robot`  kubernetes.io/dockerconfigjson for the Harbor staging robot (push/pull staging)
// - `git-token`     token that opens digest-bump PRs and reports statuses on the manifests repo
// - `github-webhook` HMAC secret the GitHub interceptor verifies
// ACR push has no secret: the promote task's pod exchanges its federated ServiceAccount token
// for an ACR token (workload identity, the pipeline identity's AcrPush).
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
    GATEWAY, NAMESPACES, PIPELINE_SERVICE_ACCOUNT, WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION,
    WORKLOAD_IDENTITY_POD_LABEL,
} from "../../infra/names";
import {
    BUILD_PIPELINE, buildPipeline, buildTask, CHECK_PIPELINE, checkPipeline, cloneTask,
    deprecationCheckTask, openPrTask, policyCheckTask, promoteTask, pushTask, reportStatusTask,
    schemaCheckTask, scanSourceTask, Severity, testTask, waitForScanTask, WORKLOAD_IDENTITY_TASK,
} from "./pipeline-tasks";
import { githubApi, pullRequestFilter, pushFilter, repoHtmlUrl } from "./pipeline-triggers";
import { gatewayRouteSpec } from "./gateway-route";

export interface HarborRobotArgs {
    /** Harbor's public hostname (registry and API), e.g. harbor.example.com. */
    host: pulumi.Input<string>;
    /** The quarantine project the pipeline pushes to (scan on push). */
    project: string;
    /** Robot account name as Harbor reports it (e.g. `robot$staging+pipeline`). */
    robotName: pulumi.Input<string>;
    /** Robot secret; must be a Pulumi secret. */
    robotSecret: pulumi.Input<string>;
}

export interface SupplyChainPipelineArgs {
    /** Kubernetes provider of the primary cluster. */
    provider: k8s.Provider;
    /** Pipeline namespace (`delivery.pipelineNamespace`): the only namespace holding credentials. */
    namespace: string;
    /** Client id of the pipeline's user-assigned identity (AcrPush, federated to this SA). */
    pipelineIdentityClientId: pulumi.Input<string>;
    /** ACR login server, e.g. myacr.azurecr.io. */
    acrLoginServer: pulumi.Input<string>;
    harbor: HarborRobotArgs;
    sourceRepoUrl: string;
    manifestsRepoUrl: string;
    /** Branch that builds, and the manifests repo's base branch (`delivery.branch`). */
    branch: string;
    /** Path per region in the manifests repo (`delivery.manifestsPaths`). */
    manifestsPathByRegion: Readonly<Record<string, string>>;
    /** Repository name in Harbor and ACR; defaults to the source repository's name. */
    imageRepository?: string;
    botName: string;
    botEmail: string;
    /** Harbor scan result (and source dependency scan) fails at or above this severity. */
    blockSeverity: Severity;
    /** Reviewed CVE ids that do not fail the source dependency scan (`delivery.cveAllowlist`). */
    cveAllowlist?: readonly string[];
    /** Git token for PRs/statuses on the manifests repo (and cloning a private source repo). */
    gitPushToken: pulumi.Output<string>;
    /** HMAC secret of the GitHub webhook. */
    webhookSecret: pulumi.Output<string>;
    /** Hostname the webhook is delivered to (`dns.hooksHostname`); path `/hooks`. */
    hooksHostname: string;
    /** The stack's Gatekeeper ConstraintTemplates + Constraints as one multi-document YAML. */
    policyBundleYaml: pulumi.Input<string>;
    /** Kubernetes minor the manifests must be valid for (`kubernetes.version`, e.g. "1.34"). */
    kubernetesVersion: string;
    /** Shared Gateway to attach /hooks to; defaults to names.ts GATEWAY. */
    gateway?: { name: string; namespace: string };
    /** What the Tekton objects need first: the Tekton platform (its CRDs and interceptors). */
    tektonDependsOn?: pulumi.Input<pulumi.Resource>[];
    /** What the /hooks HTTPRoute needs first: the Gateway API CRDs (the gateway chart). */
    routeDependsOn?: pulumi.Input<pulumi.Resource>[];
}

export const EVENT_LISTENER = "supply-chain";
export const EVENT_LISTENER_SERVICE_ACCOUNT = "eventlistener";
export const CHECK_SERVICE_ACCOUNT = "manifests-check";
/** Service the Triggers controller creates for an EventListener, and its port. */
export const EVENT_LISTENER_PORT = 8080;
export function eventListenerService(name: string): string {
    return `el-${name}`;
}
export const HOOKS_PATH = "/hooks";
export const SECRET_NAMES = { harborRobot: "harbor-robot", gitToken: "git-token", webhook: "github-webhook" } as const;
export const POLICY_CONFIGMAP = "policy-bundle";

/** Namespaces the Gateway's Envoy data plane may run in (Envoy Gateway's default, or the Gateway's own). */
const GATEWAY_DATAPLANE_NAMESPACES = [NAMESPACES.envoyGateway, NAMESPACES.gateway];

/** Pod address ranges that are not "the internet": pods, services, node and link-local (IMDS). */
const NON_INTERNET = ["10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"];

export function dockerConfigJson(host: string, user: string, password: string): string {
    const auth = Buffer.from(`${user}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [host]: { username: user, password, auth } } });
}

export class SupplyChainPipeline extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    readonly serviceAccountName: string;
    /** In-cluster Service of the EventListener (`el-<name>`), port 8080. */
    readonly eventListenerService: string;
    /** The URL to configure as the GitHub webhook (content type application/json). */
    readonly webhookUrl: string;
    readonly pipelineName: string;
    readonly checkPipelineName: string;
    /** The exact CEL filters the EventListener evaluates. */
    readonly pushFilter: string;
    readonly pullRequestFilter: string;

    constructor(name: string, args: SupplyChainPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:SupplyChainPipeline", name, {}, opts);
        const provider = args.provider;
        const child = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({ parent: this, provider, ...extra });
        const ns = args.namespace;
        const gateway = args.gateway ?? { name: GATEWAY.name, namespace: GATEWAY.namespace };
        const imageRepository = args.imageRepository ?? defaultImageRepository(args.sourceRepoUrl);
        const manifestsPaths = Object.keys(args.manifestsPathByRegion).sort().map(k => args.manifestsPathByRegion[k]);
        const sameRepo = repoHtmlUrl(args.sourceRepoUrl) === repoHtmlUrl(args.manifestsRepoUrl);
        const { apiUrl, slug } = githubApi(args.manifestsRepoUrl);

        const namespace = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: {
                name: ns,
                labels: {
                    // Rootless BuildKit needs seccomp/AppArmor Unconfined, which `baseline`
                    // forbids (see ROOTLESS_BUILDKIT_SECURITY); warn/audit still report it.
                    "pod-security.kubernetes.io/enforce": "privileged",
                    "pod-security.kubernetes.io/warn": "baseline",
                    "pod-security.kubernetes.io/audit": "baseline",
                },
            },
        }, child({}));
        const nsName = namespace.metadata.name;
        const inNs = (n: string) => ({ name: n, namespace: nsName });
        const after = child({ dependsOn: [namespace] });

        // --- Network: default deny, then exactly what the pipeline and the listener need ------
        const policy = (n: string, spec: pulumi.Input<k8s.types.input.networking.v1.NetworkPolicySpec>) =>
            new k8s.networking.v1.NetworkPolicy(`${name}-${n}`, { metadata: inNs(n), spec }, after);
        const namespaces = (names: readonly string[]) => ({
            namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [...names] }] },
        });
        const listenerPods = { matchLabels: { eventlistener: EVENT_LISTENER } };
        policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        policy("allow-dns", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{
                to: [{ ...namespaces(["kube-system"]), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
            }],
        });
        // git (GitHub), ACR, Azure AD / ARM, scanner databases, base images: HTTPS to public
        // addresses only — no pod/service/node ranges and no instance metadata endpoint.
        policy("allow-https-internet", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: NON_INTERNET } }], ports: [{ protocol: "TCP", port: 443 }] }],
        });
        // Harbor is reached at its public hostname, which resolves to the Gateway's load balancer;
        // in-cluster that traffic is delivered straight to the Envoy pods (443 is 10443 there).
        policy("allow-harbor-via-gateway", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{ to: [namespaces(GATEWAY_DATAPLANE_NAMESPACES)], ports: [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 10443 }] }],
        });
        // The listener creates PipelineRuns (Kubernetes API, 443 — on AKS the API server address
        // is outside the cluster ranges but the `kubernetes` Service is not, so no `to`) and calls
        // the core interceptors (github, cel) in the Tekton namespace.
        policy("allow-eventlistener-egress", {
            podSelector: listenerPods,
            policyTypes: ["Egress"],
            egress: [
                { ports: [{ protocol: "TCP", port: 443 }] },
                { to: [namespaces([NAMESPACES.tektonPipelines])], ports: [{ protocol: "TCP", port: 8443 }] },
            ],
        });
        policy("allow-webhooks-from-gateway", {
            podSelector: listenerPods,
            policyTypes: ["Ingress"],
            ingress: [{ from: [namespaces(GATEWAY_DATAPLANE_NAMESPACES)], ports: [{ protocol: "TCP", port: EVENT_LISTENER_PORT }] }],
        });

        // --- Identities ----------------------------------------------------------------------
        // The pipeline SA: no API token mounted (no step talks to the Kubernetes API), no
        // imagePullSecrets, no `secrets` list (creds-init is disabled; secrets are workspaces).
        const pipelineSa = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
            metadata: {
                ...inNs(PIPELINE_SERVICE_ACCOUNT),
                annotations: { [WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: args.pipelineIdentityClientId },
            },
            automountServiceAccountToken: false,
        }, after);
        const checkSa = new k8s.core.v1.ServiceAccount(`${name}-check-sa`, {
            metadata: inNs(CHECK_SERVICE_ACCOUNT),
            automountServiceAccountToken: false,
        }, after);
        const listenerSa = new k8s.core.v1.ServiceAccount(`${name}-listener-sa`, { metadata: inNs(EVENT_LISTENER_SERVICE_ACCOUNT) }, after);
        const listenerRole = new k8s.rbac.v1.RoleBinding(`${name}-listener`, {
            metadata: inNs(EVENT_LISTENER_SERVICE_ACCOUNT),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tekton-triggers-eventlistener-roles" },
            subjects: [{ kind: "ServiceAccount", name: EVENT_LISTENER_SERVICE_ACCOUNT, namespace: ns }],
        }, after);
        // Cluster-scoped read of ClusterInterceptors/ClusterTriggerBindings the listener resolves.
        const listenerClusterRole = new k8s.rbac.v1.ClusterRoleBinding(`${name}-listener`, {
            metadata: { name: `${ns}-${EVENT_LISTENER_SERVICE_ACCOUNT}` },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tekton-triggers-eventlistener-clusterroles" },
            subjects: [{ kind: "ServiceAccount", name: EVENT_LISTENER_SERVICE_ACCOUNT, namespace: ns }],
        }, after);

        // --- Secrets (only here) ---------------------------------------------------------------
        const dockerConfig = pulumi.secret(pulumi.all([args.harbor.host, args.harbor.robotName, args.harbor.robotSecret])
            .apply(([host, user, password]) => dockerConfigJson(host, user, password)));
        const harborSecret = new k8s.core.v1.Secret(`${name}-harbor-robot`, {
            metadata: inNs(SECRET_NAMES.harborRobot),
            type: "kubernetes.io/dockerconfigjson",
            stringData: { ".dockerconfigjson": dockerConfig },
        }, after);
        const gitSecret = new k8s.core.v1.Secret(`${name}-git-token`, {
            metadata: inNs(SECRET_NAMES.gitToken),
            type: "Opaque",
            stringData: { token: pulumi.secret(args.gitPushToken) },
        }, after);
        const webhookSecret = new k8s.core.v1.Secret(`${name}-webhook`, {
            metadata: inNs(SECRET_NAMES.webhook),
            type: "Opaque",
            stringData: { secretToken: pulumi.secret(args.webhookSecret) },
        }, after);
        const policyBundle = new k8s.core.v1.ConfigMap(`${name}-policy`, {
            metadata: inNs(POLICY_CONFIGMAP),
            data: { "policy.yaml": args.policyBundleYaml },
        }, after);

        // --- Tasks and Pipelines ---------------------------------------------------------------
        const cr = (logical: string, obj: Record<string, unknown>, deps: pulumi.Resource[] = []) => {
            const { apiVersion, kind, metadata, ...rest } = obj as { apiVersion: string; kind: string; metadata: Record<string, unknown> };
            return new k8s.apiextensions.CustomResource(`${name}-${logical}`, {
                apiVersion, kind, metadata: { ...metadata, namespace: nsName }, ...rest,
            }, child({ dependsOn: [namespace, ...(args.tektonDependsOn ?? []), ...deps] }));
        };
        const tasks = [
            cloneTask(), scanSourceTask(args.blockSeverity, args.cveAllowlist ?? []), testTask(), buildTask(), pushTask(),
            waitForScanTask(args.blockSeverity), promoteTask(), openPrTask(),
            reportStatusTask(), policyCheckTask(), schemaCheckTask(args.kubernetesVersion), deprecationCheckTask(args.kubernetesVersion),
        ].map(t => cr(`task-${(t.metadata as { name: string }).name}`, t));
        const harborImage = pulumi.interpolate`${args.harbor.host}/${args.harbor.project}/${imageRepository}`;
        const pipeline = cr("pipeline", buildPipeline({
            sourceRepoUrl: args.sourceRepoUrl, manifestsRepoUrl: args.manifestsRepoUrl, branch: args.branch, manifestsPaths,
            harborImage, harborHost: args.harbor.host, harborProject: args.harbor.project, imageRepository,
            acrLoginServer: args.acrLoginServer, botName: args.botName, botEmail: args.botEmail,
            githubApiUrl: apiUrl, manifestsSlug: slug,
        }), tasks);
        const check = cr("check-pipeline", checkPipeline({ manifestsPaths, githubApiUrl: apiUrl, manifestsSlug: slug }), tasks);

        // --- Triggers ------------------------------------------------------------------------
        this.pushFilter = pushFilter({
            branch: args.branch, repoUrl: args.sourceRepoUrl, botEmail: args.botEmail,
            manifestsOnlyPaths: sameRepo ? manifestsPaths : undefined,
        });
        this.pullRequestFilter = pullRequestFilter({ branch: args.branch, repoUrl: args.manifestsRepoUrl });

        const triggers = "triggers.tekton.dev/v1beta1";
        const pushBinding = cr("push-binding", {
            apiVersion: triggers, kind: "TriggerBinding", metadata: { name: "github-push" },
            spec: { params: [{ name: "revision", value: "$(body.after)" }] },
        });
        const prBinding = cr("pr-binding", {
            apiVersion: triggers, kind: "TriggerBinding", metadata: { name: "github-pull-request" },
            spec: {
                params: [
                    { name: "sha", value: "$(body.pull_request.head.sha)" },
                    { name: "clone-url", value: "$(body.pull_request.head.repo.clone_url)" },
                ],
            },
        });
        const runLabels = { "app.kubernetes.io/part-of": "supply-chain", "app.kubernetes.io/managed-by": "tekton-triggers" };
        const podTemplate = { securityContext: { fsGroup: 65532 }, automountServiceAccountToken: false };
        const buildTemplate = cr("build-template", {
            apiVersion: triggers, kind: "TriggerTemplate", metadata: { name: BUILD_PIPELINE },
            spec: {
                params: [{ name: "revision", description: "commit SHA pushed" }],
                resourcetemplates: [{
                    apiVersion: "tekton.dev/v1",
                    kind: "PipelineRun",
                    metadata: { generateName: `${BUILD_PIPELINE}-`, labels: { ...runLabels, "platform.example/revision": "$(tt.params.revision)" } },
                    spec: {
                        pipelineRef: { name: BUILD_PIPELINE },
                        params: [{ name: "revision", value: "$(tt.params.revision)" }],
                        taskRunTemplate: { serviceAccountName: PIPELINE_SERVICE_ACCOUNT, podTemplate },
                        // Only the promote pod gets the federated token: the tasks that run the
                        // repository's own code (test, build) never hold an Azure credential.
                        taskRunSpecs: [{ pipelineTaskName: WORKLOAD_IDENTITY_TASK, metadata: { labels: { ...WORKLOAD_IDENTITY_POD_LABEL } } }],
                        workspaces: [
                            { name: "source", volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "4Gi" } } } } },
                            { name: "harbor-auth", secret: { secretName: SECRET_NAMES.harborRobot, items: [{ key: ".dockerconfigjson", path: "config.json" }] } },
                            { name: "git-auth", secret: { secretName: SECRET_NAMES.gitToken } },
                        ],
                        timeouts: { pipeline: "1h30m0s" },
                    },
                }],
            },
        }, [pipeline, pipelineSa, harborSecret, gitSecret]);
        const checkTemplate = cr("check-template", {
            apiVersion: triggers, kind: "TriggerTemplate", metadata: { name: CHECK_PIPELINE },
            spec: {
                params: [{ name: "sha" }, { name: "clone-url" }],
                resourcetemplates: [{
                    apiVersion: "tekton.dev/v1",
                    kind: "PipelineRun",
                    metadata: { generateName: `${CHECK_PIPELINE}-`, labels: { ...runLabels, "platform.example/revision": "$(tt.params.sha)" } },
                    spec: {
                        pipelineRef: { name: CHECK_PIPELINE },
                        params: [{ name: "sha", value: "$(tt.params.sha)" }, { name: "clone-url", value: "$(tt.params.clone-url)" }],
                        taskRunTemplate: { serviceAccountName: CHECK_SERVICE_ACCOUNT, podTemplate },
                        workspaces: [
                            { name: "source", volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } } },
                            { name: "policy", configMap: { name: POLICY_CONFIGMAP } },
                            { name: "git-auth", secret: { secretName: SECRET_NAMES.gitToken } },
                        ],
                        timeouts: { pipeline: "30m0s" },
                    },
                }],
            },
        }, [check, checkSa, policyBundle, gitSecret]);

        const github = (eventTypes: string[]) => ({
            ref: { name: "github", kind: "ClusterInterceptor" },
            params: [
                { name: "secretRef", value: { secretName: SECRET_NAMES.webhook, secretKey: "secretToken" } },
                { name: "eventTypes", value: eventTypes },
            ],
        });
        const cel = (filter: string) => ({ ref: { name: "cel", kind: "ClusterInterceptor" }, params: [{ name: "filter", value: filter }] });
        const listener = cr("listener", {
            apiVersion: triggers, kind: "EventListener", metadata: { name: EVENT_LISTENER },
            spec: {
                serviceAccountName: EVENT_LISTENER_SERVICE_ACCOUNT,
                triggers: [
                    {
                        name: "build-on-push",
                        interceptors: [github(["push"]), cel(this.pushFilter)],
                        bindings: [{ ref: "github-push" }],
                        template: { ref: BUILD_PIPELINE },
                    },
                    {
                        name: "check-manifests-pr",
                        interceptors: [github(["pull_request"]), cel(this.pullRequestFilter)],
                        bindings: [{ ref: "github-pull-request" }],
                        template: { ref: CHECK_PIPELINE },
                    },
                ],
            },
        }, [listenerSa, listenerRole, listenerClusterRole, webhookSecret, pushBinding, prBinding, buildTemplate, checkTemplate]);

        // /hooks on the shared Gateway → el-<listener>:8080 (prefix stripped; the sink serves /).
        new k8s.apiextensions.CustomResource(`${name}-hooks-route`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: "hooks", namespace: nsName },
            spec: gatewayRouteSpec({
                hostname: args.hooksHostname,
                gateway,
                pathPrefix: HOOKS_PATH,
                filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }],
                backend: { name: eventListenerService(EVENT_LISTENER), port: EVENT_LISTENER_PORT },
            }),
        }, child({ dependsOn: [listener, ...(args.routeDependsOn ?? [])] }));

        this.namespace = nsName;
        this.serviceAccountName = PIPELINE_SERVICE_ACCOUNT;
        this.eventListenerService = eventListenerService(EVENT_LISTENER);
        this.webhookUrl = `https://${args.hooksHostname}${HOOKS_PATH}`;
        this.pipelineName = BUILD_PIPELINE;
        this.checkPipelineName = CHECK_PIPELINE;
        this.registerOutputs({
            namespace: this.namespace,
            serviceAccountName: this.serviceAccountName,
            eventListenerService: this.eventListenerService,
            webhookUrl: this.webhookUrl,
            pipelineName: this.pipelineName,
            checkPipelineName: this.checkPipelineName,
        });
    }
}

/** `https://github.com/org/My-Service.git` → `my-service` (registry repository names are lower-case). */
export function defaultImageRepository(sourceRepoUrl: string): string {
    const last = repoHtmlUrl(sourceRepoUrl).split("/").pop() ?? "";
    return last.toLowerCase().replace(/[^a-z0-9._-]+/g, "-");
}
