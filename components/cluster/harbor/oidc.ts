// Harbor sign-in with Entra ID: OIDC authentication mode and group → role mapping, through the
// same Harbor v2.0 REST API and dynamic-provider pattern as the rest of Harbor's settings
// (harbor-api.ts, whose request helper and diff these providers reuse).
//
//   admins      Harbor system admins        `oidc_admin_group` (the group's object id)
//   operators   maintainers of `staging`    project member, OIDC group (group_type 3), role 4
//   developers  guests of `staging`         project member, OIDC group, role 3
//
// Entra puts the groups assigned to the app into the `groups` claim as object ids, so Harbor's
// OIDC group names are those ids. Users are onboarded on first sign-in with their
// `preferred_username`. The generated admin password stays, for these providers only
// (break-glass: docs/runbooks.md): Harbor authenticates its superuser against its database in
// every auth mode (goharbor/harbor v2.15.1 src/core/auth/authenticator.go Login), so basic auth
// as `admin` keeps working after the switch to OIDC.
//
// Harbor refuses to change `auth_mode` once users other than admin exist
// (goharbor/harbor v2.15.1 src/controller/config/controller.go validateCfg), which is why the
// configuration is applied right after the install and why `delete` leaves it in place.
// Field names: goharbor/harbor v2.15.1 api/v2.0/swagger.yaml (Configurations, ProjectMember);
// constants: src/common/const.go (OIDCAuth, OIDCGroupType = 3, RoleGuest = 3, RoleMaintainer = 4).
import * as pulumi from "@pulumi/pulumi";
import { canonical, HarborConnection, HarborConnectionArgs, harborRequest, HarborResponse, specDiff } from "./api";

/** Harbor project roles (src/common/const.go). */
export const HARBOR_ROLES = { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 } as const;
/** Harbor user-group types (src/common/const.go): OIDC groups are 3. */
export const OIDC_GROUP_TYPE = 3;

/** The OIDC settings Harbor gets (PUT /configurations); the client secret is kept apart. */
export interface HarborOidcSettings {
    auth_mode: "oidc_auth";
    oidc_name: string;
    oidc_endpoint: string;
    oidc_client_id: string;
    oidc_scope: string;
    oidc_groups_claim: string;
    oidc_admin_group: string;
    oidc_user_claim: string;
    oidc_verify_cert: boolean;
    oidc_auto_onboard: boolean;
}

export const OIDC_SETTING_KEYS: readonly (keyof HarborOidcSettings)[] = [
    "auth_mode",
    "oidc_name",
    "oidc_endpoint",
    "oidc_client_id",
    "oidc_scope",
    "oidc_groups_claim",
    "oidc_admin_group",
    "oidc_user_claim",
    "oidc_verify_cert",
    "oidc_auto_onboard",
];

/** Harbor's OIDC settings for Entra ID. */
export function harborOidcSettings(issuer: string, clientId: string, adminGroup: string): HarborOidcSettings {
    return {
        auth_mode: "oidc_auth",
        oidc_name: "Entra ID",
        oidc_endpoint: issuer,
        oidc_client_id: clientId,
        // offline_access: Harbor keeps the refresh token, which is what keeps a user's CLI secret valid.
        oidc_scope: "openid,profile,email,offline_access",
        oidc_groups_claim: "groups",
        oidc_admin_group: adminGroup,
        oidc_user_claim: "preferred_username",
        oidc_verify_cert: true,
        oidc_auto_onboard: true,
    };
}

/** GET /configurations answers `{key: {value, editable}}`; map the keys we manage back to values. */
export function oidcSettingsFromRemote(remote: any): Partial<HarborOidcSettings> {
    const out: Record<string, unknown> = {};
    for (const k of OIDC_SETTING_KEYS) {
        if (remote?.[k] !== undefined) out[k] = remote[k]?.value;
    }
    return out as Partial<HarborOidcSettings>;
}

/** The ProjectMember body for POST /projects/{name}/members: an OIDC group with a role. */
export function groupMemberPayload(groupName: string, roleId: number): Record<string, unknown> {
    return { role_id: roleId, member_group: { group_name: groupName, group_type: OIDC_GROUP_TYPE } };
}

