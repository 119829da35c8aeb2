// The platform's admission policies, as data: one definition per ConstraintTemplate, written in
// CEL for Gatekeeper's K8sNativeValidation engine. The Pod Security Standards templates are files
// (gatekeeper/policies/<name>/template.yaml, with samples in the gatekeeper-library layout),
// loaded as written by templateFile(). The Gatekeeper component turns these into
// ConstraintTemplates and constraints; the offline evaluator (model/admission/evaluator.ts) evaluates the
// very objects the component registered, so what `admit` checks is what the cluster enforces.
//
// CEL used here is limited to what both Kubernetes' CEL environment and @bufbuild/cel provide:
// the standard macros (has, all, exists, filter, map), size, in, startsWith, endsWith, contains,
// matches (RE2, unanchored) and, in messageExpressions only, `join` from the strings extension
// (cel-go ext.Strings in Kubernetes, `strings` from @bufbuild/cel/ext offline). No optional
// syntax (`?.`), no Kubernetes-only libraries (quantity, url, ip, authorizer).
//
// Bindings (Gatekeeper's K8sNativeValidation): `variables.anyObject` is the reviewed object,
// `variables.params` the constraint's spec.parameters; template variables are `variables.<name>`.
// A null-valued field is treated as absent, as the API server drops it before admission.

import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/** Gatekeeper's admission target and CEL engine names. */
export const GATEKEEPER_TARGET = "admission.k8s.gatekeeper.sh";
export const CEL_ENGINE = "K8sNativeValidation";
export const TEMPLATE_API_VERSION = "templates.gatekeeper.sh/v1";
export const CONSTRAINT_API_VERSION = "constraints.gatekeeper.sh/v1beta1";
/** Pulumi waits until Gatekeeper has accepted the template and created the constraint CRD. */
export const TEMPLATE_WAIT_FOR = { "pulumi.com/waitFor": "jsonpath={.status.created}=true" } as const;

/** Registry-credential Secret types (kubelet only reads pull credentials from these). */
export const REGISTRY_CREDENTIAL_SECRET_TYPES = ["kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"] as const;
/** Data keys that carry registry credentials, whatever the Secret's declared type. */
export const REGISTRY_CREDENTIAL_DATA_KEYS = [".dockerconfigjson", ".dockercfg"] as const;
/**
 * Annotation prefixes that mark a Secret as registry credentials, whatever its type: Tekton's
 * credential initializer turns a Secret annotated `tekton.dev/docker-<n>: <registry>` (basic-auth
 * or docker config) into the steps' docker config. The policy pack flags the same annotation.
 */
export const REGISTRY_CREDENTIAL_ANNOTATION_PREFIXES = ["tekton.dev/docker-"] as const;
/**
 * Data keys holding a docker client config file, the way Tekton workspaces, Kaniko and BuildKit
 * mount it (`$DOCKER_CONFIG/config.json`). Only the exact key counts, and only when its content
 * has the docker config's `"auths"` key, so an application's own `config.json` is not flagged.
 */
export const DOCKER_CONFIG_FILE_KEYS = ["config.json"] as const;
/** The JSON key under which a docker config file holds registry credentials. */
export const DOCKER_CONFIG_AUTHS_MARKER = '"auths"';

/**
 * The base64 text that `text` encodes to wherever it sits in a longer input: one infix per byte
 * alignment (0, 1, 2 mod 3), keeping only the characters that depend on `text` alone. A Secret's
 * `data` is base64, and CEL here has no base64 decoding, so a substring of the plain text is
 * searched for as these infixes instead.
 */
export function base64Infixes(text: string): string[] {
    const bytes = Buffer.byteLength(text, "utf8");
    return [0, 1, 2].map(offset => {
        const encoded = Buffer.concat([Buffer.alloc(offset), Buffer.from(text, "utf8")]).toString("base64");
        // Leading characters mix padding bits with text bits (none, 1 or 2 of them); so does the
        // last character unless the bits end on a 6-bit boundary.
        const start = [0, 2, 3][offset];
        const end = Math.floor((8 * (offset + bytes)) / 6);
        return encoded.slice(start, end);
    });
}

