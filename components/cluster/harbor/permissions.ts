// Every Harbor API call this stack makes, and the permission Harbor checks before answering it.
//
// Two callers:
// - the supply-chain pipeline's steps, authenticated as the `staging` project's robot account
//   (components/cluster/pipeline/tasks.ts: push-staging, wait-for-scan, promote) — the robot must
//   hold exactly what these calls need (PIPELINE_ROBOT_ACCESS in ../harbor.ts; checked by
//   test/cluster/harbor-permissions.test.ts in both directions);
// - the dynamic providers (../harbor-api.ts), authenticated as Harbor's admin (system admin:
//   every check passes), listed so the whole API surface and its permissions are in one place.
//
// Every `source` is a file:line in goharbor/harbor at HARBOR_SOURCE (the app version of chart
// 1.19.1, model/versions.ts). Paths are swagger paths under /api/v2.0 (api/v2.0/swagger.yaml at the
// same tag) or, for registry traffic, distribution's /v2 routes. Dependency-free on purpose: the
// policy pack and tests import it.

/** The Harbor source the table was read from. */
export const HARBOR_SOURCE = {
    repo: "goharbor/harbor",
    tag: "v2.15.1",
    commit: "335c05f2b9507b4c7116fe69b84e31ef9f4b91dd",
} as const;

/**
 * What Harbor checks:
 * - `project`: `RequireProjectAccess(ctx, project, action, resource)`, i.e. may `action` on
 *   `/project/<id>/<resource>`; `resource: "project"` is the project itself (`/project/<id>`,
 *   no sub-resource), which is how a robot's `project` access is stored too
 *   (src/common/security/robot/context.go:143 getPolicyResource);
 * - `system`: `RequireSystemAccess(ctx, action, resource)` on `/system/<resource>`;
 * - `authenticated`: any authenticated user or robot (`RequireAuthenticated`, or the registry's
 *   `/v2/` login check).
 */
export type HarborPermission =
    | { scope: "project"; resource: string; action: string }
    | { scope: "system"; resource: string; action: string }
    | { scope: "authenticated" };

export interface HarborCall {
    /** Who calls: a pipeline Task (by its name in TASKS) or a dynamic provider. */
    caller: { kind: "pipeline-task"; task: string; step: string } | { kind: "provider"; resource: string; operations: string[] };
    /** What the step runs, for registry traffic (`crane push`), or the swagger operationId. */
    operation: string;
    method: string;
    path: string;
    permission: HarborPermission;
    /** Where Harbor checks it (file:line at HARBOR_SOURCE). */
    source: string;
}

const H = "src/server/v2.0/handler";

const project = (resource: string, action: string): HarborPermission => ({ scope: "project", resource, action });
const system = (resource: string, action: string): HarborPermission => ({ scope: "system", resource, action });

/** The pipeline Task names (TASKS in pipeline-tasks.ts), repeated here so this module stays dependency-free. */
export const PIPELINE_HARBOR_TASKS = { push: "push-staging", waitForScan: "wait-for-scan", promote: "promote" } as const;

/**
 * Registry (/v2) requests: Harbor's v2auth middleware maps the HTTP method to an action on the
 * project's `repository` (src/server/middleware/v2auth/access.go:65 getAction: GET/HEAD → pull,
 * POST/PATCH/PUT → push) and checks it (auth.go:75); a bearer token from /service/token carries
 * the same decision (src/core/service/token/creator.go:147 repositoryFilter.filter).
 */
const REGISTRY_SOURCE_PULL =
    "src/server/middleware/v2auth/access.go:70 (GET/HEAD → pull), auth.go:75 Can(action, /project/<id>/repository)";
const REGISTRY_SOURCE_PUSH =
    "src/server/middleware/v2auth/access.go:67 (POST/PATCH/PUT → push), auth.go:75 Can(action, /project/<id>/repository)";
const REGISTRY_SOURCE_LOGIN = "src/server/middleware/v2auth/auth.go:56 (/v2/ needs an authenticated caller)";

