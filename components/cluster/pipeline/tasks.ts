// The Tekton Tasks and Pipelines of the supply chain, as plain objects (tekton.dev/v1), so the
// component registers them and the tests read them without a cluster.
//
// Conventions in every Task:
// - Step scripts are files in ./pipeline/steps (shell linted by shellcheck, run by the tests with
//   real git / busybox sh / python3), loaded here verbatim with stepScript().
// - Step images come only from STEP_IMAGES (digest-pinned), and reach the cluster through the ACR
//   (supplyChainTasks: `<acr>/<upstream host>/<path>@<digest>`).
// - Values from the webhook (revision, PR number…) reach scripts as environment variables,
//   never spliced into the script text: a crafted branch or file name cannot inject shell.
// - Each Task's stepTemplate carries the security context of all its steps, and no step sets its
//   own: Tekton merges the template into every step field by field (see stepTemplateFor), so a
//   restricted template under a BuildKit step would still drop its capabilities and forbid
//   privilege escalation. Steps run restricted, except the BuildKit tasks' (ROOTLESS_BUILDKIT_SECURITY).
// - Credentials arrive only as optional Secret workspaces bound by the PipelineRun, and only the
//   tasks that need one get it: the tasks that run the repository's own code (test, build) get
//   none, and only the promote task's pod is labelled for workload identity.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { stepImage, withStepImagesThroughAcr } from "./images";

type Obj = Record<string, unknown>;

export const TASK_API_VERSION = "tekton.dev/v1";

/** The folder of step scripts (*.sh, *.py) and of the scanners' stack configuration. */
export const PIPELINE_FILES_DIR = __dirname;
export const STEPS_DIR = path.join(PIPELINE_FILES_DIR, "steps");

/** A step script, verbatim from ./pipeline/steps: what the tests run is what the Task runs. */
export function stepScript(file: string): string {
    return fs.readFileSync(path.join(STEPS_DIR, file), "utf8");
}

function pipelineFile(file: string): string {
    return fs.readFileSync(path.join(PIPELINE_FILES_DIR, file), "utf8");
}

/**
 * Task names (each Task's `metadata.name`). The pipelines name their own tasks, which may differ:
 * the build pipeline's task `clone` runs the Task `git-clone` (see BUILD_PIPELINE_TASKS).
 */
export const TASKS = {
    clone: "git-clone",
    scanSource: "scan-source",
    test: "test",
    build: "build",
    push: "push-staging",
    waitForScan: "wait-for-scan",
    promote: "promote",
    openPr: "open-pr",
    reportStatus: "report-status",
    policyCheck: "policy-check",
    schemaCheck: "schema-check",
    deprecationCheck: "deprecation-check",
    signatureCheck: "signature-check",
} as const;

/** The Tasks whose steps run rootless BuildKit (and so are not "restricted"). */
export const BUILDKIT_TASKS: readonly string[] = [TASKS.test, TASKS.build];

const NON_ROOT_UID = 65532;

/** Security context of every step except BuildKit's. */
export const RESTRICTED_STEP_SECURITY = {
    runAsNonRoot: true,
    runAsUser: NON_ROOT_UID,
    runAsGroup: NON_ROOT_UID,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
} as const;

/**
 * Rootless BuildKit, daemonless, unprivileged — but not "restricted". What it needs, honestly:
 * - seccomp and AppArmor `Unconfined`: rootlesskit creates user and mount namespaces and mounts
 *   inside them, which the runtime-default profiles forbid. This is why the pipeline namespace
 *   cannot enforce the `baseline` Pod Security level (it forbids Unconfined).
 * - `allowPrivilegeEscalation` left at its default (true) and no capability dropped: rootlesskit
 *   maps sub-uids through the setuid/file-capability `newuidmap`/`newgidmap` helpers, which
 *   no_new_privs or an empty bounding set break (moby/buildkit#1671). Hence these steps must
 *   not inherit RESTRICTED_STEP_SECURITY through the stepTemplate merge.
 * - `--oci-worker-no-process-sandbox` (BUILDKITD_FLAGS): without a writable /proc the worker
 *   cannot give RUN steps their own PID namespace, so RUN steps share it with buildkitd. That is
 *   why the build and test tasks hold no credentials at all: the image is exported to the
 *   workspace and pushed by a separate task.
 * No `privileged`, no added capabilities, non-root UID 1000 (the image's `user`).
 */
export const ROOTLESS_BUILDKIT_SECURITY = {
    runAsNonRoot: true,
    runAsUser: 1000,
    runAsGroup: 1000,
    privileged: false,
    seccompProfile: { type: "Unconfined" },
    appArmorProfile: { type: "Unconfined" },
} as const;

const BUILDKIT_ENV = [
    { name: "BUILDKITD_FLAGS", value: "--oci-worker-no-process-sandbox" },
    { name: "HOME", value: "/home/user" },
];
const BUILDKIT_VOLUME_MOUNTS = [{ name: "buildkitd", mountPath: "/home/user/.local/share/buildkit" }];
const BUILDKIT_VOLUMES = [{ name: "buildkitd", emptyDir: {} }];

/** Trivy/Harbor severities at or above a threshold (config `delivery.blockSeverity`). */
import { SEVERITIES as SEVERITY_ORDER, Severity } from "../../../model/severity";
export type { Severity };

