// Offline Gatekeeper admission: evaluates ConstraintTemplates written in CEL
// (engine K8sNativeValidation) and their constraints against Kubernetes manifests, with a real
// CEL evaluator (@bufbuild/cel). `admit` uses it on the templates and constraints of a stack run;
// the Tekton check pipeline and the tests call it directly.
//
// Semantics follow Gatekeeper's K8sNativeValidation driver:
//   bindings   object, oldObject (null), request, params (the constraint object), namespaceObject
//              (the object's Namespace, found as for namespaceSelector below, else null),
//              variables.params (constraint spec.parameters), variables.anyObject (the object),
//              then the template's own variables in order (variables.<name>);
//   validations each must be `true`; `false` is a violation with the messageExpression's value
//              (if it evaluates to a non-empty one-line string) else the message; an evaluation
//              error is a violation too (fail closed: an error never admits);
//   match      kinds (apiGroups/kinds, `*`), namespaces / excludedNamespaces (globs with a leading
//              or trailing `*`; a Namespace matches by its own name; other cluster-scoped objects
//              always match), scope, name, labelSelector. namespaceSelector reads the namespace's
//              labels from its Namespace object among the reviewed manifests, else from the
//              Namespace the stack itself registers on that cluster (PolicySet.namespaces), else
//              the namespace counts as unlabelled (what a new namespace is): to review a manifest
//              as in a labelled namespace (e.g. restricted), pass its Namespace manifest too;
//   enforcement deny → the object is denied; warn and dryrun → reported, still allowed.
//
// Manifests are parsed as YAML 1.1, as kubectl does (`yes`/`on` are booleans), with integers as
// integers (bigint → CEL int) so arithmetic behaves as in the API server; null fields are dropped,
// as the API server drops them before admission; `kind: List` is expanded into its items.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { celEnv, CelEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { CEL_ENGINE, CelSource, ConstraintMatch, ConstraintObject, ConstraintTemplateObject, LabelSelector } from "./policies";

/** What the evaluator reads of an offline engine run (tools/engine.ts StackRun): the registrations. */
export interface RecordedRun {
    resources: readonly { type: string; provider?: string; rawInputs: Record<string, unknown> }[];
}

export const TEMPLATE_RESOURCE_TYPE = "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate";
export const CONSTRAINT_RESOURCE_TYPE_PREFIX = "kubernetes:constraints.gatekeeper.sh/v1beta1:";
export const NAMESPACE_RESOURCE_TYPE = "kubernetes:core/v1:Namespace";

/** A Kubernetes object as read from a manifest. */
export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
    [field: string]: unknown;
}

/** One object of one manifest file. */
export interface ManifestObject {
    /** File it came from (`-` for stdin). */
    source: string;
    /** 1-based document number in the file. */
    document: number;
    object: KubeObject;
}

export interface PolicySet {
    templates: ConstraintTemplateObject[];
    constraints: ConstraintObject[];
    /** Namespaces the stack creates on that cluster, with their labels (namespaceSelector input). */
    namespaces?: KubeObject[];
}

export interface Violation {
    constraint: string;
    constraintKind: string;
    enforcementAction: string;
    message: string;
}

export interface Review {
    kind: string;
    namespace: string;
    name: string;
    source?: string;
    allowed: boolean;
    /** Violations of `deny` constraints: why the object is refused. */
    denials: Violation[];
    /** Violations of `warn` / `dryrun` constraints: reported, not enforced. */
    warnings: Violation[];
}

/** Input that cannot be read or is not a Kubernetes manifest. */
export class ManifestError extends Error {}
/** Templates or constraints that cannot be evaluated (bad CEL, missing template, Rego only). */
export class PolicyError extends Error {}

// ---------------------------------------------------------------------------------------------
// Manifests
// ---------------------------------------------------------------------------------------------

// Kinds that are cluster-scoped, so a default namespace is never applied to them.
const CLUSTER_SCOPED = new Set([
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "RuntimeClass",
    "IngressClass",
    "GatewayClass",
    "CSIDriver",
    "APIService",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ConstraintTemplate",
    "ClusterIssuer",
]);

const YAML_OPTIONS: YAML.ParseOptions & YAML.DocumentOptions & YAML.SchemaOptions = {
    version: "1.1",
    intAsBigInt: true,
    uniqueKeys: true,
    // kubectl's YAML decoder keeps timestamps as strings.
    customTags: tags => tags.filter(t => typeof t === "string" || t.tag !== "tag:yaml.org,2002:timestamp"),
};