export const HARBOR_CALLS: readonly HarborCall[] = [
    // --- Pipeline: push-staging (crane push of the OCI layout) ------------------------------
    ...registryCalls(PIPELINE_HARBOR_TASKS.push, "push", "crane push", [
        ["GET", "/v2/", { scope: "authenticated" }, REGISTRY_SOURCE_LOGIN],
        ["HEAD", "/v2/{project}/{repository}/blobs/{digest}", project("repository", "pull"), REGISTRY_SOURCE_PULL],
        ["POST", "/v2/{project}/{repository}/blobs/uploads/", project("repository", "push"), REGISTRY_SOURCE_PUSH],
        ["PATCH", "/v2/{project}/{repository}/blobs/uploads/{uuid}", project("repository", "push"), REGISTRY_SOURCE_PUSH],
        ["PUT", "/v2/{project}/{repository}/blobs/uploads/{uuid}", project("repository", "push"), REGISTRY_SOURCE_PUSH],
        ["PUT", "/v2/{project}/{repository}/manifests/{reference}", project("repository", "push"), REGISTRY_SOURCE_PUSH],
    ]),
    // --- Pipeline: wait-for-scan (Python, REST API) -----------------------------------------
    {
        caller: { kind: "pipeline-task", task: PIPELINE_HARBOR_TASKS.waitForScan, step: "wait" },
        operation: "GetArtifact",
        method: "GET",
        path: "/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}",
        permission: project("artifact", "read"),
        source: `${H}/artifact.go:127 RequireProjectAccess(ActionRead, ResourceArtifact)`,
    },
    {
        caller: { kind: "pipeline-task", task: PIPELINE_HARBOR_TASKS.waitForScan, step: "wait" },
        operation: "GetProject",
        method: "GET",
        path: "/api/v2.0/projects/{project_name_or_id}",
        permission: project("project", "read"),
        source: `${H}/project.go:349 RequireProjectAccess(projectNameOrID, ActionRead) (no sub-resource: /project/<id>)`,
    },
    {
        caller: { kind: "pipeline-task", task: PIPELINE_HARBOR_TASKS.waitForScan, step: "wait" },
        operation: "GetVulnerabilitiesAddition",
        method: "GET",
        path: "/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/additions/vulnerabilities",
        permission: project("artifact-addition", "read"),
        source: `${H}/artifact.go:400 RequireProjectAccess(ActionRead, ResourceArtifactAddition)`,
    },
    // --- Pipeline: promote (crane copy Harbor → ACR; only the source side is Harbor) ---------
    ...registryCalls(PIPELINE_HARBOR_TASKS.promote, "copy", "crane copy (source)", [
        ["GET", "/v2/", { scope: "authenticated" }, REGISTRY_SOURCE_LOGIN],
        ["GET", "/v2/{project}/{repository}/manifests/{reference}", project("repository", "pull"), REGISTRY_SOURCE_PULL],
        ["GET", "/v2/{project}/{repository}/blobs/{digest}", project("repository", "pull"), REGISTRY_SOURCE_PULL],
    ]),

    // --- Provider: HarborProject ------------------------------------------------------------
    provider(
        "HarborProject",
        ["create"],
        "CreateProject",
        "POST",
        "/api/v2.0/projects",
        system("project", "create"),
        `${H}/project.go:117 isSysAdmin(ActionCreate) when only admins may create projects; :131 a storage_limit is honoured only for it (project.go:863 RequireSystemAccess(…, ResourceProject))`,
    ),
    provider(
        "HarborProject",
        ["create (409)", "retention create"],
        "GetProject",
        "GET",
        "/api/v2.0/projects/{project_name_or_id}",
        project("project", "read"),
        `${H}/project.go:349 RequireProjectAccess(projectNameOrID, ActionRead)`,
    ),
    provider(
        "HarborProject",
        ["read"],
        "GetProject",
        "GET",
        "/api/v2.0/projects/{project_name_or_id}",
        project("project", "read"),
        `${H}/project.go:349 RequireProjectAccess(projectNameOrID, ActionRead)`,
    ),
    provider(
        "HarborProject",
        ["create", "update"],
        "UpdateProject",
        "PUT",
        "/api/v2.0/projects/{project_name_or_id}",
        project("project", "update"),
        `${H}/project.go:547 RequireProjectAccess(projectNameOrID, ActionUpdate)`,
    ),
    provider(
        "HarborProject",
        ["delete"],
        "DeleteProject",
        "DELETE",
        "/api/v2.0/projects/{project_name_or_id}",
        project("project", "delete"),
        `${H}/project.go:267 RequireProjectAccess(projectNameOrID, ActionDelete)`,
    ),
    // --- Provider: HarborRobotAccount (project level: checks on /project/<id>/robot) --------
    provider(
        "HarborRobotAccount",
        ["create"],
        "CreateRobot",
        "POST",
        "/api/v2.0/robots",
        project("robot", "create"),
        `${H}/robot.go:79 requireAccess(ActionCreate) → :314 RequireProjectAccess(ns, action, ResourceRobot)`,
    ),
    provider(
        "HarborRobotAccount",
        ["create (409)"],
        "ListRobot",
        "GET",
        "/api/v2.0/robots",
        project("robot", "list"),
        `${H}/robot.go:194 requireAccess(ActionList) with q=Level=project,ProjectID=<id> (:165-186; without Level it lists system robots only)`,
    ),
    provider(
        "HarborRobotAccount",
        ["read"],
        "GetRobotByID",
        "GET",
        "/api/v2.0/robots/{robot_id}",
        project("robot", "read"),
        `${H}/robot.go:232 requireAccess(ActionRead)`,
    ),
    provider(
        "HarborRobotAccount",
        ["create (409)", "update"],
        "UpdateRobot",
        "PUT",
        "/api/v2.0/robots/{robot_id}",
        project("robot", "update"),
        `${H}/robot.go:387 updateV2Robot requireAccess(ActionUpdate)`,
    ),
    provider(
        "HarborRobotAccount",
        ["create (409)", "update (secretVersion)"],
        "RefreshSec",
        "PATCH",
        "/api/v2.0/robots/{robot_id}",
        project("robot", "update"),
        `${H}/robot.go:273 requireAccess(ActionUpdate)`,
    ),
    provider(
        "HarborRobotAccount",
        ["delete"],
        "DeleteRobot",
        "DELETE",
        "/api/v2.0/robots/{robot_id}",
        project("robot", "delete"),
        `${H}/robot.go:139 requireAccess(ActionDelete)`,
    ),
    // --- Provider: HarborRetentionPolicy (project scope: /project/<id>/tag-retention) --------
    provider(
        "HarborRetentionPolicy",
        ["create"],
        "CreateRetention",
        "POST",
        "/api/v2.0/retentions",
        project("tag-retention", "create"),
        `${H}/retention.go:169 requireAccess(ActionCreate) → :414 RequireProjectAccess(scope.ref, action, ResourceTagRetention)`,
    ),
    provider(
        "HarborRetentionPolicy",
        ["read"],
        "GetRetention",
        "GET",
        "/api/v2.0/retentions/{id}",
        project("tag-retention", "read"),
        `${H}/retention.go:154 requireAccess(ActionRead)`,
    ),
    provider(
        "HarborRetentionPolicy",
        ["create (existing)", "update"],
        "UpdateRetention",
        "PUT",
        "/api/v2.0/retentions/{id}",
        project("tag-retention", "update"),
        `${H}/retention.go:222 requireAccess(ActionUpdate)`,
    ),
    provider(
        "HarborRetentionPolicy",
        ["delete"],
        "DeleteRetention",
        "DELETE",
        "/api/v2.0/retentions/{id}",
        project("tag-retention", "delete"),
        `${H}/retention.go:255 requireAccess(ActionDelete)`,
    ),
    provider(
        "HarborRetentionPolicy",
        ["read (500/400)", "delete (500/400)"],
        "GetProject",
        "GET",
        "/api/v2.0/projects/{project_name_or_id}",
        project("project", "read"),
        `${H}/project.go:349 RequireProjectAccess(projectNameOrID, ActionRead)`,
    ),
    // --- Provider: HarborGcSchedule (system scope: /system/garbage-collection) ----------------
    provider(
        "HarborGcSchedule",
        ["create", "read", "update"],
        "GetGCSchedule",
        "GET",
        "/api/v2.0/system/gc/schedule",
        system("garbage-collection", "read"),
        `${H}/gc.go:168 RequireSystemAccess(ActionRead, ResourceGarbageCollection)`,
    ),
    provider(
        "HarborGcSchedule",
        ["create", "update"],
        "CreateGCSchedule",
        "POST",
        "/api/v2.0/system/gc/schedule",
        system("garbage-collection", "create"),
        `${H}/gc.go:55 RequireSystemAccess(ActionCreate, ResourceGarbageCollection)`,
    ),
    provider(
        "HarborGcSchedule",
        ["create", "update", "delete"],
        "UpdateGCSchedule",
        "PUT",
        "/api/v2.0/system/gc/schedule",
        system("garbage-collection", "update"),
        `${H}/gc.go:72 RequireSystemAccess(ActionUpdate, ResourceGarbageCollection)`,
    ),
];