export function severitiesAtOrAbove(threshold: Severity): string[] {
    // `none` blocks on any finding, including those the scanner could not rate.
    const levels = SEVERITY_ORDER.slice(SEVERITY_ORDER.indexOf(threshold))
        .filter(s => s !== "none")
        .map(s => s.toUpperCase());
    return threshold === "none" ? ["UNKNOWN", ...levels] : levels;
}

/** The stepTemplate of a Task: its steps' one security context, and HOME on the writable /tmp. */
function stepTemplateFor(security: typeof RESTRICTED_STEP_SECURITY | typeof ROOTLESS_BUILDKIT_SECURITY): Obj {
    return { securityContext: security, env: [{ name: "HOME", value: "/tmp" }] };
}

function task(name: string, spec: Obj): Obj {
    const security = BUILDKIT_TASKS.includes(name) ? ROOTLESS_BUILDKIT_SECURITY : RESTRICTED_STEP_SECURITY;
    return {
        apiVersion: TASK_API_VERSION,
        kind: "Task",
        metadata: { name },
        spec: { stepTemplate: stepTemplateFor(security), ...spec },
    };
}

// ---------------------------------------------------------------------------------------------
// Build pipeline tasks
// ---------------------------------------------------------------------------------------------

export function cloneTask(): Obj {
    return task(TASKS.clone, {
        description: "Fetch exactly one commit of a repository (shallow) and report its SHA.",
        params: [
            { name: "url", type: "string" },
            { name: "revision", type: "string", description: "commit SHA (40 hex) to check out" },
        ],
        workspaces: [
            { name: "output" },
            { name: "git-auth", optional: true, readOnly: true, description: "Secret with key `token`, for private repositories" },
        ],
        results: [{ name: "commit", type: "string" }],
        steps: [
            {
                name: "clone",
                image: stepImage("git"),
                env: [
                    { name: "URL", value: "$(params.url)" },
                    { name: "REVISION", value: "$(params.revision)" },
                    { name: "DEST", value: "$(workspaces.output.path)" },
                    { name: "AUTH_BOUND", value: "$(workspaces.git-auth.bound)" },
                    { name: "AUTH_DIR", value: "$(workspaces.git-auth.path)" },
                    { name: "RESULT", value: "$(results.commit.path)" },
                ],
                script: stepScript("clone.sh"),
            },
        ],
    });
}

/** gitleaks (committed credentials) then Trivy filesystem (vulnerable dependencies), stack config only. */
export function scanSourceTask(blockSeverity: Severity, cveAllowlist: readonly string[]): Obj {
    return task(TASKS.scanSource, {
        description:
            "Fail on committed credentials (gitleaks) or dependencies with known vulnerabilities at or above the blocking severity (Trivy), with the stack's scanner configuration only.",
        workspaces: [{ name: "source", readOnly: true }],
        steps: [
            {
                name: "credentials",
                image: stepImage("gitleaks"),
                env: [
                    { name: "SRC", value: "$(workspaces.source.path)" },
                    { name: "CONFIG_TOML", value: pipelineFile("gitleaks.toml") },
                ],
                script: stepScript("scan-credentials.sh"),
            },
            {
                name: "dependencies",
                image: stepImage("trivy"),
                env: [
                    { name: "SRC", value: "$(workspaces.source.path)" },
                    { name: "SEVERITIES", value: severitiesAtOrAbove(blockSeverity).join(",") },
                    // The reviewed allowlist from stack config, not a .trivyignore from the repo.
                    { name: "ALLOWLIST", value: [...cveAllowlist].sort().join("\n") },
                    { name: "CONFIG_YAML", value: pipelineFile("trivy.yaml") },
                    { name: "TRIVY_CACHE_DIR", value: "/tmp/trivy-cache" },
                ],
                script: stepScript("scan-dependencies.sh"),
            },
        ],
    });
}

/** Runs the Dockerfile's test stage inside BuildKit; nothing is exported, no credentials. */
export function testTask(): Obj {
    return task(TASKS.test, {
        description: "Run the repository's tests: the `test` stage of its Dockerfile, inside rootless BuildKit.",
        params: [
            { name: "dockerfile", type: "string", default: "Dockerfile" },
            { name: "target", type: "string", default: "test" },
        ],
        workspaces: [{ name: "source", readOnly: true }],
        volumes: BUILDKIT_VOLUMES,
        steps: [
            {
                name: "test",
                image: stepImage("buildkitRootless"),
                env: [
                    ...BUILDKIT_ENV,
                    { name: "CONTEXT", value: "$(workspaces.source.path)" },
                    { name: "DOCKERFILE", value: "$(params.dockerfile)" },
                    { name: "TARGET", value: "$(params.target)" },
                ],
                volumeMounts: BUILDKIT_VOLUME_MOUNTS,
                script: stepScript("buildkit-test.sh"),
            },
        ],
    });
}

