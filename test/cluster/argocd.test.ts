import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { byName, byType, descendants, freshRun, planDocument, RecordedResource, rejection, StackRun } from "../harness";
import { ArgoCd, ARGOCD_ROUTE_TIMEOUTS, ARGOCD_SERVER_SERVICE, IN_CLUSTER, SyncWindow } from "../../components/cluster/argocd";
import { gatewayRouteSpec } from "../../components/cluster/gateway/route";
import { exemptNamespaces, GATEWAY, NAMESPACES } from "../../model/names";

const REPO = "https://github.com/example-org/platform-manifests";
const TOKEN = "ghp_read_only_token_for_tests";
const EXEMPT = [...exemptNamespaces(), "ci"];
const SSO_GROUPS = {
    admins: "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7",
    operators: "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
    developers: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
};

function argoRun(ha: boolean, syncWindows: SyncWindow[] = [], allowedClientCidrs: string[] = ["203.0.113.0/24"]): Promise<StackRun> {
    return freshRun({
        stack: ha ? "prod" : "dev",
        program: () => {
            const provider = new k8s.Provider("primary", {});
            new ArgoCd("argocd", {
                provider,
                acrLoginServer: "platformacr.azurecr.io",
                clusterKey: "primary",
                hostname: "argocd-weu.dev.platform.example.com",
                manifestsRepoUrl: REPO,
                branch: "main",
                path: "envs/dev/primary",
                repoReadToken: pulumi.secret(TOKEN),
                ha,
                syncWindows,
                exemptNamespaces: EXEMPT,
                allowedClientCidrs,
                sso: {
                    issuer: "https://login.microsoftonline.com/72f988bf-0000-4000-8000-00000000d011/v2.0",
                    clientId: "5d0b1c2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
                    groups: SSO_GROUPS,
                },
            });
        },
    });
}

const CR = (kind: string) => `kubernetes:argoproj.io/v1alpha1:${kind}`;

function project(run: StackRun, name: string): any {
    const found = byType(run, CR("AppProject")).filter(r => (r.inputs.metadata as any).name === name);
    assert.equal(found.length, 1, `one AppProject ${name}`);
    return found[0].inputs.spec;
}

function keyPaths(value: unknown, prefix = ""): string[] {
    if (Array.isArray(value)) return value.flatMap((v, i) => keyPaths(v, `${prefix}[${i}]`));
    if (value && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => [`${prefix}.${k}`, ...keyPaths(v, `${prefix}.${k}`)]);
    }
    return [];
}

/** Components of the argo-cd chart 10.1.1 with a PDB template (templates/<component>/pdb.yaml). */
const ARGO_PDB_COMPONENTS = ["server", "repoServer", "applicationSet", "controller", "notifications", "dex", "redis"] as const;

/**
 * The `spec` the argo-cd chart 10.1.1 renders for a component's PDB, or undefined when it renders
 * none. Transcribes argoproj/argo-helm charts/argo-cd/templates/argocd-server/pdb.yaml (and the
 * repo-server, applicationset, controller, notifications, dex, redis twins) @ argo-cd-10.1.1
 * (af0a9310): `{{- if .pdb.enabled }}` (notifications/dex also need the component enabled; redis
 * only without redis-ha), then `{{- with .pdb.maxUnavailable }} maxUnavailable {{- else }}
 * minAvailable: {{ .pdb.minAvailable | default 0 }}`. Go templates treat "", 0, nil and false as
 * empty; values.yaml defaults both to "".
 */
function renderArgoCdPdbSpec(
    values: any,
    component: (typeof ARGO_PDB_COMPONENTS)[number],
): { maxUnavailable?: number; minAvailable?: number } | undefined {
    const empty = (v: unknown) => v === undefined || v === null || v === "" || v === 0 || v === false;
    const c = values[component] ?? {};
    const pdb = c.pdb ?? {};
    if (empty(pdb.enabled)) return undefined;
    if ((component === "notifications" || component === "dex") && c.enabled === false) return undefined;
    if (component === "redis" && (c.enabled === false || values["redis-ha"]?.enabled)) return undefined;
    if (!empty(pdb.maxUnavailable)) return { maxUnavailable: pdb.maxUnavailable };
    return { minAvailable: empty(pdb.minAvailable) ? 0 : pdb.minAvailable };
}