/** Parses multi-document YAML into objects; throws ManifestError naming the file and document. */
export function parseManifests(text: string, source: string): ManifestObject[] {
    const docs = YAML.parseAllDocuments(text, YAML_OPTIONS);
    const out: ManifestObject[] = [];
    // parseAllDocuments returns an EmptyStream (not an array) for an empty file.
    if (!Array.isArray(docs)) return out;
    docs.forEach((doc, i) => {
        const where = `${source}: document ${i + 1}`;
        if (doc.errors.length) {
            const e = doc.errors[0];
            const line = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : "";
            const text = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
            throw new ManifestError(`${where}: invalid YAML${line}: ${text}`);
        }
        let value: unknown;
        try {
            value = doc.toJS({ maxAliasCount: 100 });
        } catch (e) {
            throw new ManifestError(`${where}: invalid YAML: ${(e as Error).message.split("\n")[0]}`);
        }
        if (value === null || value === undefined) return; // empty document
        for (const object of expandList(checkObject(value, where), where)) {
            out.push({ source, document: i + 1, object });
        }
    });
    return out;
}

function checkObject(value: unknown, where: string): KubeObject {
    if (!isPlainObject(value))
        throw new ManifestError(`${where}: not a Kubernetes object (expected a mapping, got ${describeType(value)})`);
    const problems: string[] = [];
    if (typeof value.apiVersion !== "string" || !value.apiVersion) problems.push("apiVersion");
    if (typeof value.kind !== "string" || !value.kind) problems.push("kind");
    const meta = value.metadata;
    const isList = typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(value.items);
    if (!isList) {
        if (!isPlainObject(meta)) problems.push("metadata");
        else if (!(typeof meta.name === "string" && meta.name) && !(typeof meta.generateName === "string" && meta.generateName))
            problems.push("metadata.name");
        else if (meta.namespace !== undefined && meta.namespace !== null && typeof meta.namespace !== "string")
            problems.push("metadata.namespace (must be a string)");
    }
    if (problems.length) throw new ManifestError(`${where}: not a Kubernetes object: missing or invalid ${problems.join(", ")}`);
    return value as KubeObject;
}

/** `kind: List` (and `*List` with items) is applied by kubectl item by item: review each. */
function expandList(obj: KubeObject, where: string): KubeObject[] {
    if (!(obj.kind.endsWith("List") && Array.isArray(obj.items))) return [obj];
    return (obj.items as unknown[]).flatMap((item, j) =>
        expandList(checkObject(item, `${where}: item ${j + 1}`), `${where}: item ${j + 1}`),
    );
}