/** Builds the image into an OCI layout in the workspace; pushing is a separate, credentialed task. */
export function buildTask(): Obj {
    return task(TASKS.build, {
        description: "Build the image with rootless BuildKit into an OCI layout (no registry credentials in this pod).",
        params: [{ name: "dockerfile", type: "string", default: "Dockerfile" }],
        workspaces: [{ name: "source", readOnly: true }, { name: "image" }],
        results: [{ name: "digest", type: "string", description: "manifest digest BuildKit produced" }],
        volumes: BUILDKIT_VOLUMES,
        steps: [
            {
                name: "build",
                image: stepImage("buildkitRootless"),
                env: [
                    ...BUILDKIT_ENV,
                    { name: "CONTEXT", value: "$(workspaces.source.path)" },
                    { name: "DOCKERFILE", value: "$(params.dockerfile)" },
                    { name: "OUT", value: "$(workspaces.image.path)/layout" },
                    { name: "RESULT", value: "$(results.digest.path)" },
                ],
                volumeMounts: BUILDKIT_VOLUME_MOUNTS,
                script: stepScript("buildkit-build.sh"),
            },
        ],
    });
}

/** Pushes the OCI layout to Harbor staging with the robot account and checks the digest. */
export function pushTask(): Obj {
    return task(TASKS.push, {
        description: "Push the built image to the Harbor staging project (scan on push) and verify the digest.",
        params: [
            { name: "image", type: "string", description: "<harbor>/<project>/<repository>:<tag>" },
            { name: "digest", type: "string", description: "digest the build produced" },
        ],
        workspaces: [
            { name: "image", readOnly: true },
            { name: "registry-auth", readOnly: true },
        ],
        // Chains type hints (CHAINS_TYPE_HINTS): this — the Harbor staging image, which the run's
        // ServiceAccount can push to — is the image Chains signs and attests.
        results: [
            { name: "IMAGE_URL", type: "string", description: "<harbor>/<project>/<repository> (no tag)" },
            { name: "IMAGE_DIGEST", type: "string" },
        ],
        steps: [
            {
                name: "push",
                image: stepImage("crane"),
                env: [
                    { name: "DOCKER_CONFIG", value: "$(workspaces.registry-auth.path)" },
                    { name: "IMAGE", value: "$(params.image)" },
                    { name: "EXPECTED", value: "$(params.digest)" },
                    { name: "LAYOUT", value: "$(workspaces.image.path)/layout" },
                    { name: "URL_RESULT", value: "$(results.IMAGE_URL.path)" },
                    { name: "RESULT", value: "$(results.IMAGE_DIGEST.path)" },
                ],
                script: stepScript("push.sh"),
            },
        ],
    });
}

/** Waits for Harbor's Trivy scan of the digest and fails at or above the blocking severity. */
export function waitForScanTask(blockSeverity: Severity): Obj {
    return task(TASKS.waitForScan, {
        description:
            "Wait for Harbor's scan of the pushed digest; fail on vulnerabilities at or above the blocking severity (the project's reviewed CVE allowlist applies).",
        params: [
            { name: "harbor-host", type: "string" },
            { name: "project", type: "string" },
            { name: "repository", type: "string" },
            { name: "digest", type: "string" },
            { name: "timeout-seconds", type: "string", default: "900" },
        ],
        workspaces: [{ name: "registry-auth", readOnly: true }],
        steps: [
            {
                name: "wait",
                image: stepImage("azureCli"),
                env: [
                    { name: "HARBOR", value: "$(params.harbor-host)" },
                    { name: "PROJECT", value: "$(params.project)" },
                    { name: "REPOSITORY", value: "$(params.repository)" },
                    { name: "DIGEST", value: "$(params.digest)" },
                    { name: "TIMEOUT", value: "$(params.timeout-seconds)" },
                    { name: "BLOCK", value: severitiesAtOrAbove(blockSeverity).join(",") },
                    { name: "AUTH_DIR", value: "$(workspaces.registry-auth.path)" },
                ],
                script: stepScript("wait-for-scan.py"),
            },
        ],
    });
}

/**
 * Result names Tekton Chains v0.29.1 (the version Tekton Operator v0.81.1 ships: tektoncd/operator
 * v0.81.1 components.yaml) treats as "sign this image" type hints: a result named IMAGES, or any
 * pair of results whose names END in IMAGE_URL / IMAGE_DIGEST (or ARTIFACT_URI / ARTIFACT_DIGEST),
 * or ending in ARTIFACT_OUTPUTS (tektoncd/chains v0.29.1 pkg/artifacts/signable.go
 * ExtractOCIImagesFromResults, pkg/artifacts/structured.go: strings.HasSuffix(res.Name, suffix);
 * docs/config.md "type hinting"). Chains then pushes `sha256-<hex>.sig` / `.att` to that image's
 * repository with the credentials of the run's ServiceAccount.
 */
export const CHAINS_TYPE_HINT_SUFFIXES = ["IMAGE_URL", "IMAGE_DIGEST", "ARTIFACT_URI", "ARTIFACT_DIGEST", "ARTIFACT_OUTPUTS"] as const;
export function isChainsTypeHint(resultName: string): boolean {
    return resultName === "IMAGES" || CHAINS_TYPE_HINT_SUFFIXES.some(s => resultName.endsWith(s));
}

/** How long promote waits for Chains to sign and attest the staging image (seconds). */
export const SIGNATURE_WAIT_SECONDS = "600";

