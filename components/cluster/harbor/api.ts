// Harbor projects, robot accounts, tag retention and the GC schedule as Pulumi resources, through
// Harbor's v2.0 REST API (no shell Job): create/read/diff/update/delete, idempotent.
//
// Dynamic providers are serialized into the state and run by the engine on the machine running
// `pulumi up`, so everything the providers call lives in this module, uses only globals (fetch,
// Buffer, AbortSignal; Node >= 20) and imports nothing at run time. The pure parts (payloads,
// mapping Harbor's answers back to the desired shape, diffs, cron conversion) are exported and
// unit-tested without a network.
//
// `read` maps Harbor's current state back into the input shape, so `pulumi refresh` shows drift
// and the next `up` puts it back; `diff` compares that normalized shape only, so a second `up`
// with nothing changed reports no change.
import * as pulumi from "@pulumi/pulumi";

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

// Type only (erased): the serialized providers import nothing at run time.
import type { Severity } from "../../../model/severity";
export type { Severity };

/** How the providers reach Harbor: admin basic auth over HTTPS. */
export interface HarborConnection {
    /** Base URL, e.g. https://harbor.example.com (no trailing /api/v2.0). */
    apiUrl: string;
    username: string;
    password: string;
}

export interface ProjectSpec {
    name: string;
    /** Anonymous pulls; the quarantine project is private. */
    public: boolean;
    /** Scan every pushed artifact with the default scanner (Trivy). */
    autoScan: boolean;
    /** Block pulls of artifacts with vulnerabilities at or above `severity`. */
    preventVul: boolean;
    severity: Severity;
    /** Use the system allowlist instead of the project's own. */
    reuseSysCveAllowlist: boolean;
    /** Reviewed CVE ids that do not block a pull (sorted, unique). */
    cveAllowlist: string[];
}

export interface Access {
    resource: string;
    action: string;
}

export interface RobotSpec {
    /** Short name; Harbor names the account `robot$<project>+<name>`. */
    name: string;
    /** The one project the robot may touch. */
    project: string;
    description: string;
    /** Permissions inside that project (sorted by resource, action). */
    access: Access[];
    /** Days until expiry; -1 never (rotate with `secretVersion`). */
    duration: number;
}

export interface RetentionSpec {
    projectId: number;
    /** Most recently pushed artifacts kept per repository. */
    retainTags: number;
    /** Harbor (six-field) cron of the retention run. */
    cron: string;
}

export interface GcSpec {
    /** Harbor (six-field) cron. */
    cron: string;
    deleteUntagged: boolean;
    workers: number;
}

// ---------------------------------------------------------------------------------------------
// Pure helpers (exported for tests; captured by the serialized providers)
// ---------------------------------------------------------------------------------------------

/** Harbor's scheduler takes six fields with seconds first (fixed to 0 since 2.9); config uses five. */
export function harborCron(fiveField: string): string {
    const fields = fiveField.trim().split(/\s+/);
    if (fields.length === 6) return fields.join(" ");
    if (fields.length !== 5) throw new Error(`not a five-field cron expression: ${fiveField}`);
    return ["0", ...fields].join(" ");
}

/** Pull blocking from the configured severity: `none` turns blocking off. */
export function blockSettings(severity: Severity): { preventVul: boolean; severity: Severity } {
    return severity === "none" ? { preventVul: false, severity: "none" } : { preventVul: true, severity };
}

export function normalizeCves(ids: readonly string[]): string[] {
    return [...new Set(ids.map(i => i.trim().toUpperCase()).filter(i => i.length > 0))].sort();
}

export function normalizeAccess(access: readonly Access[]): Access[] {
    const seen = new Map<string, Access>();
    for (const a of access) seen.set(`${a.resource}\u0000${a.action}`, { resource: a.resource, action: a.action });
    return [...seen.values()].sort((a, b) =>
        a.resource === b.resource ? (a.action < b.action ? -1 : a.action > b.action ? 1 : 0) : a.resource < b.resource ? -1 : 1,
    );
}

function boolString(v: boolean): string {
    return v ? "true" : "false";
}

function stringBool(v: unknown): boolean {
    return v === true || v === "true";
}

/**
 * The ProjectReq body for POST /projects. No `cve_allowlist`: Harbor's CreateProject copies only
 * the name, metadata, registry and storage limit into the new project and drops the allowlist
 * (goharbor/harbor v2.15.1 src/server/v2.0/handler/project.go, CreateProject: `p := &project.Project{
 * Name, OwnerID, RegistryID}` + Metadata); it is applied by the PUT that follows (projectPayload).
 */
