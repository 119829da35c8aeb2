// The Harbor API providers' pure logic (payloads, mapping back, diff) and their create/read/
// update/diff cycle against a small in-memory stand-in for Harbor's REST API (global fetch
// stubbed): no network.
import { strict as assert } from "assert";
import {
    blockSettings, canonical, gcPayload, gcSpecFromRemote, harborCron, idFromLocation, isTransient,
    normalizeAccess, projectPayload, projectSpecFromRemote, providers, retentionPayload,
    retentionSpecFromRemote, robotCreatePayload, robotFullName, robotSpecFromRemote, specDiff, ProjectSpec,
} from "../../components/cluster/harbor-api";

const conn = { apiUrl: "https://harbor.example.com", username: "admin", password: "pw" };
const staging: ProjectSpec = {
    name: "staging", public: false, autoScan: true, preventVul: true, severity: "high",
    reuseSysCveAllowlist: false, cveAllowlist: ["CVE-2024-0002", "cve-2024-0001", "CVE-2024-0002"],
};

describe("Harbor API: payloads", () => {
    it("maps the project spec to Harbor's string-typed metadata and the CVE allowlist", () => {
        const p = projectPayload(staging) as any;
        assert.equal(p.project_name, "staging");
        assert.deepEqual(p.metadata, {
            public: "false", auto_scan: "true", prevent_vul: "true", severity: "high", reuse_sys_cve_allowlist: "false",
        });
        assert.deepEqual(p.cve_allowlist.items, [{ cve_id: "CVE-2024-0001" }, { cve_id: "CVE-2024-0002" }]);
        assert.equal(p.cve_allowlist.expires_at, undefined, "reviewed entries do not expire");
    });

    it("turns blocking off for severity none", () => {
        assert.deepEqual(blockSettings("none"), { preventVul: false, severity: "none" });
        assert.deepEqual(blockSettings("critical"), { preventVul: true, severity: "critical" });
    });

    it("reads a project back into the same shape (round trip)", () => {
        const remote = {
            project_id: 3, name: "staging",
            metadata: projectPayload(staging).metadata,
            cve_allowlist: { id: 1, project_id: 3, items: [{ cve_id: "CVE-2024-0002" }, { cve_id: "CVE-2024-0001" }] },
        };
        const back = projectSpecFromRemote(remote);
        assert.equal(canonical(back), canonical({ ...staging, cveAllowlist: ["CVE-2024-0001", "CVE-2024-0002"] }));
    });

    it("creates a project-level robot with permissions in that one project only", () => {
        const p = robotCreatePayload({
            name: "pipeline", project: "staging", description: "d", duration: -1,
            access: [{ resource: "repository", action: "push" }, { resource: "repository", action: "pull" }, { resource: "repository", action: "push" }],
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

    it("maps a robot back, flagging permissions outside one project", () => {
        const one = robotSpecFromRemote({
            id: 9, name: "robot$staging+pipeline", level: "project", duration: -1, description: "d",
            permissions: [{ kind: "project", namespace: "staging", access: [{ resource: "repository", action: "push" }] }],
        });
        assert.equal(one.name, "pipeline");
        assert.equal(one.project, "staging");
        const two = robotSpecFromRemote({
            name: "robot$staging+pipeline",
            permissions: [{ kind: "project", namespace: "staging", access: [] }, { kind: "project", namespace: "other", access: [] }],
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
        assert.deepEqual(gcSpecFromRemote(p), { cron: "0 0 3 * * *", deleteUntagged: true, workers: 1 });
        assert.equal(gcSpecFromRemote({ schedule: { type: "None" } }), undefined);
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
        assert.deepEqual(normalizeAccess([{ resource: "repository", action: "push" }, { resource: "artifact", action: "read" }]),
            [{ resource: "artifact", action: "read" }, { resource: "repository", action: "push" }]);
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
        const robot = { ...conn, name: "pipeline", project: "staging", description: "d", duration: -1, access: [{ resource: "repository", action: "push" }], secretVersion: 1, fullName: "robot$staging+pipeline" };
        assert.equal((await providers.robot.diff!("9", robot, { ...robot })).changes, false);
        const rotate = await providers.robot.diff!("9", robot, { ...robot, secretVersion: 2 });
        assert.equal(rotate.changes, true);
        assert.deepEqual(rotate.replaces, []);
        assert.deepEqual((await providers.robot.diff!("9", robot, { ...robot, project: "prod" })).replaces, ["project"]);
    });
});

// ---------------------------------------------------------------------------------------------
// A minimal in-memory Harbor: enough of /projects, /robots, /retentions and /system/gc/schedule.
// ---------------------------------------------------------------------------------------------

class FakeHarbor {
    projects = new Map<number, any>();
    robots = new Map<number, any>();
    retentions = new Map<number, any>();
    gc: any = { schedule: { type: "None" } };
    calls: string[] = [];
    private seq = 1;

    handle(method: string, url: string, body: any): { status: number; body?: any; location?: string } {
        const path = url.replace(/^https:\/\/harbor\.example\.com\/api\/v2\.0/, "").split("?")[0];
        this.calls.push(`${method} ${path}`);
        const notFound = { status: 404, body: { errors: [{ code: "NOT_FOUND" }] } };
        let m: RegExpExecArray | null;
        if (method === "POST" && path === "/projects") {
            if ([...this.projects.values()].some(p => p.name === body.project_name)) return { status: 409, body: { errors: [{ code: "CONFLICT" }] } };
            const id = this.seq++;
            this.projects.set(id, { project_id: id, name: body.project_name, metadata: { ...body.metadata }, cve_allowlist: { items: body.cve_allowlist.items } });
            return { status: 201, location: `/api/v2.0/projects/${id}` };
        }
        if ((m = /^\/projects\/([^/]+)$/.exec(path))) {
            const key = decodeURIComponent(m[1]);
            const p = /^\d+$/.test(key) ? this.projects.get(Number(key)) : [...this.projects.values()].find(x => x.name === key);
            if (!p) return notFound;
            if (method === "GET") return { status: 200, body: structuredClone(p) };
            if (method === "PUT") { p.metadata = { ...p.metadata, ...body.metadata }; p.cve_allowlist = { items: body.cve_allowlist.items }; return { status: 200 }; }
            if (method === "DELETE") { this.projects.delete(p.project_id); return { status: 200 }; }
        }
        if (method === "POST" && path === "/robots") {
            const id = this.seq++;
            const name = `robot$${body.permissions[0].namespace}+${body.name}`;
            this.robots.set(id, { id, name, description: body.description, level: body.level, duration: body.duration, permissions: body.permissions, secret: `s-${id}-1` });
            return { status: 201, body: { id, name, secret: `s-${id}-1` } };
        }
        if ((m = /^\/robots\/(\d+)$/.exec(path))) {
            const r = this.robots.get(Number(m[1]));
            if (!r) return notFound;
            if (method === "GET") { const { secret: _s, ...rest } = r; return { status: 200, body: structuredClone(rest) }; }
            if (method === "PUT") { Object.assign(r, { description: body.description, permissions: body.permissions }); return { status: 200 }; }
            if (method === "PATCH") { r.secret = `s-${r.id}-${Number(r.secret.split("-")[2]) + 1}`; return { status: 200, body: { secret: r.secret } }; }
            if (method === "DELETE") { this.robots.delete(r.id); return { status: 200 }; }
        }
        if (method === "POST" && path === "/retentions") {
            const id = this.seq++;
            this.retentions.set(id, structuredClone(body));
            this.projects.get(body.scope.ref)!.metadata.retention_id = String(id);
            return { status: 201, location: `/api/v2.0/retentions/${id}` };
        }
        if ((m = /^\/retentions\/(\d+)$/.exec(path))) {
            const id = Number(m[1]);
            if (!this.retentions.has(id)) return notFound;
            if (method === "GET") return { status: 200, body: structuredClone(this.retentions.get(id)) };
            if (method === "PUT") { this.retentions.set(id, structuredClone(body)); return { status: 200 }; }
        }
        if (path === "/system/gc/schedule") {
            if (method === "GET") return { status: 200, body: structuredClone(this.gc) };
            if (method === "POST" || method === "PUT") { this.gc = structuredClone(body); return { status: method === "POST" ? 201 : 200 }; }
        }
        return { status: 405, body: { errors: [{ code: "METHOD_NOT_ALLOWED" }] } };
    }
}

describe("Harbor API providers against a fake Harbor", () => {
    const realFetch = globalThis.fetch;
    let harbor: FakeHarbor;
    beforeEach(() => {
        harbor = new FakeHarbor();
        globalThis.fetch = (async (url: string, init: any) => {
            assert.equal(init.headers.Authorization, `Basic ${Buffer.from("admin:pw").toString("base64")}`);
            const res = harbor.handle(init.method, String(url), init.body ? JSON.parse(init.body) : undefined);
            return new Response(res.body === undefined ? "" : JSON.stringify(res.body), {
                status: res.status,
                headers: res.location ? { location: res.location } : {},
            });
        }) as typeof fetch;
    });
    afterEach(() => { globalThis.fetch = realFetch; });

    it("creates the project, reads it back equal to the desired state: a second run changes nothing", async () => {
        const inputs = { ...conn, ...staging };
        const created = await providers.project.create(inputs);
        assert.equal(created.id, "1");
        const read = await providers.project.read!(created.id, created.outs);
        const d = await providers.project.diff!(created.id, read.props, inputs);
        assert.equal(d.changes, false, "no diff after create + refresh");
        assert.equal(harbor.projects.get(1).metadata.prevent_vul, "true");
    });

    it("read reconciles drift made in the UI, and update puts it back", async () => {
        const inputs = { ...conn, ...staging };
        const created = await providers.project.create(inputs);
        harbor.projects.get(1).metadata.auto_scan = "false";
        const read = await providers.project.read!(created.id, created.outs);
        assert.equal(read.props.autoScan, false);
        const d = await providers.project.diff!(created.id, read.props, inputs);
        assert.equal(d.changes, true);
        await providers.project.update!(created.id, read.props, inputs);
        assert.equal(harbor.projects.get(1).metadata.auto_scan, "true");
    });

    it("adopts an existing project on create instead of failing", async () => {
        harbor.handle("POST", "/projects", projectPayload({ ...staging, autoScan: false }));
        harbor.calls = [];
        const created = await providers.project.create({ ...conn, ...staging });
        assert.equal(created.id, "1");
        assert.equal(harbor.projects.get(1).metadata.auto_scan, "true");
        assert.ok(harbor.calls.includes("PUT /projects/1"));
    });

    it("a vanished project reads as deleted", async () => {
        const read = await providers.project.read!("42", { ...conn, ...staging });
        assert.equal(read.id, undefined);
    });

    it("creates the robot with its secret, keeps the secret on read, rotates it on a new secretVersion", async () => {
        const inputs = {
            ...conn, name: "pipeline", project: "staging", fullName: "robot$staging+pipeline", description: "d",
            duration: -1, secretVersion: 1, access: [{ resource: "repository", action: "push" }, { resource: "repository", action: "pull" }],
        };
        const created = await providers.robot.create(inputs);
        assert.equal(created.outs.secret, `s-${created.id}-1`);
        assert.equal(created.outs.fullName, "robot$staging+pipeline");
        const read = await providers.robot.read!(created.id, created.outs);
        assert.equal(read.props.secret, created.outs.secret);
        assert.equal((await providers.robot.diff!(created.id, read.props, inputs)).changes, false);
        const rotated = await providers.robot.update!(created.id, read.props, { ...inputs, secretVersion: 2 });
        assert.equal(rotated.outs.secret, `s-${created.id}-2`);
    });

    it("sets retention on the project and the GC schedule, idempotently", async () => {
        const project = await providers.project.create({ ...conn, ...staging });
        const retention = await providers.retention.create({ ...conn, projectId: Number(project.id), retainTags: 10, cron: "0 0 3 * * *" });
        const rRead = await providers.retention.read!(retention.id, retention.outs);
        assert.equal((await providers.retention.diff!(retention.id, rRead.props, retention.outs)).changes, false);
        // A second create (state lost) reuses the project's policy rather than adding one.
        const again = await providers.retention.create({ ...conn, projectId: Number(project.id), retainTags: 5, cron: "0 0 3 * * *" });
        assert.equal(again.id, retention.id);
        assert.equal(harbor.retentions.size, 1);

        const gc = await providers.gc.create({ ...conn, cron: "0 0 3 * * *", deleteUntagged: true, workers: 1 });
        assert.ok(harbor.calls.includes("POST /system/gc/schedule"));
        const gRead = await providers.gc.read!(gc.id, gc.outs);
        assert.equal((await providers.gc.diff!(gc.id, gRead.props, gc.outs)).changes, false);
        await providers.gc.update!(gc.id, gRead.props, { ...gc.outs, cron: "0 0 4 * * *" });
        assert.ok(harbor.calls.includes("PUT /system/gc/schedule"), "an existing schedule is updated with PUT");
        assert.equal(harbor.gc.schedule.cron, "0 0 4 * * *");
    });
});