// ---------------------------------------------------------------------------------------------
// Object shapes (the subset of the ConstraintTemplate CRD and constraint CRDs this stack uses)
// ---------------------------------------------------------------------------------------------

export interface CelValidation {
    expression: string;
    message: string;
    messageExpression?: string;
}

export interface CelVariable {
    name: string;
    expression: string;
}

export interface CelSource {
    variables?: CelVariable[];
    validations: CelValidation[];
}

export interface KindMatcher {
    apiGroups: string[];
    kinds: string[];
}

export interface ConstraintMatch {
    kinds?: KindMatcher[];
    namespaces?: string[];
    excludedNamespaces?: string[];
    scope?: "*" | "Cluster" | "Namespaced";
    name?: string;
    labelSelector?: LabelSelector;
    namespaceSelector?: LabelSelector;
}

export interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

export interface ConstraintTemplateObject {
    apiVersion: string;
    kind: "ConstraintTemplate";
    metadata: { name: string; annotations?: Record<string, string> };
    spec: {
        crd: { spec: { names: { kind: string }; validation?: { openAPIV3Schema: Record<string, unknown> } } };
        targets: { target: string; code: { engine: string; source: unknown }[]; rego?: string }[];
    };
}

export type EnforcementAction = "deny" | "warn" | "dryrun";

export interface ConstraintObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string };
    spec: {
        enforcementAction?: string;
        match?: ConstraintMatch;
        parameters?: Record<string, unknown>;
    };
}

// ---------------------------------------------------------------------------------------------
// Shared CEL fragments
// ---------------------------------------------------------------------------------------------

const OBJ = "variables.anyObject";

/** Pods and every built-in kind that carries a pod template (ReplicationController included: it is one more way to run a pod). */
export const WORKLOAD_KINDS: KindMatcher[] = [
    { apiGroups: [""], kinds: ["Pod", "ReplicationController"] },
    { apiGroups: ["apps"], kinds: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] },
    { apiGroups: ["batch"], kinds: ["Job", "CronJob"] },
];

/** `has()` chain for a dotted path below the object, so a missing level is absence, not an error. */
function hasPath(root: string, path: string[]): string {
    return path.map((_, i) => `has(${[root, ...path.slice(0, i + 1)].join(".")})`).join(" && ");
}

/** The pod spec of a Pod, of a CronJob's job template, or of any kind with spec.template ({} if absent). */
const POD_SPEC: CelVariable = {
    name: "podSpec",
    expression: [
        `${OBJ}.kind == 'Pod' ? (${hasPath(OBJ, ["spec"])} ? ${OBJ}.spec : {}) :`,
        `${OBJ}.kind == 'CronJob' ? (${hasPath(OBJ, ["spec", "jobTemplate", "spec", "template", "spec"])} ? ${OBJ}.spec.jobTemplate.spec.template.spec : {}) :`,
        `(${hasPath(OBJ, ["spec", "template", "spec"])} ? ${OBJ}.spec.template.spec : {})`,
    ].join("\n"),
};

/** Every container list of the pod spec: containers, initContainers, ephemeralContainers. */
const CONTAINERS: CelVariable = {
    name: "containers",
    expression: ["containers", "initContainers", "ephemeralContainers"]
        .map(list => `(has(variables.podSpec.${list}) ? variables.podSpec.${list} : [])`)
        .join(" +\n"),
};

/** `<name>=<image>` for a container, for messages. */
/** The pod's image volumes (volumes with an `image` source). */
const IMAGE_VOLUMES: CelVariable = {
    name: "imageVolumes",
    expression: "has(variables.podSpec.volumes) ? variables.podSpec.volumes.filter(v, has(v.image)) : []",
};

const DESCRIBE = "(has(c.name) ? c.name : '<unnamed>') + '=' + (has(c.image) ? c.image : '<no image>')";