function failed(what: string, res: HarborResponse): never {
    const detail = typeof res.body === "string" ? res.body : JSON.stringify(res.body ?? {});
    throw new Error(`Harbor API: ${what} failed with HTTP ${res.status}: ${detail.slice(0, 500)}`);
}

function connectionOf(props: any): HarborConnection {
    return { apiUrl: props.apiUrl, username: props.username, password: props.password };
}

function settingsOf(props: any): HarborOidcSettings {
    return Object.fromEntries(OIDC_SETTING_KEYS.map(k => [k, props.settings?.[k]])) as unknown as HarborOidcSettings;
}

async function putConfiguration(props: any): Promise<void> {
    const body = { ...settingsOf(props), oidc_client_secret: props.clientSecret };
    const res = await harborRequest(connectionOf(props), "PUT", "/configurations", body);
    if (res.status !== 200) failed("PUT configurations (OIDC)", res);
}

const CONFIG_ID = "oidc-configuration";

const configurationProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds, news) {
        const d = specDiff(
            { ...olds, settings: settingsOf(olds) },
            { ...news, settings: settingsOf(news) },
            ["settings", "clientSecret"],
            [],
        );
        return { changes: d.changes, replaces: d.replaces };
    },
    async create(inputs) {
        await putConfiguration(inputs);
        return { id: CONFIG_ID, outs: { ...inputs, settings: settingsOf(inputs) } };
    },
    async read(id, props) {
        const res = await harborRequest(connectionOf(props), "GET", "/configurations");
        if (res.status !== 200) failed("GET configurations", res);
        // Harbor never returns the client secret: the one in state stands.
        const settings = { ...settingsOf(props), ...oidcSettingsFromRemote(res.body) };
        return { id, props: { ...props, settings }, inputs: { ...props, settings } };
    },
    async update(_id, _olds, news) {
        await putConfiguration(news);
        return { outs: { ...news, settings: settingsOf(news) } };
    },
    async delete() {
        // Left as is: Harbor will not return to database auth once OIDC users exist.
    },
};

const byName = { headers: { "X-Is-Resource-Name": "true" } };

async function findGroupMember(conn: HarborConnection, project: string, groupName: string): Promise<any | undefined> {
    const res = await harborRequest(
        conn,
        "GET",
        `/projects/${encodeURIComponent(project)}/members?entityname=${encodeURIComponent(groupName)}`,
        undefined,
        byName,
    );
    if (res.status !== 200) failed(`GET members of ${project}`, res);
    return ((res.body as any[]) ?? []).find(m => m?.entity_type === "g" && m?.entity_name === groupName);
}

async function putRole(conn: HarborConnection, project: string, id: string | number, roleId: number): Promise<void> {
    const res = await harborRequest(conn, "PUT", `/projects/${encodeURIComponent(project)}/members/${id}`, { role_id: roleId }, byName);
    if (res.status !== 200) failed(`PUT member ${id} of ${project}`, res);
}

const MEMBER_KEYS = ["project", "groupName", "roleId"];

const memberProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds, news) {
        const d = specDiff(olds, news, MEMBER_KEYS, ["project", "groupName"]);
        return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: true };
    },
    async create(inputs) {
        const conn = connectionOf(inputs);
        const path = `/projects/${encodeURIComponent(inputs.project)}/members`;
        const res = await harborRequest(conn, "POST", path, groupMemberPayload(inputs.groupName, inputs.roleId), byName);
        if (res.status === 201) {
            const id = /\/(\d+)\/?$/.exec(res.location ?? "")?.[1] ?? (await findGroupMember(conn, inputs.project, inputs.groupName))?.id;
            if (!id) throw new Error(`Harbor API: member ${inputs.groupName} of ${inputs.project} created but its id is unknown`);
            return { id: String(id), outs: { ...inputs } };
        }
        if (res.status !== 409) failed(`POST member ${inputs.groupName} of ${inputs.project}`, res);
        // Already a member (added by hand): adopt it and impose the role.
        const existing = await findGroupMember(conn, inputs.project, inputs.groupName);
        if (!existing) failed(`POST member ${inputs.groupName} (conflict, but not found)`, res);
        await putRole(conn, inputs.project, existing.id, inputs.roleId);
        return { id: String(existing.id), outs: { ...inputs } };
    },
    async read(id, props) {
        const res = await harborRequest(
            connectionOf(props),
            "GET",
            `/projects/${encodeURIComponent(props.project)}/members/${id}`,
            undefined,
            byName,
        );
        if (res.status === 404) return {};
        if (res.status !== 200) failed(`GET member ${id}`, res);
        const remote = { ...props, groupName: String(res.body?.entity_name ?? ""), roleId: Number(res.body?.role_id ?? 0) };
        return { id, props: remote, inputs: remote };
    },
    async update(id, olds, news) {
        if (canonical(olds.roleId) !== canonical(news.roleId)) await putRole(connectionOf(news), news.project, id, news.roleId);
        return { outs: { ...news } };
    },
    async delete(id, props) {
        const res = await harborRequest(
            connectionOf(props),
            "DELETE",
            `/projects/${encodeURIComponent(props.project)}/members/${id}`,
            undefined,
            byName,
        );
        if (res.status !== 200 && res.status !== 404) failed(`DELETE member ${id}`, res);
    },
};

