// The Harbor API providers' pure logic (payloads, mapping back, diff) and their create/read/
// update/delete cycle over real HTTP against a stand-in for Harbor v2.15.1 on 127.0.0.1
// (test/fixtures/harbor/stub.ts: Harbor's status codes and bodies, checked against the vendored
// swagger excerpt).
import { strict as assert } from "assert";
import {
    blockSettings,
    canonical,
    gcPayload,
    gcSpecFromRemote,
    harborCron,
    idFromLocation,
    isProjectRobotNamed,
    isTransient,
    normalizeAccess,
    projectCreatePayload,
    projectPayload,
    projectRobotsQuery,
    projectSpecFromRemote,
    providers,
    retentionPayload,
    retentionSpecFromRemote,
    robotCreatePayload,
    robotFullName,
    robotSpecFromRemote,
    specDiff,
    ProjectSpec,
} from "../../components/cluster/harbor/api";
import { HarborStub, parseQ } from "../fixtures/harbor/stub";

const conn = { apiUrl: "https://harbor.example.com", username: "admin", password: "pw" };
const staging: ProjectSpec = {
    name: "staging",
    public: false,
    autoScan: true,
    preventVul: true,
    severity: "high",
    reuseSysCveAllowlist: false,
    cveAllowlist: ["CVE-2024-0002", "cve-2024-0001", "CVE-2024-0002"],
};

