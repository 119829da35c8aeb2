// Argo CD sign-in: its own OIDC client against Entra ID (no Dex), RBAC from the three platform
// groups, the local `admin` account disabled. The chart values here are merged into the ones of
// argocd.ts (keys checked against argo-cd chart 10.1.1 values.yaml; vendored in
// test/vendor/charts).
//
// - The server authenticates to Entra with AKS workload identity instead of a client secret:
//   `oidc.config` `azure.useWorkloadIdentity` (argo-cd v3.4.4 util/settings/settings.go
//   AzureOIDCConfig; util/oidc/oidc.go reads AZURE_FEDERATED_TOKEN_FILE), the argocd-server pods
//   labelled `azure.workload.identity/use` and its ServiceAccount annotated with the client id
//   (docs/operator-manual/user-management/microsoft.md, "Using Workload Identity Federation").
// - The CLI (`argocd login <host> --sso --grpc-web`) is a public client doing PKCE against the
//   same app's "Mobile and desktop" redirect http://localhost:8085/auth/callback
//   (cmd/argocd/commands/login.go): no secret on any workstation.
// - RBAC (argocd-rbac-cm): admins → role:admin, operators → role:operator (read-only plus sync,
//   resource actions and deleting resources inside an application), developers → role:readonly;
//   no default role, so a signed-in user in none of the groups sees nothing. The roles build on
//   the built-in policy (argo-cd v3.4.4 assets/builtin-policy.csv).
// - `admin.enabled: false`: no shared password. Break-glass is AKS (Entra admins group, Azure
//   RBAC Cluster Admin): `kubectl` on the Argo CD resources, or re-enabling the local admin for the
//   duration of an incident (docs/runbooks.md).
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION, WORKLOAD_IDENTITY_POD_LABEL } from "../../../model/names";

/** The three Entra groups (object ids). */
export interface ArgoCdSsoGroups {
    admins: string;
    operators: string;
    developers: string;
}

export interface ArgoCdSso {
    /** Entra v2.0 issuer, https://login.microsoftonline.com/<tenant>/v2.0. */
    issuer: pulumi.Input<string>;
    /** The Argo CD app registration's client id (also the workload identity client id). */
    clientId: pulumi.Input<string>;
    groups: ArgoCdSsoGroups;
}

/** Roles the groups map to: two built-in, one defined here. */
export const ARGOCD_ROLES = { admins: "role:admin", operators: "role:operator", developers: "role:readonly" } as const;

/**
 * What operators may do beyond read-only, on applications of every project: sync (not
 * `override`: what runs is what is in git), run resource actions (restart …), and delete
 * resources inside an application (a stuck pod); never create/update/delete applications —
 * those come from the manifests repo.
 */
export const OPERATOR_APPLICATION_ACTIONS = ["sync", "action/*", "delete/*"] as const;

/** argocd-rbac-cm `policy.csv`. Group subjects are quoted: Argo CD's examples quote Entra ids. */
export function argoCdRbacPolicy(groups: ArgoCdSsoGroups): string {
    return [
        ...OPERATOR_APPLICATION_ACTIONS.map(a => `p, ${ARGOCD_ROLES.operators}, applications, ${a}, */*, allow`),
        `g, ${ARGOCD_ROLES.operators}, role:readonly`,
        `g, "${groups.admins}", ${ARGOCD_ROLES.admins}`,
        `g, "${groups.operators}", ${ARGOCD_ROLES.operators}`,
        `g, "${groups.developers}", ${ARGOCD_ROLES.developers}`,
        "",
    ].join("\n");
}

/** argocd-cm `oidc.config` (microsoft.md, "Configure Argo to use the new Entra ID App registration"). */
export function argoCdOidcConfig(issuer: string, clientId: string): string {
    return YAML.stringify({
        name: "Entra ID",
        issuer,
        clientID: clientId,
        // Client assertion from the projected ServiceAccount token: no client secret anywhere.
        azure: { useWorkloadIdentity: true },
        // The app emits only groups assigned to it (the three platform groups), as object ids.
        requestedIDTokenClaims: { groups: { essential: true, value: "ApplicationGroup" } },
        requestedScopes: ["openid", "profile", "email"],
    });
}

/** The chart values for SSO (merged over argoCdValues()). */
export function argoCdSsoValues(sso: ArgoCdSso): Record<string, unknown> {
    return {
        configs: {
            cm: {
                "admin.enabled": false,
                "oidc.config": pulumi.all([sso.issuer, sso.clientId]).apply(([issuer, clientId]) => argoCdOidcConfig(issuer, clientId)),
            },
            rbac: {
                // Nobody gets anything by default; the groups are the only way in.
                "policy.default": "",
                "policy.csv": argoCdRbacPolicy(sso.groups),
                // Groups come from the ID token's `groups` claim (object ids).
                scopes: "[groups]",
                "policy.matchMode": "glob",
            },
        },
        server: {
            podLabels: { ...WORKLOAD_IDENTITY_POD_LABEL },
            serviceAccount: { annotations: { [WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: sso.clientId } },
        },
    };
}

/** Deep merge of chart values (objects merge, everything else from `over`); Outputs are leaves. */
export function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
    const isPlain = (v: unknown): v is Record<string, unknown> =>
        !!v && typeof v === "object" && !Array.isArray(v) && !pulumi.Output.isInstance(v);
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
        out[k] = isPlain(out[k]) && isPlain(v) ? mergeValues(out[k] as Record<string, unknown>, v) : v;
    }
    return out;
}