export function projectCreatePayload(spec: ProjectSpec): Record<string, unknown> {
    return {
        project_name: spec.name,
        metadata: projectMetadata(spec),
        // Unlimited quota (-1); retention and GC keep the project small.
        storage_limit: -1,
    };
}

/**
 * The ProjectReq body for PUT /projects/{id}: metadata and the CVE allowlist, which UpdateProject
 * does store (v2.15.1 handler/project.go, UpdateProject: `params.Project.CVEAllowlist` →
 * `p.CVEAllowlist`, project_id 0 filled in with the project's id).
 */
export function projectPayload(spec: ProjectSpec): Record<string, unknown> {
    return {
        project_name: spec.name,
        metadata: projectMetadata(spec),
        // No expiry: entries are reviewed in config and removed there.
        cve_allowlist: { items: normalizeCves(spec.cveAllowlist).map(cve_id => ({ cve_id })) },
        storage_limit: -1,
    };
}

function projectMetadata(spec: ProjectSpec): Record<string, string> {
    return {
        public: boolString(spec.public),
        auto_scan: boolString(spec.autoScan),
        prevent_vul: boolString(spec.preventVul),
        severity: spec.severity,
        reuse_sys_cve_allowlist: boolString(spec.reuseSysCveAllowlist),
    };
}

/** A Project as GET /projects/{id} returns it, mapped to the desired shape. */
export function projectSpecFromRemote(remote: any): ProjectSpec {
    const md = remote?.metadata ?? {};
    const items: any[] = remote?.cve_allowlist?.items ?? [];
    return {
        name: String(remote?.name ?? ""),
        public: stringBool(md.public),
        autoScan: stringBool(md.auto_scan),
        preventVul: stringBool(md.prevent_vul),
        // Harbor leaves `severity` unset until it is configured; unset blocks nothing.
        severity: (md.severity ?? "none") as Severity,
        reuseSysCveAllowlist: stringBool(md.reuse_sys_cve_allowlist),
        cveAllowlist: normalizeCves(items.map(i => String(i?.cve_id ?? ""))),
    };
}

export function normalizeProjectSpec(spec: ProjectSpec): ProjectSpec {
    return {
        name: spec.name,
        public: !!spec.public,
        autoScan: !!spec.autoScan,
        preventVul: !!spec.preventVul,
        severity: spec.severity,
        reuseSysCveAllowlist: !!spec.reuseSysCveAllowlist,
        cveAllowlist: normalizeCves(spec.cveAllowlist ?? []),
    };
}

/**
 * Harbor's name for a project-level robot. Harbor stores `<project>+<name>` (v2.15.1
 * src/controller/robot/controller.go, Create: `fmt.Sprintf("%s+%s", r.ProjectName, r.Name)`) and
 * every answer prefixes it with the configured robot prefix, `robot$` by default (populate:
 * `config.RobotPrefix(ctx) + r.Name`; src/lib/config/metadata/metadatalist.go ROBOT_NAME_PREFIX).
 */
export function robotFullName(project: string, name: string, prefix = "robot$"): string {
    return `${prefix}${project}+${name}`;
}

/**
 * Whether a robot name from Harbor's answer is the project robot `<project>+<name>`, whatever the
 * configured prefix. Robot names cannot contain `+` (handler/robot.go validateName:
 * `^[a-z0-9]+(?:[._-][a-z0-9]+)*$`), so a prefix without `+` followed by exactly
 * `<project>+<name>` is that robot and no other.
 */
export function isProjectRobotNamed(remoteName: string, project: string, name: string): boolean {
    const stored = `${project}+${name}`;
    return remoteName.endsWith(stored) && !remoteName.slice(0, remoteName.length - stored.length).includes("+");
}

/**
 * The list query for one project's robots: ListRobot returns system-level robots only unless
 * `q` says `Level=project,ProjectID=<id>` (v2.15.1 src/server/v2.0/handler/robot.go, ListRobot).
 * The robot's name is not put in `q`: Harbor stores it without the prefix and unescapes `q` a
 * second time (src/lib/q/builder.go parseKeywords: url.QueryUnescape), turning its `+` into a space.
 */
