// The supply-chain guardrails as Pulumi CrossGuard policies. One array, matched on type strings
// (no azure-native / kubernetes imports: the pack must load without the providers and must not
// drift with their class names). policy/index.ts serves them as a PolicyPack for
// `pulumi preview --policy-pack policy`; tools/policy-offline.ts runs the very same objects on the
// offline engine's recorded registrations for `npm run plan`.
//
// Decisions (see policy/README.md for the long form):
// - Unknown at preview: every mandatory rule reads values through `lookup` and REPORTS an
//   unknown security-relevant value as a mandatory violation (the SDK would downgrade it to an
//   advisory "can't run during preview").
// - Environment: policy config `environment`, else the stack tag `environment`, else assumed
//   "prod" (fail closed). `pulumi.getStack()` is not available: the pack runs in its own analyzer
//   process, and @pulumi/policy 1.21.0 keeps only the stack *tags* from ConfigureStack.
// - Pipeline namespace: policy config `pipelineNamespace` (default "ci") is the authority. A
//   Namespace labelled `platform.example.com/pipeline: "true"` is cross-checked against it (stack
//   policy), never trusted to widen it: the label is written by the code being checked.
// - Pipeline identity: a UserAssignedIdentity whose Pulumi name or Azure `resourceName` matches
//   the `pipelineIdentityPattern` config (default /pipeline/i).
import {
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { findKeys, formatPath, isNonEmpty, isUnknown, KeyHit, lookup, Lookup, roleGuid, unknownMessage, unwrap } from "./values";
// Relative imports of dependency-free modules only (a test follows them): no provider SDKs.
import {
    BUILT_IN_ROLES,
    BuiltInRole,
    PRIVILEGED_ROLES as PRIVILEGED_ROLE_LIST,
    REGISTRY_WRITE_ROLES as REGISTRY_WRITE_ROLE_LIST,
    ROLE_DISPLAY_NAMES,
} from "../model/role-ids";
import { NAMESPACES, PIPELINE_NAMESPACE_LABEL, SYSTEM_NAMESPACES, TEKTON_DASHBOARD_SERVICE } from "../model/names";
import { CHART_IMAGE_VALUES } from "../model/image-sources";
import { TEKTON_OPERATOR_IMAGE_ENVS } from "../model/tekton-operator-images";
import {
    constraint,
    constraintTemplate,
    DOCKER_CONFIG_AUTHS_MARKER,
    DOCKER_CONFIG_FILE_KEYS,
    POLICIES,
    REGISTRY_CREDENTIAL_ANNOTATION_PREFIXES,
    REGISTRY_CREDENTIAL_DATA_KEYS,
    REGISTRY_CREDENTIAL_SECRET_TYPES,
} from "../model/admission/policies";
// The offline Gatekeeper evaluator (@bufbuild/cel, no provider SDK): the pod-security rule below
// runs the very CEL templates admission enforces.
import { Admission, KubeObject } from "../model/admission/evaluator";

// ---------------------------------------------------------------------------------------------
// Type strings (current token first, then the alias older azure-native versions used)
// ---------------------------------------------------------------------------------------------

export const TYPES = {
    registry: ["azure-native:containerregistry:Registry"],
    cluster: ["azure-native:containerservice:ManagedCluster"],
    agentPool: ["azure-native:containerservice:AgentPool"],
    roleAssignment: ["azure-native:authorization:RoleAssignment"],
    userAssignedIdentity: ["azure-native:managedidentity:UserAssignedIdentity"],
    trafficManagerProfile: ["azure-native:trafficmanager:Profile", "azure-native:network:Profile"],
    dnsZone: ["azure-native:dns:Zone", "azure-native:network:Zone"],
    privateDnsZone: ["azure-native:privatedns:PrivateZone"],
    logAnalyticsWorkspace: ["azure-native:operationalinsights:Workspace"],
    storageAccount: ["azure-native:storage:StorageAccount"],
    keyVault: ["azure-native:keyvault:Vault"],
    helmRelease: ["kubernetes:helm.sh/v3:Release"],
    helmChart: ["kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart"],
    secret: ["kubernetes:core/v1:Secret", "kubernetes:core/v1:SecretPatch"],
    sealedSecret: ["kubernetes:bitnami.com/v1alpha1:SealedSecret"],
    namespace: ["kubernetes:core/v1:Namespace"],
    persistentVolumeClaim: ["kubernetes:core/v1:PersistentVolumeClaim"],
    configMap: ["kubernetes:core/v1:ConfigMap"],
    httpRoute: ["kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "kubernetes:gateway.networking.k8s.io/v1beta1:HTTPRoute"],
} as const;

const is = (type: string, list: readonly string[]) => list.includes(type);

// ---------------------------------------------------------------------------------------------
// Azure built-in roles: GUIDs, display names and the role groups come from
// model/role-ids.ts, the one table the stack's role assignments use too (it imports
// nothing, so the pack stays free of provider SDKs).
// ---------------------------------------------------------------------------------------------

/** Short names of the role GUIDs the rules below (and their tests) refer to. */
export const ROLES = {
    owner: BUILT_IN_ROLES.Owner,
    contributor: BUILT_IN_ROLES.Contributor,
    userAccessAdministrator: BUILT_IN_ROLES.UserAccessAdministrator,
    rbacAdministrator: BUILT_IN_ROLES.RoleBasedAccessControlAdministrator,
    acrPush: BUILT_IN_ROLES.AcrPush,
    acrPull: BUILT_IN_ROLES.AcrPull,
    acrRepositoryWriter: BUILT_IN_ROLES.ContainerRegistryRepositoryWriter,
    acrTasksContributor: BUILT_IN_ROLES.ContainerRegistryTasksContributor,
} as const;

/** Display name by (lower-case) GUID, for messages. */
const ROLE_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
    (Object.keys(BUILT_IN_ROLES) as BuiltInRole[]).map(role => [BUILT_IN_ROLES[role], ROLE_DISPLAY_NAMES[role]]),
);

/** GUIDs of the roles the stack must never assign: full control, or the power to grant it. */
export const PRIVILEGED_ROLES: ReadonlySet<string> = new Set(PRIVILEGED_ROLE_LIST.map(role => BUILT_IN_ROLES[role]));

/** GUIDs of the roles that can write to a registry (at registry scope or any scope above it). */
export const REGISTRY_WRITE_ROLES: ReadonlySet<string> = new Set(REGISTRY_WRITE_ROLE_LIST.map(role => BUILT_IN_ROLES[role]));

// ---------------------------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------------------------

export const DEFAULT_PIPELINE_NAMESPACE = "ci";
export const DEFAULT_PIPELINE_IDENTITY_PATTERN = "pipeline";
export { PIPELINE_NAMESPACE_LABEL };

const ENVIRONMENT_SCHEMA: PolicyConfigSchema = {
    properties: {
        environment: {
            type: "string",
            description:
                'Stack environment (dev, prod …); prod-only rules apply when "prod". Unset: the stack tag `environment`, else assumed prod.',
        },
    },
};
const PIPELINE_NAMESPACE_SCHEMA: PolicyConfigSchema = {
    properties: {
        pipelineNamespace: {
            type: "string",
            default: DEFAULT_PIPELINE_NAMESPACE,
            description: "The only namespace where registry credentials may exist.",
        },
    },
};
const PIPELINE_IDENTITY_SCHEMA: PolicyConfigSchema = {
    properties: {
        pipelineIdentityPattern: {
            type: "string",
            default: DEFAULT_PIPELINE_IDENTITY_PATTERN,
            description: "Case-insensitive regular expression matched against a UserAssignedIdentity's Pulumi name and Azure resourceName.",
        },
    },
};

interface Environment {
    name: string;
    prod: boolean;
    note: string;
}

/** Config `environment`, else stack tag `environment`, else assume prod (fail closed). */
export function environmentOf(args: { getConfig<T extends object>(): T; stackTags: ReadonlyMap<string, string> }): Environment {
    const configured = args.getConfig<{ environment?: string }>().environment;
    const tagged = args.stackTags?.get("environment");
    const name = configured ?? tagged;
    if (name) return { name, prod: /^prod(uction)?$/i.test(name), note: "" };
    return { name: "prod", prod: true, note: " (environment assumed prod: set policy config `environment` or stack tag `environment`)" };
}

function pipelineNamespaceOf(args: { getConfig<T extends object>(): T }): string {
    return args.getConfig<{ pipelineNamespace?: string }>().pipelineNamespace || DEFAULT_PIPELINE_NAMESPACE;
}

// ---------------------------------------------------------------------------------------------
// Policy builders
// ---------------------------------------------------------------------------------------------

type Props = Record<string, unknown>;
type Report = (message: string) => void;

interface ResourceRule {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    /** Type strings the rule applies to, or a predicate on the type string. */
    types: readonly string[] | ((type: string) => boolean);
    configSchema?: PolicyConfigSchema;
    remediationSteps?: string;
    check(props: Props, args: ResourceValidationArgs, report: Report): void;
}

/** The SDK's own unknown error (thrown only if something reads through the proxy). */
function isSdkUnknownError(e: unknown): e is Error {
    return e instanceof Error && e.constructor?.name === "UnknownValueError";
}

function resourcePolicy(rule: ResourceRule): ResourceValidationPolicy {
    return {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        configSchema: rule.configSchema,
        remediationSteps: rule.remediationSteps,
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            const applies = typeof rule.types === "function" ? rule.types(args.type) : is(args.type, rule.types);
            if (!applies) return;
            const props = (unwrap(args.props) ?? {}) as Props;
            try {
                rule.check(props, args, message => reportViolation(message));
            } catch (e) {
                // Never let the SDK downgrade an unknown to advisory.
                if (isSdkUnknownError(e)) reportViolation(`${e.message}; this mandatory guardrail cannot verify it`);
                else throw e;
            }
        },
    };
}

