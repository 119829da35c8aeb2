// Entra ID app registrations for the platform UIs, owned by the stack (@pulumi/azuread): one per
// UI (Argo CD in both regions, Harbor, the Tekton dashboard's oauth2-proxy), each with
//
//   - redirect URIs derived from the stack's hostnames (below, per UI, with the upstream path);
//   - the groups claim limited to groups assigned to the app (`ApplicationGroup`): the three
//     platform groups are assigned, so tokens carry exactly those object ids (no 200-group
//     overage), and `appRoleAssignmentRequired` means nobody outside them gets a token at all;
//   - no client secret where the UI can do without one: Argo CD and oauth2-proxy authenticate to
//     Entra with a federated credential (AKS workload identity: the cluster's OIDC issuer, the
//     UI's ServiceAccount), the Argo CD CLI is a public client with PKCE. Harbor's OIDC client
//     has only a client secret, so that one app has a password: a Pulumi secret, rotated by
//     bumping `sso.harborClientSecretVersion` (docs/runbooks.md).
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { AZURE_FEDERATION_AUDIENCE, ClusterKey, CLUSTER_KEYS, serviceAccountSubject } from "../../model/names";

/** The three Entra groups (object ids) that mean the same thing in AKS and every platform UI. */
export interface SsoGroups {
    admins: string;
    operators: string;
    developers: string;
}

/** A ServiceAccount that signs in to Entra with a federated token, on one cluster's issuer. */
export interface FederatedServiceAccount {
    /** Credential name suffix, unique per app (e.g. the cluster key). */
    key: string;
    issuer: pulumi.Input<string>;
    namespace: string;
    name: string;
}

export interface EntraAppsArgs {
    /** Prefix of the display names (config `namePrefix`). */
    namePrefix: string;
    groups: SsoGroups;
    argocd: {
        /** Per region (config `dns.argocdHostnames`). */
        hostnames: Record<ClusterKey, string>;
        /** argocd-server's ServiceAccount on each cluster. */
        serviceAccounts: FederatedServiceAccount[];
    };
    harbor: {
        hostname: string;
        /** Bump to rotate the client secret (config `sso.harborClientSecretVersion`). */
        clientSecretVersion: number;
    };
    tektonDashboard: {
        /** The oauth2-proxy's public hostname (config `dns.tektonHostname`). */
        hostname: string;
        /** oauth2-proxy's ServiceAccount on the primary cluster. */
        serviceAccounts: FederatedServiceAccount[];
    };
}

/** Microsoft Graph's application id (the same in every tenant). */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/**
 * Delegated Microsoft Graph permissions the UIs request (ids are fixed across tenants; Microsoft
 * Graph permissions reference, learn.microsoft.com/graph/permissions-reference): the OIDC scopes,
 * `offline_access` (Harbor's CLI secret lives on the refresh token), and `User.Read` (Argo CD's
 * Entra guide, argo-cd v3.4.4 docs/operator-manual/user-management/microsoft.md, "Setup
 * permissions"; oauth2-proxy reads group overage with it, docs/configuration/providers/ms_entra_id.md).
 */
export const GRAPH_DELEGATED_SCOPES = {
    openid: "37f7f235-527c-4136-accd-4a02d197296e",
    profile: "14dad69e-099b-42c9-810b-d002981feec1",
    email: "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    offline_access: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
} as const;

/** The "default access" app role: assigning a group to it lets its members sign in to the app. */
export const DEFAULT_ACCESS_APP_ROLE = "00000000-0000-0000-0000-000000000000";

/** Where each UI receives the authorization code (upstream paths at the pinned versions). */
export const REDIRECTS = {
    /** argo-cd v3.4.4 docs/operator-manual/user-management/microsoft.md: Web, https://<host>/auth/callback. */
    argocdWeb: (host: string) => `https://${host}/auth/callback`,
    /**
     * The CLI's loopback listener (`argocd login --sso`, default --sso-port 8085), a public client
     * doing PKCE (S256): argo-cd v3.4.4 cmd/argocd/commands/login.go (oauth2Login, RedirectURL
     * `<callback>/auth/callback`, code_challenge_method S256); microsoft.md registers it under
     * "Mobile and desktop applications".
     */
    argocdCli: "http://localhost:8085/auth/callback",
    /** goharbor/harbor v2.15.1 src/common/const.go OIDCCallbackPath. */
    harbor: (host: string) => `https://${host}/c/oidc/callback`,
    /** oauth2-proxy v7.15.3: the default --redirect-url path is <proxy-prefix>/callback, prefix /oauth2. */
    oauth2Proxy: (host: string) => `https://${host}/oauth2/callback`,
} as const;

/** The v2.0 issuer of a tenant (what the UIs discover their endpoints from). */
export function entraIssuer(tenantId: string): string {
    return `https://login.microsoftonline.com/${tenantId}/v2.0`;
}

/** One registered app as the cluster layer sees it. */
export interface SsoApp {
    clientId: pulumi.Output<string>;
    /** Service principal object id (the group assignments hang off it). */
    servicePrincipalObjectId: pulumi.Output<string>;
}