export function projectRobotsQuery(projectId: number, page: number, pageSize: number): string {
    return `/robots?q=${encodeURIComponent(`Level=project,ProjectID=${projectId}`)}&page=${page}&page_size=${pageSize}`;
}

/** The RobotCreate body for POST /robots: project level, permissions in that project only. */
export function robotCreatePayload(spec: RobotSpec): Record<string, unknown> {
    return {
        name: spec.name,
        description: spec.description,
        level: "project",
        duration: spec.duration,
        disable: false,
        permissions: [
            {
                kind: "project",
                namespace: spec.project,
                access: normalizeAccess(spec.access).map(a => ({ resource: a.resource, action: a.action, effect: "allow" })),
            },
        ],
    };
}

/** The Robot body for PUT /robots/{id} (Harbor wants the full name and level back). */
export function robotUpdatePayload(spec: RobotSpec, fullName: string): Record<string, unknown> {
    return { ...robotCreatePayload(spec), name: fullName };
}

/** A Robot as GET /robots/{id} returns it, mapped to the desired shape. */
export function robotSpecFromRemote(remote: any): RobotSpec & { fullName: string; level: string; disabled: boolean } {
    const perms: any[] = remote?.permissions ?? [];
    const project = String(perms[0]?.namespace ?? "");
    const fullName = String(remote?.name ?? "");
    const marker = `${project}+`;
    const short = fullName.includes(marker) ? fullName.slice(fullName.indexOf(marker) + marker.length) : fullName;
    const access: Access[] = perms.flatMap(p =>
        (p?.access ?? [])
            .filter((a: any) => (a?.effect ?? "allow") === "allow")
            .map((a: any) => ({ resource: String(a.resource), action: String(a.action) })),
    );
    return {
        name: short,
        // A robot with permissions in several projects is not what we created: surface it.
        project: perms.length === 1 && perms[0]?.kind === "project" ? project : `<${perms.length} permission sets>`,
        description: String(remote?.description ?? ""),
        access: normalizeAccess(access),
        duration: Number(remote?.duration ?? -1),
        fullName,
        level: String(remote?.level ?? ""),
        disabled: remote?.disable === true,
    };
}

export function normalizeRobotSpec(spec: RobotSpec): RobotSpec {
    return {
        name: spec.name,
        project: spec.project,
        description: spec.description ?? "",
        access: normalizeAccess(spec.access ?? []),
        duration: Number(spec.duration ?? -1),
    };
}

/** The RetentionPolicy body: keep the newest `retainTags` artifacts in every repository. */
export function retentionPayload(spec: RetentionSpec): Record<string, unknown> {
    return {
        algorithm: "or",
        rules: [
            {
                disabled: false,
                action: "retain",
                template: "latestPushedK",
                params: { latestPushedK: spec.retainTags },
                tag_selectors: [{ kind: "doublestar", decoration: "matches", pattern: "**" }],
                scope_selectors: { repository: [{ kind: "doublestar", decoration: "repoMatches", pattern: "**" }] },
            },
        ],
        trigger: { kind: "Schedule", settings: { cron: spec.cron }, references: {} },
        scope: { level: "project", ref: spec.projectId },
    };
}

export function retentionSpecFromRemote(remote: any): RetentionSpec {
    const rule = (remote?.rules ?? []).find((r: any) => r?.template === "latestPushedK" && !r?.disabled);
    return {
        projectId: Number(remote?.scope?.ref ?? 0),
        retainTags: Number(rule?.params?.latestPushedK ?? 0),
        cron: String(remote?.trigger?.settings?.cron ?? ""),
    };
}

/** The Schedule body for POST/PUT /system/gc/schedule. */
export function gcPayload(spec: GcSpec): Record<string, unknown> {
    return {
        schedule: { type: "Custom", cron: spec.cron },
        parameters: { delete_untagged: spec.deleteUntagged, workers: spec.workers },
    };
}

/**
 * The schedule as GET /system/gc/schedule returns it: a GCHistory whose `job_parameters` is a
 * JSON *string* (v2.15.1 src/server/v2.0/handler/model/gc.go, GCSchedule.ToSwagger:
 * `JobParameters: string(json.Marshal(ExtraAttrs))`; swagger GCHistory.job_parameters: string).
 * No schedule at all is a 200 with an empty body (handler/gc.go GetGCSchedule).
 */