/** Seconds of a Gateway API Duration (GEP-2257: 1h30m, 10s, 500ms). */
function durationSeconds(d: string): number {
    const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
    return [...d.matchAll(/([0-9]+)(h|ms|m|s)/g)].reduce((sum, [, n, u]) => sum + Number(n) * unit[u], 0);
}

describe("ArgoCd", () => {
    let dev: StackRun;
    let prod: StackRun;
    const windows: SyncWindow[] = [{ kind: "allow", schedule: "0 7 * * 1-4", duration: "10h", manualSync: true }];
    before(async () => {
        [dev, prod] = await Promise.all([argoRun(false), argoRun(true, windows)]);
    });

    it("installs the pinned chart with server.insecure (TLS at the Gateway), no Dex", () => {
        const release = byType(dev, "kubernetes:helm.sh/v3:Release")[0];
        assert.equal(release.inputs.chart, "argo-cd");
        assert.equal(release.inputs.namespace, NAMESPACES.argocd);
        const v = release.inputs.values as any;
        assert.equal(v.configs.params["server.insecure"], true);
        assert.equal(v.global.domain, "argocd-weu.dev.platform.example.com");
        assert.equal(v.dex.enabled, false);
    });

    it("is HA in prod (redis-ha, 2 server/repo-server/applicationset replicas), single in dev", () => {
        const d = byType(dev, "kubernetes:helm.sh/v3:Release")[0].inputs.values as any;
        const p = byType(prod, "kubernetes:helm.sh/v3:Release")[0].inputs.values as any;
        assert.equal(d["redis-ha"].enabled, false);
        assert.equal(p["redis-ha"].enabled, true);
        for (const c of ["server", "repoServer", "applicationSet"]) {
            assert.equal(d[c].replicas, 1, `dev ${c}`);
            assert.equal(p[c].replicas, 2, `prod ${c}`);
            assert.equal(p[c].pdb.enabled, true, `prod ${c} pdb`);
        }
        assert.equal(p.controller.replicas, 1, "one controller (sharding is separate)");
    });

    it("prod's PDBs keep a pod up during drains: none renders minAvailable 0 (chart 10.1.1 templates)", () => {
        const p = byType(prod, "kubernetes:helm.sh/v3:Release")[0].inputs.values as any;
        const rendered = ARGO_PDB_COMPONENTS.map(c => [c, renderArgoCdPdbSpec(p, c)] as const).filter(([, spec]) => spec);
        assert.deepEqual(
            rendered.map(([c]) => c).sort(),
            ["applicationSet", "repoServer", "server"],
            "a PDB for each replicated component",
        );
        for (const [c, spec] of rendered) {
            const replicas = p[c].replicas as number;
            const allowedDown = spec!.maxUnavailable ?? replicas - (spec!.minAvailable ?? 0);
            assert.ok(allowedDown >= 1 && allowedDown < replicas, `${c}: ${JSON.stringify(spec)} with ${replicas} replicas`);
        }
        // Dev runs single replicas: no PDB at all (one that allows nothing would block node drains).
        const d = byType(dev, "kubernetes:helm.sh/v3:Release")[0].inputs.values as any;
        assert.deepEqual(
            ARGO_PDB_COMPONENTS.filter(c => renderArgoCdPdbSpec(d, c)),
            [],
        );
    });

    it("the route does not cut long-lived UI and gRPC-web streams (no 15 s Envoy default)", () => {
        for (const run of [dev, prod]) {
            const rule = (byName(run, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "argocd-route").inputs.spec as any).rules[0];
            assert.deepEqual(rule.timeouts, ARGOCD_ROUTE_TIMEOUTS);
            // Gateway API v1.6.1 HTTPRoute CRD: Duration pattern (GEP-2257); "0s" disables the timeout.
            assert.match(rule.timeouts.request, /^([0-9]{1,5}(h|m|s|ms)){1,4}$/);
            assert.ok(
                ["0s", "0ms", "0m", "0h"].includes(rule.timeouts.request) || durationSeconds(rule.timeouts.request) >= 3600,
                `request timeout ${rule.timeouts.request} would cut streams`,
            );
            assert.equal(rule.timeouts.backendRequest, undefined, "a backend timeout would cut them as well");
        }
    });

    it("routes its hostname on the shared Gateway to argocd-server", () => {
        const route = byName(dev, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "argocd-route");
        const spec = route.inputs.spec as any;
        assert.deepEqual(spec.hostnames, ["argocd-weu.dev.platform.example.com"]);
        assert.equal(spec.parentRefs[0].name, GATEWAY.name);
        assert.equal(spec.parentRefs[0].namespace, GATEWAY.namespace);
        assert.deepEqual(
            spec.rules[0].backendRefs.map((b: any) => [b.name, b.port]),
            [[ARGOCD_SERVER_SERVICE.name, ARGOCD_SERVER_SERVICE.port]],
        );
        assert.deepEqual(
            spec,
            gatewayRouteSpec({
                hostname: "argocd-weu.dev.platform.example.com",
                backend: ARGOCD_SERVER_SERVICE,
                timeouts: { ...ARGOCD_ROUTE_TIMEOUTS },
            }),
            "built by the shared route builder",
        );
    });

    it("annotates the application controller pods for ama-metrics on 8082 (argocd_app_info feeds the drift alerts)", () => {
        for (const run of [dev, prod]) {
            const v = byType(run, "kubernetes:helm.sh/v3:Release")[0].inputs.values as any;
            assert.deepEqual(v.controller.podAnnotations, {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": "8082",
                "prometheus.io/path": "/metrics",
            });
        }
    });

    it("denies ingress to the argocd namespace except from itself, the Envoy proxies (server) and kube-system (controller metrics)", () => {
        const policies = byType(dev, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map(p => p.inputs as any);
        assert.deepEqual(policies.map(p => p.metadata.name).sort(), [
            "allow-controller-metrics",
            "allow-same-namespace",
            "allow-server-from-gateway",
            "default-deny-ingress",
        ]);
        for (const p of policies) {
            assert.equal(p.metadata.namespace, NAMESPACES.argocd);
            assert.deepEqual(p.spec.policyTypes, ["Ingress"], `${p.metadata.name}: egress stays open (git)`);
            assert.equal(p.spec.egress, undefined);
        }
        const find = (n: string) => policies.find(p => p.metadata.name === n)!;
        assert.deepEqual(find("default-deny-ingress").spec, { podSelector: {}, policyTypes: ["Ingress"] });
        const ns = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
        assert.deepEqual(find("allow-same-namespace").spec.podSelector, {});
        assert.deepEqual(find("allow-same-namespace").spec.ingress, [{ from: [{ podSelector: {} }] }]);
        assert.deepEqual(find("allow-server-from-gateway").spec.podSelector, {
            matchLabels: { "app.kubernetes.io/name": "argocd-server" },
        });
        assert.deepEqual(find("allow-server-from-gateway").spec.ingress, [
            { from: [ns("envoy-gateway-system")], ports: [{ protocol: "TCP", port: 8080 }] },
        ]);
        assert.deepEqual(find("allow-controller-metrics").spec.podSelector, {
            matchLabels: { "app.kubernetes.io/name": "argocd-application-controller" },
        });
        assert.deepEqual(find("allow-controller-metrics").spec.ingress, [
            { from: [ns("kube-system")], ports: [{ protocol: "TCP", port: 8082 }] },
        ]);
    });

    describe("client allowlist (SecurityPolicy on the route)", () => {
        const SP = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy";

        it("allows only the configured client CIDRs to the Argo CD route, everything else denied", async () => {
            const run = await argoRun(false, [], ["203.0.113.0/24", "198.51.100.7", "203.0.113.0/24"]);
            const [policy] = byType(run, SP);
            assert.ok(policy, "a SecurityPolicy");
            assert.equal((policy.inputs.metadata as any).namespace, NAMESPACES.argocd, "same namespace as the route it targets");
            const route = byName(run, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "argocd-route");
            const spec = policy.inputs.spec as any;
            assert.deepEqual(spec.targetRefs, [
                { group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: (route.inputs.metadata as any).name },
            ]);
            assert.equal(spec.authorization.defaultAction, "Deny");
            assert.equal(spec.authorization.rules.length, 1);
            assert.equal(spec.authorization.rules[0].action, "Allow");
            // A bare address becomes /32 (the CRD wants CIDRs); duplicates dropped, order kept.
            assert.deepEqual(spec.authorization.rules[0].principal, { clientCIDRs: ["203.0.113.0/24", "198.51.100.7/32"] });
            assert.ok(policy.dependencies.includes(route.urn), "after the route it targets");
        });

        it("refuses an empty list (Argo CD open to the internet must be a decision), or a malformed or catch-all range", async () => {
            const empty = await rejection(() => argoRun(false, [], []));
            assert.match(empty.message, /allowedClientCidrs is empty/);
            const bad = await rejection(() => argoRun(false, [], ["10.0.0.0/33", "0.0.0.0/0", "not-an-ip"]));
            assert.match(bad.message, /'10\.0\.0\.0\/33' is not an IPv4 address or CIDR/);
            assert.match(bad.message, /'0\.0\.0\.0\/0' allows every client/);
            assert.match(bad.message, /'not-an-ip'/);
        });

        it("is always created (every Argo CD is behind an allowlist)", () => {
            assert.equal(byType(dev, SP).length, 1);
        });
    });

    it("stores read-only repo credentials in one labelled Secret in the Argo CD namespace, secret in the plan", () => {
        const secrets = byType(dev, "kubernetes:core/v1:Secret");
        assert.equal(secrets.length, 1);
        const s = secrets[0];
        assert.equal((s.inputs.metadata as any).namespace, NAMESPACES.argocd);
        assert.equal((s.inputs.metadata as any).labels["argocd.argoproj.io/secret-type"], "repository");
        assert.equal((s.rawInputs.stringData as any).url, REPO);
        assert.equal((s.rawInputs.stringData as any).password, TOKEN);
        assert.equal(s.inputs.stringData, "[secret]");
        assert.ok(!JSON.stringify(planDocument(dev)).includes(TOKEN), "plan JSON leaks the git token");
    });

    it("has no registry credentials or imagePullSecrets anywhere (values included)", () => {
        const component = byType(dev, "platform:cluster:ArgoCd")[0];
        for (const r of descendants(dev, component.urn)) {
            assert.ok(!keyPaths(r.rawInputs).some(p => /imagePullSecrets/i.test(p)), `${r.type} ${r.name}`);
            if (r.type === "kubernetes:core/v1:Secret") {
                assert.ok(!/dockerconfigjson|dockercfg/.test(String(r.rawInputs.type)), r.name);
            }
        }
    });

    it("platform-root: the manifests repo, only Applications, only in the Argo CD namespace, nothing cluster-scoped", () => {
        const spec = project(dev, "platform-root");
        assert.deepEqual(spec.sourceRepos, [REPO]);
        assert.deepEqual(spec.destinations, [{ server: IN_CLUSTER, namespace: NAMESPACES.argocd }]);
        assert.deepEqual(spec.clusterResourceWhitelist, []);
        assert.deepEqual(spec.namespaceResourceWhitelist, [{ group: "argoproj.io", kind: "Application" }]);
    });

    it("apps: the manifests repo, every namespace except system/platform/pipeline ones, namespaced kinds + Namespace", () => {
        const spec = project(dev, "apps");
        assert.deepEqual(spec.sourceRepos, [REPO]);
        const denies = spec.destinations.filter((d: any) => d.namespace.startsWith("!")).map((d: any) => d.namespace.slice(1));
        assert.deepEqual(denies, [...new Set(EXEMPT)].sort());
        for (const ns of ["kube-system", "argocd", "harbor", "gatekeeper-system", "ci"]) assert.ok(denies.includes(ns), ns);
        const allows = spec.destinations.filter((d: any) => !d.namespace.startsWith("!"));
        assert.deepEqual(allows, [{ server: IN_CLUSTER, namespace: "*" }]);
        assert.ok(
            spec.destinations.every((d: any) => d.server === IN_CLUSTER),
            "this cluster only",
        );
        assert.deepEqual(spec.clusterResourceWhitelist, [{ group: "", kind: "Namespace" }]);
        assert.ok(spec.clusterResourceBlacklist.every((b: any) => b.kind === "Namespace" && EXEMPT.includes(b.name)));
        assert.deepEqual(spec.namespaceResourceWhitelist, [{ group: "*", kind: "*" }]);
    });

    it("apps carries the environment's sync windows (none in dev)", () => {
        assert.deepEqual(project(dev, "apps").syncWindows, []);
        const w = project(prod, "apps").syncWindows;
        assert.equal(w.length, 1);
        assert.deepEqual(
            { kind: w[0].kind, schedule: w[0].schedule, duration: w[0].duration, manualSync: w[0].manualSync },
            { kind: "allow", schedule: "0 7 * * 1-4", duration: "10h", manualSync: true },
        );
        assert.deepEqual(w[0].applications, ["*"]);
    });

    it("locks the default project (forced server-side patch): no sources, destinations or kinds", () => {
        const [patch] = byType(dev, CR("AppProjectPatch"));
        const meta = patch.inputs.metadata as any;
        assert.equal(meta.name, "default");
        assert.equal(meta.namespace, NAMESPACES.argocd);
        assert.equal(meta.annotations["pulumi.com/patchForce"], "true");
        const spec = patch.inputs.spec as any;
        assert.deepEqual(spec.sourceRepos, []);
        assert.deepEqual(spec.destinations, []);
        assert.deepEqual(spec.clusterResourceWhitelist, []);
        assert.deepEqual(spec.namespaceResourceWhitelist, []);
        assert.deepEqual(spec.namespaceResourceBlacklist, [{ group: "*", kind: "*" }]);
    });

    it("root Application: platform-root project, region path on the branch, automated prune+selfHeal, retry, sync options", () => {
        const [app] = byType(dev, CR("Application"));
        const meta = app.inputs.metadata as any;
        assert.equal(meta.namespace, NAMESPACES.argocd);
        assert.equal(meta.finalizers, undefined, "no cascading delete of every workload");
        const spec = app.inputs.spec as any;
        assert.equal(spec.project, "platform-root");
        assert.deepEqual(spec.source, { repoURL: REPO, targetRevision: "main", path: "envs/dev/primary" });
        assert.deepEqual(spec.destination, { server: IN_CLUSTER, namespace: NAMESPACES.argocd });
        assert.deepEqual(spec.syncPolicy.automated, { prune: true, selfHeal: true });
        assert.ok(spec.syncPolicy.retry.limit > 0);
        assert.ok(spec.syncPolicy.retry.backoff.factor > 1, "backoff grows");
        assert.ok(spec.syncPolicy.retry.backoff.duration && spec.syncPolicy.retry.backoff.maxDuration);
        assert.deepEqual([...spec.syncPolicy.syncOptions].sort(), ["CreateNamespace=true", "SkipDryRunOnMissingResource=true"]);
    });

    it("creates custom resources only after the chart (its CRDs) and the root app after its projects", () => {
        const release = byType(dev, "kubernetes:helm.sh/v3:Release")[0].urn;
        const crs: RecordedResource[] = [
            ...byType(dev, CR("AppProject")),
            ...byType(dev, CR("AppProjectPatch")),
            ...byType(dev, CR("Application")),
        ];
        for (const r of crs) assert.ok(r.dependencies.includes(release), `${r.type} ${r.name} waits for the chart`);
        const [app] = byType(dev, CR("Application"));
        for (const p of byType(dev, CR("AppProject"))) assert.ok(app.dependencies.includes(p.urn), `root app waits for ${p.name}`);
    });

    it("parents every child to the component and uses the given provider", () => {
        const component = byType(dev, "platform:cluster:ArgoCd")[0];
        const children = descendants(dev, component.urn);
        assert.ok(children.length >= 8);
        for (const r of children.filter(c => c.custom)) assert.match(String(r.provider), /::primary$/);
    });
});