interface SsoAppArgs {
    displayName: string;
    groups: SsoGroups;
    webRedirectUris: string[];
    publicClientRedirectUris?: string[];
    scopes: (keyof typeof GRAPH_DELEGATED_SCOPES)[];
    federated: FederatedServiceAccount[];
}

/** One app registration + its service principal, group assignments and federated credentials. */
function ssoApp(parent: pulumi.Resource, name: string, a: SsoAppArgs): { app: azuread.Application; sso: SsoApp } {
    const app = new azuread.Application(
        name,
        {
            displayName: a.displayName,
            signInAudience: "AzureADMyOrg",
            // Only the groups assigned to the app (the three below), as object ids, in every token.
            groupMembershipClaims: ["ApplicationGroup"],
            web: {
                redirectUris: [...a.webRedirectUris].sort(),
                implicitGrant: { accessTokenIssuanceEnabled: false, idTokenIssuanceEnabled: false },
            },
            ...(a.publicClientRedirectUris ? { publicClient: { redirectUris: [...a.publicClientRedirectUris] } } : {}),
            requiredResourceAccesses: [
                {
                    resourceAppId: MICROSOFT_GRAPH_APP_ID,
                    resourceAccesses: a.scopes.map(s => ({ id: GRAPH_DELEGATED_SCOPES[s], type: "Scope" })),
                },
            ],
        },
        { parent },
    );
    const sp = new azuread.ServicePrincipal(
        name,
        {
            clientId: app.clientId,
            // Only the assigned groups' members can sign in (Entra refuses everyone else a token).
            appRoleAssignmentRequired: true,
        },
        { parent },
    );
    for (const [role, groupId] of Object.entries(a.groups)) {
        new azuread.AppRoleAssignment(
            `${name}-${role}`,
            {
                appRoleId: DEFAULT_ACCESS_APP_ROLE,
                principalObjectId: groupId,
                resourceObjectId: sp.objectId,
            },
            { parent },
        );
    }
    for (const f of a.federated) {
        new azuread.ApplicationFederatedIdentityCredential(
            `${name}-${f.key}`,
            {
                applicationId: app.id,
                displayName: `${f.namespace}-${f.name}-${f.key}`,
                description: `Workload identity of ${f.namespace}/${f.name} on the ${f.key} cluster`,
                audiences: [AZURE_FEDERATION_AUDIENCE],
                issuer: f.issuer,
                subject: serviceAccountSubject(f.namespace, f.name),
            },
            { parent },
        );
    }
    return { app, sso: { clientId: app.clientId, servicePrincipalObjectId: sp.objectId } };
}

export class EntraApps extends pulumi.ComponentResource {
    readonly argocd: SsoApp;
    readonly harbor: SsoApp & { /** Secret. */ clientSecret: pulumi.Output<string> };
    readonly tektonDashboard: SsoApp;

    constructor(name: string, args: EntraAppsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:azure:EntraApps", name, {}, opts);

        this.argocd = ssoApp(this, `${name}-argocd`, {
            displayName: `${args.namePrefix} Argo CD`,
            groups: args.groups,
            webRedirectUris: CLUSTER_KEYS.map(k => REDIRECTS.argocdWeb(args.argocd.hostnames[k])),
            publicClientRedirectUris: [REDIRECTS.argocdCli],
            scopes: ["openid", "profile", "email", "User.Read"],
            federated: args.argocd.serviceAccounts,
        }).sso;

        const harbor = ssoApp(this, `${name}-harbor`, {
            displayName: `${args.namePrefix} Harbor`,
            groups: args.groups,
            webRedirectUris: [REDIRECTS.harbor(args.harbor.hostname)],
            scopes: ["openid", "profile", "email", "offline_access"],
            federated: [],
        });
        // Harbor's OIDC client authenticates with a secret only. A new version replaces the
        // password (Entra issues a new value); Harbor's configuration takes it on the same `up`.
        const password = new azuread.ApplicationPassword(
            `${name}-harbor`,
            {
                applicationId: harbor.app.id,
                displayName: `harbor-oidc-v${args.harbor.clientSecretVersion}`,
                rotateWhenChanged: { version: String(args.harbor.clientSecretVersion) },
            },
            { parent: this, deleteBeforeReplace: false },
        );
        // Explicit: under mocks the SDK does not apply the resource's additionalSecretOutputs.
        this.harbor = { ...harbor.sso, clientSecret: pulumi.secret(password.value) };

        this.tektonDashboard = ssoApp(this, `${name}-tekton-dashboard`, {
            displayName: `${args.namePrefix} Tekton dashboard`,
            groups: args.groups,
            webRedirectUris: [REDIRECTS.oauth2Proxy(args.tektonDashboard.hostname)],
            scopes: ["openid", "profile", "email", "User.Read"],
            federated: args.tektonDashboard.serviceAccounts,
        }).sso;

        this.registerOutputs({
            argocdClientId: this.argocd.clientId,
            harborClientId: this.harbor.clientId,
            tektonDashboardClientId: this.tektonDashboard.clientId,
        });
    }
}