export function gcSpecFromRemote(remote: any): GcSpec | undefined {
    const type = remote?.schedule?.type;
    if (!type || type === "None") return undefined;
    const params = jobParameters(remote?.job_parameters);
    return {
        cron: String(remote?.schedule?.cron ?? ""),
        deleteUntagged: params.delete_untagged === true,
        workers: Number(params.workers ?? 1),
    };
}

function jobParameters(raw: unknown): Record<string, unknown> {
    if (typeof raw !== "string" || raw.trim() === "") return {};
    try {
        const parsed = JSON.parse(raw);
        return parsed && typeof parsed === "object" ? parsed : {};
    } catch {
        return {};
    }
}

/** Stable JSON (sorted keys) for comparing normalized specs. */
export function canonical(value: unknown): string {
    const sort = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(sort);
        if (v && typeof v === "object") {
            return Object.fromEntries(
                Object.keys(v as object)
                    .sort()
                    .map(k => [k, sort((v as Record<string, unknown>)[k])]),
            );
        }
        return v;
    };
    return JSON.stringify(sort(value));
}

/**
 * Diff of two normalized specs plus the connection: which keys changed, which of those force a
 * replacement. Connection changes (URL, rotated admin password) update state without touching Harbor.
 */
export function specDiff(
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
    keys: readonly string[],
    replaceKeys: readonly string[],
): { changes: boolean; replaces: string[]; changed: string[] } {
    const changed = keys.filter(k => canonical(olds[k]) !== canonical(news[k]));
    for (const k of ["apiUrl", "username", "password"]) if (olds[k] !== news[k]) changed.push(k);
    const replaces = changed.filter(k => replaceKeys.includes(k));
    return { changes: changed.length > 0, replaces, changed };
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

export interface HarborResponse {
    status: number;
    body: any;
    location?: string;
}

/** Statuses that mean "Harbor (or the route to it) is not up yet": retried until the deadline. */
const TRANSIENT = [425, 429, 502, 503, 504];

/**
 * Whether an answer comes from something in front of Harbor rather than Harbor: the gateway
 * answers 404 with no body of Harbor's `{"errors": [...]}` shape until the route is attached.
 */
export function isTransient(status: number, text: string): boolean {
    if (TRANSIENT.includes(status)) return true;
    return status === 404 && !/"errors"\s*:/.test(text);
}

function sleep(ms: number): Promise<void> {
    return new Promise(resolve => setTimeout(resolve, ms));
}

/**
 * One API call with basic auth. Network errors and gateway errors are retried with backoff for up
 * to `waitSeconds` (on a first `up` the DNS record, certificate and Harbor itself arrive in the
 * minutes after the chart); every other status is returned for the caller to judge.
 */
export async function harborRequest(
    conn: HarborConnection,
    method: string,
    path: string,
    body?: unknown,
    options: { waitSeconds?: number; headers?: Record<string, string> } = {},
): Promise<HarborResponse> {
    const url = `${conn.apiUrl.replace(/\/+$/, "")}/api/v2.0${path}`;
    const auth = Buffer.from(`${conn.username}:${conn.password}`).toString("base64");
    const deadline = Date.now() + (options.waitSeconds ?? 900) * 1000;
    let delay = 2000;
    let lastError = "";
    for (;;) {
        try {
            const res = await fetch(url, {
                method,
                headers: {
                    Authorization: `Basic ${auth}`,
                    Accept: "application/json",
                    ...(body === undefined ? {} : { "Content-Type": "application/json" }),
                    ...(options.headers ?? {}),
                },
                body: body === undefined ? undefined : JSON.stringify(body),
                redirect: "manual",
                signal: AbortSignal.timeout(60_000),
            });
            const text = await res.text();
            if (!isTransient(res.status, text)) {
                let parsed: any = undefined;
                try {
                    parsed = text ? JSON.parse(text) : undefined;
                } catch {
                    parsed = text;
                }
                return { status: res.status, body: parsed, location: res.headers.get("location") ?? undefined };
            }
            lastError = `HTTP ${res.status}`;
        } catch (e) {
            lastError = (e as Error).message ?? String(e);
        }
        if (Date.now() + delay > deadline) {
            throw new Error(`Harbor API ${method} ${url} unreachable: ${lastError}`);
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 30_000);
    }
}

function fail(what: string, res: HarborResponse): never {
    const detail = typeof res.body === "string" ? res.body : JSON.stringify(res.body ?? {});
    throw new Error(`Harbor API: ${what} failed with HTTP ${res.status}: ${detail.slice(0, 500)}`);
}

/** The id at the end of a Location header (`/api/v2.0/projects/7` → 7). */
export function idFromLocation(location: string | undefined): number | undefined {
    const m = /\/(\d+)\/?$/.exec(location ?? "");
    return m ? Number(m[1]) : undefined;
}

function connectionOf(props: any): HarborConnection {
    return { apiUrl: props.apiUrl, username: props.username, password: props.password };
}

// ---------------------------------------------------------------------------------------------
// Providers
// ---------------------------------------------------------------------------------------------

const PROJECT_KEYS = ["name", "public", "autoScan", "preventVul", "severity", "reuseSysCveAllowlist", "cveAllowlist"];

async function getProjectByName(conn: HarborConnection, name: string): Promise<any> {
    const res = await harborRequest(conn, "GET", `/projects/${encodeURIComponent(name)}`, undefined, {
        headers: { "X-Is-Resource-Name": "true" },
    });
    if (res.status !== 200) fail(`GET project ${name}`, res);
    return res.body;
}

const projectProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds, news) {
        const d = specDiff({ ...olds, ...normalizeProjectSpec(olds) }, { ...news, ...normalizeProjectSpec(news) }, PROJECT_KEYS, ["name"]);
        return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: true };
    },
    async create(inputs) {
        const conn = connectionOf(inputs);
        const spec = normalizeProjectSpec(inputs);
        const res = await harborRequest(conn, "POST", "/projects", projectCreatePayload(spec));
        let projectId: number | undefined;
        if (res.status === 201) {
            projectId = idFromLocation(res.location);
        } else if (res.status !== 409) {
            // 409: already there (state lost, or created by hand): adopt it, the PUT imposes the spec.
            fail(`POST project ${spec.name}`, res);
        }
        if (!projectId) projectId = Number((await getProjectByName(conn, spec.name)).project_id);
        // POST ignores the CVE allowlist (see projectCreatePayload): always PUT the full spec.
        const put = await harborRequest(conn, "PUT", `/projects/${projectId}`, projectPayload(spec));
        if (put.status !== 200) fail(`PUT project ${spec.name}`, put);
        return { id: String(projectId), outs: { ...inputs, ...spec, projectId } };
    },
    async read(id, props) {
        const conn = connectionOf(props);
        const res = await harborRequest(conn, "GET", `/projects/${id}`);
        if (res.status === 404 || res.status === 403) return {};
        if (res.status !== 200) fail(`GET project ${id}`, res);
        const remote = projectSpecFromRemote(res.body);
        const state = { ...props, ...remote, projectId: Number(id) };
        return { id, props: state, inputs: { ...props, ...remote } };
    },
    async update(id, _olds, news) {
        const conn = connectionOf(news);
        const spec = normalizeProjectSpec(news);
        const res = await harborRequest(conn, "PUT", `/projects/${id}`, projectPayload(spec));
        if (res.status !== 200) fail(`PUT project ${spec.name}`, res);
        return { outs: { ...news, ...spec, projectId: Number(id) } };
    },
    async delete(id, props) {
        const res = await harborRequest(connectionOf(props), "DELETE", `/projects/${id}`);
        if (res.status === 200 || res.status === 404) return;
        if (res.status === 412) {
            throw new Error(
                `Harbor project ${props.name} still holds repositories; delete them (or remove the resource from state) before deleting the project`,
            );
        }
        fail(`DELETE project ${props.name}`, res);
    },
};

