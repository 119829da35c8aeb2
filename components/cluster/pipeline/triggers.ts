// Trigger filters of the EventListener, as CEL strings built here so tests can evaluate exactly
// what the cluster evaluates. They use only standard CEL (field access, has(), ==, in, &&,
// matches(), startsWith(), the all() macro) — no Tekton-only helpers such as header.match(),
// split() or compareSecret() — so any conforming evaluator (here @bufbuild/cel) agrees with
// Tekton's cel-go. Variables: `body` (the webhook JSON). Event type and HMAC are checked by the
// GitHub interceptor that runs before the CEL interceptor.
//
// Below the filters: the TriggerBindings, TriggerTemplates and EventListener that use them.
import {
    MANIFESTS_CHECK_SERVICE_ACCOUNT,
    PIPELINE_SERVICE_ACCOUNT,
    WORKLOAD_IDENTITY_POD_LABEL,
    WORKLOAD_IDENTITY_SKIP_CONTAINERS_ANNOTATION,
} from "../../../model/names";
import {
    BUILD_PIPELINE,
    CHECK_PIPELINE,
    CHECK_WORKLOAD_IDENTITY_TASK,
    SIGNATURE_CHECK_PARSE_STEP,
    TEKTON_INIT_CONTAINERS,
    stepContainerName,
    WORKLOAD_IDENTITY_TASK,
} from "./tasks";

/** A CEL string literal (CEL shares JSON's escapes for the characters a URL/e-mail/path uses). */
export function celString(value: string): string {
    return JSON.stringify(value);
}

/** GitHub's `repository.html_url` form of a repo URL: no trailing slash, no `.git`. */
export function repoHtmlUrl(url: string): string {
    return url.replace(/\/+$/, "").replace(/\.git$/, "");
}

/** GitHub REST API base and `owner/name` for a repository URL (github.com or GitHub Enterprise). */
export function githubApi(repoUrl: string): { apiUrl: string; slug: string } {
    const u = new URL(repoHtmlUrl(repoUrl));
    const slug = u.pathname.replace(/^\/+/, "");
    const apiUrl = u.host === "github.com" ? "https://api.github.com" : `https://${u.host}/api/v3`;
    return { apiUrl, slug };
}

/** `clusters/primary` → `clusters/primary/` (git paths in push payloads are repo-relative). */
function dirPrefix(path: string): string {
    return `${path.replace(/^\.?\/+/, "").replace(/\/+$/, "")}/`;
}

export interface PushFilterOptions {
    /** Branch that builds (`delivery.branch`). */
    branch: string;
    /** The source repository; pushes from any other repository are ignored. */
    repoUrl: string;
    /** The pipeline bot's commit e-mail: its own commits never start a build. */
    botEmail: string;
    /**
     * When source and manifests share a repository: pushes whose every changed file lies under
     * these paths are manifest-only (e.g. a merged digest bump) and do not start a build.
     */
    manifestsOnlyPaths?: readonly string[];
}

/**
 * The push filter. Triggers on a push to `refs/heads/<branch>` of the source repository whose
 * head commit was neither authored nor committed by the bot; never on a branch deletion.
 */
export function pushFilter(o: PushFilterOptions): string {
    const bot = celString(o.botEmail);
    const clauses = [
        `body.ref == ${celString(`refs/heads/${o.branch}`)}`,
        "body.deleted == false",
        `body.repository.html_url == ${celString(repoHtmlUrl(o.repoUrl))}`,
        'body.after.matches("^[0-9a-f]{40}$")',
        "has(body.head_commit) && body.head_commit != null",
        `body.head_commit.author.email != ${bot}`,
        `body.head_commit.committer.email != ${bot}`,
    ];
    if (o.manifestsOnlyPaths && o.manifestsOnlyPaths.length > 0) {
        const underManifests = [...o.manifestsOnlyPaths]
            .map(dirPrefix)
            .sort()
            .map(p => `f.startsWith(${celString(p)})`)
            .join(" || ");
        clauses.push(`!body.commits.all(c, (c.added + c.modified + c.removed).all(f, ${underManifests}))`);
    }
    return clauses.join(" && ");
}

export interface PullRequestFilterOptions {
    /** Base branch of the manifests repo the pull requests target. */
    branch: string;
    /** The manifests repository. */
    repoUrl: string;
}

/** The manifests pull-request filter: a PR to `<branch>` opened, updated or reopened. */
export function pullRequestFilter(o: PullRequestFilterOptions): string {
    return [
        'body.action in ["opened", "synchronize", "reopened"]',
        `body.pull_request.base.ref == ${celString(o.branch)}`,
        `body.repository.html_url == ${celString(repoHtmlUrl(o.repoUrl))}`,
        'body.pull_request.head.sha.matches("^[0-9a-f]{40}$")',
    ].join(" && ");
}

