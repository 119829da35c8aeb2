import { strict as assert } from "assert";
import { listStacks, readStackConfig } from "../../tools/engine";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as authorization from "@pulumi/azure-native/authorization";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import {
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { policies, PRIVILEGED_ROLES, REGISTRY_WRITE_ROLES, ROLES, TYPES } from "../../policy/policies";
import { BUILT_IN_ROLES } from "../../model/role-ids";
import { evaluate, evaluatePolicies, PolicyViolation } from "../../tools/policy-offline";
import { UNKNOWN_SENTINELS } from "../../policy/values";
import { freshRun, RecordedResource, stackRun, StackRun } from "../harness";
import { policyContext } from "../../tools/plan";
import { TEKTON_DASHBOARD_SERVICE } from "../../model/names";
import { TEKTON_OPERATOR_IMAGE_ENVS } from "../../model/tekton-operator-images";

// ---------------------------------------------------------------------------------------------
// Hand-built analyzer arguments
// ---------------------------------------------------------------------------------------------

/* eslint-disable @typescript-eslint/no-require-imports */
// The SDK's own proxy and sentinels (internal): props are wrapped exactly as the analyzer does.
const sdkProxy = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy<T>(v: T): T;
    unknownStringValue: string;
    unknownBooleanValue: string;
    unknownNumberValue: string;
    unknownArrayValue: string;
    unknownAssetValue: string;
    unknownArchiveValue: string;
    unknownObjectValue: string;
};
/* eslint-enable @typescript-eslint/no-require-imports */
const UNKNOWN = sdkProxy.unknownStringValue;
const UNKNOWN_BOOL = sdkProxy.unknownBooleanValue;

type Props = Record<string, any>;
interface ArgOptions {
    name?: string;
    protect?: boolean;
    config?: Record<string, unknown>;
    stackTags?: Record<string, string>;
    provider?: { type: string; props: Props };
}

function resourceArgs(type: string, props: Props, o: ArgOptions = {}): ResourceValidationArgs {
    const name = o.name ?? "r";
    return {
        type,
        props: sdkProxy.unknownCheckingProxy(props),
        urn: `urn:pulumi:test::platform::${type}::${name}`,
        name,
        opts: {
            protect: o.protect ?? false,
            ignoreChanges: [],
            aliases: [],
            additionalSecretOutputs: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        },
        provider: o.provider ? { ...o.provider, urn: "urn:provider", name: "provider" } : undefined,
        stackTags: new Map(Object.entries(o.stackTags ?? {})),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => ({ ...(o.config ?? {}) }) as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`not applicable: ${reason}`);
        },
    };
}

function policy<T extends ResourceValidationPolicy | StackValidationPolicy>(name: string): T {
    const found = policies.find(p => p.name === name);
    if (!found) throw new Error(`no policy ${name}`);
    return found as T;
}

/** Messages a resource policy reports for one resource. */
function check(policyName: string, type: string, props: Props, o: ArgOptions = {}): string[] {
    const p = policy<ResourceValidationPolicy>(policyName);
    const messages: string[] = [];
    const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource!];
    for (const v of validations) v(resourceArgs(type, props, o), m => messages.push(m));
    return messages;
}

interface StackRes {
    type: string;
    name: string;
    props: Props;
    deps?: string[];
    propertyDeps?: Record<string, string[]>;
}

function checkStack(policyName: string, resources: StackRes[], config: Record<string, unknown> = {}): { message: string; urn?: string }[] {
    const urn = (r: StackRes) => `urn:pulumi:test::platform::${r.type}::${r.name}`;
    const built = new Map<string, PolicyResource>();
    for (const r of resources) {
        built.set(r.name, {
            type: r.type,
            props: sdkProxy.unknownCheckingProxy(r.props),
            urn: urn(r),
            name: r.name,
            opts: {
                protect: false,
                ignoreChanges: [],
                aliases: [],
                additionalSecretOutputs: [],
                customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            },
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        });
    }
    for (const r of resources) {
        const b = built.get(r.name)!;
        b.dependencies = (r.deps ?? []).map(d => built.get(d)!);
        b.propertyDependencies = Object.fromEntries(Object.entries(r.propertyDeps ?? {}).map(([k, v]) => [k, v.map(d => built.get(d)!)]));
    }
    const args: StackValidationArgs = {
        resources: [...built.values()],
        stackTags: new Map(),
        getConfig: <T extends object>() => ({ ...config }) as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`not applicable: ${reason}`);
        },
    };
    const out: { message: string; urn?: string }[] = [];
    policy<StackValidationPolicy>(policyName).validateStack(args, (message, u) => out.push({ message, urn: u }));
    return out;
}

const assertUnknownReported = (messages: string[], fragment: string) => {
    assert.ok(
        messages.some(m => m.includes(fragment) && /unknown during preview/.test(m)),
        `expected an unknown-at-preview violation about ${fragment}, got ${JSON.stringify(messages)}`,
    );
};

