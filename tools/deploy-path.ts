// Deploy-path analysis: how long a from-scratch `pulumi up` takes, estimated from the recorded
// dependency graph and a table of typical create durations per resource type.
//
// Scheduling model (what the Pulumi engine does, with unlimited parallelism):
//   - a custom resource starts when everything it waits for has finished, then takes its
//     typical duration. It waits for: its `dependencies` (dependsOn + input dependencies; the
//     SDK already expands a component in dependsOn to the component's children), its
//     `provider` (a Kubernetes provider finishes only after its cluster's kubeconfig exists),
//     and its parent when the parent is a custom resource (the child cannot register before
//     the parent's URN resolves, i.e. before the parent is created);
//   - a component takes no time of its own and completes when its children (and anything it
//     itself depends on) have completed. Its children do NOT wait for the component's own
//     dependsOn (Pulumi does not inherit dependsOn to children);
//   - the estimate is the latest finish; the longest chain is followed back from it.
//
// Lower bound ("essential chain"): the same computation keeping only edges no schedule can drop —
//   - provider edges and custom-parent edges (always),
//   - ordering the platform itself requires (ESSENTIAL_ORDERING: a custom resource after the
//     Helm release that brings its CRD, serialised federated credentials, a Kubernetes provider
//     after the role assignment that lets it act), and
//   - data dependencies: a resource's `propertyDependencies` (URNs whose outputs flow into its
//     inputs) when the graph carries them. The engine currently records one merged
//     `dependencies` list, so until it records the split, a dependency edge counts as a data
//     edge when its target's type is an ESSENTIAL_PREREQUISITES type: a container or identity
//     whose name/id the dependent must be given (resource group, VNet/subnet, cluster,
//     managed identity, registry, DNS zone, Log Analytics workspace, public IP, Traffic
//     Manager profile, Kubernetes Namespace). Pure ordering (dependsOn a Helm release for its
//     CRDs, serialised federated credentials, add-on after add-on) is dropped.
// It is a lower bound on any schedule honouring those edges: removing needless ordering (the
// regions, independent add-ons) brings the estimate down towards it, never below it.

/** The part of a recorded resource (or plan-document resource) the analysis needs. */
export interface GraphResource {
    urn: string;
    type: string;
    name: string;
    parent?: string | null;
    provider?: string | null;
    dependencies: readonly string[];
    /** Known for recorded resources; for plan documents inferred from the type (see isComponent). */
    custom?: boolean;
    inputs?: Record<string, unknown>;
    /**
     * Data dependencies only, when the source records them (see the lower-bound note above):
     * a flat list, or per input property as the offline engine records them.
     */
    propertyDependencies?: readonly string[] | Readonly<Record<string, readonly string[]>>;
}

/** The data dependencies of a resource as one list, whichever form the source recorded. */
function dataDependencies(r: GraphResource): readonly string[] | undefined {
    const pd = r.propertyDependencies;
    if (pd === undefined) return undefined;
    return Array.isArray(pd) ? pd : Object.values(pd as Record<string, readonly string[]>).flat();
}

export interface DurationRule {
    /** Resource type. */
    type: RegExp;
    /** Helm releases only: the `chart` input. */
    chart?: RegExp;
    /** Seconds used by the estimate (the middle of the typical range). */
    seconds: number;
    /** Typical range, as observed for creates in a Western European region. */
    typical: string;
    /**
     * A catch-all (every other type of a provider, or any type at all): a resource landing here
     * has no row of its own, usually because a type token drifted. A test runs the committed
     * stacks and fails on any resource that only a fallback row matches.
     */
    fallback?: true;
}

/**
 * Typical create durations, first match wins. Ranges are typical wall times of a create
 * (ARM long-running operation or Kubernetes await) for this stack's sizes; they are planning
 * figures, not guarantees. Kubernetes objects without await logic take seconds; Helm releases
 * wait (`atomic`) until every workload of the chart is ready.
 */
