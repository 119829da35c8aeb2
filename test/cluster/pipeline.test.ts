import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { run as celRun } from "@bufbuild/cel";
import {
    AZURE_FEDERATION_AUDIENCE,
    GATEWAY,
    NAMESPACES,
    MANIFESTS_CHECK_SERVICE_ACCOUNT,
    PIPELINE_SERVICE_ACCOUNT,
    serviceAccountSubject,
    WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION,
} from "../../model/names";
import { mockRegistryDigest, uuidFrom } from "../../tools/mock-outputs";
import {
    CHECK_SERVICE_ACCOUNT,
    pipelineNetworkPolicies,
    SupplyChainPipeline,
    SupplyChainPipelineArgs,
} from "../../components/cluster/pipeline";
import {
    BUILD_PIPELINE_ORDER,
    isChainsTypeHint,
    severitiesAtOrAbove,
    TASKS,
    WORKLOAD_IDENTITY_TASK,
} from "../../components/cluster/pipeline/tasks";
import { pullRequestFilter, pushFilter } from "../../components/cluster/pipeline/triggers";
import {
    DIGEST_PINNED,
    imageReference,
    imagesLookedUp,
    registryLookupName,
    STEP_IMAGES,
    stepImage,
    StepImageName,
    StepImageSpec,
    stepImageThroughAcr,
} from "../../components/cluster/pipeline/images";
import { isPlaceholderDigest, SHA256_DIGEST } from "../../components/cluster/registry-digest";
import { mergedSteps } from "./pipeline/tekton";
import { byName, byType, descendants, freshRun, planDocument, readStackConfig, RecordedResource, StackRun, stackRun } from "../harness";

const NS = "ci";
const ROBOT_SECRET = "robot-secret-value-7f3a9c";
const GIT_TOKEN = "ghp_testtoken000000000000000000000000";
const GIT_READ_TOKEN = "ghp_readonly0000000000000000000000000";
const WEBHOOK_SECRET = "webhook-hmac-secret-4d2e";
const BOT = "platform-bot@example.com";
const SOURCE = "https://github.com/example/shop.git";
const MANIFESTS = "https://github.com/example/shop-manifests";
const SHA = "0123456789abcdef0123456789abcdef01234567";

type Any = Record<string, any>;
const CHECK_CLIENT_ID = "11111111-2222-3333-4444-555555555555";
const SIGNING_KEY_G1 = "-----BEGIN PUBLIC KEY-----\nZzE=\n-----END PUBLIC KEY-----\n";
const SIGNING_KEY_G2 = "-----BEGIN PUBLIC KEY-----\nZzI=\n-----END PUBLIC KEY-----\n";

function baseArgs(provider: k8s.Provider, clientId: pulumi.Input<string>): SupplyChainPipelineArgs {
    return {
        provider,
        namespace: NS,
        pipelineIdentityClientId: clientId,
        checkIdentityClientId: CHECK_CLIENT_ID,
        signingPublicKeys: [
            { generation: 1, publicKeyPem: SIGNING_KEY_G1 },
            { generation: 2, publicKeyPem: SIGNING_KEY_G2 },
        ],
        acrLoginServer: "shopacr.azurecr.io",
        harbor: {
            host: "harbor.dev.example.com",
            project: "staging",
            robotName: "robot$staging+pipeline",
            robotSecret: pulumi.secret(ROBOT_SECRET),
        },
        sourceRepoUrl: SOURCE,
        manifestsRepoUrl: MANIFESTS,
        branch: "main",
        manifestsPathByRegion: { secondary: "clusters/secondary", primary: "clusters/primary" },
        botName: "platform-bot",
        botEmail: BOT,
        blockSeverity: "high",
        cveAllowlist: ["CVE-2024-0001"],
        gitPushToken: pulumi.secret(GIT_TOKEN),
        gitReadToken: pulumi.secret(GIT_READ_TOKEN),
        webhookSecret: pulumi.secret(WEBHOOK_SECRET),
        hooksHostname: "hooks.dev.example.com",
        policyBundleYaml: "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata:\n  name: k8sallowedrepos\n",
        kubernetesVersion: "1.34",
    };
}

function pipelineRun(overrides: Partial<SupplyChainPipelineArgs> = {}): Promise<StackRun> {
    return freshRun({
        stack: "dev",
        program: () => {
            const provider = new k8s.Provider("primary", {});
            const identity = new managedidentity.UserAssignedIdentity("pipeline-identity", {
                resourceGroupName: "rg-delivery",
                resourceName: "id-pipeline",
            });
            new managedidentity.FederatedIdentityCredential("pipeline-federation", {
                resourceGroupName: "rg-delivery",
                resourceName: "id-pipeline",
                federatedIdentityCredentialResourceName: "pipeline-sa",
                issuer: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/",
                subject: serviceAccountSubject(NS, PIPELINE_SERVICE_ACCOUNT),
                audiences: [AZURE_FEDERATION_AUDIENCE],
            });
            new SupplyChainPipeline("delivery", { ...baseArgs(provider, identity.clientId), ...overrides });
        },
    });
}

/** The image a step gets offline: its pin, or the digest the offline registry answers for the tag. */
/** The upstream reference of a step image as the offline engine resolves it. */
function offlineStepImage(name: StepImageName): string {
    const i: StepImageSpec = STEP_IMAGES[name];
    return imageReference(i, i.source === "public-pin" ? i.digest : mockRegistryDigest(registryLookupName(i)));
}

