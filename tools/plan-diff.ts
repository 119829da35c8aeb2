// `plan --diff <old.json>`: what changed between two plan documents (DESIGN.md's JSON shape),
// resources matched by URN. First the changes Azure can only make by REPLACING the resource (and
// whether that replacement can succeed), then the security-relevant changes, then everything.
//
// Pure functions: parse/validate a plan document, diff two of them, find replacements
// (tools/azure-replacement.ts), classify the changes with one small rule table
// (SECURITY_RULES), render the result as text.
import { AZURE_NAME_INPUT, azureModuleType, replaceReason } from "./azure-replacement";
import { SECRET } from "./engine";

/** One resource of a plan document (`plan --json`). */
export interface PlanResource {
    urn: string;
    type: string;
    name: string;
    parent: string | null;
    provider: string | null;
    dependencies: string[];
    protect: boolean;
    inputs: Record<string, unknown>;
}

/** The plan document `plan --json` writes. */
export interface PlanDoc {
    stack: string;
    resources: PlanResource[];
    outputs: Record<string, unknown>;
}

/** An old plan that cannot be read or does not have the plan document's shape. */
export class PlanDocumentError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
    return !!v && typeof v === "object" && !Array.isArray(v);
}

/** Parses and validates a plan document; `label` (e.g. the file name) prefixes every message. */
export function parsePlanDocument(text: string, label: string): PlanDoc {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new PlanDocumentError(`${label}: not valid JSON (${(e as Error).message})`);
    }
    const problems: string[] = [];
    if (!isRecord(doc))
        throw new PlanDocumentError(`${label}: not a plan document (expected a JSON object with stack, resources, outputs)`);
    if (typeof doc.stack !== "string") problems.push("`stack` is not a string");
    if (!isRecord(doc.outputs)) problems.push("`outputs` is not an object");
    if (!Array.isArray(doc.resources)) {
        problems.push("`resources` is not an array");
    } else {
        const seen = new Set<string>();
        doc.resources.forEach((r, i) => {
            const at = `resources[${i}]`;
            if (!isRecord(r)) {
                problems.push(`${at} is not an object`);
                return;
            }
            for (const k of ["urn", "type", "name"]) if (typeof r[k] !== "string") problems.push(`${at}.${k} is not a string`);
            for (const k of ["parent", "provider"])
                if (r[k] !== null && typeof r[k] !== "string") problems.push(`${at}.${k} is not a string or null`);
            if (!Array.isArray(r.dependencies) || !r.dependencies.every(d => typeof d === "string"))
                problems.push(`${at}.dependencies is not an array of URNs`);
            if (typeof r.protect !== "boolean") problems.push(`${at}.protect is not a boolean`);
            if (!isRecord(r.inputs)) problems.push(`${at}.inputs is not an object`);
            if (typeof r.urn === "string") {
                if (seen.has(r.urn)) problems.push(`${at}.urn is a duplicate (${r.urn})`);
                seen.add(r.urn);
            }
        });
    }
    if (problems.length > 0) {
        const shown = problems.slice(0, 10).map(p => `  - ${p}`);
        if (problems.length > 10) shown.push(`  … and ${problems.length - 10} more`);
        throw new PlanDocumentError(`${label}: not a plan document (the shape \`plan --json\` writes):\n${shown.join("\n")}`);
    }
    return doc as unknown as PlanDoc;
}

// ---------------------------------------------------------------------------------------------
// Diff
// ---------------------------------------------------------------------------------------------

/**
 * One changed value. `path` is rooted at the resource (`inputs.spec.type`, `protect`,
 * `provider`, `parent`, `dependencies`) or at the document for outputs (`outputs.x`).
 * `undefined` on a side means absent there. For `dependencies` each added/removed URN is its
 * own change (before or after undefined).
 */
export interface ValueChange {
    path: string;
    before?: unknown;
    after?: unknown;
}

export interface ResourceChange {
    urn: string;
    type: string;
    name: string;
    before: PlanResource;
    after: PlanResource;
    changes: ValueChange[];
}