interface StackRule {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    configSchema?: PolicyConfigSchema;
    remediationSteps?: string;
    check(resources: PolicyResource[], args: StackValidationArgs, report: ReportViolation): void;
}

function stackPolicy(rule: StackRule): StackValidationPolicy {
    return {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        configSchema: rule.configSchema,
        remediationSteps: rule.remediationSteps,
        validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
            try {
                rule.check(args.resources, args, reportViolation);
            } catch (e) {
                if (isSdkUnknownError(e)) reportViolation(`${e.message}; this mandatory guardrail cannot verify it`);
                else throw e;
            }
        },
    };
}

/** Requires `path` to be exactly `expected`; reports unknown and anything else. */
function requireValue(props: Props, path: readonly string[], expected: unknown, report: Report, why: string): void {
    const v = lookup(props, path);
    const name = formatPath(path);
    if (!v.known) report(unknownMessage(v.path, `that ${name} is ${JSON.stringify(expected)} (${why})`));
    else if (v.value !== expected) {
        report(
            `${name} must be ${JSON.stringify(expected)} (${why}); it is ${v.value === undefined ? "not set" : JSON.stringify(v.value)}`,
        );
    }
}

function str(l: Lookup): string | undefined {
    return l.known && typeof l.value === "string" ? l.value : undefined;
}

// ---------------------------------------------------------------------------------------------
// ACR
// ---------------------------------------------------------------------------------------------

const acrAdminUserDisabled = resourcePolicy({
    name: "acr-admin-user-disabled",
    description: "ACR admin user must be explicitly disabled: it is a shared static credential with push rights.",
    enforcementLevel: "mandatory",
    types: TYPES.registry,
    remediationSteps: "Set `adminUserEnabled: false` on the registry (explicitly: an absent input is not tracked for drift).",
    check: (props, _args, report) =>
        requireValue(
            props,
            ["adminUserEnabled"],
            false,
            report,
            "the admin user is a static push credential; workloads use their kubelet identity, the pipeline its managed identity",
        ),
});

const acrAnonymousPullDisabled = resourcePolicy({
    name: "acr-anonymous-pull-disabled",
    description: "ACR anonymous pull must be explicitly disabled.",
    enforcementLevel: "mandatory",
    types: TYPES.registry,
    remediationSteps: "Set `anonymousPullEnabled: false` on the registry.",
    check: (props, _args, report) =>
        requireValue(props, ["anonymousPullEnabled"], false, report, "anonymous pull exposes every image to the internet"),
});

// ---------------------------------------------------------------------------------------------
// AKS
// ---------------------------------------------------------------------------------------------

const aksLocalAccountsDisabled = resourcePolicy({
    name: "aks-local-accounts-disabled",
    description: "AKS local accounts (the static cluster-admin kubeconfig) must be disabled.",
    enforcementLevel: "mandatory",
    types: TYPES.cluster,
    remediationSteps: "Set `disableLocalAccounts: true`; use Entra ID with Azure RBAC.",
    check: (props, _args, report) =>
        requireValue(props, ["disableLocalAccounts"], true, report, "local accounts bypass Entra ID and cannot be revoked per user"),
});

const aksEntraRbac = resourcePolicy({
    name: "aks-entra-id-azure-rbac",
    description: "AKS must use managed Entra ID integration with Azure RBAC for Kubernetes authorization.",
    enforcementLevel: "mandatory",
    types: TYPES.cluster,
    remediationSteps: "Set `aadProfile: { managed: true, enableAzureRBAC: true, … }`.",
    check: (props, _args, report) => {
        requireValue(props, ["aadProfile", "managed"], true, report, "cluster access must be Entra ID identities");
        requireValue(props, ["aadProfile", "enableAzureRBAC"], true, report, "cluster authorization must be Azure RBAC role assignments");
    },
});

const aksWorkloadIdentity = resourcePolicy({
    name: "aks-workload-identity",
    description: "AKS must have the OIDC issuer and workload identity enabled (no static cloud credentials in pods).",
    enforcementLevel: "mandatory",
    types: TYPES.cluster,
    remediationSteps: "Set `oidcIssuerProfile: { enabled: true }` and `securityProfile: { workloadIdentity: { enabled: true } }`.",
    check: (props, _args, report) => {
        requireValue(props, ["oidcIssuerProfile", "enabled"], true, report, "federated credentials need the cluster's OIDC issuer");
        requireValue(
            props,
            ["securityProfile", "workloadIdentity", "enabled"],
            true,
            report,
            "pods authenticate to Azure with workload identity, not secrets",
        );
    },
});

const aksApiServerRestricted = resourcePolicy({
    name: "aks-api-server-restricted",
    description: "The AKS API server must be private or limited to authorized IP ranges (never 0.0.0.0/0).",
    enforcementLevel: "mandatory",
    types: TYPES.cluster,
    remediationSteps:
        "Set `apiServerAccessProfile.authorizedIPRanges` to the deployers' and CI runners' egress ranges, or `enablePrivateCluster: true`.",
    check: (props, _args, report) => {
        const priv = lookup(props, ["apiServerAccessProfile", "enablePrivateCluster"]);
        if (priv.known && priv.value === true) return;
        const ranges = lookup(props, ["apiServerAccessProfile", "authorizedIPRanges"]);
        if (!ranges.known) return report(unknownMessage(ranges.path, "API server exposure"));
        if (!Array.isArray(ranges.value) || ranges.value.length === 0) {
            if (!priv.known) return report(unknownMessage(priv.path, "API server exposure"));
            return report(
                "apiServerAccessProfile must set authorizedIPRanges (non-empty) or enablePrivateCluster: true; the API server is open to the internet",
            );
        }
        ranges.value.forEach((r, i) => {
            const path = `apiServerAccessProfile.authorizedIPRanges[${i}]`;
            if (isUnknown(r)) report(unknownMessage(path, "that the range does not open the API server to the internet"));
            else if (typeof r === "string" && /^0\.0\.0\.0\/0$|^::\/0$/.test(r.trim()))
                report(`${path} is ${r}: that authorizes every address`);
        });
    },
});

