// No platform UI is reachable without Entra sign-in, in either committed stack: every route to a
// UI ends at the UI's own OIDC (Argo CD, Harbor) or at oauth2-proxy (Tekton dashboard), nothing
// else routes to the dashboard, and inside the cluster only the proxy reaches it. Plus Harbor's
// group → role mapping and the proxy's own configuration, checked against upstream artifacts.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { byType, RecordedResource, ROOT, stackRun, StackRun } from "../harness";
import { MOCK_TENANT_ID, uuidFrom } from "../../tools/mock-outputs";
import { HARBOR_ROLES } from "../../components/cluster/harbor/oidc";

type Any = Record<string, any>;
const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const ISSUER = `https://login.microsoftonline.com/${MOCK_TENANT_ID}/v2.0`;

function stackConfig(stack: string): Any {
    return YAML.parse(fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8")).config;
}

/** hostname (`*` for a route without hostnames) → `namespace/service:port` of every HTTPRoute backend. */
function routeTable(run: StackRun): Record<string, string[]> {
    const table: Record<string, string[]> = {};
    for (const r of byType(run, ROUTE)) {
        const spec = (r.rawInputs as Any).spec;
        for (const host of spec.hostnames ?? ["*"]) {
            for (const rule of spec.rules ?? []) {
                for (const b of rule.backendRefs ?? [])
                    (table[host] ??= []).push(`${(r.rawInputs as Any).metadata.namespace}/${b.name}:${b.port}`);
            }
        }
    }
    return table;
}

function dynamic(run: StackRun, name: string): RecordedResource {
    const found = byType(run, "pulumi-nodejs:dynamic:Resource").filter(r => r.name === name);
    assert.equal(found.length, 1, name);
    return found[0];
}

/** oauth2-proxy's config file as key → raw TOML value. */
function tomlKeys(configFile: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of configFile.split("\n")) {
        const m = /^([a-z_]+) = (.*)$/.exec(line);
        if (m) out[m[1]] = m[2];
    }
    return out;
}

function oauth2ProxyValues(run: StackRun): Any {
    const releases = byType(run, "kubernetes:helm.sh/v3:Release").filter(r => r.rawInputs.chart === "oauth2-proxy");
    assert.equal(releases.length, 1, "one oauth2-proxy (primary cluster)");
    return releases[0].rawInputs.values as Any;
}

