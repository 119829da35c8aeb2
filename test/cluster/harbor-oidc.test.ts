// Harbor's Entra sign-in providers against a small stand-in for Harbor's REST API (global fetch
// stubbed): what they send to /configurations and /projects/{name}/members, that a refresh after
// create shows no change, that drift made in the UI is put back, and that the client secret is
// only ever sent, never read back.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
    groupMemberPayload,
    HARBOR_ROLES,
    harborOidcSettings,
    OIDC_GROUP_TYPE,
    oidcProviders,
    oidcSettingsFromRemote,
    stagingProjectRoles,
} from "../../components/cluster/harbor/oidc";

const conn = { apiUrl: "https://harbor.example.com", username: "admin", password: "pw" };
const ISSUER = "https://login.microsoftonline.com/72f988bf-0000-4000-8000-00000000d011/v2.0";
const GROUPS = {
    admins: "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7",
    operators: "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
    developers: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
};

type Res = { status: number; body?: any; location?: string };

/** Harbor v2.15 as far as these providers use it (shapes from api/v2.0/swagger.yaml). */
class FakeHarbor {
    config: Record<string, any> = { auth_mode: "db_auth", oidc_verify_cert: true };
    secret: string | undefined;
    members = new Map<number, { entity_name: string; entity_type: string; role_id: number; project: string }>();
    calls: string[] = [];
    private next = 1;

    handle(method: string, url: string, body: any, byName: boolean): Res {
        const u = new URL(url);
        const path = u.pathname.replace(/^\/api\/v2\.0/, "");
        this.calls.push(`${method} ${path}`);
        if (path === "/configurations") {
            if (method === "GET") {
                // Every item as {value, editable}; the client secret is never returned.
                return {
                    status: 200,
                    body: Object.fromEntries(Object.entries(this.config).map(([k, v]) => [k, { value: v, editable: true }])),
                };
            }
            if (method === "PUT") {
                const { oidc_client_secret, ...rest } = body;
                this.secret = oidc_client_secret;
                Object.assign(this.config, rest);
                return { status: 200 };
            }
        }
        const m = /^\/projects\/([^/]+)\/members(?:\/(\d+))?$/.exec(path);
        if (m) {
            assert.ok(byName, "project addressed by name needs X-Is-Resource-Name");
            const project = decodeURIComponent(m[1]);
            const id = m[2] ? Number(m[2]) : undefined;
            if (method === "POST") {
                const name = body.member_group.group_name;
                assert.equal(body.member_group.group_type, OIDC_GROUP_TYPE);
                if ([...this.members.values()].some(x => x.entity_name === name && x.project === project))
                    return { status: 409, body: { errors: [{ code: "CONFLICT" }] } };
                const mid = this.next++;
                this.members.set(mid, { entity_name: name, entity_type: "g", role_id: body.role_id, project });
                return { status: 201, location: `/api/v2.0/projects/${project}/members/${mid}` };
            }
            if (method === "GET" && id === undefined) {
                const q = u.searchParams.get("entityname") ?? "";
                return {
                    status: 200,
                    body: [...this.members.entries()]
                        .filter(([, x]) => x.project === project && x.entity_name.includes(q))
                        .map(([mid, x]) => ({ id: mid, ...x })),
                };
            }
            const member = id === undefined ? undefined : this.members.get(id);
            if (!member) return { status: 404, body: { errors: [{ code: "NOT_FOUND" }] } };
            if (method === "GET") return { status: 200, body: { id, ...member } };
            if (method === "PUT") {
                member.role_id = body.role_id;
                return { status: 200 };
            }
            if (method === "DELETE") {
                this.members.delete(id!);
                return { status: 200 };
            }
        }
        return { status: 405, body: { errors: [{ code: "METHOD_NOT_ALLOWED" }] } };
    }
}

describe("Harbor OIDC: payloads", () => {
    it("OIDC auth mode against the tenant's issuer, groups from the `groups` claim, the admins group as system admins", () => {
        const s = harborOidcSettings(ISSUER, "client-1", GROUPS.admins);
        assert.equal(s.auth_mode, "oidc_auth");
        assert.equal(s.oidc_endpoint, ISSUER);
        assert.equal(s.oidc_groups_claim, "groups");
        assert.equal(s.oidc_admin_group, GROUPS.admins);
        assert.ok(s.oidc_scope.split(",").includes("openid"));
        assert.ok(s.oidc_scope.split(",").includes("offline_access"), "refresh tokens keep CLI secrets working");
        assert.equal(s.oidc_verify_cert, true);
        assert.equal((s as any).oidc_client_secret, undefined, "the secret travels apart from the diffable settings");
    });

    it("operators are maintainers and developers guests of the staging project, as OIDC groups", () => {
        assert.deepEqual(stagingProjectRoles(GROUPS), [
            { key: "operators", group: GROUPS.operators, roleId: HARBOR_ROLES.maintainer },
            { key: "developers", group: GROUPS.developers, roleId: HARBOR_ROLES.guest },
        ]);
        assert.deepEqual(groupMemberPayload(GROUPS.operators, 4), {
            role_id: 4,
            member_group: { group_name: GROUPS.operators, group_type: 3 },
        });
    });

    it("maps GET /configurations' {value, editable} items back", () => {
        assert.deepEqual(
            oidcSettingsFromRemote({
                auth_mode: { value: "oidc_auth", editable: false },
                oidc_verify_cert: { value: true, editable: true },
                other: { value: 1 },
            }),
            { auth_mode: "oidc_auth", oidc_verify_cert: true },
        );
    });
});