// ---------------------------------------------------------------------------------------------
// Role assignments
// ---------------------------------------------------------------------------------------------

const noPrivilegedRoleAssignments = resourcePolicy({
    name: "no-privileged-role-assignments",
    description: "The stack must not create Owner, Contributor, User Access Administrator or RBAC Administrator assignments.",
    enforcementLevel: "mandatory",
    types: TYPES.roleAssignment,
    remediationSteps:
        "Grant the narrowest built-in role (AcrPull, Network Contributor, AKS RBAC roles, DNS Zone Contributor …) at the narrowest scope.",
    check: (props, _args, report) => {
        const role = lookup(props, ["roleDefinitionId"]);
        if (!role.known) return report(unknownMessage(role.path, "which role is granted"));
        const guid = typeof role.value === "string" ? roleGuid(role.value) : undefined;
        if (guid && PRIVILEGED_ROLES.has(guid)) {
            report(
                `assigns ${ROLE_NAMES[guid]} (${guid}): full control of (or the power to grant access to) everything at its scope, registry write included`,
            );
        }
    },
});

function isPipelineIdentity(r: PolicyResource, pattern: RegExp): boolean {
    if (!is(r.type, TYPES.userAssignedIdentity)) return false;
    const resourceName = str(lookup(r.props, ["resourceName"]));
    return pattern.test(r.name) || (resourceName !== undefined && pattern.test(resourceName));
}

const registryWriteOnlyPipeline = stackPolicy({
    name: "registry-write-roles-only-for-pipeline-identity",
    description: "Only the pipeline's user-assigned identity may hold a role that writes to the registry (AcrPush and equivalents).",
    enforcementLevel: "mandatory",
    configSchema: PIPELINE_IDENTITY_SCHEMA,
    remediationSteps:
        "Grant AcrPull to readers; give push only to the pipeline identity (a UserAssignedIdentity named *pipeline*), federated to the pipeline ServiceAccount.",
    check: (resources, args, report) => {
        const source = args.getConfig<{ pipelineIdentityPattern?: string }>().pipelineIdentityPattern || DEFAULT_PIPELINE_IDENTITY_PATTERN;
        const pattern = new RegExp(source, "i");
        const pipeline = resources.filter(r => isPipelineIdentity(r, pattern));
        const knownIds = new Set(
            pipeline
                .map(u => str(lookup(u.props, ["principalId"])))
                .filter((v): v is string => !!v)
                .map(v => v.toLowerCase()),
        );
        // A pipeline identity whose principalId is not in its props (new at preview, or inputs only offline).
        const unresolved = new Set(pipeline.filter(u => !str(lookup(u.props, ["principalId"]))).map(u => u.urn));

        for (const ra of resources.filter(r => is(r.type, TYPES.roleAssignment))) {
            const props = unwrap(ra.props);
            const role = lookup(props, ["roleDefinitionId"]);
            if (!role.known) {
                report(`${ra.name}: ${unknownMessage(role.path, "whether it grants registry write")}`, ra.urn);
                continue;
            }
            const guid = typeof role.value === "string" ? roleGuid(role.value) : undefined;
            if (!guid || !REGISTRY_WRITE_ROLES.has(guid)) continue;
            const roleName = ROLE_NAMES[guid];
            if (pipeline.length === 0) {
                report(
                    `${ra.name} grants ${roleName} (registry write) but the stack has no pipeline identity (a UserAssignedIdentity whose name matches /${source}/i)`,
                    ra.urn,
                );
                continue;
            }
            // Provenance: which pipeline identities the principalId was computed from. The engine
            // gives per-property dependencies; the offline engine only the union, used as-is.
            const perProperty = Object.keys(ra.propertyDependencies ?? {}).length > 0;
            const deps = perProperty ? (ra.propertyDependencies.principalId ?? []) : ra.dependencies;
            const derived = deps.some(d => unresolved.has(d.urn));
            const principal = lookup(props, ["principalId"]);
            if (!principal.known) {
                if (!derived)
                    report(
                        `${ra.name} grants ${roleName}: ${unknownMessage(principal.path, "that the grantee is the pipeline identity")} (it is not computed from a pipeline identity)`,
                        ra.urn,
                    );
                continue;
            }
            const id = typeof principal.value === "string" ? principal.value.toLowerCase() : undefined;
            if (id && knownIds.has(id)) continue;
            if (id && derived) continue;
            report(
                `${ra.name} grants ${roleName} (registry write) to principal ${principal.value ?? "(none)"}, which is not the pipeline identity's principalId (${pipeline.map(p => p.name).join(", ")})`,
                ra.urn,
            );
        }
    },
});

// ---------------------------------------------------------------------------------------------
// Registry credentials in Kubernetes
// ---------------------------------------------------------------------------------------------

// What marks a registry credential is defined once, in the Gatekeeper policies
// (model/admission/policies.ts, which imports nothing): the pack flags the same
// Secret types, data keys, annotation prefixes and docker config files the cluster denies.
const REGISTRY_SECRET_TYPES: ReadonlySet<string> = new Set(REGISTRY_CREDENTIAL_SECRET_TYPES);
const DOCKER_DATA_KEYS: ReadonlySet<string> = new Set(REGISTRY_CREDENTIAL_DATA_KEYS);
const DOCKER_CONFIG_FILES: ReadonlySet<string> = new Set(DOCKER_CONFIG_FILE_KEYS);
const isCredentialAnnotation = (key: string) => REGISTRY_CREDENTIAL_ANNOTATION_PREFIXES.some(prefix => key.startsWith(prefix));
/** Keys under which a pod spec / chart values place pull credentials. */
const PULL_SECRET_KEYS = new Set(["imagepullsecrets", "imagepullsecret", "pullsecrets", "pullsecret"]);
/** Extra Helm-values keys that carry registry credentials (charts that render their own pull secret). */
const VALUES_CREDENTIAL_KEYS = new Set([
    ...PULL_SECRET_KEYS,
    "imagecredentials",
    "registrycredentials",
    ...REGISTRY_CREDENTIAL_DATA_KEYS.map(k => k.toLowerCase()),
    "dockerconfigjson",
]);
/** Keys whose unknown value could hide a pod spec (so an unknown there is reported). */
const POD_SPEC_CONTAINERS = new Set(["spec", "template", "jobTemplate", "podTemplate"]);
/**
 * In Helm values, unknowns are reported only at these keys (and at credential keys): an unknown
 * leaf elsewhere is almost always a scalar computed from an output (a client id, a hostname), and
 * reporting those would block every preview of every chart that uses workload identity.
 */
const VALUES_CONTAINERS = new Set([...POD_SPEC_CONTAINERS, "global", "image"]);

interface Finding {
    what: string;
    unknown: boolean;
}

function pullSecretFindings(hits: KeyHit[]): Finding[] {
    return hits
        .filter(h => h.unknown || isNonEmpty(h.value))
        .map(h => ({ what: h.unknown ? `${h.path} (unknown during preview)` : h.path, unknown: h.unknown }));
}