describe("Harbor API: payloads", () => {
    it("maps the project spec to Harbor's string-typed metadata and the CVE allowlist", () => {
        const p = projectPayload(staging) as any;
        assert.equal(p.project_name, "staging");
        assert.deepEqual(p.metadata, {
            public: "false",
            auto_scan: "true",
            prevent_vul: "true",
            severity: "high",
            reuse_sys_cve_allowlist: "false",
        });
        assert.deepEqual(p.cve_allowlist.items, [{ cve_id: "CVE-2024-0001" }, { cve_id: "CVE-2024-0002" }]);
        assert.equal(p.cve_allowlist.expires_at, undefined, "reviewed entries do not expire");
        // POST /projects drops cve_allowlist (handler/project.go CreateProject): not sent there.
        const create = projectCreatePayload(staging) as any;
        assert.equal(create.cve_allowlist, undefined);
        assert.deepEqual(create.metadata, p.metadata);
    });

    it("turns blocking off for severity none", () => {
        assert.deepEqual(blockSettings("none"), { preventVul: false, severity: "none" });
        assert.deepEqual(blockSettings("critical"), { preventVul: true, severity: "critical" });
    });

    it("reads a project back into the same shape (round trip)", () => {
        const remote = {
            project_id: 3,
            name: "staging",
            metadata: projectPayload(staging).metadata,
            cve_allowlist: { id: 1, project_id: 3, items: [{ cve_id: "CVE-2024-0002" }, { cve_id: "CVE-2024-0001" }] },
        };
        const back = projectSpecFromRemote(remote);
        assert.equal(canonical(back), canonical({ ...staging, cveAllowlist: ["CVE-2024-0001", "CVE-2024-0002"] }));
    });

    it("creates a project-level robot with permissions in that one project only", () => {
        const p = robotCreatePayload({
            name: "pipeline",
            project: "staging",
            description: "d",
            duration: -1,
            access: [
                { resource: "repository", action: "push" },
                { resource: "repository", action: "pull" },
                { resource: "repository", action: "push" },
            ],
        }) as any;
        assert.equal(p.level, "project");
        assert.equal(p.permissions.length, 1);
        assert.equal(p.permissions[0].kind, "project");
        assert.equal(p.permissions[0].namespace, "staging");
        assert.deepEqual(p.permissions[0].access, [
            { resource: "repository", action: "pull", effect: "allow" },
            { resource: "repository", action: "push", effect: "allow" },
        ]);
        assert.equal(robotFullName("staging", "pipeline"), "robot$staging+pipeline");
    });

    it("recognises the project robot by Harbor's stored name, whatever the configured prefix", () => {
        assert.ok(isProjectRobotNamed("robot$staging+pipeline", "staging", "pipeline"));
        assert.ok(isProjectRobotNamed("bot_staging+pipeline", "staging", "pipeline"));
        assert.ok(!isProjectRobotNamed("robot$staging+mypipeline", "staging", "pipeline"));
        assert.ok(!isProjectRobotNamed("robot$other+staging+pipeline", "staging", "pipeline"));
        // Listed per project (handler/robot.go ListRobot lists system robots without Level), and
        // no `+` in q: Harbor's q parser unescapes once more and would read it as a space.
        const path = projectRobotsQuery(3, 1, 100);
        const q = new URL(path, "http://h").searchParams.get("q")!;
        assert.deepEqual(parseQ(q), { Level: "project", ProjectID: "3" });
    });

    it("maps a robot back, flagging permissions outside one project", () => {
        const one = robotSpecFromRemote({
            id: 9,
            name: "robot$staging+pipeline",
            level: "project",
            duration: -1,
            description: "d",
            permissions: [{ kind: "project", namespace: "staging", access: [{ resource: "repository", action: "push" }] }],
        });
        assert.equal(one.name, "pipeline");
        assert.equal(one.project, "staging");
        const two = robotSpecFromRemote({
            name: "robot$staging+pipeline",
            permissions: [
                { kind: "project", namespace: "staging", access: [] },
                { kind: "project", namespace: "other", access: [] },
            ],
        });
        assert.notEqual(two.project, "staging");
    });

    it("builds a latestPushedK retention policy scoped to the project", () => {
        const p = retentionPayload({ projectId: 7, retainTags: 10, cron: "0 0 3 * * *" }) as any;
        assert.deepEqual(p.scope, { level: "project", ref: 7 });
        assert.equal(p.rules[0].template, "latestPushedK");
        assert.deepEqual(p.rules[0].params, { latestPushedK: 10 });
        assert.equal(p.rules[0].action, "retain");
        assert.deepEqual(p.trigger.settings, { cron: "0 0 3 * * *" });
        assert.deepEqual(retentionSpecFromRemote(p), { projectId: 7, retainTags: 10, cron: "0 0 3 * * *" });
    });

    it("converts five-field cron to Harbor's six fields and builds the GC schedule", () => {
        assert.equal(harborCron("0 3 * * *"), "0 0 3 * * *");
        assert.equal(harborCron("0 2 * * 6"), "0 0 2 * * 6");
        assert.throws(() => harborCron("bad"));
        const p = gcPayload({ cron: "0 0 3 * * *", deleteUntagged: true, workers: 1 }) as any;
        assert.deepEqual(p.schedule, { type: "Custom", cron: "0 0 3 * * *" });
        assert.deepEqual(p.parameters, { delete_untagged: true, workers: 1 });
        // GET answers a GCHistory: the parameters come back as the JSON string job_parameters.
        const got = {
            schedule: { type: "Custom", cron: "0 0 3 * * *" },
            job_parameters: '{"delete_untagged":true,"time_window":2,"workers":1}',
        };
        assert.deepEqual(gcSpecFromRemote(got), { cron: "0 0 3 * * *", deleteUntagged: true, workers: 1 });
        assert.equal(gcSpecFromRemote({ schedule: { type: "None" } }), undefined);
        assert.equal(gcSpecFromRemote(undefined), undefined, "no schedule: 200 with an empty body");
    });

    it("parses ids from Location headers and tells the gateway's 404 from Harbor's", () => {
        assert.equal(idFromLocation("/api/v2.0/projects/12"), 12);
        assert.equal(idFromLocation(undefined), undefined);
        assert.equal(isTransient(503, ""), true);
        assert.equal(isTransient(404, ""), true, "no route yet");
        assert.equal(isTransient(404, '{"errors":[{"code":"NOT_FOUND"}]}'), false, "Harbor says not found");
        assert.equal(isTransient(409, ""), false);
    });

    it("sorts permissions so order never shows as a diff", () => {
        assert.deepEqual(
            normalizeAccess([
                { resource: "repository", action: "push" },
                { resource: "artifact", action: "read" },
            ]),
            [
                { resource: "artifact", action: "read" },
                { resource: "repository", action: "push" },
            ],
        );
    });
});