/**
 * Copies the scanned digest from Harbor to ACR, with the signature and attestation Chains stored
 * beside it in Harbor. The ACR credential is an ACR refresh token exchanged from the pipeline
 * identity's federated (workload identity) token: no static secret. Its results are deliberately
 * NOT Chains type hints (isChainsTypeHint): Chains would try to sign the ACR copy, for which the
 * run's ServiceAccount has no credential; the copy carries the Harbor image's signature instead.
 */
export function promoteTask(): Obj {
    return task(TASKS.promote, {
        description: "Copy the scanned image by digest from Harbor staging to ACR, authenticating with workload identity.",
        params: [
            { name: "source", type: "string", description: "<harbor>/<project>/<repository>@<digest>" },
            { name: "acr-login-server", type: "string" },
            { name: "target", type: "string", description: "<acr>/<repository>:<tag>" },
            { name: "digest", type: "string" },
            {
                name: "signature-timeout-seconds",
                type: "string",
                default: SIGNATURE_WAIT_SECONDS,
                description: "how long to wait for Chains' .sig/.att in Harbor before failing",
            },
        ],
        workspaces: [{ name: "registry-auth", readOnly: true }],
        results: [
            { name: "ACR_URL", type: "string", description: "<acr>/<repository> (no tag)" },
            { name: "ACR_DIGEST", type: "string" },
        ],
        volumes: [{ name: "acr-token", emptyDir: { medium: "Memory" } }],
        steps: [
            {
                name: "acr-token",
                image: stepImage("azureCli"),
                env: [
                    { name: "ACR", value: "$(params.acr-login-server)" },
                    { name: "AZURE_CONFIG_DIR", value: "/tmp/.azure" },
                    { name: "ACR_TOKEN", value: "/acr/token" },
                ],
                volumeMounts: [{ name: "acr-token", mountPath: "/acr" }],
                script: stepScript("acr-token.sh"),
            },
            {
                name: "copy",
                image: stepImage("crane"),
                env: [
                    { name: "SOURCE", value: "$(params.source)" },
                    { name: "ACR", value: "$(params.acr-login-server)" },
                    { name: "TARGET", value: "$(params.target)" },
                    { name: "DIGEST", value: "$(params.digest)" },
                    { name: "AUTH_DIR", value: "$(workspaces.registry-auth.path)" },
                    { name: "DOCKER_CONFIG", value: "/acr/docker" },
                    { name: "ACR_TOKEN", value: "/acr/token" },
                    { name: "SIGNATURE_TIMEOUT", value: "$(params.signature-timeout-seconds)" },
                    { name: "URL_RESULT", value: "$(results.ACR_URL.path)" },
                    { name: "DIGEST_RESULT", value: "$(results.ACR_DIGEST.path)" },
                ],
                volumeMounts: [{ name: "acr-token", mountPath: "/acr" }],
                script: stepScript("promote-copy.sh"),
            },
        ],
    });
}

/** Pushes a branch on the manifests repo that bumps the image digest and opens a pull request. */
export function openPrTask(): Obj {
    return task(TASKS.openPr, {
        description: "Bump the image digest under each region's path in the manifests repo and open a pull request.",
        params: [
            { name: "manifests-url", type: "string" },
            { name: "base-branch", type: "string" },
            { name: "paths", type: "array" },
            { name: "image-url", type: "string", description: "<acr>/<repository>" },
            { name: "digest", type: "string" },
            { name: "source-revision", type: "string" },
            { name: "bot-name", type: "string" },
            { name: "bot-email", type: "string" },
            { name: "api-url", type: "string", description: "GitHub REST API base" },
            { name: "repo-slug", type: "string", description: "owner/name" },
        ],
        workspaces: [{ name: "git-auth", readOnly: true }],
        volumes: [{ name: "work", emptyDir: {} }],
        results: [{ name: "branch", type: "string" }],
        steps: [
            {
                name: "push-branch",
                image: stepImage("git"),
                workingDir: "/work",
                volumeMounts: [{ name: "work", mountPath: "/work" }],
                env: [
                    { name: "URL", value: "$(params.manifests-url)" },
                    { name: "BASE", value: "$(params.base-branch)" },
                    { name: "IMAGE", value: "$(params.image-url)" },
                    { name: "DIGEST", value: "$(params.digest)" },
                    { name: "REVISION", value: "$(params.source-revision)" },
                    { name: "GIT_AUTHOR_NAME", value: "$(params.bot-name)" },
                    { name: "GIT_AUTHOR_EMAIL", value: "$(params.bot-email)" },
                    { name: "GIT_COMMITTER_NAME", value: "$(params.bot-name)" },
                    { name: "GIT_COMMITTER_EMAIL", value: "$(params.bot-email)" },
                    { name: "AUTH_DIR", value: "$(workspaces.git-auth.path)" },
                    { name: "RESULT", value: "$(results.branch.path)" },
                ],
                args: ["$(params.paths[*])"],
                script: stepScript("open-pr-branch.sh"),
            },
            {
                name: "pull-request",
                image: stepImage("azureCli"),
                env: [
                    { name: "API", value: "$(params.api-url)" },
                    { name: "SLUG", value: "$(params.repo-slug)" },
                    { name: "BASE", value: "$(params.base-branch)" },
                    { name: "BRANCH", value: "$(results.branch.path)" },
                    { name: "IMAGE", value: "$(params.image-url)" },
                    { name: "DIGEST", value: "$(params.digest)" },
                    { name: "REVISION", value: "$(params.source-revision)" },
                    { name: "AUTH_DIR", value: "$(workspaces.git-auth.path)" },
                ],
                script: stepScript("open-pr.py"),
            },
        ],
    });
}