const IN_PIPELINE_NAMESPACE = `(has(${OBJ}.metadata.namespace) && ${OBJ}.metadata.namespace == variables.params.pipelineNamespace)`;

// ---------------------------------------------------------------------------------------------
// The policies
// ---------------------------------------------------------------------------------------------

/** Values the constraints' parameters are computed from. */
export interface PolicyContext {
    /** The ACR login server, e.g. `myacr.azurecr.io` (no scheme, no trailing slash). */
    acrLoginServer: string;
    /** The only namespace that may hold registry credentials. */
    pipelineNamespace: string;
}

export interface PolicyDefinition {
    /** Constraint kind; the template's name is its lower-case form. */
    kind: string;
    /** Name of the single constraint of this kind. */
    constraintName: string;
    description: string;
    /** openAPIV3Schema of the constraint's parameters. */
    parametersSchema: Record<string, unknown>;
    parameters(ctx: PolicyContext): Record<string, unknown>;
    kinds: KindMatcher[];
    source: CelSource;
    /**
     * Which namespaces the constraint skips:
     * - `platform`: system and platform namespaces (their charts run pinned upstream images);
     * - `system`: only Kubernetes' own namespaces (Gatekeeper's included). Registry credentials
     *   are confined to the pipeline namespace everywhere else, platform namespaces included; and
     *   no platform chart needs privileged containers or host access, so write access to a
     *   platform namespace (gateway, argocd …) must not buy a privileged, hostPID, hostPath pod.
     */
    exemption: "platform" | "system";
}

const stringList = { type: "array", items: { type: "string" } };

/** The registry prefix images must start with: the login server plus `/`, so a look-alike host cannot match. */
export function registryPrefix(acrLoginServer: string): string {
    return `${acrLoginServer.replace(/\/+$/, "")}/`;
}

const IMAGE_VOLUME_FROM_REGISTRY =
    "(has(v.image.reference) && variables.params.registries.exists(r, r.endsWith('/') && v.image.reference.startsWith(r)))";
const IMAGE_FROM_REGISTRY = "(has(c.image) && variables.params.registries.exists(r, r.endsWith('/') && c.image.startsWith(r)))";
// Pinned: a sha256 digest, or (no digest at all) a tag after the last path segment that is not
// `latest`. The tag's character class excludes `/` and `:`, so a registry port (`reg:5000/app`)
// is not mistaken for a tag.
const IMAGE_PINNED =
    "(has(c.image) && (c.image.matches('@sha256:[a-f0-9]{64}$') || (!c.image.contains('@') && c.image.matches(':[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$') && !c.image.endsWith(':latest'))))";

/**
 * The namespace label that raises a namespace to the restricted level: Kubernetes' own Pod
 * Security Admission label, so the built-in admission and Gatekeeper read one switch.
 */
export const RESTRICTED_NAMESPACE_LABEL = { key: "pod-security.kubernetes.io/enforce", value: "restricted" } as const;

/**
 * Baseline controls the pipeline namespace skips: its rootless BuildKit steps run with seccomp and
 * AppArmor Unconfined (pipeline-tasks.ts ROOTLESS_BUILDKIT_SECURITY). Every other baseline control
 * binds there too.
 */
export const PIPELINE_RELAXED_CONTROLS = ["seccompProfile", "appArmorProfile"] as const;

/** Where the CEL templates live: one folder per template, gatekeeper-library layout. */
export const POLICY_DIR = path.join(__dirname, "templates");

/**
 * A ConstraintTemplate kept as a file (`<POLICY_DIR>/<name>/template.yaml`): its kind, description,
 * parameter schema and CEL are taken from the file as written, so the file is what is deployed.
 */