export const DURATIONS: readonly DurationRule[] = [
    // Azure
    { type: /^azure-native:containerservice:ManagedCluster$/, seconds: 540, typical: "8-10 min (control plane + system pool)" },
    { type: /^azure-native:containerservice:AgentPool$/, seconds: 240, typical: "3-5 min" },
    { type: /^azure-native:containerservice:MaintenanceConfiguration$/, seconds: 10, typical: "5-15 s" },
    { type: /^azure-native:containerregistry:Registry$/, seconds: 60, typical: "~1 min" },
    { type: /^azure-native:containerregistry:Replication$/, seconds: 240, typical: "3-5 min (geo-replica)" },
    { type: /^azure-native:containerregistry:/, seconds: 10, typical: "5-15 s (cache rules, scope maps, tokens)" },
    // Traffic Manager has its own module in azure-native v3 (v2's `network:Profile`/`network:Endpoint`).
    { type: /^azure-native:trafficmanager:Profile$/, seconds: 60, typical: "~1 min (Traffic Manager)" },
    { type: /^azure-native:trafficmanager:Endpoint$/, seconds: 30, typical: "20-40 s" },
    { type: /^azure-native:network:VirtualNetwork$/, seconds: 10, typical: "5-15 s" },
    { type: /^azure-native:network:Subnet$/, seconds: 10, typical: "5-15 s" },
    { type: /^azure-native:network:PublicIPAddress$/, seconds: 10, typical: "5-15 s" },
    { type: /^azure-native:network:/, seconds: 15, typical: "10-20 s" },
    { type: /^azure-native:dns:Zone$/, seconds: 30, typical: "20-40 s" },
    { type: /^azure-native:dns:RecordSet$/, seconds: 5, typical: "2-10 s" },
    { type: /^azure-native:managedidentity:UserAssignedIdentity$/, seconds: 10, typical: "5-15 s" },
    {
        type: /^azure-native:managedidentity:FederatedIdentityCredential$/,
        seconds: 10,
        typical: "~10 s (Entra rejects concurrent writes: serialised per identity)",
    },
    // Microsoft Graph writes (azuread); the provider waits out Entra's replication after each create.
    { type: /^azuread:index\/application:Application$/, seconds: 10, typical: "~10 s assumed (create + replication wait)" },
    { type: /^azuread:index\/servicePrincipal:ServicePrincipal$/, seconds: 10, typical: "~10 s assumed" },
    { type: /^azuread:index\/appRoleAssignment:AppRoleAssignment$/, seconds: 5, typical: "~5 s assumed" },
    {
        type: /^azuread:index\/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential$/,
        seconds: 5,
        typical: "~5 s assumed",
    },
    { type: /^azuread:index\/applicationPassword:ApplicationPassword$/, seconds: 5, typical: "~5 s assumed" },
    {
        type: /^azure-native:authorization:RoleAssignment$/,
        seconds: 30,
        typical: "~30 s incl. ARM; RBAC propagation can take minutes more, not modelled",
    },
    { type: /^azure-native:authorization:ManagementLock/, seconds: 5, typical: "2-10 s" },
    { type: /^azure-native:resources:ResourceGroup$/, seconds: 5, typical: "2-10 s" },
    { type: /^azure-native:operationalinsights:Workspace$/, seconds: 30, typical: "20-60 s" },
    // Azure Monitor is `monitor` in azure-native v3 (v2's `insights`); Prometheus rule groups are `alertsmanagement`.
    {
        type: /^azure-native:(monitor|alertsmanagement):/,
        seconds: 15,
        typical: "10-20 s (alerts, action groups, diagnostics, data collection, Prometheus rule groups)",
    },
    { type: /^azure-native:storage:StorageAccount$/, seconds: 30, typical: "20-40 s" },
    { type: /^azure-native:storage:BlobContainer$/, seconds: 15, typical: "10-20 s" },
    { type: /^azure-native:storage:BlobServiceProperties$/, seconds: 10, typical: "5-15 s (soft-delete settings)" },
    { type: /^azure-native:/, seconds: 15, typical: "10-20 s (other ARM resources)", fallback: true },
    // Helm releases, per chart (atomic: waits for every workload)
    { type: /^kubernetes:helm\.sh\/v3:Release$/, chart: /gateway-helm|envoy/, seconds: 90, typical: "1-2 min" },
    { type: /^kubernetes:helm\.sh\/v3:Release$/, chart: /cert-manager/, seconds: 120, typical: "1-3 min (webhook readiness)" },
    { type: /^kubernetes:helm\.sh\/v3:Release$/, chart: /external-dns/, seconds: 45, typical: "30-60 s" },
    { type: /^kubernetes:helm\.sh\/v3:Release$/, chart: /sealed-secrets/, seconds: 45, typical: "30-60 s" },
    { type: /^kubernetes:helm\.sh\/v3:Release$/, chart: /gatekeeper/, seconds: 180, typical: "2-4 min (CRDs, webhook, HA replicas)" },
    { type: /^kubernetes:helm\.sh\/v3:Release$/, chart: /argo-cd/, seconds: 240, typical: "3-5 min" },
    { type: /^kubernetes:helm\.sh\/v3:Release$/, chart: /harbor/, seconds: 240, typical: "3-5 min (database, registry, Trivy)" },
    { type: /^kubernetes:helm\.sh\/v3:Release$/, chart: /tekton/, seconds: 120, typical: "1-3 min (operator)" },
    { type: /^kubernetes:helm\.sh\/v3:Release$/, seconds: 120, typical: "1-3 min (other charts)" },
    // Kubernetes objects
    { type: /^kubernetes:templates\.gatekeeper\.sh\/v1:ConstraintTemplate$/, seconds: 15, typical: "5-20 s (waits for status.created)" },
    {
        type: /^kubernetes:operator\.tekton\.dev\/v1alpha1:TektonConfig$/,
        seconds: 20,
        typical: "10-30 s (created; the operator installs components afterwards)",
    },
    { type: /^kubernetes:apps\/v1:(Deployment|StatefulSet|DaemonSet)$/, seconds: 60, typical: "30-90 s (rollout await)" },
    { type: /^kubernetes:core\/v1:Service$/, seconds: 5, typical: "seconds (LoadBalancer IP awaited: ~30-60 s)" },
    { type: /^kubernetes:/, seconds: 3, typical: "seconds (namespaces, CRDs, custom resources, RBAC)" },
    // Providers and local resources
    { type: /^pulumi:providers:/, seconds: 1, typical: "~1 s (configure)" },
    { type: /^(random|tls):/, seconds: 1, typical: "<1 s (local)" },
    // Dynamic providers: the RBAC grant check counts its typical propagation time (see durationOf);
    // the others configure Harbor through its API (projects, robot accounts, retention, GC).
    { type: /^pulumi-nodejs:dynamic:Resource$/, seconds: 15, typical: "~15 s assumed (a few Harbor API calls each)" },
    // Anything else that is custom
    { type: /./, seconds: 15, typical: "unknown type: 15 s assumed", fallback: true },
];