const ROBOT_KEYS = ["name", "project", "description", "access", "duration"];

/** The project robot `<project>+<name>`, if Harbor has it (pages through the project's robots). */
async function findProjectRobot(conn: HarborConnection, project: string, name: string): Promise<any | undefined> {
    const projectId = Number((await getProjectByName(conn, project)).project_id);
    const pageSize = 100;
    for (let page = 1; ; page++) {
        const res = await harborRequest(conn, "GET", projectRobotsQuery(projectId, page, pageSize));
        if (res.status !== 200) fail(`GET robots of project ${project}`, res);
        const robots: any[] = Array.isArray(res.body) ? res.body : [];
        const hit = robots.find(r => isProjectRobotNamed(String(r?.name ?? ""), project, name));
        if (hit || robots.length < pageSize) return hit;
    }
}

async function refreshRobotSecret(conn: HarborConnection, id: number | string): Promise<string> {
    // An empty secret asks Harbor to generate a new one and return it.
    const res = await harborRequest(conn, "PATCH", `/robots/${id}`, { secret: "" });
    if (res.status !== 200 || !res.body?.secret) fail(`refresh robot ${id} secret`, res);
    return String(res.body.secret);
}

const robotProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds, news) {
        const d = specDiff(
            { ...olds, ...normalizeRobotSpec(olds) },
            { ...news, ...normalizeRobotSpec(news) },
            [...ROBOT_KEYS, "secretVersion"],
            ["name", "project"],
        );
        return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: true };
    },
    async create(inputs) {
        const conn = connectionOf(inputs);
        const spec = normalizeRobotSpec(inputs);
        const res = await harborRequest(conn, "POST", "/robots", robotCreatePayload(spec));
        if (res.status === 201) {
            return {
                id: String(res.body.id),
                outs: {
                    ...inputs,
                    ...spec,
                    robotId: Number(res.body.id),
                    fullName: String(res.body.name),
                    secret: String(res.body.secret),
                },
            };
        }
        if (res.status !== 409) fail(`POST robot ${spec.name}`, res);
        // Already there: its secret cannot be read back, so adopt it and issue a new one.
        const existing = await findProjectRobot(conn, spec.project, spec.name);
        if (!existing)
            fail(`POST robot ${spec.name} (conflict, but project ${spec.project} has no robot ${spec.project}+${spec.name})`, res);
        const put = await harborRequest(conn, "PUT", `/robots/${existing.id}`, robotUpdatePayload(spec, existing.name));
        if (put.status !== 200) fail(`PUT robot ${existing.name}`, put);
        const secret = await refreshRobotSecret(conn, existing.id);
        return {
            id: String(existing.id),
            outs: { ...inputs, ...spec, robotId: Number(existing.id), fullName: String(existing.name), secret },
        };
    },
    async read(id, props) {
        const res = await harborRequest(connectionOf(props), "GET", `/robots/${id}`);
        if (res.status === 404) return {};
        if (res.status !== 200) fail(`GET robot ${id}`, res);
        const remote = robotSpecFromRemote(res.body);
        const spec = {
            name: remote.name,
            project: remote.project,
            description: remote.description,
            access: remote.access,
            duration: remote.duration,
        };
        // The secret is never returned by Harbor: keep the one in state.
        return { id, props: { ...props, ...spec, fullName: remote.fullName }, inputs: { ...props, ...spec } };
    },
    async update(id, olds, news) {
        const conn = connectionOf(news);
        const spec = normalizeRobotSpec(news);
        const fullName = String(olds.fullName ?? news.fullName);
        if (canonical(normalizeRobotSpec(olds)) !== canonical(spec)) {
            const res = await harborRequest(conn, "PUT", `/robots/${id}`, robotUpdatePayload(spec, fullName));
            if (res.status !== 200) fail(`PUT robot ${fullName}`, res);
        }
        const secret = olds.secretVersion !== news.secretVersion ? await refreshRobotSecret(conn, id) : olds.secret;
        return { outs: { ...news, ...spec, robotId: Number(id), fullName, secret } };
    },
    async delete(id, props) {
        const res = await harborRequest(connectionOf(props), "DELETE", `/robots/${id}`);
        if (res.status !== 200 && res.status !== 404) fail(`DELETE robot ${id}`, res);
    },
};