describe("sign-in: no UI without Entra ID", () => {
    for (const stack of ["dev", "prod"] as const) {
        describe(stack, () => {
            let run: StackRun;
            const cfg = stackConfig(stack);
            const dns = cfg["platform:dns"];
            const k8s = cfg["platform:kubernetes"];
            const groups = {
                admins: k8s.adminGroupObjectIds[0],
                operators: k8s.operatorsGroupObjectId,
                developers: k8s.developersGroupObjectId,
            };
            before(async () => {
                run = await stackRun(stack);
            });

            it("every UI hostname routes only to the UI's own OIDC or to the sign-in proxy", () => {
                const table = routeTable(run);
                assert.deepEqual(table[dns.argocdHostnames.primary], ["argocd/argocd-server:80"]);
                assert.deepEqual(table[dns.argocdHostnames.secondary], ["argocd/argocd-server:80"]);
                assert.deepEqual(table[dns.harborHostname], ["harbor/harbor:80"]);
                assert.deepEqual(table[dns.tektonHostname], ["tekton-dashboard-proxy/oauth2-proxy:80"]);
                // Nothing else serves a UI: the other hostnames are the apps' and the webhook's.
                const uiBackends = /argocd-server|harbor:|oauth2-proxy|tekton-dashboard:/;
                for (const [host, backends] of Object.entries(table)) {
                    if ([dns.argocdHostnames.primary, dns.argocdHostnames.secondary, dns.harborHostname, dns.tektonHostname].includes(host))
                        continue;
                    assert.ok(!backends.some(b => uiBackends.test(b)), `${host} → ${backends}`);
                }
                assert.ok(
                    !Object.values(table)
                        .flat()
                        .some(b => b.includes("tekton-dashboard:")),
                    "no route to the dashboard itself",
                );
            });

            it("the Tekton listener admits routes only from the proxy's namespace; TLS from cert-manager", () => {
                const gateways = byType(run, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
                const withTekton = gateways.filter(g =>
                    ((g.rawInputs as Any).spec.listeners as Any[]).some(l => l.hostname === dns.tektonHostname),
                );
                assert.equal(withTekton.length, 1, "primary only");
                const g = withTekton[0].rawInputs as Any;
                const listener = (g.spec.listeners as Any[]).find(l => l.hostname === dns.tektonHostname)!;
                assert.deepEqual(listener.allowedRoutes.namespaces.selector.matchExpressions[0].values, [
                    "gateway",
                    "tekton-dashboard-proxy",
                ]);
                assert.equal(listener.tls.mode, "Terminate");
                assert.ok(g.metadata.annotations["cert-manager.io/cluster-issuer"]);
            });

            it("Argo CD: local admin off and OIDC on in every region", () => {
                const releases = byType(run, "kubernetes:helm.sh/v3:Release").filter(r => r.rawInputs.chart === "argo-cd");
                assert.equal(releases.length, 2);
                for (const r of releases) {
                    const cm = (r.rawInputs.values as Any).configs.cm;
                    assert.equal(cm["admin.enabled"], false);
                    assert.equal(YAML.parse(cm["oidc.config"]).issuer, ISSUER);
                }
            });

            it("Harbor: OIDC auth mode with the Harbor app, admins = system admins, applied through Harbor's route", () => {
                const config = dynamic(run, "harbor-sso-oidc");
                const s = (config.rawInputs as Any).settings;
                const harborApp = byType(run, "azuread:index/application:Application").find(a => a.name === "sso-harbor")!;
                assert.equal(s.auth_mode, "oidc_auth");
                assert.equal(s.oidc_endpoint, ISSUER);
                assert.equal(s.oidc_client_id, uuidFrom(harborApp.urn, "client"));
                assert.equal(s.oidc_admin_group, groups.admins);
                assert.equal(s.oidc_groups_claim, "groups");
                assert.equal(s.oidc_verify_cert, true);
                assert.equal((config.rawInputs as Any).apiUrl, `https://${dns.harborHostname}`);
                const route = byType(run, ROUTE).find(r => r.name === "harbor-route")!;
                assert.ok(config.dependencies.includes(route.urn), "configured once Harbor answers on its hostname");
            });

            it("Harbor: operators maintain and developers read (guest) the staging project", () => {
                const project = dynamic(run, "harbor-staging");
                const members = byType(run, "pulumi-nodejs:dynamic:Resource").filter(r => r.name.startsWith("harbor-sso-staging-"));
                const mapping = Object.fromEntries(
                    members.map(m => [(m.rawInputs as Any).groupName, [(m.rawInputs as Any).project, (m.rawInputs as Any).roleId]]),
                );
                assert.deepEqual(mapping, {
                    [groups.operators]: ["staging", HARBOR_ROLES.maintainer],
                    [groups.developers]: ["staging", HARBOR_ROLES.guest],
                });
                // Harbor's role ids (goharbor/harbor v2.15.1 src/common/const.go).
                assert.deepEqual([HARBOR_ROLES.guest, HARBOR_ROLES.maintainer], [3, 4]);
                for (const m of members) assert.ok(m.propertyDependencies.project?.includes(project.urn), "after the project exists");
            });

            it("Tekton dashboard: oauth2-proxy with Entra, the three groups, workload identity, upstream = the dashboard", () => {
                const values = oauth2ProxyValues(run);
                const toml = tomlKeys(values.config.configFile);
                const app = byType(run, "azuread:index/application:Application").find(a => a.name === "sso-tekton-dashboard")!;
                assert.equal(toml.provider, JSON.stringify("entra-id"));
                assert.equal(toml.oidc_issuer_url, JSON.stringify(ISSUER));
                assert.equal(toml.entra_id_federated_token_auth, "true");
                assert.deepEqual(JSON.parse(toml.allowed_groups), Object.values(groups).sort());
                assert.deepEqual(JSON.parse(toml.upstreams), ["http://tekton-dashboard.tekton-pipelines.svc.cluster.local:9097"]);
                assert.equal(toml.redirect_url, JSON.stringify(`https://${dns.tektonHostname}/oauth2/callback`));
                assert.equal(toml.cookie_secure, "true");
                // No client secret: the chart must not expect one.
                assert.deepEqual(values.config.requiredSecretKeys, ["client-id", "cookie-secret"]);
                assert.equal(values.serviceAccount.annotations["azure.workload.identity/client-id"], uuidFrom(app.urn, "client"));
                assert.equal(values.podLabels["azure.workload.identity/use"], "true");
                const secret = byType(run, "kubernetes:core/v1:Secret").find(s => (s.rawInputs as Any).metadata.name === "oauth2-proxy")!;
                assert.equal((secret.rawInputs as Any).stringData["client-id"], uuidFrom(app.urn, "client"));
                assert.ok(
                    !JSON.stringify(secret.inputs).includes(String((secret.rawInputs as Any).stringData["cookie-secret"])),
                    "cookie secret redacted",
                );
            });

            it("the stack outputs list the sign-in URLs; the dashboard behind the proxy is the read-only one", () => {
                assert.deepEqual((run.rawOutputs as Any).signInUrls, {
                    argocd: { primary: `https://${dns.argocdHostnames.primary}`, secondary: `https://${dns.argocdHostnames.secondary}` },
                    harbor: `https://${dns.harborHostname}`,
                    tektonDashboard: `https://${dns.tektonHostname}`,
                });
                const tektonConfig = byType(run, "kubernetes:operator.tekton.dev/v1alpha1:TektonConfig")[0];
                assert.equal((tektonConfig.rawInputs as Any).spec.dashboard.readonly, true);
            });

            it("inside the cluster only the proxy reaches the dashboard; only the Gateway reaches the proxy", () => {
                const nps = byType(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map(n => n.rawInputs as Any);
                const dashboard = nps.filter(
                    n =>
                        n.metadata.namespace === "tekton-pipelines" &&
                        n.spec.podSelector.matchLabels?.["app.kubernetes.io/part-of"] === "tekton-dashboard",
                );
                assert.equal(dashboard.length, 1);
                assert.deepEqual(dashboard[0].spec.ingress, [
                    {
                        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "tekton-dashboard-proxy" } } }],
                        ports: [{ protocol: "TCP", port: 9097 }],
                    },
                ]);
                const proxyNs = nps.filter(n => n.metadata.namespace === "tekton-dashboard-proxy");
                assert.ok(
                    proxyNs.some(n => n.metadata.name === "default-deny-ingress" && n.spec.policyTypes[0] === "Ingress" && !n.spec.ingress),
                );
                const fromOutside = proxyNs.filter(n => n.spec.ingress?.some((i: Any) => i.from.some((f: Any) => f.namespaceSelector)));
                assert.deepEqual(
                    fromOutside.map(n => n.spec.ingress[0].from[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"]),
                    ["envoy-gateway-system"],
                );
            });
        });
    }
});