/** Reads files (or directories, recursively: *.yaml, *.yml, sorted; `-` is stdin). Every problem in one ManifestError. */
export function readManifests(paths: string[]): ManifestObject[] {
    const problems: string[] = [];
    const objects: ManifestObject[] = [];
    for (const file of paths.flatMap(p => expandPath(p, problems))) {
        let text: string;
        try {
            text = file === "-" ? fs.readFileSync(0, "utf8") : fs.readFileSync(file, "utf8");
        } catch (e) {
            problems.push(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
            continue;
        }
        try {
            objects.push(...parseManifests(text, file));
        } catch (e) {
            if (!(e instanceof ManifestError)) throw e;
            problems.push(e.message);
        }
    }
    if (problems.length) throw new ManifestError(problems.join("\n"));
    return objects;
}

function expandPath(p: string, problems: string[]): string[] {
    if (p === "-") return [p];
    let stat: fs.Stats;
    try {
        stat = fs.statSync(p);
    } catch (e) {
        problems.push(`${p}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        return [];
    }
    if (!stat.isDirectory()) return [p];
    return fs
        .readdirSync(p)
        .sort()
        .map(f => path.join(p, f))
        .flatMap(f => (fs.statSync(f).isDirectory() ? expandPath(f, problems) : /\.ya?ml$/.test(f) ? [f] : []));
}

// ---------------------------------------------------------------------------------------------
// Policies from a stack run
// ---------------------------------------------------------------------------------------------

/**
 * The ConstraintTemplates and constraints a run registers, exactly as their inputs carry them, one
 * set per cluster (Kubernetes provider). Clusters with identical policy share one set, so a
 * two-region stack is evaluated once; if they differ, an object is reviewed against each.
 */
export function policySetsFromRun(run: RecordedRun): PolicySet[] {
    const byCluster = new Map<string, PolicySet>();
    const setOf = (provider: string | undefined) => {
        const key = provider ?? "";
        if (!byCluster.has(key)) byCluster.set(key, { templates: [], constraints: [], namespaces: [] });
        return byCluster.get(key)!;
    };
    for (const r of run.resources) {
        if (r.type === TEMPLATE_RESOURCE_TYPE) setOf(r.provider).templates.push(r.rawInputs as unknown as ConstraintTemplateObject);
        else if (r.type.startsWith(CONSTRAINT_RESOURCE_TYPE_PREFIX))
            setOf(r.provider).constraints.push(r.rawInputs as unknown as ConstraintObject);
        else if (r.type === NAMESPACE_RESOURCE_TYPE)
            setOf(r.provider).namespaces!.push({
                apiVersion: "v1",
                kind: "Namespace",
                ...(r.rawInputs as object),
                metadata: { ...(r.rawInputs.metadata as object) },
            } as KubeObject);
    }
    // A cluster's namespaces without its policy (another provider) play no part.
    for (const [key, set] of byCluster) if (!set.templates.length && !set.constraints.length) byCluster.delete(key);
    const distinct = new Map<string, PolicySet>();
    for (const set of byCluster.values()) {
        const canonical = stableJson({
            templates: [...set.templates].sort(byName),
            constraints: [...set.constraints].sort((a, b) =>
                `${a.kind}/${a.metadata?.name}`.localeCompare(`${b.kind}/${b.metadata?.name}`),
            ),
            namespaces: (set.namespaces ?? [])
                .map(n => ({ name: n.metadata.name, labels: n.metadata.labels ?? {} }))
                .sort((a, b) => (a.name ?? "").localeCompare(b.name ?? "")),
        });
        if (!distinct.has(canonical)) distinct.set(canonical, set);
    }
    return [...distinct.values()];
}

function byName(a: { metadata: { name: string } }, b: { metadata: { name: string } }): number {
    return (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

function stableJson(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
    if (isPlainObject(v))
        return `{${Object.keys(v)
            .sort()
            .map(k => `${JSON.stringify(k)}:${stableJson(v[k])}`)
            .join(",")}}`;
    return JSON.stringify(v) ?? "null";
}

// ---------------------------------------------------------------------------------------------
// CEL
// ---------------------------------------------------------------------------------------------

type Program = (ctx: Record<string, unknown>) => unknown;

interface CompiledTemplate {
    kind: string;
    variables: { name: string; program: Program }[];
    validations: { expression: string; message?: string; program: Program; messageProgram?: Program }[];
}

interface CompiledConstraint {
    name: string;
    kind: string;
    enforcementAction: string;
    match: ConstraintMatch;
    /** The constraint object as CEL sees it (`params`). */
    object: Record<string, unknown>;
    parameters: unknown;
    template: CompiledTemplate;
}

const RESERVED_VARIABLES = new Set(["params", "anyObject"]);

let sharedEnv: CelEnv | undefined;
function env(): CelEnv {
    // `join` etc. (cel-go ext.Strings in Kubernetes) are registered as Kubernetes does.
    sharedEnv ??= celEnv({ funcs: strings });
    return sharedEnv;
}

// Parsing dominates (the parser is a generated PEG, ~20 ms per template expression) and a planned
// program keeps no state between evaluations, so each expression is compiled once per process:
// every `admit` of a stack run, and every test, compiles the same templates.
const compiled = new Map<string, Program>();

function compile(expression: string, where: string): Program {
    let program = compiled.get(expression);
    if (!program) {
        program = compileUncached(expression, where);
        compiled.set(expression, program);
    }
    return program;
}

function compileUncached(expression: string, where: string): Program {
    let parsed;
    try {
        parsed = parse(expression);
    } catch (e) {
        throw new PolicyError(`${where}: CEL does not parse: ${(e as Error).message.split("\n")[0]}`);
    }
    return plan(env(), parsed) as Program;
}

function compileTemplate(t: ConstraintTemplateObject): CompiledTemplate {
    const name = t?.metadata?.name ?? "<unnamed>";
    const kind = t?.spec?.crd?.spec?.names?.kind;
    if (!kind) throw new PolicyError(`ConstraintTemplate ${name}: spec.crd.spec.names.kind is missing`);
    const targets = t.spec.targets ?? [];
    if (targets.length !== 1) throw new PolicyError(`ConstraintTemplate ${name}: expected exactly one target, found ${targets.length}`);
    const code = (targets[0].code ?? []).find(c => c.engine === CEL_ENGINE);
    if (!code)
        throw new PolicyError(`ConstraintTemplate ${name}: no ${CEL_ENGINE} (CEL) code; only CEL templates can be evaluated offline`);
    const source = code.source as CelSource;
    if (!isPlainObject(source) || !Array.isArray(source.validations) || source.validations.length === 0) {
        throw new PolicyError(`ConstraintTemplate ${name}: ${CEL_ENGINE} source has no validations`);
    }
    const variables = (source.variables ?? []).map((v, i) => {
        if (!v?.name || !v.expression)
            throw new PolicyError(`ConstraintTemplate ${name}: variable ${i + 1} needs a name and an expression`);
        if (RESERVED_VARIABLES.has(v.name))
            throw new PolicyError(`ConstraintTemplate ${name}: variable name '${v.name}' is reserved by Gatekeeper`);
        return { name: v.name, program: compile(v.expression, `ConstraintTemplate ${name}: variable ${v.name}`) };
    });
    const validations = source.validations.map((v, i) => {
        if (!v?.expression) throw new PolicyError(`ConstraintTemplate ${name}: validation ${i + 1} has no expression`);
        const where = `ConstraintTemplate ${name}: validation ${i + 1}`;
        return {
            expression: v.expression,
            message: v.message,
            program: compile(v.expression, where),
            messageProgram: v.messageExpression ? compile(v.messageExpression, `${where} messageExpression`) : undefined,
        };
    });
    return { kind, variables, validations };
}

/**
 * Converts plain data to CEL input: drops null-valued fields (the API server does) and, for data
 * that came through JSON (`jsonNumbers`), turns integral numbers into int (bigint) as Kubernetes'
 * unstructured decoding does; YAML input already carries bigint for integers.
 */
export function toCelInput(value: unknown, jsonNumbers = false): unknown {
    if (Array.isArray(value)) return value.map(v => toCelInput(v, jsonNumbers));
    if (isPlainObject(value)) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = toCelInput(v, jsonNumbers);
        return out;
    }
    if (jsonNumbers && typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
    return value;
}

/** Only a CEL `true` passes a validation. */
function isTrue(v: unknown): boolean {
    return v === true;
}

function errorText(v: unknown): string {
    return (v as Error).message?.split("\n")[0] ?? String(v);
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

function groupOf(apiVersion: string): string {
    const i = apiVersion.indexOf("/");
    return i < 0 ? "" : apiVersion.slice(0, i);
}

function versionOf(apiVersion: string): string {
    const i = apiVersion.indexOf("/");
    return i < 0 ? apiVersion : apiVersion.slice(i + 1);
}

/** Gatekeeper's wildcard: `*` only as a prefix or suffix. */
function globMatches(pattern: string, value: string): boolean {
    const re = new RegExp(
        `^${pattern
            .split("*")
            .map(s => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
            .join(".*")}$`,
    );
    return re.test(value);
}

function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of selector.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        switch (e.operator) {
            case "In":
                if (!has || !(e.values ?? []).includes(labels[e.key])) return false;
                break;
            case "NotIn":
                if (has && (e.values ?? []).includes(labels[e.key])) return false;
                break;
            case "Exists":
                if (!has) return false;
                break;
            case "DoesNotExist":
                if (has) return false;
                break;
            default:
                return false;
        }
    }
    return true;
}

function matches(match: ConstraintMatch, obj: KubeObject, namespaceNamed: (name: string) => KubeObject | undefined): boolean {
    const group = groupOf(obj.apiVersion);
    const kinds = match.kinds ?? [];
    if (
        kinds.length &&
        !kinds.some(
            k =>
                (!k.apiGroups?.length || k.apiGroups.includes("*") || k.apiGroups.includes(group)) &&
                (!k.kinds?.length || k.kinds.includes("*") || k.kinds.includes(obj.kind)),
        )
    )
        return false;

    const namespace = obj.metadata.namespace ?? "";
    const isNamespace = obj.kind === "Namespace" && group === "";
    const scope = match.scope ?? "*";
    if (scope === "Cluster" && namespace) return false;
    if (scope === "Namespaced" && !namespace) return false;

    // The namespace a namespace matcher looks at; cluster-scoped objects other than Namespaces always match.
    const nsName = isNamespace ? (obj.metadata.name ?? "") : namespace;
    const nsApplies = isNamespace || !!namespace;
    if (nsApplies && match.namespaces?.length && !match.namespaces.some(p => globMatches(p, nsName))) return false;
    if (nsApplies && match.excludedNamespaces?.some(p => globMatches(p, nsName))) return false;

    if (match.name) {
        const byName = !!obj.metadata.name && globMatches(match.name, obj.metadata.name);
        const byGenerate = !!obj.metadata.generateName && match.name.endsWith("*") && globMatches(match.name, obj.metadata.generateName);
        if (!byName && !byGenerate) return false;
    }
    if (match.labelSelector && !selectorMatches(match.labelSelector, obj.metadata.labels ?? {})) return false;
    if (match.namespaceSelector && nsApplies) {
        // A namespace neither reviewed nor created by the stack counts as unlabelled.
        const nsObject = isNamespace ? obj : namespaceNamed(nsName);
        if (!selectorMatches(match.namespaceSelector, nsObject?.metadata.labels ?? {})) return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

export interface AdmissionOptions {
    /** Namespace for namespaced objects that name none (kubectl's `-n`). */
    defaultNamespace?: string;
}

/** A compiled policy set: compile once, review many objects. */
export class Admission {
    /** One list of constraints per distinct policy set (cluster), with that cluster's own namespaces. */
    private readonly groups: { constraints: CompiledConstraint[]; namespaces: Map<string, KubeObject> }[];

    constructor(sets: PolicySet | PolicySet[]) {
        this.groups = (Array.isArray(sets) ? sets : [sets]).map(set => ({
            constraints: compileSet(set),
            namespaces: new Map((set.namespaces ?? []).filter(n => n.metadata?.name).map(n => [n.metadata.name!, n])),
        }));
    }

    /** Number of constraints in force. */
    get size(): number {
        return this.groups.reduce((n, g) => n + g.constraints.length, 0);
    }

    /** Reviews objects in order; Namespace objects among them inform namespaceSelector matching. */
    reviewAll(objects: (KubeObject | ManifestObject)[], options: AdmissionOptions = {}): Review[] {
        const items = objects.map(o =>
            "object" in o && "source" in o ? (o as ManifestObject) : { source: undefined, object: o as KubeObject },
        );
        const namespaces = new Map<string, KubeObject>();
        for (const { object } of items)
            if (object.kind === "Namespace" && groupOf(object.apiVersion) === "" && object.metadata.name)
                namespaces.set(object.metadata.name, object);
        return items.map(({ source, object }) => ({ ...this.review(object, options, namespaces), ...(source ? { source } : {}) }));
    }

    review(input: KubeObject, options: AdmissionOptions = {}, namespaces = new Map<string, KubeObject>()): Review {
        const obj = withNamespace(input, options.defaultNamespace);
        const review: Review = {
            kind: obj.kind,
            namespace: obj.metadata.namespace ?? "",
            name: obj.metadata.name ?? `${obj.metadata.generateName ?? ""}*`,
            allowed: true,
            denials: [],
            warnings: [],
        };
        const celObject = toCelInput(obj) as Record<string, unknown>;
        const request = {
            kind: { group: groupOf(obj.apiVersion), version: versionOf(obj.apiVersion), kind: obj.kind },
            operation: "CREATE",
            namespace: review.namespace,
            name: obj.metadata.name ?? "",
            userInfo: { username: "admit" },
            dryRun: true,
        };
        const seen = new Set<string>(); // the same violation from two clusters is reported once
        for (const group of this.groups) {
            // The reviewed manifests' Namespace objects win over the stack's own.
            const namespaceNamed = (name: string) => namespaces.get(name) ?? group.namespaces.get(name);
            const nsObject = review.namespace && !CLUSTER_SCOPED.has(obj.kind) ? namespaceNamed(review.namespace) : undefined;
            const namespaceObject = nsObject ? toCelInput(nsObject) : null;
            for (const c of group.constraints) {
                if (!matches(c.match, obj, namespaceNamed)) continue;
                for (const message of evaluate(c, celObject, request, namespaceObject)) {
                    const key = `${c.name}\u0000${c.enforcementAction}\u0000${message}`;
                    if (seen.has(key)) continue;
                    seen.add(key);
                    const v: Violation = { constraint: c.name, constraintKind: c.kind, enforcementAction: c.enforcementAction, message };
                    (c.enforcementAction === "deny" ? review.denials : review.warnings).push(v);
                }
            }
        }
        review.allowed = review.denials.length === 0;
        return review;
    }
}

function compileSet(set: PolicySet): CompiledConstraint[] {
    const templates = new Map<string, CompiledTemplate>();
    for (const t of set.templates) {
        const compiled = compileTemplate(t);
        if (templates.has(compiled.kind)) throw new PolicyError(`two ConstraintTemplates define kind ${compiled.kind}`);
        templates.set(compiled.kind, compiled);
    }
    return set.constraints.map(c => {
        const name = c?.metadata?.name ?? "<unnamed>";
        const template = templates.get(c?.kind);
        if (!template) throw new PolicyError(`constraint ${c?.kind}/${name}: no ConstraintTemplate defines kind ${c?.kind}`);
        const object = toCelInput(c, true) as Record<string, unknown>;
        const spec = (object.spec ?? {}) as Record<string, unknown>;
        return {
            name,
            kind: c.kind,
            enforcementAction: c.spec?.enforcementAction ?? "deny",
            match: (c.spec?.match ?? {}) as ConstraintMatch,
            object,
            parameters: spec.parameters ?? null,
            template,
        };
    });
}

function withNamespace(obj: KubeObject, ns: string | undefined): KubeObject {
    if (!ns || obj.metadata.namespace || CLUSTER_SCOPED.has(obj.kind)) return obj;
    return { ...obj, metadata: { ...obj.metadata, namespace: ns } };
}

/** Messages of every failed validation of one constraint on one object. */
function evaluate(
    c: CompiledConstraint,
    object: Record<string, unknown>,
    request: Record<string, unknown>,
    namespaceObject: unknown,
): string[] {
    const variables: Record<string, unknown> = { params: c.parameters, anyObject: object };
    const ctx: Record<string, unknown> = { object, oldObject: null, request, params: c.object, namespaceObject, variables };
    const variableErrors: string[] = [];
    for (const v of c.template.variables) {
        const value = v.program(ctx);
        if (isCelError(value)) variableErrors.push(`variables.${v.name}: ${errorText(value)}`);
        else variables[v.name] = value;
    }
    const messages: string[] = [];
    c.template.validations.forEach((v, i) => {
        const result = v.program(ctx);
        if (isTrue(result)) return;
        if (isCelError(result) || typeof result !== "boolean") {
            const why = isCelError(result) ? errorText(result) : `expected a bool, got ${describeType(result)}`;
            const vars = variableErrors.length ? ` (${variableErrors.join("; ")})` : "";
            messages.push(`validation ${i + 1} of ${c.template.kind} could not be evaluated, so the object is refused: ${why}${vars}`);
            return;
        }
        messages.push(validationMessage(v, ctx));
    });
    return messages;
}

function validationMessage(v: CompiledTemplate["validations"][number], ctx: Record<string, unknown>): string {
    if (v.messageProgram) {
        const m = v.messageProgram(ctx);
        // Kubernetes falls back to `message` for an error, a non-string, blank or multi-line result.
        if (typeof m === "string" && m.trim() && !m.includes("\n")) return m;
    }
    return v.message || `failed expression: ${v.expression}`;
}

/** Convenience: compile the set(s) and review the objects. */
export function admit(set: PolicySet | PolicySet[], objects: (KubeObject | ManifestObject)[], options: AdmissionOptions = {}): Review[] {
    return new Admission(set).reviewAll(objects, options);
}

/** `ALLOW kind/namespace/name` or `DENY kind/namespace/name: [constraint] message; …` (no namespace: `-`). */
export function formatReview(r: Review): string {
    const ref = `${r.kind}/${r.namespace || "-"}/${r.name}`;
    if (r.allowed) return `ALLOW ${ref}`;
    return `DENY ${ref}: ${r.denials.map(d => `[${d.constraint}] ${d.message}`).join("; ")}`;
}

/** `WARN kind/namespace/name: [constraint] message` lines for warn/dryrun violations. */
export function formatWarnings(r: Review): string[] {
    const ref = `${r.kind}/${r.namespace || "-"}/${r.name}`;
    return r.warnings.map(w => `WARN ${ref}: [${w.constraint}] (${w.enforcementAction}) ${w.message}`);
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function isPlainObject(v: unknown): v is Record<string, any> {
    return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function describeType(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "a list";
    return typeof v === "object" ? ((v as object).constructor?.name ?? "object") : typeof v;
}