const RETENTION_KEYS = ["projectId", "retainTags", "cron"];

/**
 * Whether retention policy `id` no longer exists. Harbor does not answer 404 for a missing policy:
 * GET /retentions/{id} fails with a plain error (500, "internal server error") and DELETE with 400
 * (v2.15.1 src/pkg/retention/manager.go GetPolicy: `fmt.Errorf("no such Retention policy…")`;
 * handler/retention.go GetRetention → SendError, DeleteRetention → BadRequestError; src/lib/http/
 * error.go hides 5xx messages). The project says which policy it has: DeleteRetention removes its
 * `retention_id` metadata, and deleting the project removes both.
 */
async function retentionGone(conn: HarborConnection, id: string, projectId: number): Promise<boolean> {
    const project = await harborRequest(conn, "GET", `/projects/${projectId}`);
    if (project.status === 404) return true;
    if (project.status !== 200) fail(`GET project ${projectId}`, project);
    return String(project.body?.metadata?.retention_id ?? "") !== String(id);
}

function retentionSpecOf(props: any): RetentionSpec {
    return { projectId: Number(props.projectId), retainTags: Number(props.retainTags), cron: String(props.cron) };
}

const retentionProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds, news) {
        const d = specDiff({ ...olds, ...retentionSpecOf(olds) }, { ...news, ...retentionSpecOf(news) }, RETENTION_KEYS, ["projectId"]);
        return { changes: d.changes, replaces: d.replaces };
    },
    async create(inputs) {
        const conn = connectionOf(inputs);
        const spec = retentionSpecOf(inputs);
        // A project has at most one policy; reuse it if Harbor already has one.
        const project = await harborRequest(conn, "GET", `/projects/${spec.projectId}`);
        if (project.status !== 200) fail(`GET project ${spec.projectId}`, project);
        const existing = project.body?.metadata?.retention_id;
        if (existing) {
            const put = await harborRequest(conn, "PUT", `/retentions/${existing}`, retentionPayload(spec));
            if (put.status !== 200) fail(`PUT retention ${existing}`, put);
            return { id: String(existing), outs: { ...inputs, ...spec } };
        }
        const res = await harborRequest(conn, "POST", "/retentions", retentionPayload(spec));
        if (res.status !== 201) fail(`POST retention for project ${spec.projectId}`, res);
        const id =
            idFromLocation(res.location) ?? (await harborRequest(conn, "GET", `/projects/${spec.projectId}`)).body?.metadata?.retention_id;
        if (!id) throw new Error(`Harbor API: retention for project ${spec.projectId} created but its id is unknown`);
        return { id: String(id), outs: { ...inputs, ...spec } };
    },
    async read(id, props) {
        const conn = connectionOf(props);
        const res = await harborRequest(conn, "GET", `/retentions/${id}`);
        if (res.status === 404) return {};
        if ((res.status === 500 || res.status === 400) && (await retentionGone(conn, id, Number(props.projectId)))) return {};
        if (res.status !== 200) fail(`GET retention ${id}`, res);
        const remote = retentionSpecFromRemote(res.body);
        return { id, props: { ...props, ...remote }, inputs: { ...props, ...remote } };
    },
    async update(id, _olds, news) {
        const spec = retentionSpecOf(news);
        const res = await harborRequest(connectionOf(news), "PUT", `/retentions/${id}`, retentionPayload(spec));
        if (res.status === 404) {
            // The project no longer names this policy (handler/retention.go requirePolicyAccess).
            throw new Error(
                `Harbor retention policy ${id} of project ${spec.projectId} was deleted outside Pulumi: run \`pulumi refresh\` and \`pulumi up\` to recreate it`,
            );
        }
        if (res.status !== 200) fail(`PUT retention ${id}`, res);
        return { outs: { ...news, ...spec } };
    },
    async delete(id, props) {
        // Deleting the project removes its policy too; 404/405 mean there is nothing left to do,
        // and a 400/500 for a policy the project no longer has means it was deleted elsewhere.
        const conn = connectionOf(props);
        const res = await harborRequest(conn, "DELETE", `/retentions/${id}`);
        if ([200, 404, 405].includes(res.status)) return;
        if ((res.status === 500 || res.status === 400) && (await retentionGone(conn, id, Number(props.projectId)))) return;
        fail(`DELETE retention ${id}`, res);
    },
};

