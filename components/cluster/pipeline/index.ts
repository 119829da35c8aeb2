// The supply-chain pipeline (primary cluster): its namespace — the ONLY place registry credentials
// and the git push token exist — locked down by NetworkPolicies, the workload-identity ServiceAccount,
// the Tekton Tasks/Pipelines, and the GitHub webhook path (EventListener + HTTPRoute /hooks).
//
//   push ─▶ /hooks ─▶ EventListener (GitHub HMAC + CEL) ─▶ PipelineRun supply-chain
//   manifests PR ─▶ /hooks ─▶ EventListener ─▶ PipelineRun manifests-check ─▶ commit status
//
// Credentials (all Pulumi secrets, all Secrets in this namespace only):
// - `harbor-robot`  kubernetes.io/dockerconfigjson for the Harbor staging robot (push/pull staging)
// - `git-token`     token that opens digest-bump PRs and reports statuses on the manifests repo
// - `git-read-token` read-only token (Argo CD's) the manifests-PR check clones the PR with
// - `github-webhook` HMAC secret the GitHub interceptor verifies
// ACR push has no secret: the promote task's pod exchanges its federated ServiceAccount token
// for an ACR token (workload identity, the pipeline identity's AcrPush). The manifests check's
// signature task reads ACR the same way, as the check identity (AcrPull only).
//
// Where the pieces are built: the Tasks and Pipelines in pipeline-tasks.ts, the trigger objects
// and their CEL filters in pipeline-triggers.ts, the NetworkPolicies and Secrets below
// (pipelineNetworkPolicies, pipelineSecrets). The component only registers them.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
    NAMESPACES,
    PIPELINE_NAMESPACE_LABEL,
    PIPELINE_SERVICE_ACCOUNT,
    WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION,
} from "../../../model/names";
import { BUILD_PIPELINE, buildPipeline, BUILDKIT_TASKS, CHECK_PIPELINE, checkPipeline, Severity, supplyChainTasks } from "./tasks";
import {
    buildTriggerTemplate,
    CHECK_SERVICE_ACCOUNT,
    checkTriggerTemplate,
    EVENT_LISTENER,
    EVENT_LISTENER_SERVICE_ACCOUNT,
    eventListener,
    githubApi,
    POLICY_CONFIGMAP,
    pullRequestBinding,
    SIGNING_KEYS_CONFIGMAP,
    pullRequestFilter,
    pushBinding,
    pushFilter,
    repoHtmlUrl,
    SECRET_NAMES,
} from "./triggers";
import { gatewayRouteSpec } from "../gateway/route";
import { NamedNetworkPolicy } from "../network-policies";
import { checkArgs } from "../../args-schema";
import { z } from "zod";

export { CHECK_SERVICE_ACCOUNT, EVENT_LISTENER, EVENT_LISTENER_SERVICE_ACCOUNT, POLICY_CONFIGMAP, SECRET_NAMES, SIGNING_KEYS_CONFIGMAP };