function registryCalls(task: string, step: string, operation: string, calls: [string, string, HarborPermission, string][]): HarborCall[] {
    return calls.map(([method, path, permission, source]) => ({
        caller: { kind: "pipeline-task", task, step },
        operation,
        method,
        path,
        permission,
        source,
    }));
}

function provider(
    resource: string,
    operations: string[],
    operation: string,
    method: string,
    path: string,
    permission: HarborPermission,
    source: string,
): HarborCall {
    return { caller: { kind: "provider", resource, operations }, operation, method, path, permission, source };
}

/** A robot's permission entry (RobotCreate.permissions[].access[]). */
export interface RobotAccess {
    resource: string;
    action: string;
}

/**
 * Whether a project-level robot holding `access` in a project passes `needed` there, evaluated
 * the way Harbor evaluates robots:
 * - each entry becomes a policy on `/project/<id>/<resource>`, or `/project/<id>` for resource
 *   `project` (src/common/security/robot/context.go:143 getPolicyResource);
 * - `push` also grants `pull` on the same resource (context.go:133 filterRobotPolicies);
 * - the casbin matcher compares the path exactly (no wildcard in these paths) and the action
 *   exactly or `*` (src/pkg/permission/evaluator/rbac/casbin.go:45, casbin_match.go keyMatch2).
 * System-scope checks and other projects never pass for a project robot.
 */