/** Types a dependent cannot be created without (containers and identities): see the header. */
export const ESSENTIAL_PREREQUISITES: readonly RegExp[] = [
    /^azure-native:resources:ResourceGroup$/,
    /^azure-native:network:(VirtualNetwork|Subnet|PublicIPAddress)$/,
    /^azure-native:trafficmanager:Profile$/,
    /^azure-native:containerservice:ManagedCluster$/,
    /^azure-native:managedidentity:UserAssignedIdentity$/,
    /^azure-native:containerregistry:Registry$/,
    /^azure-native:dns:Zone$/,
    /^azure-native:operationalinsights:Workspace$/,
    /^kubernetes:core\/v1:Namespace$/,
    /^pulumi:providers:/,
];

/** Built-in API groups that look like CRD groups (contain a dot) but are served by Kubernetes itself. */
const BUILTIN_GROUPS =
    /^kubernetes:(networking|rbac\.authorization|admissionregistration|apiextensions|storage|scheduling|coordination|discovery|certificates|node|events|resource|flowcontrol\.apiserver|apiregistration)\.k8s\.io\//;
const CUSTOM_KUBERNETES_RESOURCE = /^kubernetes:(?!helm\.sh\/)[a-z0-9-]+(\.[a-z0-9-]+)+\/[^:]+:/;

/** Is `type` a Kubernetes custom resource (its kind comes from a CRD)? */
export function isKubernetesCustomResource(type: string): boolean {
    return CUSTOM_KUBERNETES_RESOURCE.test(type) && !BUILTIN_GROUPS.test(type);
}

/**
 * Ordering that is essential although no data flows: a dependent of type `from` waiting for a
 * dependency of type `to` keeps that edge in the lower bound.
 */
export const ESSENTIAL_ORDERING: readonly { from: (type: string) => boolean; to: RegExp; why: string }[] = [
    {
        from: isKubernetesCustomResource,
        to: /^kubernetes:helm\.sh\/v3:Release$/,
        why: "the chart installs the CRD (and the controller/webhook that admits it)",
    },
    {
        from: t => /^azure-native:managedidentity:FederatedIdentityCredential$/.test(t),
        to: /^azure-native:managedidentity:FederatedIdentityCredential$/,
        why: "Entra rejects concurrent federated-credential writes on one identity",
    },
    {
        from: t => /^pulumi:providers:kubernetes$/.test(t),
        to: /^azure-native:authorization:RoleAssignment$/,
        why: "the provider acts as the deployer, which needs its cluster role first",
    },
    {
        from: t => /^pulumi:providers:kubernetes$/.test(t),
        to: /^pulumi-nodejs:dynamic:Resource$/,
        why: "the role must have propagated to the API server (the RBAC propagation delay)",
    },
    {
        from: t => /^pulumi-nodejs:dynamic:Resource$/.test(t),
        to: /^kubernetes:helm\.sh\/v3:Release$/,
        why: "an application configured through its API (Harbor) answers only once its chart is ready",
    },
];

