// Argo CD sign-in in the committed stacks: what its RBAC grants each Entra group, computed by the
// real casbin engine (node-casbin) with Argo CD's own model and built-in policy at v3.4.4
// (vendored, test/vendor/sso), and the OIDC/workload-identity wiring of the chart values.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { newEnforcer, newModelFromString, StringAdapter } from "casbin";
import { byType, freshRun, ROOT, stackRun, StackRun } from "../harness";
import { MOCK_TENANT_ID, uuidFrom } from "../../tools/mock-outputs";
import { argoCdRbacPolicy } from "../../components/cluster/argocd/sso";

const UPSTREAM = path.join(ROOT, "test/vendor/sso/argo-cd");
type Any = Record<string, any>;

/** The stack's three groups, from its committed config. */
function stackGroups(stack: string): { admins: string; operators: string; developers: string } {
    const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8"));
    const k = doc.config["platform:kubernetes"];
    return { admins: k.adminGroupObjectIds[0], operators: k.operatorsGroupObjectId, developers: k.developersGroupObjectId };
}

/**
 * gobwas/glob without separators, as argo-cd v3.4.4 util/glob/glob.go uses it for
 * `globOrRegexMatch` (util/rbac/rbac.go globMatchFunc): `*` spans `/`, `?` one character,
 * `{a,b}` alternatives, `[..]` classes.
 */
export function globMatch(text: string, pattern: string): boolean {
    let re = "";
    for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === "*") re += ".*";
        else if (c === "?") re += ".";
        else if (c === "{") re += "(?:";
        else if (c === "}") re += ")";
        else if (c === "," && re.includes("(?:")) re += "|";
        else if (c === "[") {
            const end = pattern.indexOf("]", i);
            re += pattern.slice(i, end + 1).replace("[!", "[^");
            i = end;
        } else re += c.replace(/[.+^$()|\\]/g, "\\$&");
    }
    return new RegExp(`^${re}$`, "s").test(text);
}

/** Argo CD's enforcer for one argocd-rbac-cm: the built-in policy plus policy.csv, default role. */
async function argoRbac(rbacCm: Any): Promise<(groups: string[], res: string, act: string, obj: string) => Promise<boolean>> {
    const model = newModelFromString(fs.readFileSync(path.join(UPSTREAM, "model.conf"), "utf8"));
    const policy = [fs.readFileSync(path.join(UPSTREAM, "builtin-policy.csv"), "utf8"), String(rbacCm["policy.csv"] ?? "")].join("\n");
    const enforcer = await newEnforcer(model, new StringAdapter(policy));
    enforcer.addFunction("globOrRegexMatch", (a: string, b: string) => globMatch(a, b));
    const defaultRole = String(rbacCm["policy.default"] ?? "");
    // argo-cd v3.4.4 util/rbac/rbac.go enforce(): the default role first; then
    // server/rbacpolicy/rbacpolicy.go EnforceClaims: the subject, then each group of the
    // `scopes` claims (here `groups`).
    return async (groups, res, act, obj) => {
        if (defaultRole && (await enforcer.enforce(defaultRole, res, act, obj))) return true;
        for (const g of groups) if (await enforcer.enforce(g, res, act, obj)) return true;
        return false;
    };
}

function argoReleases(run: StackRun): Any[] {
    return byType(run, "kubernetes:helm.sh/v3:Release")
        .filter(r => r.rawInputs.chart === "argo-cd")
        .map(r => r.rawInputs.values as Any);
}

/** Representative requests: [resource, action, object]. */
const REQUESTS = {
    getApp: ["applications", "get", "apps/shop"],
    logs: ["logs", "get", "apps/shop"],
    sync: ["applications", "sync", "apps/shop"],
    restart: ["applications", "action/apps/Deployment/restart", "apps/shop"],
    deletePod: ["applications", "delete/*/Pod/shop/shop-7d9f", "apps/shop"],
    createApp: ["applications", "create", "apps/new"],
    updateApp: ["applications", "update", "apps/shop"],
    deleteApp: ["applications", "delete", "apps/shop"],
    overrideSync: ["applications", "override", "apps/shop"],
    updateProject: ["projects", "update", "apps"],
    addCluster: ["clusters", "create", "https://example.invalid"],
    addRepo: ["repositories", "create", "https://github.com/example-org/other"],
    exec: ["exec", "create", "apps/shop"],
} as const;
type Request = keyof typeof REQUESTS;

/** What each group may do (true) or not (false): admins admin, operators sync/manage, developers read-only. */
const EXPECTED: Record<"admins" | "operators" | "developers" | "outsider", Record<Request, boolean>> = {
    admins: {
        getApp: true,
        logs: true,
        sync: true,
        restart: true,
        deletePod: true,
        createApp: true,
        updateApp: true,
        deleteApp: true,
        overrideSync: true,
        updateProject: true,
        addCluster: true,
        addRepo: true,
        exec: true,
    },
    operators: {
        getApp: true,
        logs: true,
        sync: true,
        restart: true,
        deletePod: true,
        createApp: false,
        updateApp: false,
        deleteApp: false,
        overrideSync: false,
        updateProject: false,
        addCluster: false,
        addRepo: false,
        exec: false,
    },
    developers: {
        getApp: true,
        logs: true,
        sync: false,
        restart: false,
        deletePod: false,
        createApp: false,
        updateApp: false,
        deleteApp: false,
        overrideSync: false,
        updateProject: false,
        addCluster: false,
        addRepo: false,
        exec: false,
    },
    // Signed in (somehow) with none of the three groups: nothing at all.
    outsider: {
        getApp: false,
        logs: false,
        sync: false,
        restart: false,
        deletePod: false,
        createApp: false,
        updateApp: false,
        deleteApp: false,
        overrideSync: false,
        updateProject: false,
        addCluster: false,
        addRepo: false,
        exec: false,
    },
};