function secretFindings(props: Props): Finding[] {
    const findings: Finding[] = [];
    const type = lookup(props, ["type"]);
    if (!type.known) findings.push({ what: "Secret type (unknown during preview)", unknown: true });
    else if (typeof type.value === "string" && REGISTRY_SECRET_TYPES.has(type.value))
        findings.push({ what: `Secret of type ${type.value}`, unknown: false });
    const annotations = lookup(props, ["metadata", "annotations"]);
    if (!annotations.known) {
        findings.push({
            what: `metadata.annotations (unknown during preview; could hold ${REGISTRY_CREDENTIAL_ANNOTATION_PREFIXES.map(p => `${p}*`).join(", ")})`,
            unknown: true,
        });
    } else if (annotations.value && typeof annotations.value === "object") {
        for (const key of Object.keys(annotations.value).sort()) {
            if (isCredentialAnnotation(key)) findings.push({ what: `Tekton registry credential annotation ${key}`, unknown: false });
        }
    }
    // Best effort: a docker config under an Opaque type (type and annotations are the authority),
    // including the `config.json` with an "auths" object that Tekton, BuildKit and Kaniko read.
    for (const field of ["data", "stringData"] as const) {
        const data = lookup(props, [field]);
        if (data.known && data.value && typeof data.value === "object") {
            const entries = data.value as Record<string, unknown>;
            for (const key of Object.keys(entries).sort()) {
                if (DOCKER_DATA_KEYS.has(key)) findings.push({ what: `${field}["${key}"] (a docker registry config)`, unknown: false });
                else if (DOCKER_CONFIG_FILES.has(key) && isDockerConfigFile(entries[key], field === "data")) {
                    findings.push({ what: `${field}["${key}"] (a docker config with ${DOCKER_CONFIG_AUTHS_MARKER})`, unknown: false });
                }
            }
        }
    }
    return findings;
}

function isDockerConfigFile(value: unknown, base64: boolean): boolean {
    if (typeof value !== "string") return false;
    const text = base64 ? Buffer.from(value, "base64").toString("utf8") : value;
    return text.includes(DOCKER_CONFIG_AUTHS_MARKER);
}

/**
 * A SealedSecret becomes a Secret when the controller unseals it: judge the Secret it will make
 * (type and annotations from spec.template, key names from encryptedData and template data).
 */
function sealedSecretFindings(props: Props): Finding[] {
    const spec = lookup(props, ["spec"]);
    if (!spec.known) return [{ what: "spec (unknown during preview)", unknown: true }];
    const sp = (spec.value ?? {}) as Props;
    const template = (sp.template ?? {}) as Props;
    return secretFindings({
        type: template.type,
        metadata: { annotations: ((template.metadata ?? {}) as Props).annotations },
        // Encrypted values are opaque: only their key names count.
        data: Object.fromEntries(Object.keys((sp.encryptedData ?? {}) as Props).map(k => [k, ""])),
        stringData: template.data,
    }).map(f => ({ ...f, what: `SealedSecret: ${f.what}` }));
}

/** Namespace an object lands in: its own, else the provider's default, else "default". */
function objectNamespace(props: Props, args: ResourceValidationArgs, path: readonly string[]): Lookup {
    const own = lookup(props, path);
    if (!own.known || (typeof own.value === "string" && own.value)) return own;
    const fromProvider = args.provider ? lookup(args.provider.props, ["namespace"]) : { known: true as const, value: undefined };
    if (!fromProvider.known) return { known: false, path: "provider namespace" };
    return { known: true, value: typeof fromProvider.value === "string" && fromProvider.value ? fromProvider.value : "default" };
}

const noRegistryCredentials = resourcePolicy({
    name: "no-registry-credentials-outside-pipeline-namespace",
    description:
        "Registry-credential Secrets and imagePullSecrets (in objects and in Helm values) may exist only in the pipeline namespace.",
    enforcementLevel: "mandatory",
    types: type => type.startsWith("kubernetes:") && !type.startsWith("kubernetes:index:"),
    configSchema: PIPELINE_NAMESPACE_SCHEMA,
    remediationSteps:
        "Pull from ACR with the kubelet identity (AcrPull) — no imagePullSecrets; keep push credentials (Harbor robot, Tekton docker secrets) in the pipeline namespace only.",
    check: (props, args, report) => {
        const pipelineNs = pipelineNamespaceOf(args);
        let findings: Finding[];
        let ns: Lookup;
        if (is(args.type, TYPES.helmRelease) || is(args.type, TYPES.helmChart)) {
            // Walk the values: charts take pull secrets at many paths (global.imagePullSecrets,
            // image.pullSecrets, controller.imagePullSecrets …).
            const values = lookup(props, ["values"]);
            findings = values.known
                ? pullSecretFindings(findKeys(values.value, k => VALUES_CREDENTIAL_KEYS.has(k.toLowerCase()), VALUES_CONTAINERS)).map(
                      f => ({ ...f, what: `values.${f.what}` }),
                  )
                : [{ what: "values (unknown during preview)", unknown: true }];
            const files = lookup(props, ["valueYamlFiles"]);
            if (!files.known || isNonEmpty(files.value))
                findings.push({ what: "valueYamlFiles (values files cannot be inspected; pass values inline)", unknown: true });
            ns = objectNamespace(props, args, ["namespace"]);
        } else {
            findings = [
                ...(is(args.type, TYPES.secret) ? secretFindings(props) : []),
                ...(is(args.type, TYPES.sealedSecret) ? sealedSecretFindings(props) : []),
                ...pullSecretFindings(findKeys(props, k => PULL_SECRET_KEYS.has(k.toLowerCase()), POD_SPEC_CONTAINERS)),
            ];
            ns = objectNamespace(props, args, ["metadata", "namespace"]);
        }
        if (findings.length === 0) return;
        if (ns.known && ns.value === pipelineNs) return;
        const where = ns.known ? `namespace "${ns.value}"` : "a namespace unknown during preview";
        const certain = findings.filter(f => !f.unknown);
        if (certain.length) {
            report(
                `registry credentials in ${where}, outside the pipeline namespace "${pipelineNs}": ${certain.map(f => f.what).join("; ")}`,
            );
        }
        const unknown = findings.filter(f => f.unknown);
        if (unknown.length) {
            report(
                `cannot verify that no registry credential lands in ${where} (pipeline namespace "${pipelineNs}"): ${unknown.map(f => f.what).join("; ")}; a mandatory guardrail does not pass what it cannot see`,
            );
        }
    },
});

const pipelineNamespaceConsistent = stackPolicy({
    name: "pipeline-namespace-consistent",
    description: "A Namespace labelled as the pipeline namespace must be the one the policy pack allows credentials in.",
    enforcementLevel: "mandatory",
    configSchema: PIPELINE_NAMESPACE_SCHEMA,
    remediationSteps: `Set the policy config \`pipelineNamespace\` to the stack's delivery.pipelineNamespace, and label only that Namespace ${PIPELINE_NAMESPACE_LABEL}: "true".`,
    check: (resources, args, report) => {
        const configured = pipelineNamespaceOf(args);
        for (const ns of resources.filter(r => is(r.type, TYPES.namespace))) {
            const label = lookup(ns.props, ["metadata", "labels", PIPELINE_NAMESPACE_LABEL]);
            if (!label.known || String(label.value) !== "true") continue;
            const name = lookup(ns.props, ["metadata", "name"]);
            if (!name.known)
                report(
                    unknownMessage("metadata.name of the labelled pipeline Namespace", "that it is the configured pipeline namespace"),
                    ns.urn,
                );
            else if (name.value !== configured) {
                report(
                    `Namespace ${JSON.stringify(name.value ?? ns.name)} is labelled ${PIPELINE_NAMESPACE_LABEL}=true but the policy pack's pipelineNamespace is "${configured}"; registry credentials there will be rejected (or the label is wrong)`,
                    ns.urn,
                );
            }
        }
    },
});

// ---------------------------------------------------------------------------------------------
// Pod Security Standards (the same CEL as admission)
// ---------------------------------------------------------------------------------------------

/** Constraint kinds of the Pod Security Standards templates (baseline, and restricted by namespace label). */
export const POD_SECURITY_KINDS: readonly string[] = ["PlatformPodSecurity", "PlatformPodSecurityRestricted"];