// ---------------------------------------------------------------------------------------------
// Manifests check pipeline tasks (the second stage of the two-stage policy model)
// ---------------------------------------------------------------------------------------------

/** Sets a commit status on the manifests repo. */
export function reportStatusTask(): Obj {
    return task(TASKS.reportStatus, {
        description: "Report a commit status to GitHub. `state` is pending, or a pipeline's $(tasks.status).",
        params: [
            { name: "api-url", type: "string" },
            { name: "repo-slug", type: "string" },
            { name: "sha", type: "string" },
            { name: "state", type: "string" },
            { name: "context", type: "string", default: "platform/manifests-check" },
        ],
        workspaces: [{ name: "git-auth", readOnly: true }],
        steps: [
            {
                name: "status",
                image: stepImage("azureCli"),
                env: [
                    { name: "API", value: "$(params.api-url)" },
                    { name: "SLUG", value: "$(params.repo-slug)" },
                    { name: "SHA", value: "$(params.sha)" },
                    { name: "STATE", value: "$(params.state)" },
                    { name: "CONTEXT", value: "$(params.context)" },
                    { name: "AUTH_DIR", value: "$(workspaces.git-auth.path)" },
                ],
                script: stepScript("report-status.py"),
            },
        ],
    });
}

/**
 * The stack's own Gatekeeper templates + constraints (CEL), evaluated by gator — after a step
 * that rejects any policy object in the pull request's files, since gator would load those as
 * policy too (steps/policy-guard.py). No credential workspace: the PR's files are never read
 * next to the push-capable token.
 */
export function policyCheckTask(): Obj {
    return task(TASKS.policyCheck, {
        description:
            "Reject Gatekeeper policy objects in the pull request, then evaluate the stack's Gatekeeper ConstraintTemplates (K8sNativeValidation/CEL) and Constraints against the manifests with gator.",
        params: [
            { name: "paths", type: "array", description: "the manifests paths of the pull request" },
            { name: "filename-args", type: "array", description: "`--filename=<path>` per manifests path" },
        ],
        workspaces: [
            { name: "source", readOnly: true },
            { name: "policy", readOnly: true },
        ],
        steps: [
            {
                name: "reject-policy-objects",
                image: stepImage("azureCli"),
                workingDir: "$(workspaces.source.path)",
                args: ["$(params.paths[*])"],
                script: stepScript("policy-guard.py"),
            },
            {
                name: "gator",
                image: stepImage("gator"),
                workingDir: "$(workspaces.source.path)",
                // Distroless image: no shell, so arguments only. gator exits non-zero on a violation.
                args: ["test", "--filename=$(workspaces.policy.path)/policy.yaml", "$(params.filename-args[*])"],
            },
        ],
    });
}

/** Where kubeconform caches downloaded schemas: an emptyDir, because `-cache` needs an existing directory. */
const KUBECONFORM_CACHE = "/kubeconform-cache";

export function schemaCheckTask(kubernetesVersion: string): Obj {
    return task(TASKS.schemaCheck, {
        description: "Validate the manifests against the Kubernetes (and known CRD) schemas with kubeconform.",
        params: [{ name: "paths", type: "array" }],
        workspaces: [{ name: "source", readOnly: true }],
        volumes: [{ name: "schema-cache", emptyDir: {} }],
        steps: [
            {
                name: "kubeconform",
                image: stepImage("kubeconform"),
                workingDir: "$(workspaces.source.path)",
                volumeMounts: [{ name: "schema-cache", mountPath: KUBECONFORM_CACHE }],
                // kubeconform v0.7.0 reads its cache folder only from `-cache` (pkg/config/config.go) and
                // fails unless it exists (pkg/registry/registry.go New); it has no KUBECONFORM_CACHE.
                args: [
                    "-strict",
                    "-summary",
                    "-kubernetes-version",
                    `${kubernetesVersion}.0`,
                    "-cache",
                    KUBECONFORM_CACHE,
                    "-ignore-filename-pattern",
                    "kustomization\\.ya?ml$",
                    "-schema-location",
                    "default",
                    "-schema-location",
                    "https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json",
                    "-ignore-missing-schemas",
                    "$(params.paths[*])",
                ],
            },
        ],
    });
}

export function deprecationCheckTask(kubernetesVersion: string): Obj {
    return task(TASKS.deprecationCheck, {
        description: "Fail on deprecated or removed Kubernetes APIs for the clusters' version (pluto).",
        workspaces: [{ name: "source", readOnly: true }],
        steps: [
            {
                name: "pluto",
                image: stepImage("pluto"),
                args: [
                    "detect-files",
                    "--directory",
                    "$(workspaces.source.path)",
                    "--target-versions",
                    `k8s=v${kubernetesVersion}.0`,
                    "--output",
                    "wide",
                ],
            },
        ],
    });
}

/** The signature check's step that parses the pull request's files: it needs no Azure token. */
export const SIGNATURE_CHECK_PARSE_STEP = "image-references";