const GC_ID = "system-gc-schedule";
const GC_KEYS = ["cron", "deleteUntagged", "workers"];

function gcSpecOf(props: any): GcSpec {
    return { cron: String(props.cron), deleteUntagged: !!props.deleteUntagged, workers: Number(props.workers) };
}

async function putGcSchedule(conn: HarborConnection, payload: Record<string, unknown>): Promise<void> {
    const current = await harborRequest(conn, "GET", "/system/gc/schedule");
    const exists = current.status === 200 && !!gcSpecFromRemote(current.body);
    // POST creates the schedule, PUT changes an existing one.
    const res = await harborRequest(conn, exists ? "PUT" : "POST", "/system/gc/schedule", payload);
    if (res.status !== 200 && res.status !== 201) fail(`${exists ? "PUT" : "POST"} GC schedule`, res);
}

const gcProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds, news) {
        const d = specDiff({ ...olds, ...gcSpecOf(olds) }, { ...news, ...gcSpecOf(news) }, GC_KEYS, []);
        return { changes: d.changes, replaces: d.replaces };
    },
    async create(inputs) {
        const spec = gcSpecOf(inputs);
        await putGcSchedule(connectionOf(inputs), gcPayload(spec));
        return { id: GC_ID, outs: { ...inputs, ...spec } };
    },
    async read(id, props) {
        const res = await harborRequest(connectionOf(props), "GET", "/system/gc/schedule");
        if (res.status !== 200) fail("GET GC schedule", res);
        const remote = gcSpecFromRemote(res.body);
        if (!remote) return {};
        return { id, props: { ...props, ...remote }, inputs: { ...props, ...remote } };
    },
    async update(_id, _olds, news) {
        const spec = gcSpecOf(news);
        await putGcSchedule(connectionOf(news), gcPayload(spec));
        return { outs: { ...news, ...spec } };
    },
    async delete(_id, props) {
        const res = await harborRequest(connectionOf(props), "PUT", "/system/gc/schedule", { schedule: { type: "None" } });
        if (res.status !== 200 && res.status !== 404) fail("cancel GC schedule", res);
    },
};

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