describe("Harbor OIDC providers against a fake Harbor", () => {
    const realFetch = globalThis.fetch;
    let harbor: FakeHarbor;
    beforeEach(() => {
        harbor = new FakeHarbor();
        globalThis.fetch = (async (url: string, init: any) => {
            assert.equal(init.headers.Authorization, `Basic ${Buffer.from("admin:pw").toString("base64")}`);
            const res = harbor.handle(
                init.method,
                String(url),
                init.body ? JSON.parse(init.body) : undefined,
                init.headers["X-Is-Resource-Name"] === "true",
            );
            return new Response(res.body === undefined ? "" : JSON.stringify(res.body), {
                status: res.status,
                headers: res.location ? { location: res.location } : {},
            });
        }) as typeof fetch;
    });
    afterEach(() => {
        globalThis.fetch = realFetch;
    });

    const configInputs = (secret: string) => ({
        ...conn,
        settings: harborOidcSettings(ISSUER, "client-1", GROUPS.admins),
        clientSecret: secret,
    });

    it("switches Harbor to OIDC with the secret; a refresh shows no change; a UI edit is drift that update reverts", async () => {
        const p = oidcProviders.configuration;
        const created = await p.create(configInputs("s1"));
        assert.equal(harbor.config.auth_mode, "oidc_auth");
        assert.equal(harbor.config.oidc_admin_group, GROUPS.admins);
        assert.equal(harbor.secret, "s1");
        const read = await p.read!(created.id, created.outs);
        assert.equal(read.props.clientSecret, "s1", "the secret in state stands (Harbor never returns it)");
        assert.equal((await p.diff!(created.id, read.props, configInputs("s1"))).changes, false);

        harbor.config.oidc_admin_group = "someone-else";
        const drifted = await p.read!(created.id, created.outs);
        assert.equal((await p.diff!(created.id, drifted.props, configInputs("s1"))).changes, true);
        await p.update!(created.id, drifted.props, configInputs("s1"));
        assert.equal(harbor.config.oidc_admin_group, GROUPS.admins);
    });

    it("a rotated client secret is a change, and update sends the new one", async () => {
        const p = oidcProviders.configuration;
        const created = await p.create(configInputs("s1"));
        const d = await p.diff!(created.id, created.outs, configInputs("s2"));
        assert.deepEqual([d.changes, d.replaces], [true, []]);
        await p.update!(created.id, created.outs, configInputs("s2"));
        assert.equal(harbor.secret, "s2");
    });

    it("adds the group with its role, reads it back unchanged, adopts an existing membership, fixes a changed role", async () => {
        const p = oidcProviders.member;
        const inputs = { ...conn, project: "staging", groupName: GROUPS.operators, roleId: HARBOR_ROLES.maintainer };
        const created = await p.create(inputs);
        assert.deepEqual(
            [...harbor.members.values()],
            [{ entity_name: GROUPS.operators, entity_type: "g", role_id: 4, project: "staging" }],
        );
        const read = await p.read!(created.id, created.outs);
        assert.equal((await p.diff!(created.id, read.props, inputs)).changes, false);

        harbor.members.get(Number(created.id))!.role_id = HARBOR_ROLES.projectAdmin;
        const drifted = await p.read!(created.id, created.outs);
        assert.equal((await p.diff!(created.id, drifted.props, inputs)).changes, true);
        await p.update!(created.id, drifted.props, inputs);
        assert.equal(harbor.members.get(Number(created.id))!.role_id, 4);

        // State lost: create again adopts the membership instead of failing on 409.
        harbor.members.get(Number(created.id))!.role_id = HARBOR_ROLES.guest;
        const again = await p.create(inputs);
        assert.equal(again.id, created.id);
        assert.equal(harbor.members.get(Number(created.id))!.role_id, 4);
        assert.equal(harbor.members.size, 1);
    });

    it("a different group or project replaces the membership", async () => {
        const p = oidcProviders.member;
        const inputs = { ...conn, project: "staging", groupName: GROUPS.operators, roleId: 4 };
        const d = await p.diff!("1", inputs, { ...inputs, groupName: GROUPS.developers });
        assert.deepEqual(d.replaces, ["groupName"]);
    });
});

describe("Harbor OIDC providers: serializable as dynamic providers", () => {
    // `pulumi up` stores each dynamic provider as serialized source in the state and runs it
    // without this project; what it reuses from harbor-api.ts must serialize with it.
    for (const [name, provider] of Object.entries(oidcProviders)) {
        it(`${name} serializes without project-relative requires`, async () => {
            const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
            assert.ok(!/require\("\.\.?\//.test(sf.text), "no relative require");
            assert.match(sf.text, /api\/v2\.0/, "carries Harbor's request helper");
        });
    }
});