// ---------------------------------------------------------------------------------------------
// The webhook objects (triggers.tekton.dev): TriggerBindings, TriggerTemplates, the EventListener.
// Plain objects without a namespace; the component puts them into the pipeline namespace.
// ---------------------------------------------------------------------------------------------

const TRIGGERS_API_VERSION = "triggers.tekton.dev/v1beta1";

export const EVENT_LISTENER = "supply-chain";
export const EVENT_LISTENER_SERVICE_ACCOUNT = "eventlistener";
/** The ServiceAccount the manifests check runs as (the build runs as PIPELINE_SERVICE_ACCOUNT). */
export const CHECK_SERVICE_ACCOUNT = MANIFESTS_CHECK_SERVICE_ACCOUNT;
export const SECRET_NAMES = {
    harborRobot: "harbor-robot",
    gitToken: "git-token",
    gitReadToken: "git-read-token",
    webhook: "github-webhook",
} as const;
/** ConfigMap holding the stack's Gatekeeper policy bundle (key policy.yaml) for the manifests check. */
export const POLICY_CONFIGMAP = "policy-bundle";
/** ConfigMap holding the stack's image-signing public keys (`generation-<n>.pub`) for the manifests check. */
export const SIGNING_KEYS_CONFIGMAP = "image-signing-keys";

const BINDINGS = { push: "github-push", pullRequest: "github-pull-request" } as const;

type Obj = Record<string, unknown>;

/** Push event → the pushed commit (`revision`). */
export function pushBinding(): Obj {
    return {
        apiVersion: TRIGGERS_API_VERSION,
        kind: "TriggerBinding",
        metadata: { name: BINDINGS.push },
        spec: { params: [{ name: "revision", value: "$(body.after)" }] },
    };
}

/**
 * Pull-request event → the head commit and the repository holding it (a fork for fork PRs). Not
 * `pull_request.base.sha`: the check reads the head alone (a base snapshot is not the merge-base).
 */
export function pullRequestBinding(): Obj {
    return {
        apiVersion: TRIGGERS_API_VERSION,
        kind: "TriggerBinding",
        metadata: { name: BINDINGS.pullRequest },
        spec: {
            params: [
                { name: "sha", value: "$(body.pull_request.head.sha)" },
                { name: "clone-url", value: "$(body.pull_request.head.repo.clone_url)" },
            ],
        },
    };
}

const RUN_LABELS = { "app.kubernetes.io/part-of": "supply-chain", "app.kubernetes.io/managed-by": "tekton-triggers" };
const POD_TEMPLATE = { securityContext: { fsGroup: 65532 }, automountServiceAccountToken: false };

/** A scratch workspace: a fresh ReadWriteOnce volume per run. */
function scratchVolume(size: string): Obj {
    return { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } } } };
}

/** Push → PipelineRun of the build pipeline, as the pipeline ServiceAccount, with its credentials. */
export function buildTriggerTemplate(): Obj {
    return {
        apiVersion: TRIGGERS_API_VERSION,
        kind: "TriggerTemplate",
        metadata: { name: BUILD_PIPELINE },
        spec: {
            params: [{ name: "revision", description: "commit SHA pushed" }],
            resourcetemplates: [
                {
                    apiVersion: "tekton.dev/v1",
                    kind: "PipelineRun",
                    metadata: {
                        generateName: `${BUILD_PIPELINE}-`,
                        labels: { ...RUN_LABELS, "platform.example/revision": "$(tt.params.revision)" },
                    },
                    spec: {
                        pipelineRef: { name: BUILD_PIPELINE },
                        params: [{ name: "revision", value: "$(tt.params.revision)" }],
                        taskRunTemplate: { serviceAccountName: PIPELINE_SERVICE_ACCOUNT, podTemplate: POD_TEMPLATE },
                        // Only the promote pod gets the federated token: the tasks that run the
                        // repository's own code (test, build) never hold an Azure credential.
                        taskRunSpecs: [
                            { pipelineTaskName: WORKLOAD_IDENTITY_TASK, metadata: { labels: { ...WORKLOAD_IDENTITY_POD_LABEL } } },
                        ],
                        workspaces: [
                            { name: "source", ...scratchVolume("4Gi") },
                            {
                                name: "harbor-auth",
                                secret: {
                                    secretName: SECRET_NAMES.harborRobot,
                                    items: [{ key: ".dockerconfigjson", path: "config.json" }],
                                },
                            },
                            { name: "git-auth", secret: { secretName: SECRET_NAMES.gitToken } },
                        ],
                        timeouts: { pipeline: "1h30m0s" },
                    },
                },
            ],
        },
    };
}

/** Timeouts of a manifests-check PipelineRun (Tekton duration strings). */
export const CHECK_RUN_TIMEOUTS = { pipeline: "30m0s", tasks: "25m0s", finally: "5m0s" } as const;

/**
 * Manifests PR → PipelineRun of the check pipeline, as the check ServiceAccount. Only the signature
 * task's pod gets its workload-identity token (AcrPull: reading signatures); the tasks evaluating
 * the PR's files with gator, kubeconform and pluto get none.
 */