export function templateFile(name: string): Pick<PolicyDefinition, "kind" | "description" | "parametersSchema" | "source"> {
    const file = path.join(POLICY_DIR, name, "template.yaml");
    const t = YAML.parse(fs.readFileSync(file, "utf8")) as ConstraintTemplateObject;
    const code = t?.spec?.targets?.[0]?.code?.find(c => c.engine === CEL_ENGINE);
    const kind = t?.spec?.crd?.spec?.names?.kind;
    const source = code?.source as CelSource | undefined;
    if (t?.kind !== "ConstraintTemplate" || !kind || t.metadata?.name !== kind.toLowerCase() || !source?.validations?.length) {
        throw new Error(`${file}: expected a ConstraintTemplate named after its kind with ${CEL_ENGINE} validations`);
    }
    return {
        kind,
        description: t.metadata.annotations?.description ?? "",
        parametersSchema: t.spec.crd.spec.validation?.openAPIV3Schema ?? { type: "object", properties: {} },
        source,
    };
}

export const POLICIES: readonly PolicyDefinition[] = [
    {
        kind: "PlatformAllowedRegistries",
        constraintName: "images-from-platform-registry",
        description:
            "Every container image (containers, initContainers, ephemeralContainers) of pods and pod templates comes from the platform registry.",
        parametersSchema: {
            type: "object",
            properties: { registries: { ...stringList, description: "Allowed image prefixes, each ending in '/'." } },
        },
        parameters: ctx => ({ registries: [registryPrefix(ctx.acrLoginServer)] }),
        kinds: WORKLOAD_KINDS,
        // Platform charts, the pipeline's Task steps (pluto through the Google Artifact Registry
        // rule) and the Tekton Operator's bundled images (its IMAGE_* overrides:
        // components/cluster/tekton/operator-images.ts, which also cover the init containers Tekton
        // injects into every TaskRun pod and the EventListener's sink image) all pull through the
        // ACR's artifact cache (model/image-sources.ts): only Kubernetes' own namespaces are exempt.
        exemption: "system",
        source: {
            variables: [POD_SPEC, CONTAINERS, IMAGE_VOLUMES],
            validations: [
                {
                    expression: `variables.containers.all(c, ${IMAGE_FROM_REGISTRY})`,
                    message: "container images must come from the platform registry",
                    messageExpression: `'container images must come from ' + variables.params.registries.join(' or ') + '; not allowed: ' + variables.containers.filter(c, !${IMAGE_FROM_REGISTRY}).map(c, ${DESCRIBE}).join(', ')`,
                },
                {
                    // An image volume mounts an OCI image's content into the pod (Kubernetes
                    // ImageVolumeSource, core/v1 Volume `image.reference`, API since v1.31).
                    expression: `variables.imageVolumes.all(v, ${IMAGE_VOLUME_FROM_REGISTRY})`,
                    message: "image volumes must come from the platform registry",
                    messageExpression: `'image volumes must come from ' + variables.params.registries.join(' or ') + '; not allowed: ' + variables.imageVolumes.filter(v, !${IMAGE_VOLUME_FROM_REGISTRY}).map(v, v.name + '=' + (has(v.image.reference) ? v.image.reference : '<no reference>')).join(', ')`,
                },
            ],
        },
    },
    {
        kind: "PlatformPinnedImages",
        constraintName: "images-pinned",
        description: "Every container image is pinned by @sha256 digest or by a tag other than latest; an image without a tag is rejected.",
        parametersSchema: { type: "object", properties: {} },
        parameters: () => ({}),
        kinds: WORKLOAD_KINDS,
        exemption: "platform",
        source: {
            variables: [POD_SPEC, CONTAINERS],
            validations: [
                {
                    expression: `variables.containers.all(c, ${IMAGE_PINNED})`,
                    message: "container images must be pinned by @sha256 digest or a tag other than latest",
                    messageExpression: `'container images must be pinned by @sha256 digest or a tag other than latest: ' + variables.containers.filter(c, !${IMAGE_PINNED}).map(c, ${DESCRIBE}).join(', ')`,
                },
            ],
        },
    },
    {
        ...templateFile("pod-security-baseline"),
        constraintName: "pod-security-baseline",
        parameters: ctx => ({ relaxations: [{ namespace: ctx.pipelineNamespace, controls: [...PIPELINE_RELAXED_CONTROLS] }] }),
        kinds: WORKLOAD_KINDS,
        // Binds platform namespaces too: the platform charts run within baseline at the values this
        // stack sets (README, security table), and write access to a platform namespace (gateway,
        // argocd …) must not buy a node-owning pod. Gatekeeper's own namespace is in the system list.
        exemption: "system",
    },
    {
        ...templateFile("pod-security-restricted"),
        constraintName: "pod-security-restricted",
        // The template reads the label from namespaceObject (see its header for why not a namespaceSelector).
        parameters: () => ({ namespaceLabel: { ...RESTRICTED_NAMESPACE_LABEL } }),
        kinds: WORKLOAD_KINDS,
        exemption: "system",
    },
    {
        kind: "PlatformRegistryCredentials",
        constraintName: "registry-credentials-only-in-pipeline",
        description:
            "Registry credentials (dockerconfigjson/dockercfg Secrets, Secrets annotated tekton.dev/docker-*, or any Secret or SealedSecret carrying .dockerconfigjson/.dockercfg data or a docker config.json with auths) exist only in the pipeline namespace.",
        parametersSchema: {
            type: "object",
            properties: {
                pipelineNamespace: { type: "string" },
                secretTypes: stringList,
                dataKeys: stringList,
                annotationPrefixes: stringList,
                configFileKeys: stringList,
                configFileMarkers: { ...stringList, description: "Text that marks a docker config file as holding credentials." },
                configFileMarkersBase64: { ...stringList, description: "The same markers as they appear inside base64 (Secret data)." },
            },
        },
        parameters: ctx => ({
            pipelineNamespace: ctx.pipelineNamespace,
            secretTypes: [...REGISTRY_CREDENTIAL_SECRET_TYPES],
            dataKeys: [...REGISTRY_CREDENTIAL_DATA_KEYS],
            annotationPrefixes: [...REGISTRY_CREDENTIAL_ANNOTATION_PREFIXES],
            configFileKeys: [...DOCKER_CONFIG_FILE_KEYS],
            configFileMarkers: [DOCKER_CONFIG_AUTHS_MARKER],
            configFileMarkersBase64: base64Infixes(DOCKER_CONFIG_AUTHS_MARKER),
        }),
        // SealedSecrets too: the controller would unseal them into a credential Secret; catching
        // the SealedSecret itself gives app teams the error at `admit` time rather than at sync.
        // What the SealedSecret holds encrypted cannot be read here (a sealed `config.json` is
        // only known by its key); the Secret the controller creates is reviewed on its own.
        kinds: [
            { apiGroups: [""], kinds: ["Secret"] },
            { apiGroups: ["bitnami.com"], kinds: ["SealedSecret"] },
        ],
        exemption: "system",
        source: {
            variables: [
                {
                    name: "secretType",
                    expression: [
                        `${OBJ}.kind == 'SealedSecret' ? (${hasPath(OBJ, ["spec", "template", "type"])} ? ${OBJ}.spec.template.type : '') :`,
                        `(has(${OBJ}.type) ? ${OBJ}.type : '')`,
                    ].join("\n"),
                },
                {
                    // A SealedSecret's keys: the encrypted ones and the plain-text template ones
                    // (spec.template.data), both of which end up in the unsealed Secret.
                    name: "dataKeys",
                    expression: [
                        `${OBJ}.kind == 'SealedSecret' ?`,
                        `  (${hasPath(OBJ, ["spec", "encryptedData"])} ? ${OBJ}.spec.encryptedData.map(k, k) : []) +`,
                        `  (${hasPath(OBJ, ["spec", "template", "data"])} ? ${OBJ}.spec.template.data.map(k, k) : []) :`,
                        `(has(${OBJ}.data) ? ${OBJ}.data.map(k, k) : []) + (has(${OBJ}.stringData) ? ${OBJ}.stringData.map(k, k) : [])`,
                    ].join("\n"),
                },
                {
                    // The unsealed Secret takes its metadata from spec.template.metadata.
                    name: "credentialAnnotations",
                    expression: [
                        `${OBJ}.kind == 'SealedSecret' ?`,
                        `  (${hasPath(OBJ, ["spec", "template", "metadata", "annotations"])} ? ${OBJ}.spec.template.metadata.annotations.filter(k, variables.params.annotationPrefixes.exists(p, k.startsWith(p))) : []) :`,
                        `(${hasPath(OBJ, ["metadata", "annotations"])} ? ${OBJ}.metadata.annotations.filter(k, variables.params.annotationPrefixes.exists(p, k.startsWith(p))) : [])`,
                    ].join("\n"),
                },
                {
                    // config.json keys whose value is a docker config with credentials: plain text in
                    // stringData and in a SealedSecret's template data, base64 in data.
                    name: "dockerConfigFiles",
                    expression: [
                        `${OBJ}.kind == 'SealedSecret' ?`,
                        `  (${hasPath(OBJ, ["spec", "template", "data"])} ? ${OBJ}.spec.template.data.filter(k, k in variables.params.configFileKeys && variables.params.configFileMarkers.exists(m, ${OBJ}.spec.template.data[k].contains(m))) : []) :`,
                        `(has(${OBJ}.data) ? ${OBJ}.data.filter(k, k in variables.params.configFileKeys && variables.params.configFileMarkersBase64.exists(m, ${OBJ}.data[k].contains(m))) : []) +`,
                        `(has(${OBJ}.stringData) ? ${OBJ}.stringData.filter(k, k in variables.params.configFileKeys && variables.params.configFileMarkers.exists(m, ${OBJ}.stringData[k].contains(m))) : [])`,
                    ].join("\n"),
                },
                {
                    // Why the object is a registry credential, one entry per reason (empty: it is not).
                    name: "reasons",
                    expression: [
                        "(variables.secretType in variables.params.secretTypes ? ['type ' + variables.secretType] : []) +",
                        "variables.dataKeys.filter(k, k in variables.params.dataKeys).map(k, 'key ' + k) +",
                        "variables.credentialAnnotations.map(k, 'annotation ' + k) +",
                        "variables.dockerConfigFiles.map(k, 'docker config in key ' + k)",
                    ].join("\n"),
                },
            ],
            validations: [
                {
                    expression: `size(variables.reasons) == 0 || ${IN_PIPELINE_NAMESPACE}`,
                    message:
                        "registry credentials are only allowed in the pipeline namespace; clusters pull from ACR with their kubelet identity",
                    messageExpression:
                        "'registry credentials (' + variables.reasons.join(', ') + ') are only allowed in namespace ' + variables.params.pipelineNamespace + '; clusters pull from ACR with their kubelet identity'",
                },
            ],
        },
    },
    {
        kind: "PlatformNoImagePullSecrets",
        constraintName: "no-image-pull-secrets",
        description:
            "No imagePullSecrets on workloads or ServiceAccounts outside the pipeline namespace: clusters pull from ACR with their kubelet identity.",
        parametersSchema: { type: "object", properties: { pipelineNamespace: { type: "string" } } },
        parameters: ctx => ({ pipelineNamespace: ctx.pipelineNamespace }),
        kinds: [...WORKLOAD_KINDS, { apiGroups: [""], kinds: ["ServiceAccount"] }],
        exemption: "system",
        source: {
            variables: [
                POD_SPEC,
                {
                    name: "pullSecrets",
                    expression: [
                        `${OBJ}.kind == 'ServiceAccount' ? (has(${OBJ}.imagePullSecrets) ? ${OBJ}.imagePullSecrets : []) :`,
                        "(has(variables.podSpec.imagePullSecrets) ? variables.podSpec.imagePullSecrets : [])",
                    ].join("\n"),
                },
            ],
            validations: [
                {
                    expression: `size(variables.pullSecrets) == 0 || ${IN_PIPELINE_NAMESPACE}`,
                    message:
                        "imagePullSecrets are not allowed outside the pipeline namespace; clusters pull from ACR with their kubelet identity",
                    messageExpression:
                        "'imagePullSecrets are not allowed outside namespace ' + variables.params.pipelineNamespace + ' (clusters pull from ACR with their kubelet identity): ' + variables.pullSecrets.map(s, has(s.name) ? s.name : '<unnamed>').join(', ')",
                },
            ],
        },
    },
];

