import { strict as assert } from "assert";
import {
    criticalPath,
    deployEstimate,
    durationOf,
    durationRuleOf,
    formatDuration,
    GraphResource,
    isComponent,
    isKubernetesCustomResource,
    renderDeployPath,
} from "../../tools/deploy-path";
import { stackRun } from "../harness";

// A small known graph: two regions in parallel, each a VNet and a cluster in one resource group;
// the primary cluster's provider, a namespace, two Helm releases ordered by an explicit
// dependsOn (cert-manager after the gateway chart: ordering, not data), and an `app` resource
// that depends on the whole add-ons component. Durations come from the table below, so every
// number is exact.
const U = (type: string, name: string) => `urn:pulumi:t::p::${type}::${name}`;
const STACK = U("pulumi:pulumi:Stack", "p-t");
const PRIMARY = U("platform:azure:Cluster", "primary");
const SECONDARY = U("platform:azure:Cluster", "secondary");
const ADDONS = U("platform:cluster:Addons", "primary");
const RG = U("azure-native:resources:ResourceGroup", "rg");
const VNET_A = U("azure-native:network:VirtualNetwork", "vnet-a");
const AKS_A = U("azure-native:containerservice:ManagedCluster", "aks-a");
const VNET_B = U("azure-native:network:VirtualNetwork", "vnet-b");
const AKS_B = U("azure-native:containerservice:ManagedCluster", "aks-b");
const PROV = U("pulumi:providers:kubernetes", "prov-a");
const NS = U("kubernetes:core/v1:Namespace", "ns");
const GW = U("kubernetes:helm.sh/v3:Release", "gateway");
const CERT = U("kubernetes:helm.sh/v3:Release", "cert-manager");
const ISSUER = U("kubernetes:cert-manager.io/v1:ClusterIssuer", "issuer");
const APP = U("azure-native:authorization:RoleAssignment", "app");
const REGISTRY = U("azure-native:containerregistry:Registry", "acr");
const REPLICA = U("azure-native:containerregistry:Replication", "acr-replica");

const SECONDS: Record<string, number> = {
    rg: 5,
    "vnet-a": 10,
    "aks-a": 600,
    "vnet-b": 10,
    "aks-b": 700,
    "prov-a": 1,
    ns: 2,
    gateway: 90,
    "cert-manager": 120,
    issuer: 3,
    app: 10,
    acr: 60,
    "acr-replica": 240,
};
const seconds = (r: GraphResource) => (r.custom === false ? 0 : (SECONDS[r.name] ?? 0));

function res(urn: string, parent: string | null, deps: string[] = [], more: Partial<GraphResource> = {}): GraphResource {
    const [, , type, name] = urn.split("::");
    return {
        urn,
        type,
        name,
        parent,
        dependencies: deps,
        custom: !(type === "pulumi:pulumi:Stack" || type.startsWith("platform:")),
        ...more,
    };
}

function graph(withPropertyDeps: boolean): GraphResource[] {
    const pd = (deps: string[]) => (withPropertyDeps ? { propertyDependencies: deps } : {});
    return [
        res(STACK, null),
        res(RG, STACK, [], pd([])),
        res(PRIMARY, STACK),
        res(VNET_A, PRIMARY, [RG], pd([RG])),
        res(AKS_A, PRIMARY, [RG, VNET_A], pd([RG, VNET_A])),
        res(SECONDARY, STACK),
        res(VNET_B, SECONDARY, [RG], pd([RG])),
        res(AKS_B, SECONDARY, [RG, VNET_B], pd([RG, VNET_B])),
        res(PROV, STACK, [AKS_A], pd([AKS_A])),
        res(ADDONS, STACK),
        res(NS, ADDONS, [], { provider: PROV, ...pd([]) }),
        res(GW, ADDONS, [NS], { provider: PROV, ...pd([NS]) }),
        // cert-manager needs the namespace (data) and comes after the gateway chart (dependsOn only).
        res(CERT, ADDONS, [GW, NS], { provider: PROV, ...pd([NS]) }),
        // A custom resource after the chart that installs its CRD: ordering, but essential.
        res(ISSUER, ADDONS, [CERT], { provider: PROV, ...pd([]) }),
        // Depends on the whole add-ons component: waits for its last child.
        res(APP, STACK, [ADDONS], pd([])),
        // A custom parent: the replica cannot start before the registry exists.
        res(REGISTRY, STACK, [RG], pd([RG])),
        res(REPLICA, REGISTRY, [], pd([])),
    ];
}