const WORKLOAD_TYPE =
    /^kubernetes:(core\/v1:(Pod|ReplicationController)|apps\/v1:(Deployment|StatefulSet|DaemonSet|ReplicaSet)|batch\/v1:(Job|CronJob))$/;
const TEKTON_TASK_TYPE = /^kubernetes:tekton\.dev\/v1(beta1)?:Task$/;
const EVENT_LISTENER_TYPE = /^kubernetes:triggers\.tekton\.dev\/v1(alpha1|beta1)?:EventListener$/;

const podSecurityAdmissions = new Map<string, Admission>();
/** The pod-security templates and constraints, exactly as the Gatekeeper component registers them. */
function podSecurityAdmission(pipelineNamespace: string): Admission {
    let a = podSecurityAdmissions.get(pipelineNamespace);
    if (!a) {
        const policies = POLICIES.filter(p => POD_SECURITY_KINDS.includes(p.kind));
        const settings = { enforcementAction: "deny" as const, exemptNamespaces: [], systemNamespaces: [] };
        a = new Admission({
            templates: policies.map(constraintTemplate),
            constraints: policies.map(p => constraint(p, { acrLoginServer: "", pipelineNamespace }, settings)),
        });
        podSecurityAdmissions.set(pipelineNamespace, a);
    }
    return a;
}

/** Paths (below the pod) of unknown values that matter; unknown images do not (pod security ignores them). */
function unknownPaths(node: unknown, path: (string | number)[]): string[] {
    node = unwrap(node);
    if (isUnknown(node)) return path[path.length - 1] === "image" ? [] : [formatPath(path)];
    if (Array.isArray(node)) return node.flatMap((v, i) => unknownPaths(v, [...path, i]));
    if (node && typeof node === "object")
        return Object.keys(node)
            .sort()
            .flatMap(k => unknownPaths((node as Props)[k], [...path, k]));
    return [];
}

/**
 * The pod a resource runs, as admission will see it: the workload itself; a Tekton Task's pod
 * (steps merged over stepTemplate, as Tekton does, plus sidecars); an EventListener's Deployment
 * pod template. Undefined for anything else.
 */
type Loose = Record<string, any>;