export interface HarborOidcConfigurationArgs extends HarborConnectionArgs {
    settings: pulumi.Input<HarborOidcSettings>;
    /** The app registration's client secret: a Pulumi secret. */
    clientSecret: pulumi.Input<string>;
}

/** Harbor's authentication settings (`/api/v2.0/configurations`): OIDC against Entra ID. */
export class HarborOidcConfiguration extends pulumi.dynamic.Resource {
    constructor(name: string, args: HarborOidcConfigurationArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            configurationProvider,
            name,
            { ...args, clientSecret: pulumi.secret(args.clientSecret) },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["clientSecret", "password"] }),
        );
    }
}

export interface HarborGroupMemberArgs extends HarborConnectionArgs {
    /** Project name. */
    project: pulumi.Input<string>;
    /** OIDC group name as the token carries it (an Entra group object id). */
    groupName: pulumi.Input<string>;
    roleId: pulumi.Input<number>;
}

/** An OIDC group's role in one project. */
export class HarborGroupMember extends pulumi.dynamic.Resource {
    constructor(name: string, args: HarborGroupMemberArgs, opts?: pulumi.CustomResourceOptions) {
        super(memberProvider, name, { ...args }, opts);
    }
}

export interface HarborSsoArgs {
    /** Harbor's URL and admin credentials (the same connection as the Harbor component's own settings). */
    connection: HarborConnectionArgs;
    /** Entra v2.0 issuer. */
    issuer: pulumi.Input<string>;
    clientId: pulumi.Input<string>;
    /** Secret. */
    clientSecret: pulumi.Output<string>;
    groups: { admins: string; operators: string; developers: string };
    /** The quarantine project (its Output orders the members after the project). */
    stagingProject: pulumi.Input<string>;
    /** Harbor reachable through its hostname (chart, route, certificate, DNS). */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The group roles in the staging project. */
export function stagingProjectRoles(groups: HarborSsoArgs["groups"]): { key: string; group: string; roleId: number }[] {
    return [
        { key: "operators", group: groups.operators, roleId: HARBOR_ROLES.maintainer },
        { key: "developers", group: groups.developers, roleId: HARBOR_ROLES.guest },
    ];
}

/** Harbor's Entra sign-in: the OIDC configuration and the staging project's group members. */
export class HarborSso extends pulumi.ComponentResource {
    constructor(name: string, args: HarborSsoArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:HarborSso", name, {}, opts);
        const apiOpts = { parent: this, dependsOn: args.dependsOn };
        const config = new HarborOidcConfiguration(
            `${name}-oidc`,
            {
                ...args.connection,
                settings: pulumi
                    .all([args.issuer, args.clientId])
                    .apply(([issuer, clientId]) => harborOidcSettings(issuer, clientId, args.groups.admins)),
                clientSecret: args.clientSecret,
            },
            apiOpts,
        );
        for (const m of stagingProjectRoles(args.groups)) {
            new HarborGroupMember(
                `${name}-staging-${m.key}`,
                {
                    ...args.connection,
                    project: args.stagingProject,
                    groupName: m.group,
                    roleId: m.roleId,
                },
                { parent: this, dependsOn: [...args.dependsOn, config] },
            );
        }
        this.registerOutputs({});
    }
}

/** The providers, for unit tests (against a stubbed fetch). */
export const oidcProviders = { configuration: configurationProvider, member: memberProvider } as const;