describe("deploy path", () => {
    it("estimates the critical path: regions in parallel, provider after its cluster, component done when its children are", () => {
        const p = criticalPath(graph(false), { durationOf: seconds });
        // rg 0-5, vnet-a 5-15, aks-a 15-615, prov 615-616, ns 616-618, gateway 618-708,
        // cert-manager 708-828, issuer 828-831, app (waits for the add-ons component) 831-841.
        assert.equal(p.totalSeconds, 841);
        assert.deepEqual(
            p.chain.map(s => [s.name, s.start, s.finish]),
            [
                ["rg", 0, 5],
                ["vnet-a", 5, 15],
                ["aks-a", 15, 615],
                ["prov-a", 615, 616],
                ["ns", 616, 618],
                ["gateway", 618, 708],
                ["cert-manager", 708, 828],
                ["issuer", 828, 831],
                ["app", 831, 841],
            ],
        );
    });

    it("the secondary region does not wait for the primary", () => {
        // Make the secondary cluster the long pole: the chain switches region, the total is its own.
        const g = graph(false);
        const p = criticalPath(g, { durationOf: r => (r.name === "aks-b" ? 900 : seconds(r)) });
        assert.equal(p.totalSeconds, 5 + 10 + 900);
        assert.deepEqual(
            p.chain.map(s => s.name),
            ["rg", "vnet-b", "aks-b"],
        );
    });

    it("a child of a custom resource waits for its parent", () => {
        const p = criticalPath(
            graph(false).filter(r => [STACK, RG, REGISTRY, REPLICA].includes(r.urn)),
            { durationOf: seconds },
        );
        assert.equal(p.totalSeconds, 5 + 60 + 240);
        assert.deepEqual(
            p.chain.map(s => s.name),
            ["rg", "acr", "acr-replica"],
        );
    });

    it("lower bound from property dependencies drops ordering-only edges", () => {
        const e = deployEstimate(graph(true), seconds);
        assert.equal(e.lowerBoundBasis, "propertyDependencies");
        assert.equal(e.estimate.totalSeconds, 841);
        // cert-manager no longer waits for the gateway chart: 618 + 120 = 738; the issuer still
        // waits for cert-manager (its CRD): 741; `app` has no data dependency on the add-ons.
        assert.equal(e.lowerBound.totalSeconds, 741);
        assert.deepEqual(
            e.lowerBound.chain.map(s => s.name),
            ["rg", "vnet-a", "aks-a", "prov-a", "ns", "cert-manager", "issuer"],
        );
    });

    it("without property dependencies, the lower bound keeps edges to prerequisite types only", () => {
        const e = deployEstimate(graph(false), seconds);
        assert.equal(e.lowerBoundBasis, "prerequisite types");
        // Namespace, cluster, VNet, resource group, provider edges kept; the Helm-release and
        // component edges dropped, the CRD ordering kept: same 741 as with the precise split.
        assert.equal(e.lowerBound.totalSeconds, 741);
        assert.ok(e.lowerBound.totalSeconds <= e.estimate.totalSeconds);
    });

    it("uses the documented table: per type, per chart, components free", () => {
        const r = (type: string, inputs: Record<string, unknown> = {}, custom = true): GraphResource => ({
            urn: U(type, "x"),
            type,
            name: "x",
            dependencies: [],
            custom,
            inputs,
        });
        assert.equal(durationOf(r("azure-native:containerservice:ManagedCluster")), 540);
        assert.equal(durationOf(r("azure-native:trafficmanager:Profile")), 60);
        assert.equal(durationOf(r("azure-native:trafficmanager:Endpoint")), 30);
        assert.equal(durationOf(r("azure-native:monitor:MetricAlert")), 15);
        assert.equal(durationRuleOf(r("azure-native:monitor:MetricAlert"))?.fallback, undefined);
        assert.equal(durationOf(r("azure-native:containerregistry:Registry")), 60);
        assert.equal(durationOf(r("azure-native:authorization:RoleAssignment")), 30);
        assert.equal(durationOf(r("azure-native:managedidentity:FederatedIdentityCredential")), 10);
        assert.equal(durationOf(r("kubernetes:helm.sh/v3:Release", { chart: "harbor" })), 240);
        assert.equal(durationOf(r("kubernetes:helm.sh/v3:Release", { chart: "oci://docker.io/envoyproxy/gateway-helm" })), 90);
        assert.equal(durationOf(r("kubernetes:helm.sh/v3:Release", { chart: "something-else" })), 120);
        assert.equal(durationOf(r("kubernetes:cert-manager.io/v1:ClusterIssuer")), 3);
        assert.equal(durationOf(r("platform:azure:Registry", {}, false)), 0);
        // Plan-document resources carry no `custom`: the stack and platform: types are components.
        assert.equal(durationOf({ urn: "u", type: "platform:cluster:Gatekeeper", name: "g", dependencies: [] }), 0);
    });

    it("keeps federated credentials serialised in the lower bound", () => {
        const ID = U("azure-native:managedidentity:UserAssignedIdentity", "id");
        const F1 = U("azure-native:managedidentity:FederatedIdentityCredential", "f1");
        const F2 = U("azure-native:managedidentity:FederatedIdentityCredential", "f2");
        const g = [res(ID, null), res(F1, null, [ID]), res(F2, null, [ID, F1])];
        const e = deployEstimate(g, () => 10);
        assert.equal(e.estimate.totalSeconds, 30);
        assert.equal(e.lowerBound.totalSeconds, 30);
    });

    it("tells custom resources from built-in kinds", () => {
        const cr = isKubernetesCustomResource;
        assert.ok(cr("kubernetes:cert-manager.io/v1:ClusterIssuer"));
        assert.ok(cr("kubernetes:gateway.networking.k8s.io/v1:Gateway"));
        assert.ok(cr("kubernetes:constraints.gatekeeper.sh/v1beta1:K8sAllowedRepos"));
        assert.ok(!cr("kubernetes:networking.k8s.io/v1:NetworkPolicy"));
        assert.ok(!cr("kubernetes:apps/v1:Deployment"));
        assert.ok(!cr("kubernetes:core/v1:Namespace"));
        assert.ok(!cr("kubernetes:helm.sh/v3:Release"));
    });

    it("rejects a dependency cycle", () => {
        const a = res(U("azure-native:network:Subnet", "a"), null, [U("azure-native:network:Subnet", "b")]);
        const b = res(U("azure-native:network:Subnet", "b"), null, [a.urn]);
        assert.throws(() => criticalPath([a, b]), /dependency cycle/);
    });

    it("renders the estimate, the lower bound and both chains", () => {
        const text = renderDeployPath(deployEstimate(graph(true), seconds));
        assert.match(text, /estimate 14m 1s; lower bound 12m 21s/);
        assert.match(text, /aks-a/);
        assert.equal(formatDuration(3725), "1h 2m 5s");
    });
});