// ---------------------------------------------------------------------------------------------
// Building the objects (pure: the component wraps these in Pulumi resources)
// ---------------------------------------------------------------------------------------------

export function templateName(policy: PolicyDefinition): string {
    return policy.kind.toLowerCase();
}

export function constraintTemplate(policy: PolicyDefinition): ConstraintTemplateObject {
    return {
        apiVersion: TEMPLATE_API_VERSION,
        kind: "ConstraintTemplate",
        metadata: {
            name: templateName(policy),
            annotations: { description: policy.description, ...TEMPLATE_WAIT_FOR },
        },
        spec: {
            crd: { spec: { names: { kind: policy.kind }, validation: { openAPIV3Schema: policy.parametersSchema } } },
            targets: [
                {
                    target: GATEKEEPER_TARGET,
                    code: [{ engine: CEL_ENGINE, source: policy.source }],
                },
            ],
        },
    };
}

export interface ConstraintSettings {
    enforcementAction: EnforcementAction;
    /** System + platform namespaces (names.ts exemptNamespaces), for `platform` exemptions. */
    exemptNamespaces: readonly string[];
    /** Kubernetes' own namespaces (names.ts SYSTEM_NAMESPACES), for `system` exemptions. */
    systemNamespaces: readonly string[];
}

/**
 * The namespaces a policy's constraint excludes (see PolicyDefinition.exemption). No scope depends
 * on the stack's context any more (the pipeline namespace's own exemption went with pluto's move
 * through the ACR); the parameter keeps the callers' shape.
 */