describe("Argo CD sign-in (committed stacks)", () => {
    for (const stack of ["dev", "prod"] as const) {
        describe(stack, () => {
            let run: StackRun;
            before(async () => {
                run = await stackRun(stack);
            });

            it("RBAC grants each Entra group what it means everywhere (casbin with Argo CD's model and built-in policy)", async () => {
                const groups = stackGroups(stack);
                const releases = argoReleases(run);
                assert.equal(releases.length, 2, "one Argo CD per region");
                for (const values of releases) {
                    const rbac = values.configs.rbac;
                    assert.deepEqual(rbac.scopes, "[groups]");
                    const can = await argoRbac(rbac);
                    const members: Record<keyof typeof EXPECTED, string[]> = {
                        admins: [groups.admins],
                        operators: [groups.operators],
                        developers: [groups.developers],
                        outsider: ["99999999-9999-4999-8999-999999999999"],
                    };
                    const actual: Record<string, Record<string, boolean>> = {};
                    for (const who of Object.keys(EXPECTED) as (keyof typeof EXPECTED)[]) {
                        actual[who] = {};
                        for (const [req, [res, act, obj]] of Object.entries(REQUESTS))
                            actual[who][req] = await can(members[who], res, act, obj);
                    }
                    assert.deepEqual(actual, EXPECTED);
                }
            });

            it("each region's callback (argocd-cm `url` + /auth/callback) is registered on the Argo CD app", () => {
                const app = byType(run, "azuread:index/application:Application").find(a => a.name === "sso-argocd")!;
                const registered = (app.rawInputs as Any).web.redirectUris as string[];
                const callbacks = argoReleases(run).map(values => {
                    // argo-helm argo-cd-10.1.1 templates/_helpers.tpl "argo-cd.config.cm.presets":
                    // url = https://<global.domain> unless configs.cm.url is set; Argo CD redirects to <url>/auth/callback.
                    const url = values.configs.cm.url ?? `https://${values.global.domain}`;
                    return `${url}/auth/callback`;
                });
                assert.deepEqual([...callbacks].sort(), [...registered].sort());
            });

            it("the local admin is disabled and Dex is off: the UI and CLI sign in only through Entra", () => {
                for (const values of argoReleases(run)) {
                    assert.equal(values.configs.cm["admin.enabled"], false);
                    assert.equal(values.dex.enabled, false);
                }
            });

            it("OIDC against the tenant with the Argo CD app's client id, by workload identity (no client secret)", () => {
                const app = byType(run, "azuread:index/application:Application").find(a => a.name === "sso-argocd")!;
                const clientId = uuidFrom(app.urn, "client");
                for (const values of argoReleases(run)) {
                    const oidc = YAML.parse(values.configs.cm["oidc.config"]);
                    assert.equal(oidc.issuer, `https://login.microsoftonline.com/${MOCK_TENANT_ID}/v2.0`);
                    assert.equal(oidc.clientID, clientId);
                    assert.deepEqual(oidc.azure, { useWorkloadIdentity: true });
                    assert.equal(oidc.clientSecret, undefined, "no client secret");
                    assert.deepEqual(oidc.requestedIDTokenClaims.groups, { essential: true, value: "ApplicationGroup" });
                    assert.equal(values.server.podLabels["azure.workload.identity/use"], "true");
                    assert.equal(values.server.serviceAccount.annotations["azure.workload.identity/client-id"], clientId);
                }
                // Nothing in argocd-secret for OIDC either: the chart's secret values carry no oidc.* key.
                for (const values of argoReleases(run)) assert.ok(!JSON.stringify(values.configs.secret ?? {}).includes("oidc"));
            });
        });
    }

    it("the role lines follow the configured groups (another stack's groups get nothing)", async () => {
        const mine = {
            admins: "11111111-1111-4111-8111-111111111111",
            operators: "22222222-2222-4222-8222-222222222222",
            developers: "33333333-3333-4333-8333-333333333333",
        };
        const can = await argoRbac({ "policy.csv": argoCdRbacPolicy(mine), "policy.default": "" });
        assert.equal(await can([mine.operators], "applications", "sync", "apps/x"), true);
        assert.equal(await can([stackGroups("dev").operators], "applications", "sync", "apps/x"), false);
        assert.equal(await can([stackGroups("dev").admins], "applications", "get", "apps/x"), false);
    });

    it("globMatch behaves like gobwas/glob without separators", () => {
        assert.ok(globMatch("apps/shop", "*/*"));
        assert.ok(globMatch("action/apps/Deployment/restart", "action/*"));
        assert.ok(!globMatch("sync", "action/*"));
        assert.ok(globMatch("delete/*/Pod/a/b", "delete/*"));
        assert.ok(!globMatch("delete", "delete/*"));
        assert.ok(globMatch("b", "{a,b}"));
    });

    it("a stack whose groups change rewires RBAC (freshRun with other ids)", async () => {
        const k8s = YAML.parse(fs.readFileSync(path.join(ROOT, "stacks/Pulumi.dev.yaml"), "utf8")).config["platform:kubernetes"];
        const operators = "44444444-4444-4444-8444-444444444444";
        const run = await freshRun({
            stack: "dev",
            configOverrides: { "platform:kubernetes": { ...k8s, operatorsGroupObjectId: operators } },
        });
        for (const values of argoReleases(run)) {
            const can = await argoRbac(values.configs.rbac);
            assert.equal(await can([operators], "applications", "sync", "apps/shop"), true);
            assert.equal(await can([k8s.operatorsGroupObjectId], "applications", "sync", "apps/shop"), false);
        }
    });
});