describe("deploy path: declared waits", () => {
    it("counts the RBAC grant check as the typical propagation time, capped by its bound", () => {
        const check = (timeoutSeconds: number): GraphResource => ({
            urn: "urn:d",
            type: "pulumi-nodejs:dynamic:Resource",
            name: "d",
            dependencies: [],
            custom: true,
            inputs: { roleAssignmentId: "/x", intervalSeconds: 10, timeoutSeconds },
        });
        assert.equal(durationOf(check(600)), 120);
        assert.equal(durationOf(check(60)), 60);
    });
});

describe("deploy path: the committed stacks", function () {
    this.timeout(120_000);
    // A type token that drifts (azure-native moved Traffic Manager from `network` to
    // `trafficmanager`, Azure Monitor from `insights` to `monitor`) silently falls to a catch-all
    // row and skews the estimate: every resource the stacks register must have a row of its own.
    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: every custom resource type has its own DURATIONS row (no fallback)`, async () => {
            const run = await stackRun(stack);
            const custom = run.resources.filter(r => !isComponent(r));
            assert.ok(
                custom.some(r => r.type === "azure-native:trafficmanager:Profile"),
                "the stack registers a Traffic Manager profile",
            );
            const unmatched = [
                ...new Set(
                    custom
                        .filter(r => {
                            const rule = durationRuleOf(r);
                            return !rule || rule.fallback;
                        })
                        .map(r => `${r.type} (${durationRuleOf(r)?.typical ?? "no row"})`),
                ),
            ].sort();
            assert.deepEqual(unmatched, []);
        });
    }
});