export function robotPasses(access: readonly RobotAccess[], needed: HarborPermission): boolean {
    if (needed.scope === "authenticated") return true;
    if (needed.scope !== "project") return false;
    const policies = access.flatMap(a => (a.action === "push" ? [a, { resource: a.resource, action: "pull" }] : [a]));
    return policies.some(p => p.resource === needed.resource && (p.action === needed.action || p.action === "*"));
}

/** The project permissions the pipeline's Harbor calls need (sorted, unique). */
export function pipelineRobotNeeds(calls: readonly HarborCall[] = HARBOR_CALLS): RobotAccess[] {
    const seen = new Map<string, RobotAccess>();
    for (const c of calls) {
        if (c.caller.kind !== "pipeline-task" || c.permission.scope !== "project") continue;
        seen.set(`${c.permission.resource}:${c.permission.action}`, { resource: c.permission.resource, action: c.permission.action });
    }
    return [...seen.values()].sort((a, b) => `${a.resource}:${a.action}`.localeCompare(`${b.resource}:${b.action}`));
}

/** The table as Markdown (docs and the report): one row per call. */
export function permissionsTableMarkdown(calls: readonly HarborCall[] = HARBOR_CALLS): string {
    const rows = calls.map(c => {
        const who =
            c.caller.kind === "pipeline-task"
                ? `pipeline ${c.caller.task}/${c.caller.step}`
                : `${c.caller.resource} ${c.caller.operations.join(", ")}`;
        const perm =
            c.permission.scope === "authenticated"
                ? "authenticated"
                : `${c.permission.scope} \`${c.permission.resource}\`:\`${c.permission.action}\``;
        return `| ${who} | ${c.operation} | \`${c.method} ${c.path}\` | ${perm} | ${c.source} |`;
    });
    return [
        `Harbor ${HARBOR_SOURCE.tag} (${HARBOR_SOURCE.repo}@${HARBOR_SOURCE.commit.slice(0, 10)})`,
        "",
        "| caller | operation | call | permission | checked at |",
        "| --- | --- | --- | --- | --- |",
        ...rows,
    ].join("\n");
}