function podOf(type: string, props: Loose): KubeObject | undefined {
    const metadata = { name: String(props.metadata?.name ?? "unnamed"), namespace: props.metadata?.namespace };
    const m = /^kubernetes:([^:]+):(\w+)$/.exec(type);
    if (m && WORKLOAD_TYPE.test(type)) {
        // A Pod's own annotations carry AppArmor profiles: an unknown metadata is reported through them.
        const own = isUnknown(props.metadata) ? { annotations: props.metadata } : props.metadata;
        return { ...props, apiVersion: m[1].replace(/^core\//, ""), kind: m[2], metadata: { ...own, ...metadata } };
    }
    if (TEKTON_TASK_TYPE.test(type)) {
        // An unknown part stays the unknown value (never spread: spreading a sentinel string
        // would turn it into an innocent-looking object), so unknownPaths reports it.
        const unknownOf = (...vs: unknown[]) => vs.find(isUnknown);
        const template = (props.spec?.stepTemplate ?? {}) as Loose;
        const steps = props.spec?.steps ?? [];
        const sidecars = props.spec?.sidecars ?? [];
        const whole = unknownOf(props.spec, template, steps, sidecars);
        if (whole !== undefined) return { apiVersion: "v1", kind: "Pod", metadata, spec: { containers: whole } };
        const containers = (steps as Loose[]).map(step =>
            isUnknown(step)
                ? step
                : {
                      ...template,
                      ...step,
                      securityContext: unknownOf(step.securityContext, template.securityContext) ?? {
                          ...(template.securityContext ?? {}),
                          ...(step.securityContext ?? {}),
                      },
                  },
        );
        return { apiVersion: "v1", kind: "Pod", metadata, spec: { containers: [...containers, ...(sidecars as Loose[])] } };
    }
    if (EVENT_LISTENER_TYPE.test(type)) {
        const template = props.spec?.resources?.kubernetesResource?.spec?.template;
        return template ? { apiVersion: "apps/v1", kind: "Deployment", metadata, spec: { template } } : undefined;
    }
    return undefined;
}

export const podSecurityStandards = stackPolicy({
    name: "pod-security-standards",
    description:
        "Pods, pod templates, Tekton Tasks and EventListeners the stack creates meet the Pod Security Standards baseline (restricted in namespaces labelled for it), checked with the same CEL Gatekeeper enforces.",
    enforcementLevel: "mandatory",
    configSchema: PIPELINE_NAMESPACE_SCHEMA,
    remediationSteps:
        "Fix the container's securityContext as the message says; the same rule would refuse the pod at admission (README, security table).",
    check: (resources, args, report) => {
        const admission = podSecurityAdmission(pipelineNamespaceOf(args));
        // The stack's Namespaces with their labels decide where restricted applies.
        const namespaces: KubeObject[] = resources
            .filter(r => is(r.type, TYPES.namespace))
            .map(r => {
                const p = unwrap(r.props) as Loose;
                return {
                    apiVersion: "v1",
                    kind: "Namespace",
                    metadata: { name: String(p.metadata?.name ?? r.name), labels: { ...(p.metadata?.labels ?? {}) } },
                };
            });
        for (const r of resources) {
            const pod = podOf(r.type, unwrap(r.props) as Loose);
            if (!pod) continue;
            if (!pod.metadata.namespace) pod.metadata.namespace = "default";
            const unknown = [...unknownPaths(pod.metadata.annotations, ["metadata", "annotations"]), ...unknownPaths(pod.spec, ["spec"])];
            if (unknown.length) {
                report(unknownMessage(`${r.name}: ${unknown[0]}`, "its pod security"), r.urn);
                continue;
            }
            const review = admission.reviewAll([...namespaces, pod])[namespaces.length];
            for (const d of review.denials)
                report(`${r.name} (namespace ${pod.metadata.namespace}): [${d.constraint}] ${d.message}`, r.urn);
        }
    },
});

// ---------------------------------------------------------------------------------------------
// Gatekeeper, Traffic Manager, protection
// ---------------------------------------------------------------------------------------------

function isGatekeeperChart(props: Props): boolean {
    const chart = str(lookup(props, ["chart"])) ?? "";
    const repo = str(lookup(props, ["repositoryOpts", "repo"])) ?? "";
    return chart === "gatekeeper" || chart.endsWith("/gatekeeper") || repo.includes("open-policy-agent.github.io/gatekeeper");
}

const gatekeeperFailClosed = resourcePolicy({
    name: "gatekeeper-webhook-fail-closed-in-prod",
    description: "In prod the Gatekeeper validating webhook must fail closed (failurePolicy Fail).",
    enforcementLevel: "mandatory",
    types: [...TYPES.helmRelease, ...TYPES.helmChart],
    configSchema: ENVIRONMENT_SCHEMA,
    remediationSteps:
        "Set the Gatekeeper release value `validatingWebhookFailurePolicy: Fail` (the chart default is Ignore) with system namespaces exempt and replicas + PDB for HA.",
    check: (props, args, report) => {
        if (!isGatekeeperChart(props)) return;
        const env = environmentOf(args);
        if (!env.prod) return;
        const policy = lookup(props, ["values", "validatingWebhookFailurePolicy"]);
        if (!policy.known) return report(unknownMessage(policy.path, "the admission failure policy") + env.note);
        if (policy.value !== "Fail") {
            report(
                `values.validatingWebhookFailurePolicy is ${policy.value === undefined ? "not set (chart default Ignore)" : JSON.stringify(policy.value)}: with Gatekeeper down, every image would be admitted unchecked${env.note}`,
            );
        }
    },
});

// ---------------------------------------------------------------------------------------------
// Sign-in of the platform UIs: Entra ID only
// ---------------------------------------------------------------------------------------------

function isArgoCdChart(props: Props): boolean {
    const chart = str(lookup(props, ["chart"])) ?? "";
    return chart === "argo-cd" || chart.endsWith("/argo-cd");
}

/**
 * Whether Argo CD reads `admin.enabled` as off. Argo CD parses the argocd-cm value with Go's
 * strconv.ParseBool and keeps the admin enabled when the key is absent or unparsable
 * (argoproj/argo-cd util/settings/accounts.go parseAdminAccount: `Enabled: true` unless
 * ParseBool succeeds; read at commit 00d25447cf01a97afa96df92f115348fe6ad21cd, a v2 release —
 * the pinned v3.4.4 was not available here to re-read). The argo-cd chart 10.1.1 values.yaml
 * sets `configs.cm."admin.enabled": true`; the stack sets the boolean `false` (argocd/sso.ts).
 */
function adminDisabled(value: unknown): boolean {
    return value === false || (typeof value === "string" && ["0", "f", "F", "false", "FALSE", "False"].includes(value));
}

const ARGOCD_ADMIN_WHY = "the local admin is a shared password outside Entra ID; sign-in is SSO only, break-glass is AKS";

const argocdLocalAdminDisabled = resourcePolicy({
    name: "argocd-local-admin-disabled",
    description: 'Argo CD\'s local admin user must be disabled (argocd-cm `admin.enabled: "false"`): users sign in with Entra ID.',
    enforcementLevel: "mandatory",
    types: [...TYPES.helmRelease, ...TYPES.helmChart, ...TYPES.configMap],
    remediationSteps: 'Set the argo-cd release value `configs.cm."admin.enabled": false` (chart 10.1.1 values.yaml defaults it to true).',
    check: (props, args, report) => {
        let at: (string | number)[];
        if (is(args.type, TYPES.configMap)) {
            // An argocd-cm the stack writes itself (the chart's `configs.cm.create: false` case).
            if (str(lookup(props, ["metadata", "name"])) !== "argocd-cm") return;
            at = ["data", "admin.enabled"];
        } else {
            if (!isArgoCdChart(props)) return;
            // argo-cd chart 10.1.1 values.yaml: `configs.cm.create: true` renders argocd-cm from
            // `configs.cm`; with create false the chart writes none and this release proves nothing.
            const create = lookup(props, ["values", "configs", "cm", "create"]);
            if (!create.known) return report(unknownMessage(create.path, "whether the chart writes argocd-cm"));
            if (create.value === false)
                return report(
                    `values.configs.cm.create is false: argocd-cm is not written by this release, so that the local admin is disabled cannot be verified (${ARGOCD_ADMIN_WHY})`,
                );
            at = ["values", "configs", "cm", "admin.enabled"];
        }
        const v = lookup(props, at);
        if (!v.known) return report(unknownMessage(v.path, "that the Argo CD local admin is disabled"));
        if (!adminDisabled(v.value)) {
            report(
                `${formatPath(at)} must be false (${ARGOCD_ADMIN_WHY}); it is ${v.value === undefined ? "not set (Argo CD and the chart default to enabled)" : JSON.stringify(v.value)}`,
            );
        }
    },
});

/**
 * Where each backendRef (and request-mirror target) of an HTTPRoute points. Gateway API
 * BackendObjectReference defaults: group "" (core), kind "Service", namespace the route's own
 * (kubernetes-sigs/gateway-api v1.6.1 apis/v1/object_reference_types.go; the HTTPRoute CRD as
 * Envoy Gateway v1.9.0 bundles it, test/vendor/crds/gateway.networking.k8s.io/HTTPRoute.json,
 * carries the group/kind defaults).
 */
function routeBackends(props: Props): { path: string; ref: Lookup }[] {
    const rules = lookup(props, ["spec", "rules"]);
    if (!rules.known) return [{ path: rules.path, ref: rules }];
    const out: { path: string; ref: Lookup }[] = [];
    (Array.isArray(rules.value) ? rules.value : []).forEach((rule, i) => {
        const refs = lookup(rule, ["backendRefs"]);
        const base = `spec.rules[${i}]`;
        if (!refs.known) out.push({ path: `${base}.backendRefs`, ref: { known: false, path: `${base}.backendRefs` } });
        else
            (Array.isArray(refs.value) ? refs.value : []).forEach((ref, j) =>
                out.push({ path: `${base}.backendRefs[${j}]`, ref: lookup(ref, []) }),
            );
        const filters = lookup(rule, ["filters"]);
        if (!filters.known) out.push({ path: `${base}.filters`, ref: { known: false, path: `${base}.filters` } });
        else
            (Array.isArray(filters.value) ? filters.value : []).forEach((f, k) => {
                const mirror = lookup(f, ["requestMirror", "backendRef"]);
                if (!mirror.known || mirror.value !== undefined)
                    out.push({ path: `${base}.filters[${k}].requestMirror.backendRef`, ref: mirror });
            });
    });
    return out;
}

const tektonDashboardOnlyViaProxy = resourcePolicy({
    name: "tekton-dashboard-only-via-oauth2-proxy",
    description:
        "No HTTPRoute may send traffic to the Tekton dashboard Service: it has no sign-in of its own, so it is reached only through oauth2-proxy (Entra ID).",
    enforcementLevel: "mandatory",
    types: TYPES.httpRoute,
    remediationSteps:
        "Route the dashboard hostname to the oauth2-proxy Service (components/cluster/tekton/dashboard-proxy.ts); oauth2-proxy forwards to the dashboard after sign-in.",
    check: (props, args, report) => {
        const ns = objectNamespace(props, args, ["metadata", "namespace"]);
        if (!ns.known) return report(unknownMessage(ns.path, "where the route's backends live"));
        const target = `${TEKTON_DASHBOARD_SERVICE.namespace}/${TEKTON_DASHBOARD_SERVICE.name}`;
        for (const { path, ref } of routeBackends(props)) {
            if (!ref.known) {
                report(unknownMessage(ref.path, `that it does not route to the Tekton dashboard (${target})`));
                continue;
            }
            const field = (name: string, fallback: string): string | undefined => {
                const f = lookup(ref.value, [name]);
                if (!f.known) {
                    report(unknownMessage(`${path}.${name}`, `that it does not route to the Tekton dashboard (${target})`));
                    return undefined;
                }
                return typeof f.value === "string" ? f.value : fallback;
            };
            const [group, kind, name, namespace] = [
                field("group", ""),
                field("kind", "Service"),
                field("name", ""),
                field("namespace", String(ns.value)),
            ];
            if ([group, kind, name, namespace].includes(undefined)) continue;
            if (
                group === "" &&
                kind === "Service" &&
                name === TEKTON_DASHBOARD_SERVICE.name &&
                namespace === TEKTON_DASHBOARD_SERVICE.namespace
            ) {
                report(
                    `${path} sends traffic to the Tekton dashboard Service ${target}, bypassing oauth2-proxy (namespace ${NAMESPACES.tektonDashboardProxy}): the dashboard has no sign-in of its own`,
                );
            }
        }
    },
});

const trafficManagerHostHeader = resourcePolicy({
    name: "traffic-manager-probe-host-header",
    description:
        "Traffic Manager health probes must send a Host header, or the gateway cannot route them and every endpoint shows Degraded.",
    enforcementLevel: "mandatory",
    types: TYPES.trafficManagerProfile,
    remediationSteps: 'Add `monitorConfig.customHeaders: [{ name: "Host", value: <app hostname> }]`.',
    check: (props, _args, report) => {
        const headers = lookup(props, ["monitorConfig", "customHeaders"]);
        if (!headers.known) return report(unknownMessage(headers.path, "the probe's Host header"));
        const list = Array.isArray(headers.value) ? headers.value : [];
        let found = false;
        list.forEach((h, i) => {
            const name = lookup(h, ["name"]);
            if (!name.known) report(unknownMessage(`monitorConfig.customHeaders[${i}].name`, "the probe's Host header"));
            else if (typeof name.value === "string" && name.value.toLowerCase() === "host") {
                const value = lookup(h, ["value"]);
                if (!value.known || isNonEmpty(value.value)) found = true;
            }
        });
        if (!found)
            report(
                "monitorConfig.customHeaders has no non-empty Host header: the gateway will not route the probe and both endpoints will show Degraded",
            );
    },
});

export const STATEFUL_TYPES: readonly string[] = [
    ...TYPES.registry,
    ...TYPES.dnsZone,
    ...TYPES.privateDnsZone,
    ...TYPES.cluster,
    ...TYPES.logAnalyticsWorkspace,
    ...TYPES.storageAccount,
    ...TYPES.keyVault,
    ...TYPES.persistentVolumeClaim,
];

const statefulProtected = resourcePolicy({
    name: "stateful-resources-protected-in-prod",
    description: "In prod, stateful resources (registry, DNS zone, clusters, Log Analytics, storage, Key Vault, PVCs) must be `protect`ed.",
    enforcementLevel: "mandatory",
    types: STATEFUL_TYPES,
    configSchema: ENVIRONMENT_SCHEMA,
    remediationSteps: "Pass `protect: true` for these resources when platform:protectStatefulResources is on (prod).",
    check: (_props, args, report) => {
        const env = environmentOf(args);
        if (env.prod && args.opts?.protect !== true) {
            report(
                `${args.type.split(":").slice(1).join(":")} ${args.name} holds state and is not protected: a stray delete or replace would destroy it${env.note}`,
            );
        }
    },
});

// ---------------------------------------------------------------------------------------------
// Advisory: right in prod, but a hard block would be wrong
// ---------------------------------------------------------------------------------------------

const acrPremiumInProd = resourcePolicy({
    name: "acr-premium-in-prod",
    description:
        "Prod ACR should be Premium (geo-replication, retention, network rules). Advisory: a SKU is a cost/availability decision, not an exposure, and the config schema already ties the Premium-only features to it.",
    enforcementLevel: "advisory",
    types: TYPES.registry,
    configSchema: ENVIRONMENT_SCHEMA,
    check: (props, args, report) => {
        const env = environmentOf(args);
        if (!env.prod) return;
        const sku = lookup(props, ["sku", "name"]);
        if (!sku.known) report(unknownMessage(sku.path, "the registry SKU"));
        else if (sku.value !== "Premium")
            report(
                `registry SKU is ${JSON.stringify(sku.value)}: no geo-replication to the second region, no retention, no network rules${env.note}`,
            );
    },
});

const aksZonesInProd = resourcePolicy({
    name: "aks-availability-zones-in-prod",
    description:
        "Prod node pools should span availability zones. Advisory: some regions have no zones (the config allows an empty list there), and zones cannot be added to an existing pool.",
    enforcementLevel: "advisory",
    types: [...TYPES.cluster, ...TYPES.agentPool],
    configSchema: ENVIRONMENT_SCHEMA,
    check: (props, args, report) => {
        const env = environmentOf(args);
        if (!env.prod) return;
        const pools: { name: string; zones: Lookup }[] = [];
        if (is(args.type, TYPES.agentPool)) {
            pools.push({ name: args.name, zones: lookup(props, ["availabilityZones"]) });
        } else {
            const profiles = lookup(props, ["agentPoolProfiles"]);
            if (!profiles.known) return report(unknownMessage(profiles.path, "node pool zones"));
            (Array.isArray(profiles.value) ? profiles.value : []).forEach((p, i) => {
                pools.push({ name: str(lookup(p, ["name"])) ?? `agentPoolProfiles[${i}]`, zones: lookup(p, ["availabilityZones"]) });
            });
        }
        for (const pool of pools) {
            if (!pool.zones.known) report(unknownMessage(pool.zones.path, `zones of pool ${pool.name}`));
            else if (!Array.isArray(pool.zones.value) || pool.zones.value.length < 2)
                report(`node pool ${pool.name} is not spread over availability zones: a zone outage takes the pool down${env.note}`);
        }
    },
});

const aksDefenderInProd = resourcePolicy({
    name: "aks-defender-in-prod",
    description:
        "Prod clusters should run the Microsoft Defender for Containers sensor. Advisory: Defender is often enabled subscription-wide by Azure Policy, which this pack cannot see, and it is a paid plan.",
    enforcementLevel: "advisory",
    types: TYPES.cluster,
    configSchema: ENVIRONMENT_SCHEMA,
    check: (props, args, report) => {
        const env = environmentOf(args);
        if (!env.prod) return;
        const on = lookup(props, ["securityProfile", "defender", "securityMonitoring", "enabled"]);
        if (!on.known) report(unknownMessage(on.path, "the Defender sensor"));
        else if (on.value !== true)
            report(
                `securityProfile.defender.securityMonitoring.enabled is not true: no runtime threat detection on this cluster${env.note}`,
            );
    },
});

const trafficManagerHttpsProbe = resourcePolicy({
    name: "traffic-manager-probe-https",
    description:
        "Traffic Manager should probe over HTTPS on a health path. Advisory: HTTP probes still work; HTTPS also proves the certificate and the TLS listener.",
    enforcementLevel: "advisory",
    types: TYPES.trafficManagerProfile,
    check: (props, _args, report) => {
        const protocol = lookup(props, ["monitorConfig", "protocol"]);
        const path = lookup(props, ["monitorConfig", "path"]);
        if (!protocol.known || !path.known) return;
        if (protocol.value !== "HTTPS")
            report(
                `monitorConfig.protocol is ${JSON.stringify(protocol.value ?? "not set")}: probe over HTTPS so a broken certificate or listener marks the endpoint Degraded`,
            );
        if (!isNonEmpty(path.value)) report("monitorConfig.path is not set: probe a health path the gateway answers");
    },
});

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

/**
 * A digest no image can have: 64 times the same hex digit (the all-zero "fill me in" value and
 * its kin). Such a reference cannot be pulled, so whatever runs it fails — every manifests PR's
 * check, for the gator/pluto steps that once carried one.
 */
const PLACEHOLDER_DIGEST = /[\w./:-]+@sha256:([0-9a-f])\1{63}(?![0-9a-f])/g;

function placeholderImages(value: unknown, found = new Set<string>()): Set<string> {
    if (typeof value === "string") for (const m of value.matchAll(PLACEHOLDER_DIGEST)) found.add(m[0]);
    else if (Array.isArray(value)) value.forEach(v => placeholderImages(v, found));
    else if (value && typeof value === "object") Object.values(value).forEach(v => placeholderImages(v, found));
    return found;
}

// Mandatory: a placeholder digest is a step that can never run, shipped as if it could.
const imageDigestsResolved = resourcePolicy({
    name: "image-digests-resolved",
    description: "Images must be pinned by a real digest: a placeholder (e.g. all-zero) digest cannot be pulled.",
    enforcementLevel: "mandatory",
    types: type => type.startsWith("kubernetes:"),
    remediationSteps:
        'Pin the digest the tag resolves to (`crane digest <repo>:<tag>`), or let the registry lookup resolve it at preview (components/cluster/pipeline/images.ts, source "registry-lookup").',
    check: (props, _args, report) => {
        const images = [...placeholderImages(props)].sort();
        if (images.length) report(`placeholder digest, the image cannot be pulled: ${images.join(", ")}`);
    },
});

// ---------------------------------------------------------------------------------------------
// Images only from the stack's ACR (platform images through its artifact cache)
// ---------------------------------------------------------------------------------------------

/** ACR login servers of the stack's registries (`<name>.azurecr.io`, known from the name at preview). */
function acrLoginServers(resources: PolicyResource[], report: (message: string) => void): string[] | undefined {
    const servers: string[] = [];
    for (const r of resources.filter(x => is(x.type, TYPES.registry))) {
        const name = lookup(r.props, ["registryName"]);
        if (!name.known) {
            report(unknownMessage(`${r.name}.registryName`, "which registry images must come from"));
            return undefined;
        }
        if (typeof name.value === "string" && name.value) servers.push(`${name.value.toLowerCase()}.azurecr.io`);
    }
    return servers;
}

/** `value` of each `{name: "IMAGE_…", value}` entry of an env list (an env variable naming an image). */
function imageEnvEntries(list: Lookup, path: string): KeyHit[] {
    if (!list.known || !Array.isArray(list.value)) return [];
    return list.value.flatMap((entry, i): KeyHit[] => {
        const name = str(lookup(entry, ["name"]));
        if (!name?.startsWith("IMAGE_")) return [];
        const v = lookup(entry, ["value"]);
        return [{ path: `${path}[${i}](${name}).value`, value: v.known ? v.value : undefined, unknown: !v.known }];
    });
}

/** Where a workload kind (WORKLOAD_TYPE) keeps its pod spec. */
function podSpecPath(kind: string): string[] {
    if (kind === "Pod") return ["spec"];
    if (kind === "CronJob") return ["spec", "jobTemplate", "spec", "template", "spec"];
    return ["spec", "template", "spec"];
}

/**
 * Images passed by env variable, where they are images: the Tekton Operator's overrides
 * (`values.operator.additionalEnvs` of its release, model/tekton-operator-images.ts) and the
 * `env` of a workload's containers. Nowhere else: an `IMAGE_…` name in other places is not an
 * image — a Pipeline's Chains type hint `{name: IMAGE_URL, value: $(tasks.push.results.IMAGE_URL)}`
 * among its results or params, say.
 */
function imageEnvValues(type: string, props: unknown, chart: string | undefined): KeyHit[] {
    if (chart !== undefined)
        return chart === "tekton-operator"
            ? imageEnvEntries(lookup(props, ["values", "operator", "additionalEnvs"]), "values.operator.additionalEnvs")
            : [];
    if (!WORKLOAD_TYPE.test(type)) return [];
    const path = podSpecPath(type.slice(type.lastIndexOf(":") + 1));
    const pod = lookup(props, path);
    if (!pod.known) return [];
    return ["initContainers", "containers", "ephemeralContainers"].flatMap(key => {
        const containers = lookup(pod.value, [key]);
        if (!containers.known || !Array.isArray(containers.value)) return [];
        return containers.value.flatMap((c, i) => imageEnvEntries(lookup(c, ["env"]), `${path.join(".")}.${key}[${i}].env`));
    });
}

const imagesOnlyFromAcr = stackPolicy({
    name: "images-only-from-acr",
    description:
        "Outside Kubernetes' own namespaces, every image a chart release or a Kubernetes object names comes from the stack's ACR (upstream registries through its cache rules).",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set the chart's image values (model/image-sources.ts CHART_IMAGE_VALUES) to <acr>/<upstream host>/… (components/cluster/platform-images.ts), and give a new upstream registry a cache rule (UPSTREAM_REGISTRIES).",
    check: (resources, _args, report) => {
        const servers = acrLoginServers(resources, report);
        if (!servers) return;
        if (servers.length === 0) return report("the stack has no ACR: there is no registry images may come from");
        const fromAcr = (image: string) => servers.some(s => image === s || image.startsWith(`${s}/`));
        for (const r of resources) {
            if (!r.type.startsWith("kubernetes:") || r.type.startsWith("kubernetes:index:")) continue;
            const helm = is(r.type, TYPES.helmRelease) || is(r.type, TYPES.helmChart);
            const ns = lookup(r.props, helm ? ["namespace"] : ["metadata", "namespace"]);
            if (!ns.known) {
                report(unknownMessage(helm ? "namespace" : "metadata.namespace", "whether its images must come from ACR"), r.urn);
                continue;
            }
            if (typeof ns.value === "string" && (SYSTEM_NAMESPACES as readonly string[]).includes(ns.value)) continue;
            const problems: string[] = [];
            if (helm) {
                const chart = str(lookup(r.props, ["chart"])) ?? "";
                const keys = CHART_IMAGE_VALUES[chart];
                if (!keys)
                    problems.push(
                        `chart ${JSON.stringify(chart)} has no entry in CHART_IMAGE_VALUES, so which values carry its images is not known`,
                    );
                for (const key of keys ?? []) {
                    const v = lookup(r.props, ["values", ...key.split(".")]);
                    if (!v.known) problems.push(`values.${key} is unknown during preview`);
                    else if (typeof v.value !== "string" || !v.value)
                        problems.push(`values.${key} is not set (the chart's upstream default applies)`);
                    else if (!fromAcr(v.value)) problems.push(`values.${key} = ${v.value}`);
                }
            }
            // The Tekton Operator takes the images of its bundled components from IMAGE_* env
            // variables (model/tekton-operator-images.ts): each one unset leaves an upstream image.
            if (helm && str(lookup(r.props, ["chart"])) === "tekton-operator") {
                const envs = lookup(r.props, ["values", "operator", "additionalEnvs"]);
                const names = envs.known && Array.isArray(envs.value) ? envs.value.map(e => str(lookup(e, ["name"]))) : [];
                const missing = TEKTON_OPERATOR_IMAGE_ENVS.filter(n => !names.includes(n));
                if (!envs.known) problems.push("values.operator.additionalEnvs is unknown during preview");
                else if (missing.length)
                    problems.push(
                        `values.operator.additionalEnvs does not set ${missing.join(", ")} (the operator's bundled upstream images apply)`,
                    );
            }
            const values = helm ? lookup(r.props, ["values"]) : { known: true as const, value: r.props };
            if (!values.known) problems.push("values are unknown during preview");
            // Images passed by env variable (the operator's overrides, a workload's IMAGE_* env) are images too.
            for (const hit of imageEnvValues(r.type, r.props, helm ? (str(lookup(r.props, ["chart"])) ?? "") : undefined)) {
                if (hit.unknown) problems.push(`${hit.path} is unknown during preview`);
                else if (typeof hit.value === "string" && !fromAcr(hit.value)) problems.push(`${hit.path} = ${hit.value}`);
            }
            for (const hit of values.known ? findKeys(values.value, k => k === "image") : []) {
                if (hit.unknown) problems.push(`${hit.path} is unknown during preview`);
                else if (typeof hit.value === "string" && !fromAcr(hit.value)) problems.push(`${hit.path} = ${hit.value}`);
            }
            if (problems.length) {
                report(
                    `images outside the stack's ACR (${servers.join(", ")}) in namespace "${ns.value}": ${[...new Set(problems)].join("; ")}`,
                    r.urn,
                );
            }
        }
    },
});

/** Every policy of the pack, mandatory first. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
    acrAdminUserDisabled,
    acrAnonymousPullDisabled,
    aksLocalAccountsDisabled,
    aksEntraRbac,
    aksWorkloadIdentity,
    aksApiServerRestricted,
    noPrivilegedRoleAssignments,
    registryWriteOnlyPipeline,
    noRegistryCredentials,
    pipelineNamespaceConsistent,
    podSecurityStandards,
    imagesOnlyFromAcr,
    argocdLocalAdminDisabled,
    tektonDashboardOnlyViaProxy,
    gatekeeperFailClosed,
    trafficManagerHostHeader,
    statefulProtected,
    imageDigestsResolved,
    acrPremiumInProd,
    aksZonesInProd,
    aksDefenderInProd,
    trafficManagerHttpsProbe,
];