/** What a step of the registered Tasks runs: the upstream image through the test's ACR. */
function acrStepImage(name: StepImageName): string {
    return stepImageThroughAcr("shopacr.azurecr.io", offlineStepImage(name));
}

const cr = (r: StackRun, kind: string) => r.resources.filter(x => x.type.endsWith(`:${kind}`) && x.type.startsWith("kubernetes:"));
const byMetaName = (r: StackRun, kind: string, name: string): Any => {
    const found = cr(r, kind).filter(x => (x.inputs as Any).metadata?.name === name);
    assert.equal(found.length, 1, `one ${kind} ${name}`);
    return found[0].inputs as Any;
};

// ---------------------------------------------------------------------------------------------
// The invariant walker: registry credentials / pull secrets only in the pipeline namespace.
// Walks every recorded input, including Helm release values and Tekton specs.
// ---------------------------------------------------------------------------------------------

interface Finding {
    where: string;
    namespace: string | undefined;
    what: string;
}

const REGISTRY_SECRET_TYPES = ["kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"];

function credentialFindings(run: StackRun): Finding[] {
    const findings: Finding[] = [];
    const visit = (v: unknown, where: string, ns: string | undefined): void => {
        if (Array.isArray(v)) {
            v.forEach((x, i) => visit(x, `${where}[${i}]`, ns));
            return;
        }
        if (!v || typeof v !== "object") return;
        const o = v as Any;
        const here = typeof o.metadata?.namespace === "string" ? o.metadata.namespace : ns;
        const isSecret = o.kind === "Secret" || (o.type && REGISTRY_SECRET_TYPES.includes(o.type) && (o.stringData || o.data));
        if (isSecret && REGISTRY_SECRET_TYPES.includes(o.type)) findings.push({ where, namespace: here, what: `Secret of type ${o.type}` });
        for (const key of Object.keys(o.metadata?.annotations ?? {})) {
            if (key.startsWith("tekton.dev/docker-")) findings.push({ where, namespace: here, what: `annotation ${key}` });
        }
        if (Array.isArray(o.imagePullSecrets) && o.imagePullSecrets.length > 0)
            findings.push({ where, namespace: here, what: "imagePullSecrets" });
        for (const [k, x] of Object.entries(o)) visit(x, `${where}.${k}`, here);
    };
    for (const res of run.resources) {
        const ns = res.type === "kubernetes:helm.sh/v3:Release" ? (res.rawInputs as Any).namespace : undefined;
        if (res.type === "kubernetes:core/v1:Secret") {
            const i = res.rawInputs as Any;
            if (REGISTRY_SECRET_TYPES.includes(i.type))
                findings.push({ where: res.urn, namespace: i.metadata?.namespace, what: `Secret of type ${i.type}` });
        }
        visit(res.rawInputs, res.urn, ns);
    }
    return findings;
}

