// The Entra app registrations the stack owns: one per UI, redirect URIs from the stack's
// hostnames, only the three groups assigned (and required), federated to the right
// ServiceAccounts on the right clusters' issuers, and a client secret only for Harbor, kept secret.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { byType, planDocument, RecordedResource, ROOT, stackRun, StackRun, azureLayerRun } from "../harness";
import { issuerOf } from "./helpers";
import { uuidFrom } from "../../tools/mock-outputs";
import { DEFAULT_ACCESS_APP_ROLE, GRAPH_DELEGATED_SCOPES, MICROSOFT_GRAPH_APP_ID } from "../../components/azure/entra-apps";

type Any = Record<string, any>;
const T = {
    app: "azuread:index/application:Application",
    sp: "azuread:index/servicePrincipal:ServicePrincipal",
    assignment: "azuread:index/appRoleAssignment:AppRoleAssignment",
    fic: "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    password: "azuread:index/applicationPassword:ApplicationPassword",
};

function stackConfig(stack: string): Any {
    return YAML.parse(fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8")).config;
}

function one(run: StackRun, type: string, name: string): RecordedResource {
    const found = byType(run, type).filter(r => r.name === name);
    assert.equal(found.length, 1, `one ${type} ${name}`);
    return found[0];
}

const clientIdOf = (run: StackRun, app: string) => uuidFrom(one(run, T.app, app).urn, "client");

describe("Entra app registrations", () => {
    for (const stack of ["dev", "prod"] as const) {
        describe(stack, () => {
            let run: StackRun;
            const cfg = stackConfig(stack);
            const dns = cfg["platform:dns"];
            const k8s = cfg["platform:kubernetes"];
            const groups = [k8s.adminGroupObjectIds[0], k8s.operatorsGroupObjectId, k8s.developersGroupObjectId].sort();
            before(async () => {
                run = await stackRun(stack);
            });

            it("one app per UI, single-tenant, emitting only assigned groups, with redirect URIs from the stack's hostnames", () => {
                assert.deepEqual(
                    byType(run, T.app)
                        .map(a => a.name)
                        .sort(),
                    ["sso-argocd", "sso-harbor", "sso-tekton-dashboard"],
                );
                const expectRedirects: Record<string, { web: string[]; publicClient?: string[] }> = {
                    "sso-argocd": {
                        web: [
                            `https://${dns.argocdHostnames.primary}/auth/callback`,
                            `https://${dns.argocdHostnames.secondary}/auth/callback`,
                        ].sort(),
                        publicClient: ["http://localhost:8085/auth/callback"],
                    },
                    "sso-harbor": { web: [`https://${dns.harborHostname}/c/oidc/callback`] },
                    "sso-tekton-dashboard": { web: [`https://${dns.tektonHostname}/oauth2/callback`] },
                };
                for (const a of byType(run, T.app)) {
                    const i = a.rawInputs as Any;
                    assert.equal(i.signInAudience, "AzureADMyOrg");
                    assert.deepEqual(i.groupMembershipClaims, ["ApplicationGroup"]);
                    assert.deepEqual(i.web.redirectUris, expectRedirects[a.name].web, a.name);
                    assert.deepEqual(i.publicClient?.redirectUris, expectRedirects[a.name].publicClient, a.name);
                    assert.equal(i.web.implicitGrant.accessTokenIssuanceEnabled, false);
                    assert.equal(i.web.implicitGrant.idTokenIssuanceEnabled, false);
                    const graph = (i.requiredResourceAccesses as Any[]).find(r => r.resourceAppId === MICROSOFT_GRAPH_APP_ID)!;
                    assert.ok(
                        graph.resourceAccesses.every((x: Any) => x.type === "Scope"),
                        "delegated permissions only",
                    );
                    assert.ok(graph.resourceAccesses.some((x: Any) => x.id === GRAPH_DELEGATED_SCOPES.openid));
                }
            });

            it("only members of the three groups can get a token for any of them", () => {
                const sps = byType(run, T.sp);
                assert.equal(sps.length, 3);
                for (const sp of sps) {
                    const app = one(run, T.app, sp.name);
                    assert.equal(sp.rawInputs.appRoleAssignmentRequired, true);
                    assert.equal(sp.rawInputs.clientId, clientIdOf(run, app.name));
                    const assigned = byType(run, T.assignment).filter(a => a.propertyDependencies.resourceObjectId?.includes(sp.urn));
                    assert.deepEqual(assigned.map(a => a.rawInputs.principalObjectId).sort(), groups, sp.name);
                    for (const a of assigned) {
                        assert.equal(a.rawInputs.appRoleId, DEFAULT_ACCESS_APP_ROLE);
                        assert.equal(a.rawInputs.resourceObjectId, uuidFrom(sp.urn, "object"));
                    }
                }
                assert.equal(byType(run, T.assignment).length, 9);
            });

            it("Argo CD and oauth2-proxy sign in with federated ServiceAccount tokens on their clusters' issuers", () => {
                const fics = byType(run, T.fic)
                    .map(f => ({
                        app: byType(run, T.app).find(a => f.propertyDependencies.applicationId?.includes(a.urn))!.name,
                        issuer: f.rawInputs.issuer,
                        subject: f.rawInputs.subject,
                        audiences: f.rawInputs.audiences,
                    }))
                    .sort((a, b) => `${a.app}${a.issuer}`.localeCompare(`${b.app}${b.issuer}`));
                const expected = [
                    {
                        app: "sso-argocd",
                        issuer: issuerOf(run, "primary-aks"),
                        subject: "system:serviceaccount:argocd:argocd-server",
                        audiences: ["api://AzureADTokenExchange"],
                    },
                    {
                        app: "sso-argocd",
                        issuer: issuerOf(run, "secondary-aks"),
                        subject: "system:serviceaccount:argocd:argocd-server",
                        audiences: ["api://AzureADTokenExchange"],
                    },
                    {
                        app: "sso-tekton-dashboard",
                        issuer: issuerOf(run, "primary-aks"),
                        subject: "system:serviceaccount:tekton-dashboard-proxy:oauth2-proxy",
                        audiences: ["api://AzureADTokenExchange"],
                    },
                ].sort((a, b) => `${a.app}${a.issuer}`.localeCompare(`${b.app}${b.issuer}`));
                assert.deepEqual(fics, expected);
                for (const f of byType(run, T.fic)) {
                    const app = byType(run, T.app).find(a => f.propertyDependencies.applicationId?.includes(a.urn))!;
                    assert.equal(f.rawInputs.applicationId, `/applications/${uuidFrom(app.urn, "object")}`);
                }
            });

            it("the only client secret is Harbor's; it reaches Harbor's configuration and never the plan", () => {
                const passwords = byType(run, T.password);
                assert.deepEqual(
                    passwords.map(p => p.name),
                    ["sso-harbor"],
                );
                const harborApp = one(run, T.app, "sso-harbor");
                assert.deepEqual(passwords[0].propertyDependencies.applicationId, [harborApp.urn]);
                assert.deepEqual(passwords[0].rawInputs.rotateWhenChanged, { version: "1" });
                const config = byType(run, "pulumi-nodejs:dynamic:Resource").find(r => r.name === "harbor-sso-oidc")!;
                assert.ok(
                    config.propertyDependencies.clientSecret?.includes(passwords[0].urn),
                    "Harbor's configuration takes the password's value",
                );
                assert.match(String(config.rawInputs.clientSecret), /^.{3}8Q~/);
                assert.equal(config.inputs.clientSecret, "[secret]");
                assert.ok(
                    !JSON.stringify(planDocument(run)).includes(String(config.rawInputs.clientSecret)),
                    "the secret never appears in the plan",
                );
            });
        });
    }

    it("bumping sso.harborClientSecretVersion rotates the Harbor client secret", async () => {
        const run = await azureLayerRun({ stack: "dev", configOverrides: { "platform:sso": { harborClientSecretVersion: 2 } } });
        const password = byType(run, T.password)[0];
        assert.deepEqual(password.rawInputs.rotateWhenChanged, { version: "2" });
        assert.equal(password.rawInputs.displayName, "harbor-oidc-v2");
    });
});