describe("Harbor API: diff", () => {
    const olds = { ...conn, ...staging, projectId: 3 };

    it("reports no change when the desired spec equals the state (order/case of CVEs aside)", async () => {
        const news = { ...conn, ...staging, cveAllowlist: ["CVE-2024-0001", "CVE-2024-0002"] };
        const d = await providers.project.diff!("3", olds, news);
        assert.equal(d.changes, false);
    });

    it("updates in place for settings, replaces for a new name", async () => {
        const d1 = await providers.project.diff!("3", olds, { ...conn, ...staging, severity: "critical" });
        assert.equal(d1.changes, true);
        assert.deepEqual(d1.replaces, []);
        const d2 = await providers.project.diff!("3", olds, { ...conn, ...staging, name: "other" });
        assert.deepEqual(d2.replaces, ["name"]);
    });

    it("a rotated admin password updates state without replacing", () => {
        const d = specDiff({ ...olds }, { ...olds, password: "new" }, ["name"], ["name"]);
        assert.deepEqual(d.changed, ["password"]);
        assert.deepEqual(d.replaces, []);
    });

    it("robot: new secretVersion is an update (rotation), new project a replacement", async () => {
        const robot = {
            ...conn,
            name: "pipeline",
            project: "staging",
            description: "d",
            duration: -1,
            access: [{ resource: "repository", action: "push" }],
            secretVersion: 1,
            fullName: "robot$staging+pipeline",
        };
        assert.equal((await providers.robot.diff!("9", robot, { ...robot })).changes, false);
        const rotate = await providers.robot.diff!("9", robot, { ...robot, secretVersion: 2 });
        assert.equal(rotate.changes, true);
        assert.deepEqual(rotate.replaces, []);
        assert.deepEqual((await providers.robot.diff!("9", robot, { ...robot, project: "prod" })).replaces, ["project"]);
    });
});

// ---------------------------------------------------------------------------------------------
// The providers over HTTP against the Harbor stand-in.
// ---------------------------------------------------------------------------------------------