export interface PlanDiff {
    oldStack: string;
    newStack: string;
    added: PlanResource[];
    removed: PlanResource[];
    changed: ResourceChange[];
    unchanged: number;
    outputChanges: ValueChange[];
    /** Changes only a replacement can make; those that cannot succeed first, then plan order. */
    replacements: Replacement[];
    /** Security-relevant findings, in category order, then plan order. */
    security: SecurityFinding[];
}

/** A changed resource the provider replaces (create the new one, then delete the old one). */
export interface Replacement {
    urn: string;
    type: string;
    name: string;
    /** The changes forcing it, each with its reason. */
    causes: { change: ValueChange; reason: string }[];
    /** Why the replacement cannot succeed; empty when it can. */
    blockers: string[];
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `a.b`, `a[1]`, `a["service.beta.kubernetes.io/x"]` — readable and unambiguous. */
export function joinPath(base: string, key: string | number): string {
    if (typeof key === "number") return `${base}[${key}]`;
    if (IDENT.test(key)) return base ? `${base}.${key}` : key;
    return `${base}[${JSON.stringify(key)}]`;
}

function deepEqual(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
    if (isRecord(a) && isRecord(b)) {
        const ka = Object.keys(a),
            kb = Object.keys(b);
        return ka.length === kb.length && ka.every(k => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
    }
    return false;
}

/** Leaf-level differences between two JSON values (arrays compared by index). */
export function diffValues(before: unknown, after: unknown, path: string, out: ValueChange[] = []): ValueChange[] {
    if (deepEqual(before, after)) return out;
    if (Array.isArray(before) && Array.isArray(after)) {
        for (let i = 0; i < Math.max(before.length, after.length); i++) {
            diffValues(i < before.length ? before[i] : undefined, i < after.length ? after[i] : undefined, joinPath(path, i), out);
        }
        return out;
    }
    if (isRecord(before) && isRecord(after)) {
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
        for (const k of keys) diffValues(before[k], after[k], joinPath(path, k), out);
        return out;
    }
    out.push({ path, before, after });
    return out;
}

function diffResource(before: PlanResource, after: PlanResource): ValueChange[] {
    const changes = diffValues(before.inputs, after.inputs, "inputs");
    for (const key of ["protect", "provider", "parent"] as const) {
        if (before[key] !== after[key]) changes.push({ path: key, before: before[key] ?? undefined, after: after[key] ?? undefined });
    }
    const oldDeps = new Set(before.dependencies),
        newDeps = new Set(after.dependencies);
    for (const d of before.dependencies) if (!newDeps.has(d)) changes.push({ path: "dependencies", before: d });
    for (const d of after.dependencies) if (!oldDeps.has(d)) changes.push({ path: "dependencies", after: d });
    return changes;
}

/** Compares `current` with `previous` (matched by URN). */
export function diffPlans(previous: PlanDoc, current: PlanDoc): PlanDiff {
    const oldByUrn = new Map(previous.resources.map(r => [r.urn, r]));
    const newUrns = new Set(current.resources.map(r => r.urn));
    const added: PlanResource[] = [];
    const changed: ResourceChange[] = [];
    let unchanged = 0;
    for (const r of current.resources) {
        const old = oldByUrn.get(r.urn);
        if (!old) {
            added.push(r);
            continue;
        }
        const changes = diffResource(old, r);
        if (changes.length === 0) unchanged++;
        else changed.push({ urn: r.urn, type: r.type, name: r.name, before: old, after: r, changes });
    }
    const removed = previous.resources.filter(r => !newUrns.has(r.urn));
    const outputChanges = diffValues(previous.outputs, current.outputs, "outputs");
    const diff = {
        oldStack: previous.stack,
        newStack: current.stack,
        added,
        removed,
        changed,
        unchanged,
        outputChanges,
        replacements: [],
        security: [],
    };
    return { ...diff, replacements: findReplacements(changed, previous), security: classify(diff) };
}

// ---------------------------------------------------------------------------------------------
// Replacements: a changed input azure-native marks replace-on-change (tools/azure-replacement.ts).
// Pulumi replaces create-before-delete unless deleteBeforeReplace is set (the plan document does
// not record it; this stack sets it nowhere). So a replacement cannot succeed when
//   - the Azure name stays the same: azure-native's create first GETs the id and fails with
//     "cannot create already existing resource" (pulumi-azure-native provider/pkg/provider,
//     the create path's existence check);
//   - the old resource is `protect`ed: Pulumi refuses to delete it, the update stops;
//   - the old resource sits under a CanNotDelete/ReadOnly lock (its resource group's, or a lock
//     on its scope): ARM refuses the delete (a lock is inherited by everything below its scope).
// ---------------------------------------------------------------------------------------------

function str(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

/** Scopes (lower-case) under a delete-blocking lock in the plan: `/resourceGroups/<rg>` or an ARM id. */
function lockedScopes(plan: PlanDoc): { scope: string; label: string }[] {
    const out: { scope: string; label: string }[] = [];
    for (const r of plan.resources) {
        const level = str(r.inputs.level);
        if (level !== "CanNotDelete" && level !== "ReadOnly") continue;
        if (r.type === "azure-native:authorization:ManagementLockAtResourceGroupLevel" && str(r.inputs.resourceGroupName)) {
            out.push({
                scope: `/resourcegroups/${str(r.inputs.resourceGroupName)!.toLowerCase()}`,
                label: `resource group ${r.inputs.resourceGroupName} is locked (${level})`,
            });
        } else if (r.type === "azure-native:authorization:ManagementLockByScope" && str(r.inputs.scope)) {
            out.push({
                scope: str(r.inputs.scope)!
                    .toLowerCase()
                    .replace(/^\/subscriptions\/[^/]+/, ""),
                label: `${r.inputs.scope} is locked (${level})`,
            });
        }
    }
    return out;
}

/** What the old resource occupies, for matching locks: its group and, where the inputs tell, its scope. */
function lockBlocker(r: PlanResource, locks: { scope: string; label: string }[]): string | undefined {
    const rg = str(r.inputs.resourceGroupName)?.toLowerCase();
    const places = [
        rg ? `/resourcegroups/${rg}` : undefined,
        // Extension resources (role assignments, diagnostic settings) live at their scope.
        str(r.inputs.scope)
            ?.toLowerCase()
            .replace(/^\/subscriptions\/[^/]+/, ""),
        str(r.inputs.resourceUri)
            ?.toLowerCase()
            .replace(/^\/subscriptions\/[^/]+/, ""),
    ].filter((p): p is string => !!p);
    // A lock at a child scope (a DNS zone's SOA record) blocks deleting its parent (the zone).
    const zone =
        r.type === "azure-native:dns:Zone" && rg
            ? `/resourcegroups/${rg}/providers/microsoft.network/dnszones/${String(r.inputs.zoneName).toLowerCase()}/`
            : undefined;
    const hit = locks.find(l => places.some(p => p === l.scope || p.startsWith(`${l.scope}/`)) || (zone && l.scope.startsWith(zone)));
    return hit?.label;
}

function findReplacements(changed: ResourceChange[], previous: PlanDoc): Replacement[] {
    const locks = lockedScopes(previous);
    const out: Replacement[] = [];
    for (const c of changed) {
        const causes = c.changes.flatMap(change => {
            const reason = replaceReason(c.type, change.path);
            return reason ? [{ change, reason }] : [];
        });
        if (causes.length === 0) continue;
        const blockers: string[] = [];
        const mod = azureModuleType(c.type);
        const nameKey = mod ? AZURE_NAME_INPUT[mod] : undefined;
        const oldName = nameKey ? str(c.before.inputs[nameKey]) : undefined;
        if (oldName && oldName === str(c.after.inputs[nameKey!])) {
            blockers.push(`fixed name '${oldName}': create-before-delete meets "already exists"`);
        }
        if (c.before.protect) blockers.push("protected: Pulumi will not delete the old one");
        const locked = lockBlocker(c.before, locks);
        if (locked) blockers.push(`${locked}: ARM will not delete the old one`);
        out.push({ urn: c.urn, type: c.type, name: c.name, causes, blockers });
    }
    return out
        .map((r, i) => ({ r, i }))
        .sort((a, b) => Number(b.r.blockers.length > 0) - Number(a.r.blockers.length > 0) || a.i - b.i)
        .map(({ r }) => r);
}

// ---------------------------------------------------------------------------------------------
// Security classification: ONE table. Each rule names a category, a reason a reviewer reads,
// which kinds of change it looks at, and matches on the resource type, the changed path
// (`changed` only; paths as joinPath writes them) and/or a predicate. A resource matching any
// rule is listed under "Security-relevant changes" with every matching reason.
// ---------------------------------------------------------------------------------------------

export type SecurityCategory = "access" | "network" | "policy" | "protection" | "secrets";
export const CATEGORY_ORDER: readonly SecurityCategory[] = ["access", "network", "policy", "protection", "secrets"];

export type ChangeKind = "added" | "removed" | "changed";

/** What a rule sees: a whole resource added/removed, or one changed value of a resource. */
export interface ChangeEvent {
    kind: ChangeKind;
    /** The resource (the new one for added/changed, the old one for removed). */
    resource: PlanResource;
    change?: ValueChange;
}

export interface SecurityRule {
    category: SecurityCategory;
    reason: string;
    on: readonly ChangeKind[];
    /** Resource type; omitted = any type. */
    type?: RegExp;
    /** Changed path (for `changed`); omitted = any path. */
    path?: RegExp;
    when?: (e: ChangeEvent) => boolean;
}

const ANY: readonly ChangeKind[] = ["added", "removed", "changed"];
const WHOLE: readonly ChangeKind[] = ["added", "removed"];
const CHANGED: readonly ChangeKind[] = ["changed"];
const isSecret = (v: unknown) => v === SECRET;
const inputAt = (r: PlanResource, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (isRecord(v) ? v[k] : undefined), r.inputs);

export const SECURITY_RULES: readonly SecurityRule[] = [
    // access: who may do what
    {
        category: "access",
        reason: "Azure role assignment created or deleted",
        on: WHOLE,
        type: /^azure-native:authorization:RoleAssignment$/,
    },
    {
        category: "access",
        reason: "Azure role assignment changes role, principal or scope",
        on: CHANGED,
        type: /^azure-native:authorization:RoleAssignment$/,
        path: /^inputs\.(roleDefinitionId|principalId|principalType|scope|condition)\b/,
    },
    {
        category: "access",
        reason: "Kubernetes RBAC (roles, bindings)",
        on: ANY,
        type: /^kubernetes:rbac\.authorization\.k8s\.io\/v1:(Cluster)?Role(Binding)?$/,
        path: /^inputs\.(rules|subjects|roleRef|aggregationRule)\b/,
    },
    {
        category: "access",
        reason: "workload identity trust (federated credential)",
        on: ANY,
        type: /^azure-native:managedidentity:FederatedIdentityCredential$/,
        path: /^inputs\.(subject|issuer|audiences)\b/,
    },
    {
        category: "access",
        reason: "authentication / authorization setting",
        on: CHANGED,
        path: /\.(adminUserEnabled|anonymousPullEnabled|disableLocalAccounts|enableAzureRBAC|enableRBAC|adminGroupObjectIDs|managed|oidcIssuerProfile|workloadIdentity)\b/,
    },
    {
        category: "access",
        reason: "Argo CD project boundary (repos, destinations, kinds)",
        on: ANY,
        type: /^kubernetes:argoproj\.io\/v1alpha1:AppProject$/,
        path: /^inputs\.spec\b/,
    },
    // access: who may sign in to the platform UIs, with which role (Entra apps, the UIs' own settings)
    {
        category: "access",
        reason: "Entra group assigned to or removed from a UI's app registration (who may sign in)",
        on: ANY,
        type: /^azuread:index\/appRoleAssignment:AppRoleAssignment$/,
    },
    {
        category: "access",
        reason: "app registration sign-in surface (redirect URIs, audience, group claims, permissions)",
        on: ANY,
        type: /^azuread:index\/application:Application$/,
        path: /^inputs\.(web|publicClient|signInAudience|groupMembershipClaims|requiredResourceAccesses)\b/,
    },
    {
        category: "access",
        reason: "app registration no longer limited to assigned groups",
        on: CHANGED,
        type: /^azuread:index\/servicePrincipal:ServicePrincipal$/,
        path: /^inputs\.appRoleAssignmentRequired$/,
    },
    {
        category: "access",
        reason: "workload identity trust (federated credential on an app registration)",
        on: ANY,
        type: /^azuread:index\/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential$/,
        path: /^inputs\.(subject|issuer|audiences)\b/,
    },
    {
        category: "access",
        reason: "Argo CD sign-in or RBAC (local admin, OIDC, policy)",
        on: CHANGED,
        type: /^kubernetes:helm\.sh\/v3:Release$/,
        path: /^inputs\.values\.configs\.(rbac\b|cm\["(admin\.enabled|oidc\.config)"\])/,
    },
    {
        category: "access",
        reason: "Harbor authentication or group role",
        on: ANY,
        type: /^pulumi-nodejs:dynamic:Resource$/,
        path: /^inputs\.(settings|roleId|groupName)\b/,
        when: e => inputAt(e.resource, "settings") !== undefined || inputAt(e.resource, "roleId") !== undefined,
    },
    // network: what is reachable from where
    {
        category: "network",
        reason: "network exposure (authorized ranges, public access, network rules)",
        on: CHANGED,
        path: /\.(authorizedIPRanges|enablePrivateCluster|publicNetworkAccess|networkRuleSet|networkRuleBypassOptions|ipRules|loadBalancerSourceRanges|outboundType)\b/,
    },
    { category: "network", reason: "public IP address", on: ANY, type: /^azure-native:network:PublicIPAddress$/ },
    {
        category: "network",
        reason: "LoadBalancer Service (public endpoint)",
        on: WHOLE,
        type: /^kubernetes:core\/v1:Service$/,
        when: e => inputAt(e.resource, "spec", "type") === "LoadBalancer",
    },
    {
        category: "network",
        reason: "Service exposure (type, source ranges, Azure load-balancer annotations)",
        on: CHANGED,
        type: /^kubernetes:core\/v1:Service$/,
        path: /^inputs\.(spec\.(type|loadBalancerSourceRanges|externalTrafficPolicy|externalIPs)\b|metadata\.annotations\["service\.beta\.kubernetes\.io\/azure)/,
    },
    {
        category: "network",
        reason: "Gateway listeners (ports, hostnames, TLS)",
        on: ANY,
        type: /^kubernetes:gateway\.networking\.k8s\.io\/v1:Gateway$/,
        path: /^inputs\.spec\b/,
    },
    {
        category: "network",
        reason: "route attached to a Gateway (what is exposed)",
        on: ANY,
        type: /^kubernetes:gateway\.networking\.k8s\.io\/v1(alpha2|beta1)?:(HTTPRoute|GRPCRoute|TLSRoute|TCPRoute)$/,
        path: /^inputs\.spec\b/,
    },
    {
        category: "network",
        reason: "NetworkPolicy",
        on: ANY,
        type: /^kubernetes:(networking\.k8s\.io\/v1:NetworkPolicy|cilium\.io\/v2:Cilium(Clusterwide)?NetworkPolicy)$/,
    },
    // policy: what is enforced at admission
    {
        category: "policy",
        reason: "Gatekeeper ConstraintTemplate (admission rule logic)",
        on: ANY,
        type: /^kubernetes:templates\.gatekeeper\.sh\/v1(beta1)?:ConstraintTemplate$/,
    },
    {
        category: "policy",
        reason: "Gatekeeper constraint (match, parameters, enforcement)",
        on: ANY,
        type: /^kubernetes:constraints\.gatekeeper\.sh\//,
    },
    {
        category: "policy",
        reason: "policy enforcement action",
        on: CHANGED,
        path: /\.(enforcementAction|validationFailureAction|enforcementLevel)\b/,
    },
    {
        category: "policy",
        reason: "admission webhook failure policy / exemptions",
        on: CHANGED,
        path: /\.(validatingWebhookFailurePolicy|mutatingWebhookFailurePolicy|failurePolicy|validatingWebhookExemptNamespacesLabels|exemptNamespaces|exemptNamespacePrefixes)\b/,
    },
    // protection: what stops an accidental delete
    {
        category: "protection",
        reason: "protect removed",
        on: CHANGED,
        path: /^protect$/,
        when: e => e.change?.before === true && e.change?.after === false,
    },
    { category: "protection", reason: "protected resource removed", on: ["removed"], when: e => e.resource.protect },
    {
        category: "protection",
        reason: "management lock removed or changed",
        on: ["removed", "changed"],
        type: /^azure-native:authorization:ManagementLock/,
    },
    // secrets: what could leak
    {
        category: "secrets",
        reason: "value moved into or out of a secret",
        on: CHANGED,
        when: e => isSecret(e.change?.before) !== isSecret(e.change?.after),
    },
    {
        category: "secrets",
        reason: "client secret of an app registration created, rotated or deleted",
        on: ANY,
        type: /^azuread:index\/applicationPassword:ApplicationPassword$/,
    },
    {
        category: "secrets",
        reason: "Kubernetes Secret created or deleted",
        on: WHOLE,
        type: /^kubernetes:(core\/v1:Secret|bitnami\.com\/v1alpha1:SealedSecret)$/,
    },
];

export interface SecurityFinding {
    category: SecurityCategory;
    /** Every matching rule's reason, joined with "; ". */
    reason: string;
    reasons: string[];
    kind: ChangeKind | "output";
    urn: string;
    type: string;
    name: string;
    /** The changed paths that triggered the rule (empty for added/removed resources). */
    changes: ValueChange[];
}

function ruleMatches(rule: SecurityRule, e: ChangeEvent): boolean {
    if (!rule.on.includes(e.kind)) return false;
    if (rule.type && !rule.type.test(e.resource.type)) return false;
    if (rule.path && e.kind === "changed" && !rule.path.test(e.change!.path)) return false;
    return rule.when ? rule.when(e) : true;
}

function classify(diff: Omit<PlanDiff, "security">): SecurityFinding[] {
    const findings: SecurityFinding[] = [];
    const add = (rule: SecurityRule, e: ChangeEvent, kind: SecurityFinding["kind"]) => {
        const r = e.resource;
        // One finding per resource, kind and category; several rules add their reasons to it.
        let f = findings.find(x => x.urn === r.urn && x.category === rule.category && x.kind === kind);
        if (!f)
            findings.push(
                (f = {
                    category: rule.category,
                    reason: rule.reason,
                    reasons: [],
                    kind,
                    urn: r.urn,
                    type: r.type,
                    name: r.name,
                    changes: [],
                }),
            );
        if (!f.reasons.includes(rule.reason)) f.reasons.push(rule.reason);
        f.reason = f.reasons.join("; ");
        if (e.change && !f.changes.includes(e.change)) f.changes.push(e.change);
    };
    const events: ChangeEvent[] = [
        ...diff.added.map(resource => ({ kind: "added" as const, resource })),
        ...diff.removed.map(resource => ({ kind: "removed" as const, resource })),
        ...diff.changed.flatMap(c => c.changes.map(change => ({ kind: "changed" as const, resource: c.after, change }))),
    ];
    for (const e of events) for (const rule of SECURITY_RULES) if (ruleMatches(rule, e)) add(rule, e, e.kind);
    // Stack outputs: a value leaving a secret is as bad there as in an input.
    const outputs: PlanResource = {
        urn: "outputs",
        type: "stack outputs",
        name: "outputs",
        parent: null,
        provider: null,
        dependencies: [],
        protect: false,
        inputs: {},
    };
    for (const change of diff.outputChanges) {
        if (isSecret(change.before) !== isSecret(change.after)) {
            add(
                { category: "secrets", reason: "stack output moved into or out of a secret", on: CHANGED },
                { kind: "changed", resource: outputs, change },
                "output",
            );
        }
    }
    const order = (f: SecurityFinding) => CATEGORY_ORDER.indexOf(f.category);
    return findings
        .map((f, i) => ({ f, i }))
        .sort((a, b) => order(a.f) - order(b.f) || a.i - b.i)
        .map(({ f }) => f);
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

function show(v: unknown): string {
    if (v === undefined) return "(absent)";
    const s = JSON.stringify(v);
    // Elide the middle: ids and URNs differ at their ends.
    return s.length > 100 ? `${s.slice(0, 30)}…${s.slice(-69)}` : s;
}

export function renderChange(c: ValueChange): string {
    if (c.path === "dependencies") return c.after !== undefined ? `dependencies: + ${c.after}` : `dependencies: - ${c.before}`;
    return `${c.path}: ${show(c.before)} → ${show(c.after)}`;
}

const SIGN: Record<SecurityFinding["kind"], string> = { added: "+", removed: "-", changed: "~", output: "~" };

/**
 * The diff as text: counts, then security-relevant changes (each with its reason), then every
 * added, removed and changed resource with its changed paths, then changed outputs.
 */
export function renderDiff(diff: PlanDiff, oldLabel: string): string {
    const lines: string[] = [];
    lines.push(`Plan diff: stack ${diff.newStack} against ${oldLabel} (stack ${diff.oldStack})`);
    lines.push(
        `  ${diff.added.length} to add, ${diff.removed.length} to remove, ${diff.changed.length} to change, ${diff.unchanged} unchanged; ${diff.outputChanges.length} output value(s) changed.`,
    );
    if (diff.oldStack !== diff.newStack) lines.push(`  note: comparing different stacks; URNs embed the stack name, so nothing matches.`);
    const failing = diff.replacements.filter(r => r.blockers.length > 0).length;
    lines.push(
        "",
        `Replacements (${diff.replacements.length}${failing ? `, ${failing} CANNOT SUCCEED` : ""}): changes Azure makes only by replacing the resource`,
    );
    if (diff.replacements.length === 0) lines.push("  none");
    for (const r of diff.replacements) {
        lines.push(`  REPLACE ${r.type}  ${r.name}${r.blockers.length ? "  — CANNOT SUCCEED" : ""}`);
        for (const b of r.blockers) lines.push(`      cannot succeed: ${b}`);
        for (const { change, reason } of r.causes) lines.push(`      ${renderChange(change)}  (${reason})`);
    }
    lines.push("", `Security-relevant changes (${diff.security.length}):`);
    if (diff.security.length === 0) lines.push("  none");
    for (const f of diff.security) {
        lines.push(`  ! ${f.category.padEnd(10)} ${SIGN[f.kind]} ${f.type}  ${f.name}: ${f.reason}`);
        for (const c of f.changes) lines.push(`      ${renderChange(c)}`);
    }
    const section = (title: string, items: string[], count = items.length) => {
        lines.push("", `${title} (${count}):`);
        lines.push(...(items.length ? items : ["  none"]));
    };
    section(
        "Added",
        diff.added.map(r => `  + ${r.type}  ${r.name}`),
    );
    section(
        "Removed",
        diff.removed.map(r => `  - ${r.type}  ${r.name}${r.protect ? "  (protected)" : ""}`),
    );
    section(
        "Changed",
        diff.changed.flatMap(c => [`  ~ ${c.type}  ${c.name}`, ...c.changes.map(x => `      ${renderChange(x)}`)]),
        diff.changed.length,
    );
    if (diff.outputChanges.length)
        section(
            "Outputs changed",
            diff.outputChanges.map(c => `  ~ ${renderChange(c)}`),
        );
    return lines.join("\n");
}