/** Components: recorded as non-custom; for plan documents, the stack and `platform:` types. */
export function isComponent(r: GraphResource): boolean {
    if (r.custom !== undefined) return !r.custom;
    return r.type === "pulumi:pulumi:Stack" || r.type.startsWith("platform:");
}

/**
 * Typical time until a new AKS Azure RBAC assignment is effective (Microsoft documents "up to
 * five minutes"); the check stops as soon as it is, where the old fixed wait always took 180 s.
 */
export const RBAC_PROPAGATION_TYPICAL_SECONDS = 120;

/** Typical create duration in seconds (0 for components). */
export function durationOf(r: GraphResource): number {
    if (isComponent(r)) return 0;
    // The RBAC grant check (components/azure/rbac-propagation.ts) polls until AKS has picked the
    // assignment up: typically a minute or two, at most its timeoutSeconds.
    if (
        r.type === "pulumi-nodejs:dynamic:Resource" &&
        typeof r.inputs?.roleAssignmentId === "string" &&
        typeof r.inputs?.timeoutSeconds === "number"
    ) {
        return Math.min(RBAC_PROPAGATION_TYPICAL_SECONDS, r.inputs.timeoutSeconds);
    }
    // The gateways-serving check (components/azure/serving-check.ts) lasts at least its sustained
    // window once the gateways answer, plus one probe interval.
    if (
        r.type === "pulumi-nodejs:dynamic:Resource" &&
        typeof r.inputs?.sustainSeconds === "number" &&
        typeof r.inputs?.intervalSeconds === "number"
    ) {
        return r.inputs.sustainSeconds + r.inputs.intervalSeconds;
    }
    return durationRuleOf(r)?.seconds ?? 0;
}

/** The DURATIONS row a custom resource takes its duration from (first match); see `fallback`. */
export function durationRuleOf(r: GraphResource): DurationRule | undefined {
    const chart = typeof r.inputs?.chart === "string" ? r.inputs.chart : "";
    return DURATIONS.find(d => d.type.test(r.type) && (!d.chart || d.chart.test(chart)));
}

export interface PathStep {
    urn: string;
    type: string;
    name: string;
    seconds: number;
    start: number;
    finish: number;
}

export interface DeployPath {
    /** Latest finish: the estimated wall time in seconds. */
    totalSeconds: number;
    /** The longest chain, first to last, custom resources only. */
    chain: PathStep[];
}

export interface CriticalPathOptions {
    /** `all` = the estimate; `essential` = the lower bound. */
    edges?: "all" | "essential";
    durationOf?: (r: GraphResource) => number;
}