describe("Harbor API providers against Harbor v2.15.1's answers (local stub)", () => {
    let harbor: HarborStub;
    let c: { apiUrl: string; username: string; password: string };
    const robotInputs = () => ({
        ...c,
        name: "pipeline",
        project: "staging",
        fullName: "robot$staging+pipeline",
        description: "d",
        duration: -1,
        secretVersion: 1,
        access: [
            { resource: "repository", action: "push" },
            { resource: "repository", action: "pull" },
        ],
    });
    beforeEach(async () => {
        harbor = new HarborStub({ adminPassword: "pw" });
        c = { apiUrl: await harbor.start(), username: "admin", password: "pw" };
    });
    afterEach(async () => {
        await harbor.stop();
        assert.deepEqual(harbor.violations, [], "stub answers match the swagger excerpt");
    });

    it("creates the project with its CVE allowlist (POST ignores it: a PUT applies it), a second run changes nothing", async () => {
        const inputs = { ...c, ...staging };
        const created = await providers.project.create(inputs);
        const stored = harbor.projects.get(Number(created.id))!;
        assert.deepEqual(stored.cve_allowlist.items, [{ cve_id: "CVE-2024-0001" }, { cve_id: "CVE-2024-0002" }]);
        assert.equal(stored.metadata.prevent_vul, "true");
        assert.deepEqual(
            harbor.calls.map(x => `${x.method} ${x.path} ${x.status}`),
            ["POST /api/v2.0/projects 201", `PUT /api/v2.0/projects/${created.id} 200`],
        );
        const read = await providers.project.read!(created.id, created.outs);
        const d = await providers.project.diff!(created.id, read.props, inputs);
        assert.equal(d.changes, false, "no diff after create + refresh");
    });

    it("read reconciles drift made in the UI, and update puts it back", async () => {
        const inputs = { ...c, ...staging };
        const created = await providers.project.create(inputs);
        const stored = harbor.projects.get(Number(created.id))!;
        stored.metadata.auto_scan = "false";
        stored.cve_allowlist.items = [];
        const read = await providers.project.read!(created.id, created.outs);
        assert.equal(read.props.autoScan, false);
        assert.deepEqual(read.props.cveAllowlist, []);
        assert.equal((await providers.project.diff!(created.id, read.props, inputs)).changes, true);
        await providers.project.update!(created.id, read.props, inputs);
        assert.equal(stored.metadata.auto_scan, "true");
        assert.equal(stored.cve_allowlist.items.length, 2);
    });

    it("adopts an existing project on create (409) and imposes the spec", async () => {
        const existing = harbor.addProject("staging", { public: "false", auto_scan: "false" });
        const created = await providers.project.create({ ...c, ...staging });
        assert.equal(created.id, String(existing.project_id));
        assert.equal(existing.metadata.auto_scan, "true");
        assert.equal(existing.cve_allowlist.items.length, 2);
        assert.ok(harbor.calls.some(x => x.method === "POST" && x.status === 409));
    });

    it("a vanished project reads as deleted", async () => {
        const read = await providers.project.read!("42", { ...c, ...staging });
        assert.equal(read.id, undefined);
    });

    it("creates the robot with its secret, keeps the secret on read, rotates it on a new secretVersion", async () => {
        await providers.project.create({ ...c, ...staging });
        const inputs = robotInputs();
        const created = await providers.robot.create(inputs);
        const robot = harbor.robots.get(Number(created.id))!;
        assert.equal(created.outs.secret, robot.secret);
        assert.equal(created.outs.fullName, "robot$staging+pipeline");
        const read = await providers.robot.read!(created.id, created.outs);
        assert.equal(read.props.secret, created.outs.secret);
        assert.equal((await providers.robot.diff!(created.id, read.props, inputs)).changes, false);
        const rotated = await providers.robot.update!(created.id, read.props, { ...inputs, secretVersion: 2 });
        assert.equal(rotated.outs.secret, robot.secret);
        assert.notEqual(rotated.outs.secret, created.outs.secret);
    });

    it("adopts an existing robot on create (409): finds it among the project's robots, imposes the spec, issues a new secret", async () => {
        const project = harbor.addProject("staging");
        const old = harbor.addRobot(project, "pipeline", [{ resource: "repository", action: "pull" }]);
        const created = await providers.robot.create(robotInputs());
        assert.equal(created.id, String(old.robot.id));
        assert.equal(created.outs.fullName, "robot$staging+pipeline");
        assert.equal(created.outs.secret, old.robot.secret, "the freshly issued secret");
        assert.notEqual(created.outs.secret, old.secret);
        assert.deepEqual(old.robot.permissions[0].access.map(a => `${a.resource}:${a.action}`).sort(), [
            "repository:pull",
            "repository:push",
        ]);
        const list = harbor.calls.find(x => x.method === "GET" && x.path === "/api/v2.0/robots")!;
        assert.equal(list.status, 200);
        assert.deepEqual(parseQ(new URLSearchParams(list.query).get("q")!), { Level: "project", ProjectID: String(project.project_id) });
    });

    it("adopts the existing robot under a non-default robot name prefix", async () => {
        await harbor.stop();
        harbor = new HarborStub({ adminPassword: "pw", robotPrefix: "bot_" });
        c = { ...c, apiUrl: await harbor.start() };
        const project = harbor.addProject("staging");
        const old = harbor.addRobot(project, "pipeline", [{ resource: "repository", action: "pull" }]);
        const created = await providers.robot.create(robotInputs());
        assert.equal(created.id, String(old.robot.id));
        assert.equal(created.outs.fullName, "bot_staging+pipeline", "Harbor's name, not the guessed one");
    });

    it("sets retention on the project, idempotently; a policy deleted outside Pulumi reads as gone and deletes cleanly", async () => {
        const project = await providers.project.create({ ...c, ...staging });
        const projectId = Number(project.id);
        const retention = await providers.retention.create({ ...c, projectId, retainTags: 10, cron: "0 0 3 * * *" });
        const rRead = await providers.retention.read!(retention.id, retention.outs);
        assert.equal((await providers.retention.diff!(retention.id, rRead.props, retention.outs)).changes, false);
        // A second create (state lost) reuses the project's policy rather than adding one.
        const again = await providers.retention.create({ ...c, projectId, retainTags: 5, cron: "0 0 3 * * *" });
        assert.equal(again.id, retention.id);
        assert.equal(harbor.retentions.size, 1);

        // Deleted in the UI (DELETE /retentions/{id} also drops the project's retention_id).
        const res = await fetch(`${c.apiUrl}/api/v2.0/retentions/${retention.id}`, {
            method: "DELETE",
            headers: { Authorization: `Basic ${Buffer.from("admin:pw").toString("base64")}` },
        });
        assert.equal(res.status, 200);
        harbor.calls = [];
        const gone = await providers.retention.read!(retention.id, retention.outs);
        assert.equal(gone.id, undefined, "refresh drops it from state");
        assert.deepEqual(
            harbor.calls.map(x => `${x.method} ${x.path} ${x.status}`),
            [`GET /api/v2.0/retentions/${retention.id} 500`, `GET /api/v2.0/projects/${projectId} 200`],
            "Harbor answers 500, not 404",
        );
        await providers.retention.delete!(retention.id, retention.outs);
        assert.equal(harbor.calls.at(-2)!.status, 400, "DELETE of a missing policy is a 400");
        // An update without a refresh first says what to do.
        await assert.rejects(
            providers.retention.update!(retention.id, retention.outs, { ...retention.outs, retainTags: 5 }),
            /deleted outside Pulumi: run `pulumi refresh`/,
        );
    });

    it("still fails on a 500 for a policy the project has (a real server error)", async () => {
        const project = await providers.project.create({ ...c, ...staging });
        const retention = await providers.retention.create({ ...c, projectId: Number(project.id), retainTags: 10, cron: "0 0 3 * * *" });
        // The project names the policy but Harbor cannot read it: not "gone".
        harbor.retentions.delete(Number(retention.id));
        await assert.rejects(providers.retention.read!(retention.id, retention.outs), /GET retention .* HTTP 500/);
    });

    it("sets the GC schedule, reads it back from job_parameters: a second run changes nothing; update uses PUT", async () => {
        const gc = await providers.gc.create({ ...c, cron: "0 0 3 * * *", deleteUntagged: true, workers: 1 });
        assert.ok(harbor.calls.some(x => x.method === "POST" && x.path === "/api/v2.0/system/gc/schedule" && x.status === 201));
        assert.deepEqual(harbor.gc?.extraAttrs.delete_untagged, true);
        const gRead = await providers.gc.read!(gc.id, gc.outs);
        assert.deepEqual(
            { cron: gRead.props.cron, deleteUntagged: gRead.props.deleteUntagged, workers: gRead.props.workers },
            { cron: "0 0 3 * * *", deleteUntagged: true, workers: 1 },
        );
        assert.equal((await providers.gc.diff!(gc.id, gRead.props, gc.outs)).changes, false, "no diff after create + refresh");
        await providers.gc.update!(gc.id, gRead.props, { ...gc.outs, cron: "0 0 4 * * *" });
        assert.ok(harbor.calls.some(x => x.method === "PUT" && x.path === "/api/v2.0/system/gc/schedule" && x.status === 200));
        assert.equal(harbor.gc?.cron, "0 0 4 * * *");
        await providers.gc.delete!(gc.id, gc.outs);
        assert.equal(harbor.gc, undefined);
        assert.deepEqual(await providers.gc.read!(gc.id, gc.outs), {}, "no schedule reads as gone");
    });
});