const REGISTRY = TYPES.registry[0];
const CLUSTER = TYPES.cluster[0];
const ROLE_ASSIGNMENT = TYPES.roleAssignment[0];
const UAI = TYPES.userAssignedIdentity[0];
const RELEASE = "kubernetes:helm.sh/v3:Release";
const roleId = (guid: string) =>
    `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

// ---------------------------------------------------------------------------------------------
// The pack itself
// ---------------------------------------------------------------------------------------------

describe("policy pack", () => {
    it("has unique names, an explicit enforcement level each, and no reserved name", () => {
        const names = policies.map(p => p.name);
        assert.equal(new Set(names).size, names.length);
        assert.ok(!names.includes("all"));
        for (const p of policies) assert.ok(p.enforcementLevel === "mandatory" || p.enforcementLevel === "advisory", p.name);
    });

    it("recognises every unknown sentinel the SDK uses (a version bump that changes them fails here)", () => {
        for (const key of [
            "unknownStringValue",
            "unknownBooleanValue",
            "unknownNumberValue",
            "unknownArrayValue",
            "unknownAssetValue",
            "unknownArchiveValue",
            "unknownObjectValue",
        ] as const) {
            assert.ok(UNKNOWN_SENTINELS.has(sdkProxy[key]), key);
        }
        assert.ok(UNKNOWN_SENTINELS.has(pulumi.runtime.unknownValue));
        assert.ok(UNKNOWN_SENTINELS.has("[unknown]"));
    });

    it("uses the verified built-in role GUIDs (Owner is -443c-, not -443e-)", () => {
        assert.equal(ROLES.owner, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635");
        assert.equal(ROLES.contributor, "b24988ac-6180-42a0-ab88-20f7382dd24c");
        assert.equal(ROLES.acrPush, "8311e382-0749-4cb8-b61a-304f252e45ec");
    });

    it("enforces the shared role groups (model/role-ids.ts), the same the stack's tests use", () => {
        const B = BUILT_IN_ROLES;
        assert.deepEqual(
            [...REGISTRY_WRITE_ROLES].sort(),
            [B.AcrPush, B.ContainerRegistryRepositoryWriter, B.ContainerRegistryTasksContributor, B.Contributor, B.Owner].sort(),
        );
        assert.deepEqual(
            [...PRIVILEGED_ROLES].sort(),
            [B.Owner, B.Contributor, B.UserAccessAdministrator, B.RoleBasedAccessControlAdministrator].sort(),
        );
        for (const guid of Object.values(B)) assert.match(guid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.equal(new Set(Object.values(B)).size, Object.values(B).length, "one GUID per role");
    });

    it("is a loadable pack folder: PulumiPolicy.yaml with runtime nodejs, a versioned package.json, index wrapping the array", () => {
        const dir = path.join(__dirname, "..", "..", "policy");
        assert.equal(YAML.parse(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8")).runtime, "nodejs");
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
        assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
        assert.equal(pkg.dependencies, undefined, "the pack shares the root node_modules");
        const index = fs.readFileSync(path.join(dir, "index.ts"), "utf8");
        assert.match(index, /new PolicyPack\("supply-chain-guardrails"/);
    });

    it("ships a policy config per environment that sets every policy's `environment`", () => {
        for (const env of ["dev", "prod"]) {
            const cfg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "policy", "config", `${env}.json`), "utf8"));
            for (const p of policies.filter(p => p.configSchema?.properties.environment)) {
                assert.equal(cfg[p.name]?.environment, env, `${env}.json: ${p.name}`);
            }
            for (const key of Object.keys(cfg))
                assert.ok(
                    policies.some(p => p.name === key),
                    `${env}.json names unknown policy ${key}`,
                );
        }
    });

    it("judges each stack with that stack's own settings (one source of truth for the pipeline namespace)", () => {
        // The offline plan reads the stack config; a real `pulumi preview` reads policy/config/<stack>.json.
        for (const stack of listStacks()) {
            const cfg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "policy", "config", `${stack}.json`), "utf8"));
            const stackConfig = readStackConfig(stack).config;
            const pipelineNamespace = JSON.parse(stackConfig["platform:delivery"]).pipelineNamespace;
            const withNamespace = policies.filter(p => p.configSchema?.properties.pipelineNamespace);
            assert.ok(withNamespace.length >= 2);
            for (const p of withNamespace) assert.equal(cfg[p.name]?.pipelineNamespace, pipelineNamespace, `${stack}.json: ${p.name}`);
            for (const p of policies.filter(p => p.configSchema?.properties.environment)) {
                assert.equal(cfg[p.name]?.environment, stackConfig["platform:environment"], `${stack}.json: ${p.name}`);
            }
        }
    });

    it("imports neither azure-native nor kubernetes", () => {
        for (const f of ["policies.ts", "values.ts", "index.ts"]) {
            const src = fs.readFileSync(path.join(__dirname, "..", "..", "policy", f), "utf8");
            assert.doesNotMatch(src, /from "@pulumi\/(azure-native|kubernetes)/, f);
        }
    });

    it("loads no provider SDK, even through the shared modules it imports (the pack's import graph)", () => {
        const root = path.resolve(__dirname, "..", "..");
        const graph = runtimeImportGraph(path.join(root, "policy", "index.ts"));
        const rel = (f: string) => path.relative(root, f);
        // The shared tables the pack reads (a walk that missed them would prove nothing).
        assert.ok(graph.files.has(path.join(root, "model", "role-ids.ts")), [...graph.files].map(rel).join(", "));
        assert.ok(graph.files.has(path.join(root, "model", "admission", "policies.ts")));
        const providers = [...graph.packages]
            .filter(([p]) => /^@pulumi\/(azure-native|kubernetes)(\/|$)/.test(p))
            .map(([p, from]) => `${p} (imported by ${rel(from)})`);
        assert.deepEqual(providers, []);
        // Besides @pulumi/policy: the offline Gatekeeper evaluator (CEL, YAML) the pod-security rule
        // runs admission's own templates with, and Node's fs/path that read those template files.
        assert.deepEqual(
            [...graph.packages.keys()].sort(),
            ["@bufbuild/cel", "@bufbuild/cel/ext", "@pulumi/policy", "fs", "path", "yaml"],
            "the pack's only package dependencies",
        );
    });
});

/**
 * Every file reachable from `entry` through relative imports (import/export … from, require,
 * dynamic import; `import type`/`export type` are erased and skipped), and every package
 * specifier those files load, with the first file that loads it.
 */
function runtimeImportGraph(entry: string): { files: Set<string>; packages: Map<string, string> } {
    const files = new Set<string>();
    const packages = new Map<string, string>();
    const resolve = (from: string, spec: string): string => {
        const base = path.resolve(path.dirname(from), spec);
        const hit = [base, `${base}.ts`, path.join(base, "index.ts")].find(f => fs.existsSync(f) && fs.statSync(f).isFile());
        if (!hit) throw new Error(`${from}: cannot resolve ${spec}`);
        return hit;
    };
    const pending = [entry];
    while (pending.length) {
        const file = pending.pop()!;
        if (files.has(file)) continue;
        files.add(file);
        const src = fs.readFileSync(file, "utf8");
        const specifiers = [
            ...[...src.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^"';]*?\s+from\s+)?["']([^"']+)["']/gm)]
                .filter(m => !m[2])
                .map(m => m[3]),
            ...[...src.matchAll(/\b(?:require|import)\s*\(\s*["']([^"']+)["']\s*\)/g)].map(m => m[1]),
        ];
        for (const spec of specifiers) {
            if (spec.startsWith(".")) pending.push(resolve(file, spec));
            else if (!spec.startsWith("node:") && !packages.has(spec)) packages.set(spec, file);
        }
    }
    return { files, packages };
}

// ---------------------------------------------------------------------------------------------
// ACR
// ---------------------------------------------------------------------------------------------

describe("ACR policies", () => {
    const good = { adminUserEnabled: false, anonymousPullEnabled: false, sku: { name: "Premium" } };

    it("pass a registry with admin user and anonymous pull explicitly off", () => {
        assert.deepEqual(check("acr-admin-user-disabled", REGISTRY, good), []);
        assert.deepEqual(check("acr-anonymous-pull-disabled", REGISTRY, good), []);
    });

    it("reject the admin user enabled, or left implicit", () => {
        assert.match(
            check("acr-admin-user-disabled", REGISTRY, { ...good, adminUserEnabled: true })[0],
            /adminUserEnabled must be false.*it is true/,
        );
        assert.match(check("acr-admin-user-disabled", REGISTRY, { anonymousPullEnabled: false })[0], /not set/);
    });

    it("reject anonymous pull", () => {
        assert.match(
            check("acr-anonymous-pull-disabled", REGISTRY, { ...good, anonymousPullEnabled: true })[0],
            /anonymousPullEnabled must be false/,
        );
    });

    it("report an admin user flag unknown at preview instead of passing", () => {
        assertUnknownReported(check("acr-admin-user-disabled", REGISTRY, { ...good, adminUserEnabled: UNKNOWN_BOOL }), "adminUserEnabled");
    });

    it("ignore other types", () => {
        assert.deepEqual(check("acr-admin-user-disabled", CLUSTER, { adminUserEnabled: true }), []);
    });
});

// ---------------------------------------------------------------------------------------------
// AKS
// ---------------------------------------------------------------------------------------------

describe("AKS policies", () => {
    const good: Props = {
        disableLocalAccounts: true,
        aadProfile: { managed: true, enableAzureRBAC: true },
        oidcIssuerProfile: { enabled: true },
        securityProfile: { workloadIdentity: { enabled: true }, defender: { securityMonitoring: { enabled: true } } },
        apiServerAccessProfile: { authorizedIPRanges: ["203.0.113.0/24"] },
        agentPoolProfiles: [{ name: "system", availabilityZones: ["1", "2", "3"] }],
    };
    const mandatory = ["aks-local-accounts-disabled", "aks-entra-id-azure-rbac", "aks-workload-identity", "aks-api-server-restricted"];

    it("pass a hardened cluster", () => {
        for (const p of mandatory) assert.deepEqual(check(p, CLUSTER, good), [], p);
    });

    it("reject local accounts", () => {
        assert.match(
            check("aks-local-accounts-disabled", CLUSTER, { ...good, disableLocalAccounts: false })[0],
            /disableLocalAccounts must be true/,
        );
        assert.equal(check("aks-local-accounts-disabled", CLUSTER, { ...good, disableLocalAccounts: undefined }).length, 1);
    });

    it("reject missing Entra ID integration or Azure RBAC", () => {
        assert.match(
            check("aks-entra-id-azure-rbac", CLUSTER, { ...good, aadProfile: { managed: true, enableAzureRBAC: false } })[0],
            /enableAzureRBAC must be true/,
        );
        assert.match(
            check("aks-entra-id-azure-rbac", CLUSTER, { ...good, aadProfile: { enableAzureRBAC: true } })[0],
            /aadProfile.managed must be true/,
        );
        assert.equal(check("aks-entra-id-azure-rbac", CLUSTER, { ...good, aadProfile: undefined }).length, 2);
    });

    it("reject workload identity or the OIDC issuer off", () => {
        assert.match(
            check("aks-workload-identity", CLUSTER, { ...good, securityProfile: {} })[0],
            /securityProfile.workloadIdentity.enabled must be true/,
        );
        assert.match(
            check("aks-workload-identity", CLUSTER, { ...good, oidcIssuerProfile: { enabled: false } })[0],
            /oidcIssuerProfile.enabled must be true/,
        );
    });

    it("require authorized ranges or a private API server, and no open range", () => {
        assert.match(
            check("aks-api-server-restricted", CLUSTER, { ...good, apiServerAccessProfile: undefined })[0],
            /open to the internet/,
        );
        assert.match(
            check("aks-api-server-restricted", CLUSTER, { ...good, apiServerAccessProfile: { authorizedIPRanges: [] } })[0],
            /open to the internet/,
        );
        assert.deepEqual(
            check("aks-api-server-restricted", CLUSTER, { ...good, apiServerAccessProfile: { enablePrivateCluster: true } }),
            [],
        );
        assert.match(
            check("aks-api-server-restricted", CLUSTER, {
                ...good,
                apiServerAccessProfile: { authorizedIPRanges: ["10.0.0.0/8", "0.0.0.0/0"] },
            })[0],
            /\[1\] is 0\.0\.0\.0\/0/,
        );
    });

    it("report authorized ranges unknown at preview instead of passing", () => {
        assertUnknownReported(
            check("aks-api-server-restricted", CLUSTER, { ...good, apiServerAccessProfile: { authorizedIPRanges: UNKNOWN } }),
            "authorizedIPRanges",
        );
        assertUnknownReported(
            check("aks-api-server-restricted", CLUSTER, {
                ...good,
                apiServerAccessProfile: { authorizedIPRanges: ["203.0.113.0/24", UNKNOWN] },
            }),
            "authorizedIPRanges[1]",
        );
        assertUnknownReported(check("aks-entra-id-azure-rbac", CLUSTER, { ...good, aadProfile: UNKNOWN }), "aadProfile");
    });
});

// ---------------------------------------------------------------------------------------------
// Role assignments
// ---------------------------------------------------------------------------------------------

describe("role assignment policies", () => {
    it("reject Owner, Contributor and the access-granting roles", () => {
        for (const guid of [ROLES.owner, ROLES.contributor, ROLES.userAccessAdministrator, ROLES.rbacAdministrator]) {
            assert.equal(
                check("no-privileged-role-assignments", ROLE_ASSIGNMENT, { roleDefinitionId: roleId(guid), principalId: "p" }).length,
                1,
                guid,
            );
        }
        assert.match(
            check("no-privileged-role-assignments", ROLE_ASSIGNMENT, { roleDefinitionId: roleId(ROLES.owner.toUpperCase()) })[0],
            /Owner/,
        );
    });

    it("allow narrow roles", () => {
        assert.deepEqual(
            check("no-privileged-role-assignments", ROLE_ASSIGNMENT, { roleDefinitionId: roleId(ROLES.acrPull), principalId: "p" }),
            [],
        );
        assert.deepEqual(
            check("no-privileged-role-assignments", ROLE_ASSIGNMENT, { roleDefinitionId: roleId(ROLES.acrPush), principalId: "p" }),
            [],
        );
    });

    it("report a role definition unknown at preview", () => {
        assertUnknownReported(check("no-privileged-role-assignments", ROLE_ASSIGNMENT, { roleDefinitionId: UNKNOWN }), "roleDefinitionId");
    });

    describe("images only from the stack's ACR (stack)", () => {
        const P = "images-only-from-acr";
        const acr: StackRes = {
            type: "azure-native:containerregistry:Registry",
            name: "registry-acr",
            props: { registryName: "scDev123" },
        };
        const A = "scdev123.azurecr.io";
        const sealed = (values: Props, namespace = "sealed-secrets"): StackRes => ({
            type: "kubernetes:helm.sh/v3:Release",
            name: "sealed",
            props: { chart: "sealed-secrets", namespace, values },
        });
        const pod = (image: string, namespace: string, type = "kubernetes:core/v1:Pod"): StackRes => ({
            type,
            name: `pod-${namespace}`,
            props: { metadata: { name: "p", namespace }, spec: { containers: [{ name: "c", image }] } },
        });

        it("passes charts whose image values name the ACR and objects whose images come from it", () => {
            assert.deepEqual(
                checkStack(P, [
                    acr,
                    sealed({ image: { registry: `${A}/docker.io` } }),
                    pod(`${A}/docker.io/envoyproxy/envoy:distroless-v1.39.0`, "envoy-gateway-system"),
                ]),
                [],
            );
        });

        it("rejects a chart left on its upstream default, an upstream value, and an upstream image in a platform namespace", () => {
            const out = checkStack(P, [acr, sealed({ keyrenewperiod: "0" }), pod("docker.io/library/busybox:1.37", "argocd")]);
            assert.equal(out.length, 2);
            assert.match(out[0].message, /values\.image\.registry is not set \(the chart's upstream default applies\)/);
            assert.match(out[1].message, /namespace "argocd": spec\.containers\[0\]\.image = docker\.io\/library\/busybox:1\.37/);
            const upstream = checkStack(P, [acr, sealed({ image: { registry: "docker.io" } })]);
            assert.match(upstream[0].message, /values\.image\.registry = docker\.io/);
            // A look-alike host is not the ACR.
            assert.equal(checkStack(P, [acr, pod(`${A}.evil.example/x:1`, "team-a")]).length, 1);
        });

        it("skips Kubernetes' own namespaces; holds the pipeline's Tekton steps to ACR too, pluto included (no exception left); rejects an unknown chart", () => {
            assert.deepEqual(checkStack(P, [acr, pod("docker.io/library/busybox:1.37", "kube-system")]), []);
            const D = `@sha256:${"b".repeat(64)}`;
            const task = (image: string, ns = "ci") => pod(image, ns, "kubernetes:tekton.dev/v1:Task");
            assert.deepEqual(checkStack(P, [acr, task(`${A}/docker.io/alpine/git:v2.49.1${D}`)], { pipelineNamespace: "ci" }), []);
            const upstream = checkStack(P, [acr, task(`docker.io/alpine/git:v2.49.1${D}`)], { pipelineNamespace: "ci" });
            assert.equal(upstream.length, 1, "an upstream step image is refused");
            assert.match(upstream[0].message, /namespace "ci": spec\.containers\[0\]\.image = docker\.io\/alpine\/git/);
            // pluto comes through the ACR's Google Artifact Registry rule like every other step image.
            assert.deepEqual(
                checkStack(P, [acr, task(`${A}/us-docker.pkg.dev/fairwinds-ops/oss/pluto:v5.24.4${D}`)], { pipelineNamespace: "ci" }),
                [],
            );
            const pluto = checkStack(P, [acr, task(`us-docker.pkg.dev/fairwinds-ops/oss/pluto:v5.24.4${D}`)], { pipelineNamespace: "ci" });
            assert.equal(pluto.length, 1, "pluto straight from Google Artifact Registry is refused, digest-pinned or not");
            assert.match(pluto[0].message, /image = us-docker\.pkg\.dev\/fairwinds-ops\/oss\/pluto/);
            const unknownChart: StackRes = {
                type: "kubernetes:helm.sh/v3:Release",
                name: "x",
                props: { chart: "something", namespace: "x", values: {} },
            };
            assert.match(checkStack(P, [acr, unknownChart])[0].message, /no entry in CHART_IMAGE_VALUES/);
        });

        it("reports image values unknown at preview", () => {
            assertUnknownReported(
                checkStack(P, [acr, sealed({ image: { registry: UNKNOWN } })]).map(v => v.message),
                "values.image.registry",
            );
        });

        it("holds the Tekton Operator's IMAGE_* env overrides to the ACR: every bundled image set, each value from the ACR", () => {
            const D = `@sha256:${"c".repeat(64)}`;
            const operator = (additionalEnvs?: { name: string; value: unknown }[]): StackRes => ({
                type: "kubernetes:helm.sh/v3:Release",
                name: "tekton-operator",
                props: {
                    chart: "tekton-operator",
                    namespace: "tekton-operator",
                    values: {
                        operator: { image: { repository: `${A}/ghcr.io/tektoncd/operator/operator` }, additionalEnvs },
                        webhook: { image: { repository: `${A}/ghcr.io/tektoncd/operator/webhook` } },
                        webhookProxy: { image: { repository: `${A}/ghcr.io/tektoncd/operator/proxy-webhook` } },
                        pruner: { image: { repository: `${A}/ghcr.io/tektoncd/plumbing/tkn` } },
                    },
                },
            });
            const all = TEKTON_OPERATOR_IMAGE_ENVS.map(name => ({ name, value: `${A}/ghcr.io/tektoncd/x:v1${D}` }));
            assert.deepEqual(checkStack(P, [acr, operator(all)]), []);
            // Without the overrides the operator deploys its bundled upstream images.
            const none = checkStack(P, [acr, operator()]);
            assert.equal(none.length, 1);
            assert.match(
                none[0].message,
                /values\.operator\.additionalEnvs does not set IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER, .*IMAGE_DASHBOARD_TEKTON_DASHBOARD/,
            );
            // An override naming an upstream registry is an image outside the ACR.
            const upstream = all.map(e =>
                e.name === "IMAGE_TRIGGERS_ARG__EL_IMAGE" ? { ...e, value: "ghcr.io/tektoncd/triggers/el:v1" } : e,
            );
            const out = checkStack(P, [acr, operator(upstream)]);
            assert.equal(out.length, 1);
            assert.match(
                out[0].message,
                /operator\.additionalEnvs\[\d+\]\(IMAGE_TRIGGERS_ARG__EL_IMAGE\)\.value = ghcr\.io\/tektoncd\/triggers\/el:v1/,
            );
            assertUnknownReported(
                checkStack(P, [acr, operator(all.map((e, i) => (i === 0 ? { ...e, value: UNKNOWN } : e)))]).map(v => v.message),
                "IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER",
            );
            // The same shape anywhere else (a Deployment's env) counts as an image too.
            const deployment: StackRes = {
                type: "kubernetes:apps/v1:Deployment",
                name: "d",
                props: {
                    metadata: { name: "d", namespace: "tekton-pipelines" },
                    spec: {
                        template: {
                            spec: {
                                containers: [{ name: "c", image: `${A}/ghcr.io/x:v1`, env: [{ name: "IMAGE_X", value: "quay.io/x:v1" }] }],
                            },
                        },
                    },
                },
            };
            assert.match(checkStack(P, [acr, deployment])[0].message, /\(IMAGE_X\)\.value = quay\.io\/x:v1/);
        });

        it("reads IMAGE_* entries as images only where they are: the operator release's additionalEnvs and workload containers' env", () => {
            // A Pipeline's Chains type hints (tektoncd/chains v0.29.1 docs/slsa-provenance.md): a
            // result and a param named IMAGE_URL whose values are references to task results.
            const pipeline: StackRes = {
                type: "kubernetes:tekton.dev/v1:Pipeline",
                name: "build",
                props: {
                    metadata: { name: "build", namespace: "ci" },
                    spec: {
                        params: [{ name: "IMAGE_URL", type: "string", default: "harbor.example.com/team/app" }],
                        results: [
                            { name: "IMAGE_URL", value: "$(tasks.push.results.IMAGE_URL)" },
                            { name: "IMAGE_DIGEST", value: "$(tasks.push.results.IMAGE_DIGEST)" },
                        ],
                        tasks: [{ name: "push", taskRef: { name: "push" }, params: [{ name: "IMAGE_URL", value: "$(params.IMAGE_URL)" }] }],
                    },
                },
            };
            assert.deepEqual(checkStack(P, [acr, pipeline], { pipelineNamespace: "ci" }), []);
            // A CronJob's container env is a workload's env: an upstream IMAGE_* value there is refused.
            const cronJob: StackRes = {
                type: "kubernetes:batch/v1:CronJob",
                name: "cj",
                props: {
                    metadata: { name: "cj", namespace: "tekton-pipelines" },
                    spec: {
                        jobTemplate: {
                            spec: {
                                template: {
                                    spec: {
                                        containers: [
                                            { name: "c", image: `${A}/ghcr.io/x:v1`, env: [{ name: "IMAGE_Y", value: "quay.io/y:v1" }] },
                                        ],
                                    },
                                },
                            },
                        },
                    },
                },
            };
            assert.match(
                checkStack(P, [acr, cronJob])[0].message,
                /spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.env\[0\]\(IMAGE_Y\)\.value = quay\.io\/y:v1/,
            );
        });
    });

    describe("registry write only for the pipeline identity (stack)", () => {
        const P = "registry-write-roles-only-for-pipeline-identity";
        const pipelineId = "11111111-1111-4111-8111-111111111111";
        const pipeline: StackRes = { type: UAI, name: "primary-pipeline", props: { resourceName: "id-pipeline", principalId: pipelineId } };
        const other: StackRes = {
            type: UAI,
            name: "external-dns",
            props: { resourceName: "id-external-dns", principalId: "22222222-2222-4222-8222-222222222222" },
        };

        it("passes AcrPush to the pipeline identity's principalId", () => {
            const ra: StackRes = {
                type: ROLE_ASSIGNMENT,
                name: "pipeline-acr-push",
                props: { roleDefinitionId: roleId(ROLES.acrPush), principalId: pipelineId },
            };
            assert.deepEqual(checkStack(P, [pipeline, other, ra]), []);
        });

        it("rejects AcrPush (or Contributor) to another principal", () => {
            const push: StackRes = {
                type: ROLE_ASSIGNMENT,
                name: "dns-acr-push",
                props: { roleDefinitionId: roleId(ROLES.acrPush), principalId: other.props.principalId },
            };
            const contrib: StackRes = {
                type: ROLE_ASSIGNMENT,
                name: "dns-contrib",
                props: { roleDefinitionId: roleId(ROLES.contributor), principalId: other.props.principalId },
            };
            const out = checkStack(P, [pipeline, other, push, contrib]);
            assert.equal(out.length, 2);
            assert.match(out[0].message, /dns-acr-push grants AcrPush .* not the pipeline identity/);
            assert.ok(out[0].urn?.endsWith("::dns-acr-push"));
        });

        it("passes at preview when the unknown principalId is computed from the pipeline identity", () => {
            const newPipeline = { ...pipeline, props: { resourceName: "id-pipeline", principalId: UNKNOWN } };
            const ra: StackRes = {
                type: ROLE_ASSIGNMENT,
                name: "pipeline-acr-push",
                props: { roleDefinitionId: roleId(ROLES.acrPush), principalId: UNKNOWN },
                propertyDeps: { principalId: ["primary-pipeline"], scope: [] },
            };
            assert.deepEqual(checkStack(P, [newPipeline, ra]), []);
        });

        it("reports an unknown principalId that is not computed from a pipeline identity", () => {
            const ra: StackRes = {
                type: ROLE_ASSIGNMENT,
                name: "mystery-push",
                props: { roleDefinitionId: roleId(ROLES.acrPush), principalId: UNKNOWN },
                deps: ["primary-pipeline"], // ordering only: not where the principal comes from
                propertyDeps: { principalId: ["external-dns"] },
            };
            const out = checkStack(P, [{ ...pipeline, props: { resourceName: "id-pipeline", principalId: UNKNOWN } }, other, ra]);
            assert.equal(out.length, 1);
            assert.match(out[0].message, /unknown during preview/);
        });

        it("rejects registry write when the stack has no pipeline identity", () => {
            const ra: StackRes = {
                type: ROLE_ASSIGNMENT,
                name: "push",
                props: { roleDefinitionId: roleId(ROLES.acrPush), principalId: "x" },
            };
            assert.match(checkStack(P, [other, ra])[0].message, /no pipeline identity/);
        });

        it("honours a configured identity pattern", () => {
            const ra: StackRes = {
                type: ROLE_ASSIGNMENT,
                name: "push",
                props: { roleDefinitionId: roleId(ROLES.acrPush), principalId: other.props.principalId },
            };
            assert.deepEqual(checkStack(P, [other, ra], { pipelineIdentityPattern: "^external-dns$" }), []);
        });

        it("ignores AcrPull", () => {
            const ra: StackRes = {
                type: ROLE_ASSIGNMENT,
                name: "kubelet-pull",
                props: { roleDefinitionId: roleId(ROLES.acrPull), principalId: "kubelet" },
            };
            assert.deepEqual(checkStack(P, [pipeline, ra]), []);
        });
    });
});

// ---------------------------------------------------------------------------------------------
// Registry credentials in Kubernetes
// ---------------------------------------------------------------------------------------------

describe("no registry credentials outside the pipeline namespace", () => {
    const P = "no-registry-credentials-outside-pipeline-namespace";
    const SECRET = "kubernetes:core/v1:Secret";
    const dockerSecret = (namespace?: string) => ({
        metadata: { name: "regcred", ...(namespace ? { namespace } : {}) },
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": "{}" },
    });
    const podSpec = (pullSecrets?: unknown) => ({
        containers: [{ name: "app", image: "acr.azurecr.io/app@sha256:abc" }],
        ...(pullSecrets !== undefined ? { imagePullSecrets: pullSecrets } : {}),
    });

    it("allows a docker-config Secret in the pipeline namespace (default ci, or configured)", () => {
        assert.deepEqual(check(P, SECRET, dockerSecret("ci")), []);
        assert.deepEqual(check(P, SECRET, dockerSecret("build"), { config: { pipelineNamespace: "build" } }), []);
    });

    it("rejects docker-config Secrets elsewhere, including the configured namespace moving away", () => {
        assert.match(
            check(P, SECRET, dockerSecret("apps"))[0],
            /namespace "apps", outside the pipeline namespace "ci".*kubernetes\.io\/dockerconfigjson/,
        );
        assert.equal(check(P, SECRET, dockerSecret("ci"), { config: { pipelineNamespace: "build" } }).length, 1);
        assert.equal(check(P, SECRET, { ...dockerSecret("apps"), type: "kubernetes.io/dockercfg" }).length, 1);
    });

    it("resolves a missing namespace to the provider's default namespace, else default", () => {
        assert.match(check(P, SECRET, dockerSecret())[0], /namespace "default"/);
        assert.deepEqual(
            check(P, SECRET, dockerSecret(), { provider: { type: "pulumi:providers:kubernetes", props: { namespace: "ci" } } }),
            [],
        );
    });

    it("rejects Tekton docker credential annotations and docker config data outside ci", () => {
        const tekton = {
            metadata: { namespace: "apps", annotations: { "tekton.dev/docker-0": "https://acr.azurecr.io" } },
            type: "kubernetes.io/basic-auth",
            stringData: { username: "u", password: "p" },
        };
        assert.match(check(P, SECRET, tekton)[0], /tekton\.dev\/docker-0/);
        const opaque = { metadata: { namespace: "apps" }, type: "Opaque", data: { ".dockerconfigjson": "e30=" } };
        assert.match(check(P, SECRET, opaque)[0], /a docker registry config/);
    });

    it("rejects a docker config.json (with auths) outside ci, as the Gatekeeper constraint does", () => {
        const auths = JSON.stringify({ auths: { "acr.azurecr.io": { auth: "dTpw" } } });
        assert.match(
            check(P, SECRET, { metadata: { namespace: "apps" }, type: "Opaque", stringData: { "config.json": auths } })[0],
            /config\.json.*auths/,
        );
        assert.match(
            check(P, SECRET, {
                metadata: { namespace: "apps" },
                type: "Opaque",
                data: { "config.json": Buffer.from(auths).toString("base64") },
            })[0],
            /config\.json/,
        );
        // An application's own config.json is not a registry credential.
        assert.deepEqual(
            check(P, SECRET, { metadata: { namespace: "apps" }, type: "Opaque", stringData: { "config.json": '{"logLevel":"info"}' } }),
            [],
        );
    });

    it("judges a SealedSecret by the Secret it unseals into", () => {
        const SEALED = "kubernetes:bitnami.com/v1alpha1:SealedSecret";
        const sealed = (spec: Props) => ({ metadata: { namespace: "apps" }, spec });
        assert.match(
            check(
                P,
                SEALED,
                sealed({ template: { type: "kubernetes.io/dockerconfigjson" }, encryptedData: { ".dockerconfigjson": "AgB…" } }),
            )[0],
            /SealedSecret: Secret of type kubernetes\.io\/dockerconfigjson/,
        );
        assert.match(check(P, SEALED, sealed({ encryptedData: { ".dockerconfigjson": "AgB…" } }))[0], /a docker registry config/);
        assert.match(
            check(
                P,
                SEALED,
                sealed({
                    template: { metadata: { annotations: { "tekton.dev/docker-0": "https://r" } } },
                    encryptedData: { password: "AgB…" },
                }),
            )[0],
            /tekton\.dev\/docker-0/,
        );
        assert.deepEqual(check(P, SEALED, sealed({ encryptedData: { password: "AgB…" } })), []);
        assert.deepEqual(
            check(P, SEALED, { metadata: { namespace: "ci" }, spec: { template: { type: "kubernetes.io/dockerconfigjson" } } }),
            [],
        );
    });

    it("rejects (mandatory) images pinned by a placeholder digest: all-zero or any one repeated hex digit", () => {
        const D = "image-digests-resolved";
        assert.equal(policy(D).enforcementLevel, "mandatory");
        const zero = `docker.io/openpolicyagent/gator:v3.23.0@sha256:${"0".repeat(64)}`;
        const fs = `us-docker.pkg.dev/fairwinds-ops/oss/pluto:v5.24.4@sha256:${"f".repeat(64)}`;
        const real = `ghcr.io/yannh/kubeconform:v0.7.0-alpine@sha256:${"8f".repeat(32)}`;
        const task = { spec: { steps: [{ image: zero }, { image: real }, { image: fs }] } };
        assert.match(
            check(D, "kubernetes:tekton.dev/v1:Task", task)[0],
            /gator:v3\.23\.0@sha256:0{64}, us-docker\.pkg\.dev\/fairwinds-ops\/oss\/pluto:v5\.24\.4@sha256:f{64}$/,
        );
        assert.deepEqual(check(D, "kubernetes:tekton.dev/v1:Task", { spec: { steps: [{ image: real }] } }), []);
    });

    it("passes ordinary Secrets", () => {
        assert.deepEqual(check(P, SECRET, { metadata: { namespace: "apps" }, type: "Opaque", stringData: { token: "x" } }), []);
    });

    it("rejects imagePullSecrets in Pods, workload pod templates, CronJobs and ServiceAccounts", () => {
        const cases: [string, Props][] = [
            ["kubernetes:core/v1:Pod", { metadata: { namespace: "apps" }, spec: podSpec([{ name: "regcred" }]) }],
            [
                "kubernetes:apps/v1:Deployment",
                { metadata: { namespace: "apps" }, spec: { template: { spec: podSpec([{ name: "regcred" }]) } } },
            ],
            [
                "kubernetes:apps/v1:StatefulSet",
                { metadata: { namespace: "apps" }, spec: { template: { spec: podSpec([{ name: "regcred" }]) } } },
            ],
            [
                "kubernetes:batch/v1:CronJob",
                {
                    metadata: { namespace: "apps" },
                    spec: { jobTemplate: { spec: { template: { spec: podSpec([{ name: "regcred" }]) } } } },
                },
            ],
            ["kubernetes:core/v1:ServiceAccount", { metadata: { namespace: "apps" }, imagePullSecrets: [{ name: "regcred" }] }],
            [
                "kubernetes:tekton.dev/v1:TaskRun",
                { metadata: { namespace: "apps" }, spec: { podTemplate: { imagePullSecrets: [{ name: "regcred" }] } } },
            ],
        ];
        for (const [type, props] of cases) {
            const out = check(P, type, props);
            assert.equal(out.length, 1, type);
            assert.match(out[0], /imagePullSecrets/, type);
        }
    });

    it("allows empty imagePullSecrets, and imagePullSecrets in the pipeline namespace", () => {
        assert.deepEqual(
            check(P, "kubernetes:apps/v1:Deployment", { metadata: { namespace: "apps" }, spec: { template: { spec: podSpec([]) } } }),
            [],
        );
        assert.deepEqual(
            check(P, "kubernetes:apps/v1:Deployment", {
                metadata: { namespace: "ci" },
                spec: { template: { spec: podSpec([{ name: "harbor-robot" }]) } },
            }),
            [],
        );
    });

    it("reports a credential whose namespace is unknown at preview, and a Secret type unknown at preview", () => {
        assert.match(check(P, SECRET, { ...dockerSecret(), metadata: { namespace: UNKNOWN } })[0], /a namespace unknown during preview/);
        assertUnknownReported(check(P, SECRET, { metadata: { namespace: "apps" }, type: UNKNOWN }), "Secret type");
        assertUnknownReported(
            check(P, "kubernetes:apps/v1:Deployment", { metadata: { namespace: "apps" }, spec: { template: UNKNOWN } }),
            "spec.template",
        );
    });

    describe("Helm release values walk", () => {
        const release = (values: unknown, namespace = "argocd") => ({ name: "r", chart: "argo-cd", namespace, values });

        it("finds pull secrets at any depth and under chart-specific keys", () => {
            const out = check(
                P,
                RELEASE,
                release({
                    global: { imagePullSecrets: [] },
                    controller: { replicas: 2, imagePullSecrets: [{ name: "regcred" }] },
                    image: { pullSecrets: ["regcred"] },
                    nested: { list: [{ deeper: { imagePullSecrets: ["x"] } }] },
                }),
            );
            assert.equal(out.length, 1);
            assert.match(
                out[0],
                /namespace "argocd".*values\.controller\.imagePullSecrets; values\.image\.pullSecrets; values\.nested\.list\[0\]\.deeper\.imagePullSecrets/,
            );
        });

        it("finds charts that render their own pull secret from values", () => {
            assert.match(
                check(P, RELEASE, release({ imageCredentials: { registry: "r", username: "u", password: "p" } }))[0],
                /values\.imageCredentials/,
            );
        });

        it("passes values without credentials, and any values in the pipeline namespace", () => {
            assert.deepEqual(check(P, RELEASE, release({ global: { imagePullSecrets: [] }, server: { replicas: 2 } })), []);
            assert.deepEqual(check(P, RELEASE, release({ imagePullSecrets: [{ name: "harbor" }] }, "ci")), []);
        });

        it("reports unknown values and unknown pull-secret keys, but not an unknown scalar elsewhere", () => {
            assertUnknownReported(check(P, RELEASE, release(UNKNOWN)), "values");
            assertUnknownReported(
                check(P, RELEASE, release({ controller: { imagePullSecrets: UNKNOWN } })),
                "values.controller.imagePullSecrets",
            );
            assertUnknownReported(check(P, RELEASE, release({ global: UNKNOWN })), "values.global");
            assert.deepEqual(
                check(P, RELEASE, release({ serviceAccount: { annotations: { "azure.workload.identity/client-id": UNKNOWN } } })),
                [],
            );
        });

        it("reports values files it cannot read", () => {
            assert.match(check(P, RELEASE, { ...release({}), valueYamlFiles: [{ path: "values.yaml" }] })[0], /valueYamlFiles/);
        });
    });

    it("cross-checks a Namespace labelled as the pipeline namespace (stack)", () => {
        const ns = (name: string): StackRes => ({
            type: "kubernetes:core/v1:Namespace",
            name,
            props: { metadata: { name, labels: { "platform.example.com/pipeline": "true" } } },
        });
        assert.deepEqual(checkStack("pipeline-namespace-consistent", [ns("ci")]), []);
        assert.match(
            checkStack("pipeline-namespace-consistent", [ns("build")])[0].message,
            /"build" is labelled .* pipelineNamespace is "ci"/,
        );
        assert.deepEqual(checkStack("pipeline-namespace-consistent", [ns("build")], { pipelineNamespace: "build" }), []);
    });
});

// ---------------------------------------------------------------------------------------------
// Gatekeeper, Traffic Manager, protection
// ---------------------------------------------------------------------------------------------

describe("Gatekeeper fails closed in prod", () => {
    const P = "gatekeeper-webhook-fail-closed-in-prod";
    const gk = (values: unknown) => ({
        name: "gatekeeper",
        chart: "gatekeeper",
        repositoryOpts: { repo: "https://open-policy-agent.github.io/gatekeeper/charts" },
        namespace: "gatekeeper-system",
        values,
    });
    const prod = { config: { environment: "prod" } };

    it("passes Fail in prod, and Ignore in dev", () => {
        assert.deepEqual(check(P, RELEASE, gk({ validatingWebhookFailurePolicy: "Fail" }), prod), []);
        assert.deepEqual(check(P, RELEASE, gk({ validatingWebhookFailurePolicy: "Ignore" }), { config: { environment: "dev" } }), []);
    });

    it("rejects Ignore, or the chart default, in prod", () => {
        assert.match(check(P, RELEASE, gk({ validatingWebhookFailurePolicy: "Ignore" }), prod)[0], /"Ignore"/);
        assert.match(check(P, RELEASE, gk({}), prod)[0], /chart default Ignore/);
    });

    it("takes the environment from a stack tag, and assumes prod when nothing says", () => {
        assert.deepEqual(check(P, RELEASE, gk({ validatingWebhookFailurePolicy: "Ignore" }), { stackTags: { environment: "dev" } }), []);
        assert.match(check(P, RELEASE, gk({ validatingWebhookFailurePolicy: "Ignore" }))[0], /assumed prod/);
    });

    it("reports a failure policy unknown at preview", () => {
        assertUnknownReported(check(P, RELEASE, gk({ validatingWebhookFailurePolicy: UNKNOWN }), prod), "validatingWebhookFailurePolicy");
    });

    it("ignores other charts", () => {
        assert.deepEqual(check(P, RELEASE, { chart: "argo-cd", values: {} }, prod), []);
    });
});

describe("Traffic Manager probe Host header", () => {
    const P = "traffic-manager-probe-host-header";
    const profile = (headers: unknown) => ({ monitorConfig: { protocol: "HTTPS", port: 443, path: "/healthz", customHeaders: headers } });

    it("passes a Host header (any case), under the current and the legacy type token", () => {
        for (const type of TYPES.trafficManagerProfile) {
            assert.deepEqual(check(P, type, profile([{ name: "host", value: "app.platform.example.com" }])), [], type);
        }
    });

    it("rejects a probe without a Host header", () => {
        assert.match(check(P, TYPES.trafficManagerProfile[0], profile(undefined))[0], /no non-empty Host header/);
        assert.equal(
            check(
                P,
                TYPES.trafficManagerProfile[0],
                profile([
                    { name: "X-Probe", value: "1" },
                    { name: "Host", value: "" },
                ]),
            ).length,
            1,
        );
    });

    it("reports headers unknown at preview", () => {
        assertUnknownReported(check(P, TYPES.trafficManagerProfile[0], profile(UNKNOWN)), "customHeaders");
    });
});

describe("stateful resources protected in prod", () => {
    const P = "stateful-resources-protected-in-prod";
    const stateful = [REGISTRY, TYPES.dnsZone[0], CLUSTER, TYPES.logAnalyticsWorkspace[0], TYPES.storageAccount[0]];

    it("rejects unprotected stateful resources in prod", () => {
        for (const type of stateful)
            assert.match(check(P, type, {}, { config: { environment: "prod" }, name: "x" })[0], /holds state and is not protected/, type);
    });

    it("passes protected ones in prod, anything in dev, and stateless types", () => {
        for (const type of stateful) {
            assert.deepEqual(check(P, type, {}, { config: { environment: "prod" }, protect: true }), [], type);
            assert.deepEqual(check(P, type, {}, { config: { environment: "dev" } }), [], type);
        }
        assert.deepEqual(check(P, "azure-native:network:VirtualNetwork", {}, { config: { environment: "prod" } }), []);
    });
});

describe("advisory policies", () => {
    const prod = { config: { environment: "prod" } };

    it("are advisory", () => {
        for (const name of [
            "acr-premium-in-prod",
            "aks-availability-zones-in-prod",
            "aks-defender-in-prod",
            "traffic-manager-probe-https",
        ]) {
            assert.equal(policy(name).enforcementLevel, "advisory", name);
        }
    });

    it("flag a non-Premium registry, zoneless pools and Defender off in prod only", () => {
        assert.match(check("acr-premium-in-prod", REGISTRY, { sku: { name: "Standard" } }, prod)[0], /"Standard"/);
        assert.deepEqual(check("acr-premium-in-prod", REGISTRY, { sku: { name: "Standard" } }, { config: { environment: "dev" } }), []);
        assert.match(
            check("aks-availability-zones-in-prod", CLUSTER, { agentPoolProfiles: [{ name: "system", availabilityZones: [] }] }, prod)[0],
            /system is not spread/,
        );
        assert.match(
            check("aks-availability-zones-in-prod", TYPES.agentPool[0], { availabilityZones: ["1"] }, { ...prod, name: "user" })[0],
            /user is not spread/,
        );
        assert.match(check("aks-defender-in-prod", CLUSTER, { securityProfile: {} }, prod)[0], /no runtime threat detection/);
        assert.match(
            check("traffic-manager-probe-https", TYPES.trafficManagerProfile[0], {
                monitorConfig: { protocol: "HTTP", path: "/healthz" },
            })[0],
            /HTTPS/,
        );
    });
});

describe("sign-in guardrails", () => {
    const ARGO = { chart: "argo-cd", namespace: "argocd", repositoryOpts: { repo: "https://argoproj.github.io/argo-helm" } };
    const argo = (cm: Props) => ({ ...ARGO, values: { configs: { cm } } });
    const A = "argocd-local-admin-disabled";

    it("Argo CD: passes admin.enabled false (or the strings ParseBool reads as false)", () => {
        assert.deepEqual(check(A, RELEASE, argo({ "admin.enabled": false })), []);
        assert.deepEqual(check(A, TYPES.helmChart[0], argo({ "admin.enabled": "false" })), []);
        assert.deepEqual(check(A, TYPES.configMap[0], { metadata: { name: "argocd-cm" }, data: { "admin.enabled": "false" } }), []);
    });

    it("Argo CD: rejects the local admin enabled, left at the chart default, or not verifiable", () => {
        assert.match(check(A, RELEASE, argo({ "admin.enabled": true }))[0], /admin\.enabled"\] must be false.*it is true/);
        assert.match(check(A, RELEASE, argo({ "exec.enabled": false }))[0], /not set \(Argo CD and the chart default to enabled\)/);
        assert.match(check(A, RELEASE, { ...ARGO, values: {} })[0], /not set/);
        assert.match(check(A, RELEASE, argo({ "admin.enabled": "no" }))[0], /"no"/, "ParseBool cannot read it, so Argo CD keeps the admin");
        assert.match(check(A, RELEASE, argo({ create: false, "admin.enabled": false }))[0], /argocd-cm is not written by this release/);
        assert.match(
            check(A, TYPES.configMap[0], { metadata: { name: "argocd-cm" }, data: {} })[0],
            /data\["admin\.enabled"\] must be false/,
        );
        assertUnknownReported(check(A, RELEASE, argo({ "admin.enabled": UNKNOWN_BOOL })), "admin.enabled");
    });

    it("Argo CD: ignores other charts and ConfigMaps", () => {
        assert.deepEqual(check(A, RELEASE, { chart: "harbor", values: { configs: { cm: { "admin.enabled": true } } } }), []);
        assert.deepEqual(check(A, TYPES.configMap[0], { metadata: { name: "other" }, data: { "admin.enabled": "true" } }), []);
    });

    const T = "tekton-dashboard-only-via-oauth2-proxy";
    const ROUTE = TYPES.httpRoute[0];
    const route = (namespace: string | undefined, rule: Props) => ({
        metadata: { name: "r", ...(namespace ? { namespace } : {}) },
        spec: { rules: [rule] },
    });
    const dash = TEKTON_DASHBOARD_SERVICE;

    it("Tekton dashboard: passes the route to oauth2-proxy and routes to other Services", () => {
        assert.deepEqual(
            check(T, ROUTE, route("tekton-dashboard-proxy", { backendRefs: [{ kind: "Service", name: "oauth2-proxy", port: 80 }] })),
            [],
        );
        assert.deepEqual(
            check(T, ROUTE, route("apps", { backendRefs: [{ name: dash.name, port: dash.port }] })),
            [],
            "a same-named Service in another namespace",
        );
        assert.deepEqual(
            check(T, ROUTE, route(dash.namespace, { backendRefs: [{ group: "example.com", kind: "Backend", name: dash.name }] })),
            [],
        );
    });

    it("Tekton dashboard: rejects a route to its Service, by explicit namespace, by the route's own namespace (kind and group defaulted), or as a mirror", () => {
        assert.match(
            check(
                T,
                ROUTE,
                route("tekton-dashboard-proxy", { backendRefs: [{ name: dash.name, namespace: dash.namespace, port: dash.port }] }),
            )[0],
            /spec\.rules\[0\]\.backendRefs\[0\] sends traffic to the Tekton dashboard Service tekton-pipelines\/tekton-dashboard, bypassing oauth2-proxy/,
        );
        assert.equal(check(T, ROUTE, route(dash.namespace, { backendRefs: [{ name: dash.name, port: dash.port }] })).length, 1);
        assert.equal(check(T, ROUTE, route(dash.namespace, { backendRefs: [{ group: "", kind: "Service", name: dash.name }] })).length, 1);
        assert.equal(
            check(T, ROUTE, route(undefined, { backendRefs: [{ name: dash.name }] }), {
                provider: { type: "pulumi:providers:kubernetes", props: { namespace: dash.namespace } },
            }).length,
            1,
            "no namespace: the provider's default namespace",
        );
        assert.match(
            check(
                T,
                ROUTE,
                route("apps", {
                    backendRefs: [{ name: "app" }],
                    filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: dash.name, namespace: dash.namespace } } }],
                }),
            )[0],
            /filters\[0\]\.requestMirror\.backendRef sends traffic to the Tekton dashboard/,
        );
        assert.match(
            check(
                T,
                "kubernetes:gateway.networking.k8s.io/v1beta1:HTTPRoute",
                route(dash.namespace, { backendRefs: [{ name: dash.name }] }),
            )[0],
            /bypassing oauth2-proxy/,
        );
    });

    it("Tekton dashboard: reports backends unknown at preview", () => {
        assertUnknownReported(check(T, ROUTE, route("apps", { backendRefs: [{ name: UNKNOWN }] })), "backendRefs[0].name");
        assertUnknownReported(check(T, ROUTE, { metadata: { namespace: "apps" }, spec: { rules: UNKNOWN } }), "spec.rules");
    });
});

describe("the pack on the stack's own plans", () => {
    for (const stack of ["dev", "prod"] as const) {
        describe(stack, () => {
            let run: StackRun;
            before(async () => {
                run = await stackRun(stack);
            });
            const judge = (r: StackRun) => evaluatePolicies(r, policyContext(stack));
            /** The run with one resource's inputs changed (as a later edit of the program would). */
            const edited = (match: (r: RecordedResource) => boolean, edit: (inputs: Props) => Props): { run: StackRun; urn: string } => {
                const target = run.resources.find(match);
                assert.ok(target, "resource to edit");
                const resources = run.resources.map(r =>
                    r === target
                        ? ({
                              ...r,
                              inputs: edit(structuredClone(r.inputs)),
                              rawInputs: edit(structuredClone(r.rawInputs)),
                          } as RecordedResource)
                        : r,
                );
                return { run: { ...run, resources }, urn: target.urn };
            };

            it("passes every policy (mandatory and advisory)", () => {
                assert.deepEqual(
                    judge(run).map(v => `${v.policy}: ${v.message}`),
                    [],
                );
            });

            it("rejects the Argo CD release with its local admin back on", () => {
                const { run: r, urn } = edited(
                    x => x.type === RELEASE && x.inputs.chart === "argo-cd",
                    i => ({
                        ...i,
                        values: { ...i.values, configs: { ...i.values.configs, cm: { ...i.values.configs.cm, "admin.enabled": true } } },
                    }),
                );
                assert.deepEqual(
                    judge(r)
                        .filter(v => v.policy === "argocd-local-admin-disabled")
                        .map(v => v.urn),
                    [urn],
                );
            });

            it("rejects the Tekton dashboard route pointed straight at the dashboard", () => {
                const { run: r, urn } = edited(
                    x => x.type === TYPES.httpRoute[0] && (x.inputs.metadata as Props | undefined)?.name === "tekton-dashboard",
                    i => ({
                        ...i,
                        spec: {
                            ...i.spec,
                            rules: [
                                {
                                    backendRefs: [
                                        {
                                            name: TEKTON_DASHBOARD_SERVICE.name,
                                            namespace: TEKTON_DASHBOARD_SERVICE.namespace,
                                            port: TEKTON_DASHBOARD_SERVICE.port,
                                        },
                                    ],
                                },
                            ],
                        },
                    }),
                );
                assert.deepEqual(
                    judge(r)
                        .filter(v => v.policy === "tekton-dashboard-only-via-oauth2-proxy")
                        .map(v => v.urn),
                    [urn],
                );
            });

            it(stack === "prod" ? "checks the user pool (an AgentPool resource) for zones" : "applies no zone advice in dev", () => {
                const { run: r, urn } = edited(
                    x => x.type === TYPES.agentPool[0],
                    i => ({ ...i, availabilityZones: [] }),
                );
                const zones = judge(r).filter(v => v.policy === "aks-availability-zones-in-prod");
                if (stack === "prod") {
                    assert.deepEqual(
                        zones.map(v => v.urn),
                        [urn],
                    );
                    assert.match(zones[0].message, /is not spread over availability zones/);
                } else assert.deepEqual(zones, []);
            });
        });
    }
});

// ---------------------------------------------------------------------------------------------
// Offline evaluation on an engine run
// ---------------------------------------------------------------------------------------------

describe("evaluatePolicies on an engine run", () => {
    let run: StackRun;
    let violations: PolicyViolation[];
    const SUB = "/subscriptions/00000000-0000-0000-0000-000000000000";
    const TOKEN = "robot$pipeline-token-0123456789";

    before(async () => {
        run = await freshRun({
            stack: "dev",
            program: () => {
                const registry = new containerregistry.Registry("acr", {
                    resourceGroupName: "rg-registry",
                    registryName: "scdevacr",
                    sku: { name: "Standard" },
                    adminUserEnabled: true,
                    anonymousPullEnabled: false,
                });
                const pipeline = new managedidentity.UserAssignedIdentity("primary-pipeline", {
                    resourceGroupName: "rg-identity",
                    resourceName: "id-pipeline",
                });
                const dns = new managedidentity.UserAssignedIdentity("external-dns", {
                    resourceGroupName: "rg-identity",
                    resourceName: "id-external-dns",
                });
                new authorization.RoleAssignment("pipeline-acr-push", {
                    scope: registry.id,
                    principalId: pipeline.principalId,
                    principalType: "ServicePrincipal",
                    roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.acrPush}`,
                });
                new authorization.RoleAssignment("dns-acr-push", {
                    scope: registry.id,
                    principalId: dns.principalId,
                    principalType: "ServicePrincipal",
                    roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.acrPush}`,
                });
                new authorization.RoleAssignment("dns-owner", {
                    scope: registry.id,
                    principalId: dns.principalId,
                    principalType: "ServicePrincipal",
                    roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.owner}`,
                });
                const provider = new k8s.Provider("primary", {});
                new k8s.core.v1.Secret(
                    "apps-regcred",
                    {
                        metadata: { name: "regcred", namespace: "apps" },
                        type: "kubernetes.io/dockerconfigjson",
                        stringData: { ".dockerconfigjson": pulumi.secret(JSON.stringify({ auths: { h: { auth: TOKEN } } })) },
                    },
                    { provider },
                );
                new k8s.core.v1.Secret(
                    "ci-robot",
                    {
                        metadata: { name: "harbor-robot", namespace: "ci" },
                        type: "kubernetes.io/dockerconfigjson",
                        stringData: { ".dockerconfigjson": pulumi.secret(JSON.stringify({ auths: { h: { auth: TOKEN } } })) },
                    },
                    { provider },
                );
            },
        });
        violations = evaluatePolicies(run, { environment: "prod" });
    });

    const about = (policyName: string, name?: string) =>
        violations.filter(v => v.policy === policyName && (name === undefined || v.urn?.endsWith(`::${name}`)));

    it("reports each offending resource under its policy, with the URN", () => {
        assert.equal(about("acr-admin-user-disabled", "acr").length, 1);
        assert.equal(about("no-privileged-role-assignments", "dns-owner").length, 1);
        assert.equal(about("registry-write-roles-only-for-pipeline-identity", "dns-acr-push").length, 1);
        assert.equal(about("registry-write-roles-only-for-pipeline-identity", "pipeline-acr-push").length, 0);
        assert.equal(about("no-registry-credentials-outside-pipeline-namespace", "apps-regcred").length, 1);
        assert.equal(about("no-registry-credentials-outside-pipeline-namespace", "ci-robot").length, 0);
        assert.equal(about("stateful-resources-protected-in-prod", "acr").length, 1);
    });

    it("carries enforcement levels and lists mandatory violations first", () => {
        const premium = about("acr-premium-in-prod", "acr");
        assert.equal(premium.length, 1);
        assert.equal(premium[0].enforcementLevel, "advisory");
        const firstAdvisory = violations.findIndex(v => v.enforcementLevel === "advisory");
        assert.ok(violations.slice(firstAdvisory).every(v => v.enforcementLevel === "advisory"));
        assert.ok(violations.slice(0, firstAdvisory).every(v => v.enforcementLevel === "mandatory"));
    });

    it("applies the environment: nothing prod-only in dev", () => {
        const dev = evaluatePolicies(run, { environment: "dev" });
        assert.equal(dev.filter(v => v.policy === "stateful-resources-protected-in-prod" || v.policy === "acr-premium-in-prod").length, 0);
        assert.equal(dev.filter(v => v.policy === "acr-admin-user-disabled").length, 1);
    });

    it("applies the pipeline namespace option", () => {
        const moved = evaluatePolicies(run, { environment: "dev", pipelineNamespace: "apps" });
        const creds = moved.filter(v => v.policy === "no-registry-credentials-outside-pipeline-namespace");
        assert.deepEqual(
            creds.map(v => v.urn?.split("::").pop()),
            ["ci-robot"],
        );
    });

    it("never puts a secret value in a message", () => {
        const echo: ResourceValidationPolicy = {
            name: "echo",
            description: "echoes props",
            enforcementLevel: "advisory",
            validateResource: (args, report) => {
                if (args.type === "kubernetes:core/v1:Secret") report(JSON.stringify(args.props));
            },
        };
        const out = evaluate(run, { environment: "dev" }, [echo]);
        assert.equal(out.length, 2);
        for (const v of out) {
            assert.ok(!v.message.includes(TOKEN), v.message);
            assert.ok(v.message.includes(".dockerconfigjson"), "keys stay visible to policies");
        }
        for (const v of violations) assert.ok(!v.message.includes(TOKEN));
    });

    it("reports '[unknown]' values of a recorded preview as violations", () => {
        const base = run.resources.find(r => r.name === "acr")!;
        const unknownRun: StackRun = {
            ...run,
            resources: [
                {
                    ...base,
                    inputs: { ...base.inputs, adminUserEnabled: "[unknown]" },
                    rawInputs: { ...base.rawInputs, adminUserEnabled: "[unknown]" },
                } as RecordedResource,
            ],
        };
        const out = evaluatePolicies(unknownRun, { environment: "dev" }).filter(v => v.policy === "acr-admin-user-disabled");
        assert.equal(out.length, 1);
        assert.equal(out[0].enforcementLevel, "mandatory");
        assert.match(out[0].message, /unknown during preview/);
    });

    it("turns a policy that throws into a mandatory violation, not a pass", () => {
        const broken: ResourceValidationPolicy = {
            name: "broken",
            description: "throws",
            enforcementLevel: "advisory",
            validateResource: () => {
                throw new Error("boom");
            },
        };
        const out = evaluate(run, { environment: "dev" }, [broken]);
        assert.ok(out.length > 0 && out.every(v => /policy failed: boom/.test(v.message)));
    });
});