export interface HarborConnectionArgs {
    apiUrl: pulumi.Input<string>;
    username: pulumi.Input<string>;
    /** Admin password; keep it a Pulumi secret. */
    password: pulumi.Input<string>;
}

export interface HarborProjectArgs extends HarborConnectionArgs {
    name: pulumi.Input<string>;
    public: pulumi.Input<boolean>;
    autoScan: pulumi.Input<boolean>;
    preventVul: pulumi.Input<boolean>;
    severity: pulumi.Input<Severity>;
    reuseSysCveAllowlist: pulumi.Input<boolean>;
    cveAllowlist: pulumi.Input<pulumi.Input<string>[]>;
}

export class HarborProject extends pulumi.dynamic.Resource {
    declare readonly projectId: pulumi.Output<number>;
    declare readonly name: pulumi.Output<string>;

    constructor(name: string, args: HarborProjectArgs, opts?: pulumi.CustomResourceOptions) {
        super(projectProvider, name, { ...args, projectId: undefined }, opts);
    }
}

export interface HarborRobotAccountArgs extends HarborConnectionArgs {
    name: pulumi.Input<string>;
    project: pulumi.Input<string>;
    /** The name Harbor will give it (`robot$<project>+<name>`); replaced by Harbor's answer on create. */
    fullName: pulumi.Input<string>;
    description: pulumi.Input<string>;
    access: pulumi.Input<pulumi.Input<Access>[]>;
    duration: pulumi.Input<number>;
    /** Bump to rotate the secret (Harbor issues a new one; consumers pick it up on the same `up`). */
    secretVersion: pulumi.Input<number>;
}

export class HarborRobotAccount extends pulumi.dynamic.Resource {
    declare readonly robotId: pulumi.Output<number>;
    declare readonly fullName: pulumi.Output<string>;
    declare readonly secret: pulumi.Output<string>;

    constructor(name: string, args: HarborRobotAccountArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            robotProvider,
            name,
            { ...args, robotId: undefined, secret: undefined },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["secret", "password"] }),
        );
    }
}

export interface HarborRetentionPolicyArgs extends HarborConnectionArgs {
    projectId: pulumi.Input<number>;
    retainTags: pulumi.Input<number>;
    /** Harbor (six-field) cron; see harborCron(). */
    cron: pulumi.Input<string>;
}

export class HarborRetentionPolicy extends pulumi.dynamic.Resource {
    constructor(name: string, args: HarborRetentionPolicyArgs, opts?: pulumi.CustomResourceOptions) {
        super(retentionProvider, name, { ...args }, opts);
    }
}

export interface HarborGcScheduleArgs extends HarborConnectionArgs {
    /** Harbor (six-field) cron; see harborCron(). */
    cron: pulumi.Input<string>;
    deleteUntagged: pulumi.Input<boolean>;
    workers: pulumi.Input<number>;
}

/** The system-wide GC schedule (one per Harbor). */
export class HarborGcSchedule extends pulumi.dynamic.Resource {
    constructor(name: string, args: HarborGcScheduleArgs, opts?: pulumi.CustomResourceOptions) {
        super(gcProvider, name, { ...args }, opts);
    }
}

/** The providers, for unit tests (diff/create/read against a stubbed fetch). */
export const providers = {
    project: projectProvider,
    robot: robotProvider,
    retention: retentionProvider,
    gc: gcProvider,
} as const;