/**
 * A step's container name in its pod: `step-<name>` (tektoncd/pipeline v1.15.0, 70f73081,
 * pkg/pod/entrypoint.go StepName / GetContainerName).
 */
export function stepContainerName(step: string): string {
    return `step-${step}`;
}

/**
 * The init containers Tekton adds to a TaskRun's pod (tektoncd/pipeline v1.15.0, 70f73081,
 * pkg/pod/pod.go:89-91; created at pod.go:643, script.go:105, workingdir_init.go:65): they copy
 * Tekton's entrypoint and the step scripts and need no Azure token either.
 */
export const TEKTON_INIT_CONTAINERS = ["prepare", "place-scripts", "working-dir-initializer"] as const;

/** Where the signature check's steps leave the list of image references (an emptyDir). */
const SIGNATURE_CHECK_WORK = "/work";
export const IMAGE_LIST_FILE = "images.tsv";
const IMAGE_LIST = `${SIGNATURE_CHECK_WORK}/${IMAGE_LIST_FILE}`;

/**
 * The signatures of EVERY image a manifests pull request's head would deploy, checked before merge
 * (admission checks them again in the clusters, where `dryrun` in dev only reports):
 * 1. image-references: every image reference under the manifests paths of the head (raw `image:`
 *    values and every reference a kustomize `images:` entry can produce), each required to be
 *    `<acr>/…@sha256:<digest>`; what Argo CD would render and the check cannot (jsonnet, Helm,
 *    kustomize patches, remote resources, Application overrides, …) is rejected
 *    (steps/image-references.py);
 * 2. verify: cosign verifies each digest's signature with the stack's public keys, every key
 *    generation (steps/verify-signatures.sh), reading ACR as the check's workload identity (AcrPull).
 * No diff against the base branch: an unchanged reference is verified like a new one. No git
 * credential: the head is fetched by the clone task. Only this Task's pod is labelled for workload
 * identity (checkTriggerTemplate).
 */
export function signatureCheckTask(): Obj {
    const work = { name: "work", mountPath: SIGNATURE_CHECK_WORK };
    return task(TASKS.signatureCheck, {
        description:
            "List every image reference the pull request's manifests would deploy, require each to be in the stack's ACR and pinned by digest, and verify each digest's cosign signature with the stack's image-signing keys.",
        params: [
            { name: "paths", type: "array", description: "the manifests paths of the pull request" },
            { name: "acr-login-server", type: "string" },
            { name: "repo-url", type: "string", description: "the manifests repository: the only source an Application may use" },
            { name: "branch", type: "string", description: "its base branch: the only revision an Application may use" },
        ],
        workspaces: [
            { name: "source", readOnly: true, description: "the pull request's head, checked out" },
            { name: "signing-keys", readOnly: true, description: "ConfigMap: one `<name>.pub` per image-signing key generation" },
        ],
        volumes: [{ name: "work", emptyDir: {} }],
        steps: [
            {
                name: SIGNATURE_CHECK_PARSE_STEP,
                image: stepImage("azureCli"),
                env: [
                    { name: "ACR", value: "$(params.acr-login-server)" },
                    { name: "HEAD", value: "$(workspaces.source.path)" },
                    { name: "REPO_URL", value: "$(params.repo-url)" },
                    { name: "BRANCH", value: "$(params.branch)" },
                    { name: "OUT", value: IMAGE_LIST },
                ],
                volumeMounts: [work],
                args: ["$(params.paths[*])"],
                script: stepScript("image-references.py"),
            },
            {
                name: "verify",
                image: stepImage("cosign"),
                env: [
                    { name: "KEYS", value: "$(workspaces.signing-keys.path)" },
                    { name: "LIST", value: IMAGE_LIST },
                ],
                volumeMounts: [work],
                script: stepScript("verify-signatures.sh"),
            },
        ],
    });
}

/**
 * Every Task both pipelines run, as the component registers them: step images pulled through the
 * stack's ACR (`<acr>/<upstream host>/<path>@<digest>`, images.ts withStepImagesThroughAcr), so the
 * ACR-only admission rule can hold the pipeline namespace too.
 */
export function supplyChainTasks(o: {
    blockSeverity: Severity;
    cveAllowlist: readonly string[];
    kubernetesVersion: string;
    acrLoginServer: pulumi.Input<string>;
}): Obj[] {
    return [
        cloneTask(),
        scanSourceTask(o.blockSeverity, o.cveAllowlist),
        testTask(),
        buildTask(),
        pushTask(),
        waitForScanTask(o.blockSeverity),
        promoteTask(),
        openPrTask(),
        reportStatusTask(),
        policyCheckTask(),
        schemaCheckTask(o.kubernetesVersion),
        deprecationCheckTask(o.kubernetesVersion),
        signatureCheckTask(),
    ].map(t => withStepImagesThroughAcr(t, o.acrLoginServer));
}

// ---------------------------------------------------------------------------------------------
// Pipelines
// ---------------------------------------------------------------------------------------------

/** A value that may still be unknown at registration (e.g. the ACR login server). */
type Str = pulumi.Input<string>;

export const BUILD_PIPELINE = "supply-chain";
export const CHECK_PIPELINE = "manifests-check";