describe("sign-in: upstream option names and chart keys", () => {
    const UP = path.join(ROOT, "test/vendor/sso");
    let run: StackRun;
    before(async () => {
        run = await stackRun("dev");
    });

    /** Every key path of `mine` exists in the chart's values.yaml, except below the free-form maps. */
    function unknownKeys(mine: Any, chart: Any, freeForm: string[], prefix = ""): string[] {
        const out: string[] = [];
        for (const [k, v] of Object.entries(mine)) {
            const p = prefix ? `${prefix}.${k}` : k;
            if (!chart || typeof chart !== "object" || !(k in chart)) {
                out.push(p);
                continue;
            }
            if (freeForm.includes(p)) continue;
            if (v && typeof v === "object" && !Array.isArray(v)) out.push(...unknownKeys(v, chart[k], freeForm, p));
        }
        return out;
    }

    it("oauth2-proxy's config file uses only options oauth2-proxy v7.15.3 knows", () => {
        const known = new Set(
            fs.readFileSync(path.join(UP, "oauth2-proxy/config-options-v7.15.3.txt"), "utf8").split("\n").filter(Boolean),
        );
        const used = Object.keys(tomlKeys(oauth2ProxyValues(run).config.configFile));
        assert.ok(used.length >= 10);
        assert.deepEqual(
            used.filter(k => !known.has(k)),
            [],
        );
    });

    it("oauth2-proxy chart values exist in chart 10.7.0's values.yaml", () => {
        const text = fs.readFileSync(path.join(UP, "..", "charts", "oauth2-proxy", "values.yaml"), "utf8");
        // `config.existingSecret` is read by templates/_helpers.tpl (oauth2-proxy.secretName) and
        // documented only as a comment in values.yaml.
        assert.match(text, /^ {2}# existingSecret: secret$/m);
        const documentedInComments = ["config.existingSecret"];
        const unknown = unknownKeys(oauth2ProxyValues(run), YAML.parse(text), ["serviceAccount.annotations", "podLabels"]);
        assert.deepEqual(
            unknown.filter(k => !documentedInComments.includes(k)),
            [],
        );
    });

    it("Argo CD's SSO values exist in argo-cd chart 10.1.1's values.yaml (argocd-cm/rbac-cm entries are free-form)", () => {
        const chart = YAML.parse(fs.readFileSync(path.join(UP, "..", "charts", "argo-cd", "values.yaml"), "utf8"));
        const values = byType(run, "kubernetes:helm.sh/v3:Release").find(r => r.rawInputs.chart === "argo-cd")!.rawInputs.values as Any;
        const sso = {
            configs: { cm: values.configs.cm, rbac: values.configs.rbac },
            server: { podLabels: values.server.podLabels, serviceAccount: values.server.serviceAccount },
        };
        // argocd-cm takes any key (oidc.config is commented in the chart); the rbac keys are listed.
        assert.deepEqual(unknownKeys(sso, chart, ["configs.cm", "server.podLabels", "server.serviceAccount.annotations"]), []);
        assert.ok("admin.enabled" in chart.configs.cm, "admin.enabled is a chart value");
    });
});