/** Critical path (longest weighted chain) through the graph. Throws on a dependency cycle. */
export function criticalPath(resources: readonly GraphResource[], options: CriticalPathOptions = {}): DeployPath {
    const duration = options.durationOf ?? durationOf;
    const essential = options.edges === "essential";
    const byUrn = new Map(resources.map(r => [r.urn, r]));
    const children = new Map<string, string[]>();
    for (const r of resources) {
        if (r.parent && byUrn.has(r.parent)) {
            const list = children.get(r.parent) ?? [];
            list.push(r.urn);
            children.set(r.parent, list);
        }
    }
    const isPrerequisite = (urn: string) => {
        const t = byUrn.get(urn);
        return !!t && ESSENTIAL_PREREQUISITES.some(p => p.test(t.type));
    };
    const isEssentialOrdering = (r: GraphResource, urn: string) => {
        const t = byUrn.get(urn);
        return !!t && ESSENTIAL_ORDERING.some(o => o.from(r.type) && o.to.test(t.type));
    };
    const waitsFor = (r: GraphResource): string[] => {
        const preds: string[] = [];
        if (!isComponent(r)) {
            if (!essential) preds.push(...r.dependencies);
            else {
                preds.push(...(dataDependencies(r) ?? r.dependencies.filter(isPrerequisite)));
                preds.push(...r.dependencies.filter(d => isEssentialOrdering(r, d)));
            }
            if (r.provider) preds.push(r.provider);
            const parent = r.parent ? byUrn.get(r.parent) : undefined;
            if (parent && !isComponent(parent)) preds.push(parent.urn);
        } else {
            // A component completes when its children do (and, for the estimate, what it depends on).
            preds.push(...(children.get(r.urn) ?? []));
            if (!essential) preds.push(...r.dependencies);
            else preds.push(...(dataDependencies(r) ?? []));
        }
        return [...new Set(preds)].filter(u => byUrn.has(u) && u !== r.urn).sort();
    };

    const memo = new Map<string, { start: number; finish: number; via?: string }>();
    const visiting = new Set<string>();
    // Iterative DFS (real graphs can be deep enough to worry a recursive walk).
    const finishOf = (root: string): number => {
        const stack: string[] = [root];
        while (stack.length) {
            const urn = stack[stack.length - 1];
            if (memo.has(urn)) {
                stack.pop();
                continue;
            }
            const r = byUrn.get(urn)!;
            const preds = waitsFor(r);
            const pending = preds.filter(p => !memo.has(p));
            if (pending.length) {
                if (visiting.has(urn)) {
                    const cycle = pending.find(p => visiting.has(p)) ?? pending[0];
                    throw new Error(`dependency cycle: ${urn} waits for ${cycle}, which waits for it`);
                }
                visiting.add(urn);
                for (const p of pending) {
                    if (visiting.has(p)) throw new Error(`dependency cycle through ${p} and ${urn}`);
                    stack.push(p);
                }
                continue;
            }
            visiting.delete(urn);
            let start = 0;
            let via: string | undefined;
            for (const p of preds) {
                const f = memo.get(p)!.finish;
                if (f > start || (via === undefined && f === start && f > 0)) {
                    start = f;
                    via = p;
                }
            }
            memo.set(urn, { start, finish: start + duration(r), via });
            stack.pop();
        }
        return memo.get(root)!.finish;
    };

    let last: string | undefined;
    let total = 0;
    for (const r of resources) {
        const f = finishOf(r.urn);
        if (f > total) {
            total = f;
            last = r.urn;
        }
    }
    const chain: PathStep[] = [];
    for (let u = last; u; u = memo.get(u)!.via) {
        const r = byUrn.get(u)!;
        if (isComponent(r)) continue;
        const m = memo.get(u)!;
        chain.push({ urn: u, type: r.type, name: r.name, seconds: m.finish - m.start, start: m.start, finish: m.finish });
    }
    chain.reverse();
    return { totalSeconds: total, chain };
}

export interface DeployEstimate {
    estimate: DeployPath;
    lowerBound: DeployPath;
    /** What the lower bound's data edges came from. */
    lowerBoundBasis: "propertyDependencies" | "prerequisite types";
}

export function deployEstimate(resources: readonly GraphResource[], durations?: (r: GraphResource) => number): DeployEstimate {
    return {
        estimate: criticalPath(resources, { edges: "all", durationOf: durations }),
        lowerBound: criticalPath(resources, { edges: "essential", durationOf: durations }),
        lowerBoundBasis: resources.some(r => r.propertyDependencies) ? "propertyDependencies" : "prerequisite types",
    };
}

/** `9m 30s`, `45s`, `1h 2m 0s`. */
export function formatDuration(seconds: number): string {
    const s = Math.round(seconds);
    const h = Math.floor(s / 3600),
        m = Math.floor((s % 3600) / 60),
        r = s % 60;
    if (h) return `${h}h ${m}m ${r}s`;
    if (m) return `${m}m ${r}s`;
    return `${r}s`;
}

function renderChain(chain: PathStep[]): string[] {
    return chain.map(s => `    ${formatDuration(s.finish).padStart(9)}  +${formatDuration(s.seconds).padEnd(7)} ${s.type}  ${s.name}`);
}

/** The deploy-path section `plan` prints. */
export function renderDeployPath(e: DeployEstimate): string {
    return [
        `Deploy path (from-scratch \`pulumi up\`, typical durations, unlimited parallelism):`,
        `  estimate ${formatDuration(e.estimate.totalSeconds)}; lower bound ${formatDuration(e.lowerBound.totalSeconds)} (essential edges only: providers, custom parents, CRD/Entra/RBAC ordering, data dependencies by ${e.lowerBoundBasis}).`,
        `  Longest chain (finish, own duration, resource):`,
        ...renderChain(e.estimate.chain),
        `  Essential chain:`,
        ...renderChain(e.lowerBound.chain),
    ].join("\n");
}