export interface BuildPipelineOptions {
    sourceRepoUrl: string;
    manifestsRepoUrl: string;
    branch: string;
    /** Region paths in the manifests repo, sorted. */
    manifestsPaths: readonly string[];
    /** `<harbor host>/<project>/<repository>` (no tag). */
    harborImage: Str;
    harborHost: Str;
    harborProject: Str;
    imageRepository: string;
    acrLoginServer: Str;
    botName: string;
    botEmail: string;
    githubApiUrl: string;
    manifestsSlug: string;
}

function ref(name: string): Obj {
    return { name, kind: "Task" };
}

/** One task of the build pipeline: its name in the pipeline, the Task it runs, and its bindings. */
interface BuildPipelineTask {
    /** The pipeline task name (what `runAfter`, `$(tasks.<name>.results…)` and taskRunSpecs use). */
    name: string;
    /** The Task it runs (a TASKS value). */
    task: string;
    bindings: (o: BuildPipelineOptions) => { params?: Obj[]; workspaces: Obj[] };
}

const SRC = { name: "source", workspace: "source", subPath: "src" };
const IMAGE = { name: "image", workspace: "source", subPath: "image" };

/**
 * The build pipeline, in the order its tasks run — the ONE place that order is written: each
 * task runs after the previous entry (`runAfter`), and BUILD_PIPELINE_ORDER and
 * WORKLOAD_IDENTITY_TASK are derived from it.
 */
const BUILD_PIPELINE_TASKS = [
    {
        name: "clone",
        task: TASKS.clone,
        bindings: o => ({
            params: [
                { name: "url", value: o.sourceRepoUrl },
                { name: "revision", value: "$(params.revision)" },
            ],
            workspaces: [
                { name: "output", workspace: "source", subPath: "src" },
                { name: "git-auth", workspace: "git-auth" },
            ],
        }),
    },
    { name: "scan-source", task: TASKS.scanSource, bindings: () => ({ workspaces: [SRC] }) },
    { name: "test", task: TASKS.test, bindings: () => ({ workspaces: [SRC] }) },
    { name: "build", task: TASKS.build, bindings: () => ({ workspaces: [SRC, IMAGE] }) },
    {
        name: "push-staging",
        task: TASKS.push,
        bindings: o => ({
            params: [
                { name: "image", value: pulumi.interpolate`${o.harborImage}:$(params.revision)` },
                { name: "digest", value: "$(tasks.build.results.digest)" },
            ],
            workspaces: [IMAGE, { name: "registry-auth", workspace: "harbor-auth" }],
        }),
    },
    {
        name: "wait-for-scan",
        task: TASKS.waitForScan,
        bindings: o => ({
            params: [
                { name: "harbor-host", value: o.harborHost },
                { name: "project", value: o.harborProject },
                { name: "repository", value: o.imageRepository },
                { name: "digest", value: "$(tasks.push-staging.results.IMAGE_DIGEST)" },
            ],
            workspaces: [{ name: "registry-auth", workspace: "harbor-auth" }],
        }),
    },
    {
        name: "promote",
        task: TASKS.promote,
        bindings: o => ({
            params: [
                { name: "source", value: pulumi.interpolate`${o.harborImage}@$(tasks.push-staging.results.IMAGE_DIGEST)` },
                { name: "acr-login-server", value: o.acrLoginServer },
                { name: "target", value: pulumi.interpolate`${o.acrLoginServer}/${o.imageRepository}:$(params.revision)` },
                { name: "digest", value: "$(tasks.push-staging.results.IMAGE_DIGEST)" },
            ],
            workspaces: [{ name: "registry-auth", workspace: "harbor-auth" }],
        }),
    },
    {
        name: "open-pr",
        task: TASKS.openPr,
        bindings: o => ({
            params: [
                { name: "manifests-url", value: o.manifestsRepoUrl },
                { name: "base-branch", value: o.branch },
                { name: "paths", value: [...o.manifestsPaths] },
                { name: "image-url", value: "$(tasks.promote.results.ACR_URL)" },
                { name: "digest", value: "$(tasks.promote.results.ACR_DIGEST)" },
                { name: "source-revision", value: "$(tasks.clone.results.commit)" },
                { name: "bot-name", value: o.botName },
                { name: "bot-email", value: o.botEmail },
                { name: "api-url", value: o.githubApiUrl },
                { name: "repo-slug", value: o.manifestsSlug },
            ],
            workspaces: [{ name: "git-auth", workspace: "git-auth" }],
        }),
    },
] as const satisfies readonly BuildPipelineTask[];

/** The build pipeline's task names, in the order they run (each runs after the previous one). */
export const BUILD_PIPELINE_ORDER = BUILD_PIPELINE_TASKS.map(t => t.name);

/**
 * The one pipeline task whose pod gets a workload-identity token: the one running the promote
 * Task (ACR push). The tasks that run the repository's own code (test, build) never get one.
 */
export const WORKLOAD_IDENTITY_TASK = BUILD_PIPELINE_TASKS.find(t => t.task === TASKS.promote)!.name;