export function checkTriggerTemplate(): Obj {
    return {
        apiVersion: TRIGGERS_API_VERSION,
        kind: "TriggerTemplate",
        metadata: { name: CHECK_PIPELINE },
        spec: {
            params: [{ name: "sha" }, { name: "clone-url" }],
            resourcetemplates: [
                {
                    apiVersion: "tekton.dev/v1",
                    kind: "PipelineRun",
                    metadata: {
                        generateName: `${CHECK_PIPELINE}-`,
                        labels: { ...RUN_LABELS, "platform.example/revision": "$(tt.params.sha)" },
                    },
                    spec: {
                        pipelineRef: { name: CHECK_PIPELINE },
                        params: [
                            { name: "sha", value: "$(tt.params.sha)" },
                            { name: "clone-url", value: "$(tt.params.clone-url)" },
                        ],
                        taskRunTemplate: { serviceAccountName: CHECK_SERVICE_ACCOUNT, podTemplate: POD_TEMPLATE },
                        // …and in that pod, not the container parsing the PR's files nor Tekton's init
                        // containers: only cosign's.
                        // Tekton copies taskRunSpecs metadata onto the TaskRun and its annotations
                        // onto the pod (tektoncd/pipeline v1.15.0 pkg/reconciler/pipelinerun/
                        // pipelinerun.go combineTaskRunAndTaskSpecAnnotations; pkg/pod/pod.go:506).
                        taskRunSpecs: [
                            {
                                pipelineTaskName: CHECK_WORKLOAD_IDENTITY_TASK,
                                metadata: {
                                    labels: { ...WORKLOAD_IDENTITY_POD_LABEL },
                                    annotations: {
                                        [WORKLOAD_IDENTITY_SKIP_CONTAINERS_ANNOTATION]: [
                                            stepContainerName(SIGNATURE_CHECK_PARSE_STEP),
                                            ...TEKTON_INIT_CONTAINERS,
                                        ].join(";"),
                                    },
                                },
                            },
                        ],
                        workspaces: [
                            { name: "source", ...scratchVolume("1Gi") },
                            { name: "policy", configMap: { name: POLICY_CONFIGMAP } },
                            // The PR's head is fetched with the read-only token; the push-capable one
                            // only reaches the status-report tasks, which never read the PR's files.
                            { name: "git-read", secret: { secretName: SECRET_NAMES.gitReadToken } },
                            { name: "git-auth", secret: { secretName: SECRET_NAMES.gitToken } },
                            { name: "signing-keys", configMap: { name: SIGNING_KEYS_CONFIGMAP } },
                        ],
                        // The `finally` status report must still run when the checks time out. With only
                        // `timeouts.pipeline`, Tekton derives no tasks timeout (tektoncd/pipeline v1.15.0
                        // pkg/apis/pipeline/v1/pipelinerun_types.go TasksTimeout) and cancels everything,
                        // finally included, when the pipeline timeout expires. So the tasks get 25m and
                        // finally its own 5m; tasks + finally <= pipeline (pipelinerun_validation.go
                        // validatePipelineTimeout).
                        timeouts: CHECK_RUN_TIMEOUTS,
                    },
                },
            ],
        },
    };
}

/** The GitHub core interceptor: verifies the HMAC (webhook secret) and the event type. */
function githubInterceptor(eventTypes: string[]): Obj {
    return {
        ref: { name: "github", kind: "ClusterInterceptor" },
        params: [
            { name: "secretRef", value: { secretName: SECRET_NAMES.webhook, secretKey: "secretToken" } },
            { name: "eventTypes", value: eventTypes },
        ],
    };
}

function celInterceptor(filter: string): Obj {
    return { ref: { name: "cel", kind: "ClusterInterceptor" }, params: [{ name: "filter", value: filter }] };
}

/** Two triggers: push → build (pushFilter), manifests PR → check (pullRequestFilter); HMAC first, then CEL. */
export function eventListener(filters: { push: string; pullRequest: string }): Obj {
    return {
        apiVersion: TRIGGERS_API_VERSION,
        kind: "EventListener",
        metadata: { name: EVENT_LISTENER },
        spec: {
            serviceAccountName: EVENT_LISTENER_SERVICE_ACCOUNT,
            triggers: [
                {
                    name: "build-on-push",
                    interceptors: [githubInterceptor(["push"]), celInterceptor(filters.push)],
                    bindings: [{ ref: BINDINGS.push }],
                    template: { ref: BUILD_PIPELINE },
                },
                {
                    name: "check-manifests-pr",
                    interceptors: [githubInterceptor(["pull_request"]), celInterceptor(filters.pullRequest)],
                    bindings: [{ ref: BINDINGS.pullRequest }],
                    template: { ref: CHECK_PIPELINE },
                },
            ],
        },
    };
}