export interface HarborRobotArgs {
    /** Harbor's public hostname (registry and API), e.g. harbor.example.com. */
    host: pulumi.Input<string>;
    /** The quarantine project the pipeline pushes to (scan on push), e.g. Harbor's `stagingProject`. */
    project: pulumi.Input<string>;
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
    /** Client id of the manifests check's identity (AcrPull only, federated to CHECK_SERVICE_ACCOUNT). */
    checkIdentityClientId: pulumi.Input<string>;
    /**
     * The stack's image-signing public keys, every generation admission trusts: the manifests check
     * accepts a signature by any of them (so a rotation verifies old and new images alike).
     */
    signingPublicKeys: readonly { generation: number; publicKeyPem: pulumi.Input<string> }[];
    /** ACR login server, e.g. myacr.azurecr.io. */
    acrLoginServer: pulumi.Input<string>;
    harbor: HarborRobotArgs;
    /** Source repository; its name (lower-cased) is the image repository in Harbor and ACR. */
    sourceRepoUrl: string;
    manifestsRepoUrl: string;
    /** Branch that builds, and the manifests repo's base branch (`delivery.branch`). */
    branch: string;
    /** Path per region in the manifests repo (`delivery.manifestsPaths`). */
    manifestsPathByRegion: Readonly<Record<string, string>>;
    botName: string;
    botEmail: string;
    /** Harbor scan result (and source dependency scan) fails at or above this severity. */
    blockSeverity: Severity;
    /** Reviewed CVE ids that do not fail the source dependency scan (`delivery.cveAllowlist`). */
    cveAllowlist?: readonly string[];
    /** Git token for PRs/statuses on the manifests repo (and cloning a private source repo). */
    gitPushToken: pulumi.Output<string>;
    /** Read-only git token (config secret `gitReadToken`): the manifests-PR check clones with it. */
    gitReadToken: pulumi.Output<string>;
    /** HMAC secret of the GitHub webhook. */
    webhookSecret: pulumi.Output<string>;
    /** Hostname the webhook is delivered to (`dns.hooksHostname`); path `/hooks`, on the shared Gateway. */
    hooksHostname: string;
    /** The stack's Gatekeeper ConstraintTemplates + Constraints as one multi-document YAML. */
    policyBundleYaml: pulumi.Input<string>;
    /** Kubernetes minor the manifests must be valid for (`kubernetes.version`, e.g. "1.34"). */
    kubernetesVersion: string;
    /** What the Tekton objects need first: the Tekton platform (its CRDs and interceptors). */
    tektonDependsOn?: pulumi.Input<pulumi.Resource>[];
    /** What the /hooks HTTPRoute needs first: the Gateway API CRDs (the gateway chart). */
    routeDependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** What SupplyChainPipelineArgs must satisfy beyond its types (messages name the key). */
const ARGS_SCHEMA = z.object({
    signingPublicKeys: z
        .array(z.object({ generation: z.number() }).loose())
        .min(1, "signingPublicKeys is empty: the manifests check could verify no signature")
        .refine(keys => new Set(keys.map(k => k.generation)).size === keys.length, {
            error: "signingPublicKeys: each generation at most once",
        }),
});

/** Service the Triggers controller creates for an EventListener, and its port. */
export const EVENT_LISTENER_PORT = 8080;
export function eventListenerService(name: string): string {
    return `el-${name}`;
}
export const HOOKS_PATH = "/hooks";

/** Namespaces the Gateway's Envoy data plane may run in (Envoy Gateway's default, or the Gateway's own). */
const GATEWAY_DATAPLANE_NAMESPACES = [NAMESPACES.envoyGateway, NAMESPACES.gateway];

/** The label Tekton puts on every TaskRun pod: the name of the Task it runs. */
export const TEKTON_TASK_LABEL = "tekton.dev/task";

/** Pod address ranges that are not "the internet": pods, services, node and link-local (IMDS). */
const NON_INTERNET = ["10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"];

const PIPELINE_NAMESPACE_LABELS = {
    [PIPELINE_NAMESPACE_LABEL]: "true",
    // Rootless BuildKit needs seccomp/AppArmor Unconfined, which `baseline`
    // forbids (see ROOTLESS_BUILDKIT_SECURITY); warn/audit still report it. Kubernetes' admission
    // cannot relax single controls, Gatekeeper can: its baseline constraint holds every other
    // baseline control here (gatekeeper-policies.ts PIPELINE_RELAXED_CONTROLS).
    "pod-security.kubernetes.io/enforce": "privileged",
    "pod-security.kubernetes.io/warn": "baseline",
    "pod-security.kubernetes.io/audit": "baseline",
};

export function dockerConfigJson(host: string, user: string, password: string): string {
    const auth = Buffer.from(`${user}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [host]: { username: user, password, auth } } });
}

/**
 * A peer selecting any of several namespaces by name, in one `In` expression. (The shared
 * namespacePeer selects one namespace with matchLabels; switching these peers to it would be
 * equivalent but would change the recorded NetworkPolicies.)
 */
function namespacesPeer(names: readonly string[]): k8s.types.input.networking.v1.NetworkPolicyPeer {
    return { namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [...names] }] } };
}

/** Default deny, then exactly what the pipeline and the listener need. */
export function pipelineNetworkPolicies(): NamedNetworkPolicy[] {
    const listenerPods = { matchLabels: { eventlistener: EVENT_LISTENER } };
    return [
        ["default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }],
        [
            "allow-dns",
            {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [{ ...namespacesPeer(["kube-system"]), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                        ports: [
                            { protocol: "UDP", port: 53 },
                            { protocol: "TCP", port: 53 },
                        ],
                    },
                ],
            },
        ],
        // git (GitHub), ACR, Azure AD / ARM, scanner databases, base images: HTTPS to public
        // addresses only — no pod/service/node ranges and no instance metadata endpoint.
        [
            "allow-https-internet",
            {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: NON_INTERNET } }], ports: [{ protocol: "TCP", port: 443 }] }],
            },
        ],
        // The build and test pods run the repository's Dockerfile: Debian/Ubuntu base images fetch
        // packages over plain http (apt verifies them by signature), so `RUN apt-get …` needs port 80
        // — to public addresses only, and only from these pods. Tekton labels each TaskRun (and so
        // its pod) `tekton.dev/task: <Task name>` (tektoncd/pipeline v1.15.0
        // pkg/reconciler/taskrun/taskrun.go storeTaskSpecAndMergeMeta; pkg/pod/pod.go makeLabels).
        [
            "allow-http-internet-for-builds",
            {
                podSelector: { matchExpressions: [{ key: TEKTON_TASK_LABEL, operator: "In", values: [...BUILDKIT_TASKS] }] },
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: NON_INTERNET } }], ports: [{ protocol: "TCP", port: 80 }] }],
            },
        ],
        // Harbor is reached at its public hostname, which resolves to the Gateway's load balancer;
        // in-cluster that traffic is delivered straight to the Envoy pods (443 is 10443 there).
        [
            "allow-harbor-via-gateway",
            {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [namespacesPeer(GATEWAY_DATAPLANE_NAMESPACES)],
                        ports: [
                            { protocol: "TCP", port: 443 },
                            { protocol: "TCP", port: 10443 },
                        ],
                    },
                ],
            },
        ],
        // The listener creates PipelineRuns (Kubernetes API, 443 — on AKS the API server address
        // is outside the cluster ranges but the `kubernetes` Service is not, so no `to`) and calls
        // the core interceptors (github, cel) in the Tekton namespace.
        [
            "allow-eventlistener-egress",
            {
                podSelector: listenerPods,
                policyTypes: ["Egress"],
                egress: [
                    { ports: [{ protocol: "TCP", port: 443 }] },
                    { to: [namespacesPeer([NAMESPACES.tektonPipelines])], ports: [{ protocol: "TCP", port: 8443 }] },
                ],
            },
        ],
        [
            "allow-webhooks-from-gateway",
            {
                podSelector: listenerPods,
                policyTypes: ["Ingress"],
                ingress: [
                    { from: [namespacesPeer(GATEWAY_DATAPLANE_NAMESPACES)], ports: [{ protocol: "TCP", port: EVENT_LISTENER_PORT }] },
                ],
            },
        ],
    ];
}

type SecretBody = Pick<k8s.core.v1.SecretArgs, "type" | "stringData">;

/** The pipeline's Secrets (without metadata), every value a Pulumi secret. */
export function pipelineSecrets(
    args: Pick<SupplyChainPipelineArgs, "harbor" | "gitPushToken" | "gitReadToken" | "webhookSecret">,
): Record<keyof typeof SECRET_NAMES, SecretBody> {
    const dockerConfig = pulumi.secret(
        pulumi
            .all([args.harbor.host, args.harbor.robotName, args.harbor.robotSecret])
            .apply(([host, user, password]) => dockerConfigJson(host, user, password)),
    );
    return {
        harborRobot: { type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": dockerConfig } },
        gitToken: { type: "Opaque", stringData: { token: pulumi.secret(args.gitPushToken) } },
        gitReadToken: { type: "Opaque", stringData: { token: pulumi.secret(args.gitReadToken) } },
        webhook: { type: "Opaque", stringData: { secretToken: pulumi.secret(args.webhookSecret) } },
    };
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
        checkArgs(ARGS_SCHEMA, args, `SupplyChainPipeline ${name}`);
        const provider = args.provider;
        const ns = args.namespace;
        const imageRepository = defaultImageRepository(args.sourceRepoUrl);
        const manifestsPaths = Object.keys(args.manifestsPathByRegion)
            .sort()
            .map(k => args.manifestsPathByRegion[k]);
        const sameRepo = repoHtmlUrl(args.sourceRepoUrl) === repoHtmlUrl(args.manifestsRepoUrl);
        const { apiUrl, slug } = githubApi(args.manifestsRepoUrl);

        // 1. The namespace; everything else is created in it, after it.
        const namespace = new k8s.core.v1.Namespace(
            `${name}-ns`,
            {
                metadata: { name: ns, labels: PIPELINE_NAMESPACE_LABELS },
            },
            { parent: this, provider },
        );
        const nsName = namespace.metadata.name;
        const inNs = (n: string) => ({ name: n, namespace: nsName });
        const after: pulumi.CustomResourceOptions = { parent: this, provider, dependsOn: [namespace] };
        /** A Tekton object (Task, Pipeline, trigger object) in the namespace, after the Tekton platform. */
        const tekton = (logical: string, obj: Record<string, unknown>, deps: pulumi.Resource[] = []) => {
            const { apiVersion, kind, metadata, ...rest } = obj as { apiVersion: string; kind: string; metadata: Record<string, unknown> };
            return new k8s.apiextensions.CustomResource(
                `${name}-${logical}`,
                {
                    apiVersion,
                    kind,
                    metadata: { ...metadata, namespace: nsName },
                    ...rest,
                },
                { parent: this, provider, dependsOn: [namespace, ...(args.tektonDependsOn ?? []), ...deps] },
            );
        };

        // 2. Network: default deny, then exactly what the pipeline and the listener need.
        for (const [id, spec] of pipelineNetworkPolicies()) {
            new k8s.networking.v1.NetworkPolicy(`${name}-${id}`, { metadata: inNs(id), spec }, after);
        }

        // 3. Identities. The pipeline SA: no API token mounted (no step talks to the Kubernetes
        // API), no `secrets` list (creds-init is disabled; steps get secrets as workspaces). Its one
        // imagePullSecret is the Harbor robot: Tekton Chains pushes the staging image's signature
        // and attestation with the registry credentials of the run's ServiceAccount, read through
        // k8schain from the SA's imagePullSecrets (tektoncd/chains v0.29.1
        // pkg/chains/storage/oci/legacy.go NewStorageBackend: k8schain.New(…, {Namespace,
        // ServiceAccountName: obj.GetServiceAccountName()}); go-containerregistry
        // pkg/authn/kubernetes keychain.go reads sa.ImagePullSecrets). It names a harbor host only,
        // so the kubelet's pulls of the step images from ACR are unaffected. Gatekeeper's
        // PlatformNoImagePullSecrets admits it here and nowhere else (test/cluster/pipeline-trust.test.ts).
        const pipelineSa = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            {
                metadata: {
                    ...inNs(PIPELINE_SERVICE_ACCOUNT),
                    annotations: { [WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: args.pipelineIdentityClientId },
                },
                automountServiceAccountToken: false,
                imagePullSecrets: [{ name: SECRET_NAMES.harborRobot }],
            },
            after,
        );
        // The check's SA: the client-id annotation lets its labelled pod (the signature task only)
        // read ACR with the check identity's AcrPull; no Kubernetes API token.
        const checkSa = new k8s.core.v1.ServiceAccount(
            `${name}-check-sa`,
            {
                metadata: {
                    ...inNs(CHECK_SERVICE_ACCOUNT),
                    annotations: { [WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: args.checkIdentityClientId },
                },
                automountServiceAccountToken: false,
            },
            after,
        );
        const listener = this.listenerIdentity(name, ns, inNs, after);

        // 4. Secrets (only here) and the policy bundle the manifests check evaluates.
        const secretBodies = pipelineSecrets(args);
        const secret = (logical: string, key: keyof typeof SECRET_NAMES) =>
            new k8s.core.v1.Secret(`${name}-${logical}`, { metadata: inNs(SECRET_NAMES[key]), ...secretBodies[key] }, after);
        const harborSecret = secret("harbor-robot", "harborRobot");
        const gitSecret = secret("git-token", "gitToken");
        const gitReadSecret = secret("git-read-token", "gitReadToken");
        const webhookSecret = secret("webhook", "webhook");
        const policyBundle = new k8s.core.v1.ConfigMap(
            `${name}-policy`,
            {
                metadata: inNs(POLICY_CONFIGMAP),
                data: { "policy.yaml": args.policyBundleYaml },
            },
            after,
        );
        const signingKeys = new k8s.core.v1.ConfigMap(
            `${name}-signing-keys`,
            {
                metadata: inNs(SIGNING_KEYS_CONFIGMAP),
                data: Object.fromEntries(args.signingPublicKeys.map(k => [signingKeyFile(k.generation), k.publicKeyPem])),
            },
            after,
        );

        // 5. Tasks and Pipelines.
        const tasks = supplyChainTasks({
            blockSeverity: args.blockSeverity,
            cveAllowlist: args.cveAllowlist ?? [],
            kubernetesVersion: args.kubernetesVersion,
            acrLoginServer: args.acrLoginServer,
        }).map(t => tekton(`task-${(t.metadata as { name: string }).name}`, t));
        const pipeline = tekton(
            "pipeline",
            buildPipeline({
                sourceRepoUrl: args.sourceRepoUrl,
                manifestsRepoUrl: args.manifestsRepoUrl,
                branch: args.branch,
                manifestsPaths,
                harborImage: pulumi.interpolate`${args.harbor.host}/${args.harbor.project}/${imageRepository}`,
                harborHost: args.harbor.host,
                harborProject: args.harbor.project,
                imageRepository,
                acrLoginServer: args.acrLoginServer,
                botName: args.botName,
                botEmail: args.botEmail,
                githubApiUrl: apiUrl,
                manifestsSlug: slug,
            }),
            tasks,
        );
        const check = tekton(
            "check-pipeline",
            checkPipeline({
                manifestsPaths,
                githubApiUrl: apiUrl,
                manifestsSlug: slug,
                manifestsRepoUrl: args.manifestsRepoUrl,
                branch: args.branch,
                acrLoginServer: args.acrLoginServer,
            }),
            tasks,
        );

        // 6. Triggers: push → build, manifests PR → check.
        this.pushFilter = pushFilter({
            branch: args.branch,
            repoUrl: args.sourceRepoUrl,
            botEmail: args.botEmail,
            manifestsOnlyPaths: sameRepo ? manifestsPaths : undefined,
        });
        this.pullRequestFilter = pullRequestFilter({ branch: args.branch, repoUrl: args.manifestsRepoUrl });
        const pushBindingCr = tekton("push-binding", pushBinding());
        const prBindingCr = tekton("pr-binding", pullRequestBinding());
        const buildTemplate = tekton("build-template", buildTriggerTemplate(), [pipeline, pipelineSa, harborSecret, gitSecret]);
        const checkTemplate = tekton("check-template", checkTriggerTemplate(), [
            check,
            checkSa,
            policyBundle,
            signingKeys,
            gitSecret,
            gitReadSecret,
        ]);
        const listenerCr = tekton("listener", eventListener({ push: this.pushFilter, pullRequest: this.pullRequestFilter }), [
            ...listener,
            webhookSecret,
            pushBindingCr,
            prBindingCr,
            buildTemplate,
            checkTemplate,
        ]);

        // 7. /hooks on the shared Gateway → el-<listener>:8080 (prefix stripped; the sink serves /).
        new k8s.apiextensions.CustomResource(
            `${name}-hooks-route`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { name: "hooks", namespace: nsName },
                spec: gatewayRouteSpec({
                    hostname: args.hooksHostname,
                    pathPrefix: HOOKS_PATH,
                    filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }],
                    backend: { name: eventListenerService(EVENT_LISTENER), port: EVENT_LISTENER_PORT },
                }),
            },
            { parent: this, provider, dependsOn: [listenerCr, ...(args.routeDependsOn ?? [])] },
        );

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

    /** The EventListener's ServiceAccount and its Triggers roles (namespaced, and cluster-scoped reads). */
    private listenerIdentity(
        name: string,
        ns: string,
        inNs: (n: string) => { name: string; namespace: pulumi.Output<string> },
        after: pulumi.CustomResourceOptions,
    ): pulumi.Resource[] {
        const subjects = [{ kind: "ServiceAccount", name: EVENT_LISTENER_SERVICE_ACCOUNT, namespace: ns }];
        const sa = new k8s.core.v1.ServiceAccount(`${name}-listener-sa`, { metadata: inNs(EVENT_LISTENER_SERVICE_ACCOUNT) }, after);
        const role = new k8s.rbac.v1.RoleBinding(
            `${name}-listener`,
            {
                metadata: inNs(EVENT_LISTENER_SERVICE_ACCOUNT),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tekton-triggers-eventlistener-roles" },
                subjects,
            },
            after,
        );
        // Cluster-scoped read of ClusterInterceptors/ClusterTriggerBindings the listener resolves.
        const clusterRole = new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-listener`,
            {
                metadata: { name: `${ns}-${EVENT_LISTENER_SERVICE_ACCOUNT}` },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tekton-triggers-eventlistener-clusterroles" },
                subjects,
            },
            after,
        );
        return [sa, role, clusterRole];
    }
}

/** The file (ConfigMap key) of one signing-key generation in the check's `signing-keys` workspace. */
export function signingKeyFile(generation: number): string {
    return `generation-${generation}.pub`;
}

/** `https://github.com/org/My-Service.git` → `my-service` (registry repository names are lower-case). */
export function defaultImageRepository(sourceRepoUrl: string): string {
    const last = repoHtmlUrl(sourceRepoUrl).split("/").pop() ?? "";
    return last.toLowerCase().replace(/[^a-z0-9._-]+/g, "-");
}