/** clone ▶ scan ▶ test ▶ build ▶ push to Harbor ▶ wait for Trivy ▶ promote to ACR ▶ PR. */
export function buildPipeline(o: BuildPipelineOptions): Obj {
    const tasks: Obj[] = BUILD_PIPELINE_TASKS.map((t: BuildPipelineTask, i) => ({
        name: t.name,
        taskRef: ref(t.task),
        ...(i > 0 ? { runAfter: [BUILD_PIPELINE_TASKS[i - 1].name] } : {}),
        ...t.bindings(o),
    }));
    return {
        apiVersion: TASK_API_VERSION,
        kind: "Pipeline",
        metadata: { name: BUILD_PIPELINE },
        spec: {
            description:
                "Build one commit of the source repo, quarantine and scan it in Harbor, promote it by digest to ACR and propose it to the manifests repo.",
            params: [{ name: "revision", type: "string", description: "commit SHA to build" }],
            workspaces: [
                { name: "source", description: "scratch volume: the checkout (src/) and the built OCI layout (image/)" },
                { name: "harbor-auth", description: "Harbor robot docker config (config.json)" },
                { name: "git-auth", description: "git token (key `token`)" },
            ],
            tasks,
        },
    };
}

export interface CheckPipelineOptions {
    manifestsPaths: readonly string[];
    githubApiUrl: string;
    manifestsSlug: string;
    /** The manifests repository and its base branch: the only source Applications in it may use. */
    manifestsRepoUrl: string;
    branch: string;
    acrLoginServer: Str;
}

/** The check pipeline's task that verifies signatures: the only one whose pod gets an Azure (AcrPull) token. */
export const CHECK_WORKLOAD_IDENTITY_TASK = "signatures";

/**
 * The manifests PR check: Gatekeeper CEL (gator) + schemas + deprecated APIs + signatures of every
 * image digest under the manifests paths, then a commit status.
 */
export function checkPipeline(o: CheckPipelineOptions): Obj {
    const status = (state: string) => [
        { name: "api-url", value: o.githubApiUrl },
        { name: "repo-slug", value: o.manifestsSlug },
        { name: "sha", value: "$(params.sha)" },
        { name: "state", value: state },
    ];
    const src = { name: "source", workspace: "source", subPath: "head" };
    const paths = [...o.manifestsPaths];
    return {
        apiVersion: TASK_API_VERSION,
        kind: "Pipeline",
        metadata: { name: CHECK_PIPELINE },
        spec: {
            description:
                "Check a manifests pull request with the stack's own admission policy, the API schemas, the deprecated-API list and the signatures of every image digest it would deploy; report a commit status.",
            params: [
                { name: "sha", type: "string", description: "pull request head commit" },
                { name: "clone-url", type: "string", description: "repository holding the head commit (a fork for fork PRs)" },
            ],
            workspaces: [
                { name: "source" },
                { name: "policy", description: "ConfigMap with key policy.yaml: the stack's ConstraintTemplates and Constraints" },
                {
                    name: "git-read",
                    description: "read-only git token (key `token`, the one Argo CD reads the manifests repo with): clone the pull request",
                },
                { name: "git-auth", description: "push-capable git token (key `token`): report the commit status only" },
                { name: "signing-keys", description: "ConfigMap: the stack's image-signing public keys, one `<name>.pub` per generation" },
            ],
            tasks: [
                {
                    name: "pending",
                    taskRef: ref(TASKS.reportStatus),
                    params: status("pending"),
                    workspaces: [{ name: "git-auth", workspace: "git-auth" }],
                },
                {
                    name: "clone",
                    taskRef: ref(TASKS.clone),
                    params: [
                        { name: "url", value: "$(params.clone-url)" },
                        { name: "revision", value: "$(params.sha)" },
                    ],
                    // The manifests repo is usually private. The PR's content is untrusted, so it is
                    // fetched with the read-only token: the push-capable one never shares a pod with it.
                    workspaces: [
                        { name: "output", workspace: "source", subPath: "head" },
                        { name: "git-auth", workspace: "git-read" },
                    ],
                },
                {
                    name: "policy",
                    taskRef: ref(TASKS.policyCheck),
                    runAfter: ["clone"],
                    params: [
                        { name: "paths", value: paths },
                        { name: "filename-args", value: paths.map(p => `--filename=${p}`) },
                    ],
                    workspaces: [src, { name: "policy", workspace: "policy" }],
                },
                {
                    name: "schemas",
                    taskRef: ref(TASKS.schemaCheck),
                    runAfter: ["clone"],
                    params: [{ name: "paths", value: paths }],
                    workspaces: [src],
                },
                { name: "deprecated-apis", taskRef: ref(TASKS.deprecationCheck), runAfter: ["clone"], workspaces: [src] },
                {
                    name: CHECK_WORKLOAD_IDENTITY_TASK,
                    taskRef: ref(TASKS.signatureCheck),
                    runAfter: ["clone"],
                    params: [
                        { name: "paths", value: paths },
                        { name: "acr-login-server", value: o.acrLoginServer },
                        { name: "repo-url", value: o.manifestsRepoUrl },
                        { name: "branch", value: o.branch },
                    ],
                    workspaces: [src, { name: "signing-keys", workspace: "signing-keys" }],
                },
            ],
            finally: [
                {
                    name: "report",
                    taskRef: ref(TASKS.reportStatus),
                    params: status("$(tasks.status)"),
                    workspaces: [{ name: "git-auth", workspace: "git-auth" }],
                },
            ],
        },
    };
}