/** Every `steps[].image` anywhere in the recorded inputs (Tasks, embedded taskSpecs, sidecars). */
function stepImages(run: StackRun): { where: string; image: unknown }[] {
    const out: { where: string; image: unknown }[] = [];
    const visit = (v: unknown, where: string): void => {
        if (Array.isArray(v)) {
            v.forEach((x, i) => visit(x, `${where}[${i}]`));
            return;
        }
        if (!v || typeof v !== "object") return;
        const o = v as Any;
        for (const list of ["steps", "sidecars"]) {
            if (Array.isArray(o[list])) for (const s of o[list]) out.push({ where: `${where}.${list}.${s?.name}`, image: s?.image });
        }
        if (o.stepTemplate && "image" in o.stepTemplate) out.push({ where: `${where}.stepTemplate`, image: o.stepTemplate.image });
        for (const [k, x] of Object.entries(o)) visit(x, `${where}.${k}`);
    };
    for (const res of run.resources) if (res.type.startsWith("kubernetes:tekton.dev/")) visit(res.rawInputs, res.urn);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Sample GitHub payloads
// ---------------------------------------------------------------------------------------------

function pushPayload(
    o: { ref?: string; email?: string; committerEmail?: string; files?: string[]; repo?: string; deleted?: boolean } = {},
): Any {
    const files = o.files ?? ["src/app.ts"];
    const email = o.email ?? "dev@example.com";
    return {
        ref: o.ref ?? "refs/heads/main",
        before: "f".repeat(40),
        after: o.deleted ? "0".repeat(40) : SHA,
        deleted: o.deleted ?? false,
        repository: {
            html_url: o.repo ?? "https://github.com/example/shop",
            clone_url: `${o.repo ?? "https://github.com/example/shop"}.git`,
        },
        head_commit: o.deleted
            ? null
            : {
                  id: SHA,
                  author: { name: "Dev", email },
                  committer: { name: "Dev", email: o.committerEmail ?? email },
                  added: [],
                  modified: files,
                  removed: [],
              },
        commits: o.deleted ? [] : [{ id: SHA, added: [], modified: files, removed: [] }],
    };
}

function prPayload(o: { action?: string; base?: string; repo?: string } = {}): Any {
    return {
        action: o.action ?? "opened",
        number: 7,
        repository: { html_url: o.repo ?? "https://github.com/example/shop-manifests" },
        pull_request: {
            base: { ref: o.base ?? "main" },
            head: { sha: SHA, ref: "bump/shop", repo: { clone_url: "https://github.com/example/shop-manifests.git" } },
        },
    };
}

/** Evaluates a filter as the CEL interceptor would: an evaluation error means "not triggered". */
function triggers(filter: string, body: Any): boolean {
    const result = celRun(filter, { body });
    if (result instanceof Error) return false;
    assert.equal(typeof result, "boolean", `filter evaluated to ${String(result)}`);
    return result as boolean;
}

// ---------------------------------------------------------------------------------------------

describe("SupplyChainPipeline", () => {
    let r: StackRun;
    let comp: RecordedResource;
    before(async () => {
        r = await pipelineRun();
        comp = byType(r, "platform:cluster:SupplyChainPipeline")[0];
    });

    it("is a component whose Kubernetes children all use the given provider", () => {
        assert.ok(comp);
        const kids = descendants(r, comp.urn).filter(c => c.custom);
        assert.ok(kids.length > 20);
        for (const c of kids) assert.match(c.provider ?? "", /::primary$/, c.urn);
    });

    describe("the build pipeline", () => {
        it("runs clone ▶ scan ▶ test ▶ build ▶ push to Harbor ▶ wait for Trivy ▶ promote ▶ PR, strictly in order", () => {
            const p = byMetaName(r, "Pipeline", "supply-chain");
            const tasks: Any[] = p.spec.tasks;
            assert.deepEqual(
                [...BUILD_PIPELINE_ORDER],
                ["clone", "scan-source", "test", "build", "push-staging", "wait-for-scan", "promote", "open-pr"],
            );
            assert.deepEqual(
                tasks.map(t => t.name),
                [...BUILD_PIPELINE_ORDER],
            );
            // Pipeline task names are not Task names: `clone` runs the Task `git-clone`.
            assert.equal(tasks[0].taskRef.name, TASKS.clone);
            tasks.forEach((t, i) => {
                if (i === 0) assert.equal(t.runAfter, undefined);
                else assert.deepEqual(t.runAfter, [tasks[i - 1].name], `${t.name} runs after ${tasks[i - 1].name}`);
            });
            // Every referenced Task exists in the namespace.
            const taskNames = new Set(cr(r, "Task").map(t => (t.inputs as Any).metadata.name));
            for (const t of tasks) assert.ok(taskNames.has(t.taskRef.name), t.taskRef.name);
        });

        it("scans for committed credentials (gitleaks) and vulnerable dependencies (Trivy fs) at the blocking severity", () => {
            const scan = byMetaName(r, "Task", "scan-source");
            const [creds, deps] = scan.spec.steps;
            assert.equal(creds.image, acrStepImage("gitleaks"));
            assert.match(creds.script, /gitleaks dir .*--redact .*--exit-code 1/);
            assert.equal(deps.image, acrStepImage("trivy"));
            assert.match(deps.script, /trivy fs --config \/tmp\/trivy\.yaml --scanners vuln --severity "\$SEVERITIES"/);
            assert.match(deps.script, /--exit-code 1/);
            assert.equal(deps.env.find((e: Any) => e.name === "SEVERITIES").value, "HIGH,CRITICAL");
            assert.deepEqual(severitiesAtOrAbove("none"), ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]);
        });

        it("builds daemonless with rootless BuildKit: never privileged, no credentials in the build or test pod", () => {
            for (const name of ["build", "test"]) {
                const t = byMetaName(r, "Task", name);
                // The step as Tekton runs it: stepTemplate merged in (see pipeline-security.test.ts).
                const step = mergedSteps(t)[0];
                assert.equal(step.image, acrStepImage("buildkitRootless"));
                assert.match(String(step.image), /-rootless@sha256:/);
                assert.match(step.script, /buildctl-daemonless\.sh build/);
                assert.equal(step.securityContext.privileged, false);
                assert.equal(step.securityContext.runAsNonRoot, true);
                assert.equal(step.securityContext.capabilities, undefined, "no added (or dropped) capabilities");
                assert.equal(step.securityContext.allowPrivilegeEscalation, undefined, "newuidmap needs privilege escalation");
                assert.ok(!t.spec.workspaces.some((w: Any) => /auth/.test(w.name)), `${name} must not get a credential workspace`);
            }
            assert.match(byMetaName(r, "Task", "build").spec.steps[0].script, /type=oci/);
        });

        it("pushes to Harbor staging, gates on Harbor's Trivy result and promotes the same digest to ACR", () => {
            const tasks: Any[] = byMetaName(r, "Pipeline", "supply-chain").spec.tasks;
            const t = Object.fromEntries(tasks.map(x => [x.name, x]));
            const param = (task: string, name: string) => t[task].params.find((p: Any) => p.name === name).value;
            assert.equal(param("push-staging", "image"), "harbor.dev.example.com/staging/shop:$(params.revision)");
            assert.equal(param("push-staging", "digest"), "$(tasks.build.results.digest)");
            assert.equal(param("wait-for-scan", "digest"), "$(tasks.push-staging.results.IMAGE_DIGEST)");
            assert.equal(param("promote", "source"), "harbor.dev.example.com/staging/shop@$(tasks.push-staging.results.IMAGE_DIGEST)");
            assert.equal(param("promote", "target"), "shopacr.azurecr.io/shop:$(params.revision)");
            assert.equal(param("open-pr", "digest"), "$(tasks.promote.results.ACR_DIGEST)");
            assert.equal(param("open-pr", "image-url"), "$(tasks.promote.results.ACR_URL)");
            assert.deepEqual(param("open-pr", "paths"), ["clusters/primary", "clusters/secondary"]);
            const wait = byMetaName(r, "Task", "wait-for-scan").spec.steps[0];
            assert.equal(wait.env.find((e: Any) => e.name === "BLOCK").value, "HIGH,CRITICAL");
            const promote = byMetaName(r, "Task", "promote").spec.steps;
            assert.match(promote[0].script, /az login --service-principal .*\n.*--federated-token/);
            assert.match(promote[0].script, /az acr login .*--expose-token/);
            assert.match(promote[1].script, /crane copy/);
            assert.ok(!JSON.stringify(promote).includes('password":'), "no static ACR secret");
        });
    });

    describe("Tekton Chains signs the Harbor staging image (type hints)", () => {
        it("only push-staging's results are Chains type hints, and they name the Harbor image", () => {
            // Chains v0.29.1 signs every image its type hints name, with the run's ServiceAccount
            // credentials (tasks.ts CHAINS_TYPE_HINT_SUFFIXES); those are Harbor's only.
            const hinted = cr(r, "Task")
                .map(t => t.inputs as Any)
                .flatMap(t =>
                    ((t.spec.results ?? []) as Any[]).filter(x => isChainsTypeHint(x.name)).map(x => `${t.metadata.name}.${x.name}`),
                );
            assert.deepEqual(hinted.sort(), ["push-staging.IMAGE_DIGEST", "push-staging.IMAGE_URL"]);
            assert.ok(
                isChainsTypeHint("PROMOTED_IMAGE_URL") && isChainsTypeHint("IMAGES") && isChainsTypeHint("x-ARTIFACT_OUTPUTS"),
                "suffix rule as upstream",
            );
            const push = byMetaName(r, "Task", "push-staging").spec.steps[0];
            assert.equal(push.env.find((e: Any) => e.name === "URL_RESULT").value, "$(results.IMAGE_URL.path)");
            const tasks: Any[] = byMetaName(r, "Pipeline", "supply-chain").spec.tasks;
            const image = tasks.find(t => t.name === "push-staging")!.params.find((p: Any) => p.name === "image").value;
            assert.match(image, /^harbor\.dev\.example\.com\/staging\/shop:/, "the image push-staging pushes (and reports) is Harbor's");
            // No pipeline task reads a type-hint result of promote any more.
            assert.doesNotMatch(JSON.stringify(tasks), /tasks\.promote\.results\.IMAGE_/);
        });
    });

    describe("step images", () => {
        it("every step image of every Task is pinned by digest and comes from the one table", () => {
            const images = stepImages(r);
            assert.ok(images.length >= 15);
            const known = new Set((Object.keys(STEP_IMAGES) as StepImageName[]).map(acrStepImage));
            for (const { where, image } of images) {
                assert.equal(typeof image, "string", where);
                assert.match(image as string, DIGEST_PINNED, where);
                assert.ok(known.has(image as string), `${where}: ${image} is not from STEP_IMAGES`);
            }
        });

        it("the table holds verified digests or registry lookups, never a placeholder", () => {
            for (const name of Object.keys(STEP_IMAGES) as StepImageName[]) {
                const i: StepImageSpec = STEP_IMAGES[name];
                if (i.source === "public-pin") {
                    assert.match(i.digest, SHA256_DIGEST, name);
                    assert.ok(!isPlaceholderDigest(i.digest), name);
                    assert.equal(stepImage(name), offlineStepImage(name));
                }
                assert.match(offlineStepImage(name), DIGEST_PINNED, name);
            }
            assert.deepEqual(imagesLookedUp(), ["azureCli", "gator", "pluto"]);
            assert.doesNotMatch("alpine/git:latest", DIGEST_PINNED);
        });
    });

    describe("identity", () => {
        it("annotates the pipeline ServiceAccount with the pipeline identity's client id; the federated subject names it", () => {
            const sa = byMetaName(r, "ServiceAccount", PIPELINE_SERVICE_ACCOUNT);
            const identity = byName(r, "azure-native:managedidentity:UserAssignedIdentity", "pipeline-identity");
            assert.equal(sa.metadata.namespace, NS);
            assert.equal(sa.metadata.annotations[WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION], uuidFrom(identity.urn, "client"));
            assert.equal(sa.automountServiceAccountToken, false);
            // Chains signs with the run's SA's imagePullSecrets: the Harbor robot, nothing else.
            assert.deepEqual(sa.imagePullSecrets, [{ name: "harbor-robot" }]);
            assert.equal(sa.secrets, undefined);
            const fic = byName(r, "azure-native:managedidentity:FederatedIdentityCredential", "pipeline-federation").inputs as Any;
            assert.equal(fic.subject, `system:serviceaccount:${sa.metadata.namespace}:${sa.metadata.name}`);
        });

        it("runs the build as that ServiceAccount and labels the promote pod (only) for workload identity", () => {
            const tt = byMetaName(r, "TriggerTemplate", "supply-chain");
            const run = tt.spec.resourcetemplates[0];
            assert.equal(run.apiVersion, "tekton.dev/v1");
            assert.equal(run.kind, "PipelineRun");
            assert.equal(run.spec.taskRunTemplate.serviceAccountName, PIPELINE_SERVICE_ACCOUNT);
            const labelled = run.spec.taskRunSpecs.filter((s: Any) => s.metadata?.labels?.["azure.workload.identity/use"] === "true");
            assert.deepEqual(
                labelled.map((s: Any) => s.pipelineTaskName),
                [WORKLOAD_IDENTITY_TASK],
            );
            // …and that pipeline task is the one running the promote Task.
            const tasks: Any[] = byMetaName(r, "Pipeline", "supply-chain").spec.tasks;
            assert.deepEqual(
                tasks.filter(t => t.taskRef.name === TASKS.promote).map(t => t.name),
                [WORKLOAD_IDENTITY_TASK],
            );
            assert.equal(run.metadata.labels["azure.workload.identity/use"], undefined, "not on every pod: test/build run repository code");
        });
    });

    describe("credentials", () => {
        it("the git token reaches git as a Basic header on the command line and the GitHub API as Bearer, the same way in every task", () => {
            const steps = (task: string): Any[] => byMetaName(r, "Task", task).spec.steps;
            const header =
                /^ *HDR="Authorization: Basic \$\(printf 'x-access-token:%s' "\$\(cat "\$AUTH_DIR\/token"\)" \| base64 \| tr -d '\\n'\)"$/m;
            for (const script of [steps("git-clone")[0].script, steps("open-pr")[0].script]) {
                assert.match(script, header);
                assert.doesNotMatch(script, /git config/, "the token is never written to .git/config");
            }
            const bearer = "auth = 'Bearer ' + open(os.path.join(env['AUTH_DIR'], 'token')).read().strip()\n";
            for (const script of [steps("open-pr")[1].script, steps("report-status")[0].script]) assert.ok(script.includes(bearer));
        });

        it("creates the Harbor robot docker config, git token and webhook secret only in the pipeline namespace", () => {
            const secrets = byType(r, "kubernetes:core/v1:Secret").map(s => s.rawInputs as Any);
            assert.deepEqual(secrets.map(s => s.metadata.name).sort(), ["git-read-token", "git-token", "github-webhook", "harbor-robot"]);
            for (const s of secrets) assert.equal(s.metadata.namespace, NS);
            const harbor = secrets.find(s => s.metadata.name === "harbor-robot")!;
            assert.equal(harbor.type, "kubernetes.io/dockerconfigjson");
            const cfg = JSON.parse(harbor.stringData[".dockerconfigjson"]);
            const auth = cfg.auths["harbor.dev.example.com"];
            assert.equal(Buffer.from(auth.auth, "base64").toString(), `robot$staging+pipeline:${ROBOT_SECRET}`);
        });

        it("no registry-credential Secret, tekton.dev/docker-* annotation or imagePullSecrets outside the pipeline namespace", () => {
            const bad = credentialFindings(r).filter(f => f.namespace !== NS);
            assert.deepEqual(bad, []);
            assert.ok(
                credentialFindings(r).some(f => f.what.includes("dockerconfigjson")),
                "the walker sees the robot secret",
            );
        });

        it("keeps every secret out of the plan document", () => {
            const doc = JSON.stringify(planDocument(r));
            for (const s of [
                ROBOT_SECRET,
                GIT_TOKEN,
                GIT_READ_TOKEN,
                WEBHOOK_SECRET,
                Buffer.from(`robot$staging+pipeline:${ROBOT_SECRET}`).toString("base64"),
            ]) {
                assert.ok(!doc.includes(s), "a secret leaked into the plan");
            }
            for (const name of ["harbor-robot", "git-token", "git-read-token", "github-webhook"]) {
                const s = byType(r, "kubernetes:core/v1:Secret").find(x => (x.rawInputs as Any).metadata.name === name)!;
                assert.ok(JSON.stringify(s.inputs).includes("[secret]"), name);
            }
        });

        it("the invariant walker catches credentials outside the pipeline namespace (incl. Helm values)", async () => {
            const leaky = await freshRun({
                stack: "dev",
                program: () => {
                    const provider = new k8s.Provider("primary", {});
                    new k8s.core.v1.Secret(
                        "pull",
                        {
                            metadata: { name: "pull", namespace: "apps" },
                            type: "kubernetes.io/dockerconfigjson",
                            stringData: { ".dockerconfigjson": "{}" },
                        },
                        { provider },
                    );
                    new k8s.helm.v3.Release(
                        "chart",
                        { chart: "x", namespace: "harbor", values: { core: { imagePullSecrets: [{ name: "regcred" }] } } },
                        { provider },
                    );
                },
            });
            const found = credentialFindings(leaky)
                .map(f => `${f.namespace}: ${f.what}`)
                .sort();
            assert.deepEqual([...new Set(found)], ["apps: Secret of type kubernetes.io/dockerconfigjson", "harbor: imagePullSecrets"]);
        });
    });

    describe("manifests check: which task holds which git token", () => {
        it("the PR is cloned with the read-only token; the push-capable token reaches only the status reports", () => {
            // PipelineRun workspace → Secret, as the TriggerTemplate binds them.
            const run = byMetaName(r, "TriggerTemplate", "manifests-check").spec.resourcetemplates[0];
            const secretOf: Record<string, string> = Object.fromEntries(
                (run.spec.workspaces as Any[]).filter(w => w.secret).map(w => [w.name, w.secret.secretName]),
            );
            assert.deepEqual(secretOf, { "git-read": "git-read-token", "git-auth": "git-token" });
            // Pipeline task → the Secret each of its workspaces resolves to.
            const p = byMetaName(r, "Pipeline", "manifests-check").spec;
            const held = Object.fromEntries(
                [...p.tasks, ...p.finally].map((t: Any) => [
                    t.name,
                    ((t.workspaces ?? []) as Any[]).map(w => (secretOf as Record<string, string>)[String(w.workspace)]).filter(Boolean),
                ]),
            );
            assert.deepEqual(held, {
                pending: ["git-token"],
                clone: ["git-read-token"],
                policy: [],
                schemas: [],
                "deprecated-apis": [],
                signatures: [],
                report: ["git-token"],
            });
            // The status tasks run report-status, which reads no file of the PR.
            for (const t of ["pending", "report"]) {
                const task = [...p.tasks, ...p.finally].find((x: Any) => x.name === t);
                assert.equal(task.taskRef.name, "report-status");
                assert.ok(!(task.workspaces as Any[]).some(w => w.workspace === "source"), t);
            }
            // Each Secret holds the token it is named for (secret values, resolved in the engine's raw inputs).
            const secret = (name: string) =>
                (byType(r, "kubernetes:core/v1:Secret").find(s => (s.rawInputs as Any).metadata.name === name)!.rawInputs as Any).stringData
                    .token;
            assert.equal(secret("git-read-token"), GIT_READ_TOKEN);
            assert.equal(secret("git-token"), GIT_TOKEN);
        });
    });

    describe("network", () => {
        it("denies all ingress and egress by default, then allows DNS, HTTPS out and webhooks from the Gateway only", () => {
            const policies = cr(r, "NetworkPolicy").map(p => p.inputs as Any);
            for (const p of policies) assert.equal(p.metadata.namespace, NS);
            const deny = policies.find(p => p.metadata.name === "default-deny")!;
            assert.deepEqual(deny.spec.podSelector, {});
            assert.deepEqual(deny.spec.policyTypes, ["Ingress", "Egress"]);
            assert.equal(deny.spec.ingress, undefined);
            assert.equal(deny.spec.egress, undefined);
            const ingress = policies.filter(p => p.spec.ingress);
            assert.equal(ingress.length, 1);
            assert.deepEqual(ingress[0].spec.podSelector, { matchLabels: { eventlistener: "supply-chain" } });
            assert.deepEqual(ingress[0].spec.ingress[0].ports, [{ protocol: "TCP", port: 8080 }]);
            const fromNs = ingress[0].spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values;
            assert.ok(fromNs.includes(GATEWAY.namespace));
            const https = policies.find(p => p.metadata.name === "allow-https-internet")!;
            assert.ok(https.spec.egress[0].to[0].ipBlock.except.includes("169.254.0.0/16"), "no instance metadata endpoint");
            const dns = policies.find(p => p.metadata.name === "allow-dns")!;
            assert.deepEqual(dns.spec.egress[0].to[0].podSelector, { matchLabels: { "k8s-app": "kube-dns" } });
        });

        it("registers exactly pipelineNetworkPolicies(), in the pipeline namespace", () => {
            const recorded = cr(r, "NetworkPolicy").map(p => p.inputs as Any);
            const expected = pipelineNetworkPolicies();
            assert.deepEqual(recorded.map(p => p.metadata.name).sort(), expected.map(([id]) => id).sort());
            for (const [id, spec] of expected) assert.deepEqual(recorded.find(p => p.metadata.name === id)!.spec, spec, id);
        });
    });

    describe("triggers", () => {
        it("EventListener: GitHub interceptor (HMAC secret, push) then the CEL filter, for the build trigger", () => {
            const el = byMetaName(r, "EventListener", "supply-chain");
            const [push, pr] = el.spec.triggers;
            assert.equal(push.interceptors[0].ref.name, "github");
            const p = Object.fromEntries(push.interceptors[0].params.map((x: Any) => [x.name, x.value]));
            assert.deepEqual(p.secretRef, { secretName: "github-webhook", secretKey: "secretToken" });
            assert.deepEqual(p.eventTypes, ["push"]);
            assert.equal(push.interceptors[1].ref.name, "cel");
            assert.equal(push.template.ref, "supply-chain");
            assert.deepEqual(pr.interceptors[0].params.find((x: Any) => x.name === "eventTypes").value, ["pull_request"]);
            assert.equal(pr.template.ref, "manifests-check");
        });

        it("the CEL filter (as deployed) triggers on a push to main and not on other branches or bot commits", () => {
            const el = byMetaName(r, "EventListener", "supply-chain");
            const filter: string = el.spec.triggers[0].interceptors[1].params[0].value;
            assert.doesNotMatch(filter, /header\.match|\.split\(|compareSecret|parseJSON|parseURL|truncate/, "no Tekton-only CEL helpers");
            assert.equal(triggers(filter, pushPayload()), true, "push to main");
            assert.equal(triggers(filter, pushPayload({ ref: "refs/heads/feature/x" })), false, "other branch");
            assert.equal(triggers(filter, pushPayload({ ref: "refs/tags/v1.0.0" })), false, "tag");
            assert.equal(triggers(filter, pushPayload({ email: BOT })), false, "authored by the bot");
            assert.equal(triggers(filter, pushPayload({ committerEmail: BOT })), false, "committed by the bot");
            assert.equal(triggers(filter, pushPayload({ deleted: true })), false, "branch deletion");
            assert.equal(triggers(filter, pushPayload({ repo: "https://github.com/evil/shop" })), false, "another repository");
        });

        it("when source and manifests share a repo, a push touching only manifests does not build", () => {
            const filter = pushFilter({
                branch: "main",
                repoUrl: SOURCE,
                botEmail: BOT,
                manifestsOnlyPaths: ["clusters/primary", "./clusters/secondary/"],
            });
            assert.equal(triggers(filter, pushPayload({ files: ["clusters/primary/app.yaml", "clusters/secondary/app.yaml"] })), false);
            assert.equal(triggers(filter, pushPayload({ files: ["clusters/primary/app.yaml", "src/main.go"] })), true);
            // A merged bump PR (merge commit by a human) is manifest-only too.
            assert.equal(triggers(filter, pushPayload({ email: "maintainer@example.com", files: ["clusters/primary/app.yaml"] })), false);
        });

        it("the PR filter runs the check for PRs to the manifests repo's branch only", () => {
            const el = byMetaName(r, "EventListener", "supply-chain");
            const filter: string = el.spec.triggers[1].interceptors[1].params[0].value;
            assert.equal(filter, pullRequestFilter({ branch: "main", repoUrl: MANIFESTS }));
            assert.equal(triggers(filter, prPayload()), true);
            assert.equal(triggers(filter, prPayload({ action: "synchronize" })), true);
            assert.equal(triggers(filter, prPayload({ action: "closed" })), false);
            assert.equal(triggers(filter, prPayload({ base: "develop" })), false);
            assert.equal(triggers(filter, prPayload({ repo: "https://github.com/example/shop" })), false);
        });

        it("exposes /hooks on the shared Gateway to el-supply-chain:8080", () => {
            const route = byMetaName(r, "HTTPRoute", "hooks");
            assert.equal(route.metadata.namespace, NS);
            assert.deepEqual(
                route.spec.parentRefs.map((p: Any) => [p.name, p.namespace]),
                [[GATEWAY.name, GATEWAY.namespace]],
            );
            assert.deepEqual(route.spec.hostnames, ["hooks.dev.example.com"]);
            assert.deepEqual(route.spec.rules[0].matches, [{ path: { type: "PathPrefix", value: "/hooks" } }]);
            assert.deepEqual(route.spec.rules[0].backendRefs, [{ kind: "Service", name: "el-supply-chain", port: 8080 }]);
        });
    });

    describe("manifests check (two-stage policy)", () => {
        it("evaluates the stack's policy bundle with gator, schemas with kubeconform, deprecated APIs with pluto, and reports a status", () => {
            const cm = byMetaName(r, "ConfigMap", "policy-bundle");
            assert.equal(cm.metadata.namespace, NS);
            assert.match(cm.data["policy.yaml"], /ConstraintTemplate/);
            const p = byMetaName(r, "Pipeline", "manifests-check");
            assert.deepEqual(
                p.spec.tasks.map((t: Any) => t.name),
                ["pending", "clone", "policy", "schemas", "deprecated-apis", "signatures"],
            );
            assert.equal(p.spec.finally[0].params.find((x: Any) => x.name === "state").value, "$(tasks.status)");
            const policySteps: Any[] = byMetaName(r, "Task", "policy-check").spec.steps;
            assert.deepEqual(
                policySteps.map(s => s.name),
                ["reject-policy-objects", "gator"],
            );
            const gator = policySteps[1];
            assert.equal(gator.image, acrStepImage("gator"));
            assert.equal(gator.args[0], "test");
            const policyTask = p.spec.tasks.find((t: Any) => t.name === "policy");
            assert.deepEqual(policyTask.params.find((x: Any) => x.name === "filename-args").value, [
                "--filename=clusters/primary",
                "--filename=clusters/secondary",
            ]);
            assert.deepEqual(policyTask.params.find((x: Any) => x.name === "paths").value, ["clusters/primary", "clusters/secondary"]);
            assert.ok(byMetaName(r, "Task", "schema-check").spec.steps[0].args.includes("1.34.0"));
            assert.ok(byMetaName(r, "Task", "deprecation-check").spec.steps[0].args.includes("k8s=v1.34.0"));
            const tt = byMetaName(r, "TriggerTemplate", "manifests-check").spec.resourcetemplates[0];
            assert.deepEqual(
                tt.spec.workspaces.find((w: Any) => w.name === "policy"),
                { name: "policy", configMap: { name: "policy-bundle" } },
            );
            // Only the signature task's pod gets an Azure token (AcrPull, to read signatures), and in it
            // only cosign's container: the step parsing the PR's files (container step-<name>) and Tekton's
            // init containers (tektoncd/pipeline v1.15.0 pkg/pod/pod.go:89-91) are skipped, `;`-separated.
            assert.deepEqual(tt.spec.taskRunSpecs, [
                {
                    pipelineTaskName: "signatures",
                    metadata: {
                        labels: { "azure.workload.identity/use": "true" },
                        annotations: {
                            "azure.workload.identity/skip-containers":
                                "step-image-references;prepare;place-scripts;working-dir-initializer",
                        },
                    },
                },
            ]);
            const sigSteps = (byMetaName(r, "Task", TASKS.signatureCheck).spec.steps as Any[]).map(x => x.name);
            assert.deepEqual(sigSteps, ["image-references", "verify"], "the skipped container is the parser; cosign's keeps the token");
        });
    });
});

describe("manifests check: signatures of every image digest under the manifests paths", () => {
    let r: StackRun;
    before(async () => {
        r = await pipelineRun();
    });

    it("runs the signature-check Task after the clone, on the head alone, with the stack's ACR, keys, manifests repo and branch", () => {
        const p = byMetaName(r, "Pipeline", "manifests-check").spec;
        const task = (n: string) => (p.tasks as Any[]).find(t => t.name === n)!;
        assert.deepEqual(task("signatures").taskRef, { name: TASKS.signatureCheck, kind: "Task" });
        assert.deepEqual(task("signatures").runAfter, ["clone"]);
        assert.deepEqual(task("signatures").params, [
            { name: "paths", value: ["clusters/primary", "clusters/secondary"] },
            { name: "acr-login-server", value: "shopacr.azurecr.io" },
            { name: "repo-url", value: MANIFESTS },
            { name: "branch", value: "main" },
        ]);
        assert.deepEqual(task("signatures").workspaces, [
            { name: "source", workspace: "source", subPath: "head" },
            { name: "signing-keys", workspace: "signing-keys" },
        ]);
        assert.deepEqual(task("clone").workspaces[0], { name: "output", workspace: "source", subPath: "head" });
        for (const n of ["policy", "schemas", "deprecated-apis"])
            assert.deepEqual(task(n).workspaces[0], task("signatures").workspaces[0], n);
        // No base commit anywhere: not in the Pipeline, the TriggerTemplate or the binding.
        assert.deepEqual(
            (p.params as Any[]).map(x => x.name),
            ["sha", "clone-url"],
        );
        const tt = byMetaName(r, "TriggerTemplate", "manifests-check").spec;
        assert.deepEqual(
            (tt.params as Any[]).map(x => x.name),
            ["sha", "clone-url"],
        );
        const binding = byMetaName(r, "TriggerBinding", "github-pull-request").spec.params as Any[];
        assert.deepEqual(
            binding.map(b => b.name),
            ["sha", "clone-url"],
        );
    });

    it("every key generation reaches the verify step (ConfigMap → workspace), oldest first", () => {
        const cm = byMetaName(r, "ConfigMap", "image-signing-keys");
        assert.equal(cm.metadata.namespace, NS);
        assert.deepEqual(cm.data, { "generation-1.pub": SIGNING_KEY_G1, "generation-2.pub": SIGNING_KEY_G2 });
        const tt = byMetaName(r, "TriggerTemplate", "manifests-check").spec.resourcetemplates[0];
        assert.deepEqual(
            tt.spec.workspaces.find((w: Any) => w.name === "signing-keys"),
            { name: "signing-keys", configMap: { name: "image-signing-keys" } },
        );
    });

    it("its steps run as non-root after the stepTemplate merge; cosign is pinned by digest and pulled through the ACR", () => {
        const t = byMetaName(r, "Task", TASKS.signatureCheck);
        const steps = mergedSteps(t);
        assert.deepEqual(
            steps.map(s => s.name),
            ["image-references", "verify"],
        );
        for (const s of steps) {
            assert.equal(s.securityContext.runAsNonRoot, true, s.name);
            assert.equal(s.securityContext.runAsUser, 65532, s.name);
            assert.equal(s.securityContext.allowPrivilegeEscalation, false, s.name);
        }
        assert.equal(steps[1].image, acrStepImage("cosign"));
        assert.equal(
            steps[1].image,
            "shopacr.azurecr.io/ghcr.io/sigstore/cosign/cosign:v3.1.1-dev@sha256:0dcd21d8b6464a526e3225f44c50f34687e861dcf010f566b3caa4f0e5cd898a",
        );
        assert.ok(steps[1].script.startsWith("#!/busybox/sh\n"), "the -dev image's shell");
        // No git credential in the pod that reads the PR's files and holds the Azure token.
        assert.deepEqual(
            (t.spec.workspaces as Any[]).map(w => w.name),
            ["source", "signing-keys"],
        );
    });

    it("the check's ServiceAccount carries the check identity's client id; the pipeline's keeps its own", () => {
        const sa = byMetaName(r, "ServiceAccount", CHECK_SERVICE_ACCOUNT);
        assert.equal(CHECK_SERVICE_ACCOUNT, MANIFESTS_CHECK_SERVICE_ACCOUNT);
        assert.equal(sa.metadata.annotations[WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION], CHECK_CLIENT_ID);
        assert.equal(sa.automountServiceAccountToken, false);
        assert.equal(sa.imagePullSecrets, undefined);
        assert.notEqual(
            byMetaName(r, "ServiceAccount", PIPELINE_SERVICE_ACCOUNT).metadata.annotations[WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION],
            CHECK_CLIENT_ID,
        );
    });

    it("refuses an empty key list (or a generation twice) before registering anything, naming the key", async () => {
        for (const [keys, message] of [
            [[], /SupplyChainPipeline delivery: signingPublicKeys is empty/],
            [
                [
                    { generation: 1, publicKeyPem: SIGNING_KEY_G1 },
                    { generation: 1, publicKeyPem: SIGNING_KEY_G2 },
                ],
                /signingPublicKeys: each generation at most once/,
            ],
        ] as const) {
            await assert.rejects(pipelineRun({ signingPublicKeys: keys }), message);
        }
    });
});

describe("credential invariant across each stack's plan", () => {
    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: registry credentials and pull secrets only in the pipeline namespace; every Tekton step image digest-pinned`, async () => {
            const delivery = JSON.parse(readStackConfig(stack).config["platform:delivery"]);
            const run = await stackRun(stack);
            const bad = credentialFindings(run).filter(f => f.namespace !== delivery.pipelineNamespace);
            assert.deepEqual(bad, []);
            for (const { where, image } of stepImages(run)) assert.match(String(image), DIGEST_PINNED, where);
            const tektonNs = run.resources.filter(
                x => (x.inputs as Any).metadata?.namespace === NAMESPACES.tektonPipelines && x.type === "kubernetes:core/v1:Secret",
            );
            assert.deepEqual(tektonNs, []);
        });
    }
});