export function excludedNamespaces(policy: PolicyDefinition, _ctx: PolicyContext, settings: ConstraintSettings): string[] {
    const list = policy.exemption === "system" ? settings.systemNamespaces : settings.exemptNamespaces;
    return [...new Set(list)].sort();
}

/**
 * The namespaces every constraint skips: the only ones that may go in the chart's
 * `controllerManager.exemptNamespaces` (see gatekeeper.ts: Gatekeeper 3.23 exempts them from
 * every generated ValidatingAdmissionPolicy, whatever the constraint's own match says).
 */
export function fullyExemptNamespaces(policies: readonly PolicyDefinition[], ctx: PolicyContext, settings: ConstraintSettings): string[] {
    const lists = policies.map(p => excludedNamespaces(p, ctx, settings));
    return lists.length ? lists[0].filter(ns => lists.every(l => l.includes(ns))) : [];
}

export function constraint(policy: PolicyDefinition, ctx: PolicyContext, settings: ConstraintSettings): ConstraintObject {
    return {
        apiVersion: CONSTRAINT_API_VERSION,
        kind: policy.kind,
        metadata: { name: policy.constraintName },
        spec: {
            enforcementAction: settings.enforcementAction,
            match: {
                kinds: policy.kinds.map(k => ({ apiGroups: [...k.apiGroups], kinds: [...k.kinds] })),
                excludedNamespaces: excludedNamespaces(policy, ctx, settings),
            },
            parameters: policy.parameters(ctx),
        },
    };
}

/** Every template and constraint for a context: the same objects the component registers. */
export function policyBundle(
    ctx: PolicyContext,
    settings: ConstraintSettings,
): { templates: ConstraintTemplateObject[]; constraints: ConstraintObject[] } {
    return {
        templates: POLICIES.map(constraintTemplate),
        constraints: POLICIES.map(p => constraint(p, ctx, settings)),
    };
}
