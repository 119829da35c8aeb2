import { strict as assert } from "assert";
import { criticalPath, deployEstimate, durationOf, formatDuration, GraphResource, renderDeployPath } from "../../tools/deploy-path";

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
const APP = U("azure-native:authorization:RoleAssignment", "app");
const REGISTRY = U("azure-native:containerregistry:Registry", "acr");
const REPLICA = U("azure-native:containerregistry:Replication", "acr-replica");

const SECONDS: Record<string, number> = {
    rg: 5, "vnet-a": 10, "aks-a": 600, "vnet-b": 10, "aks-b": 700, "prov-a": 1, ns: 2, gateway: 90, "cert-manager": 120, app: 10,
    acr: 60, "acr-replica": 240,
};
const seconds = (r: GraphResource) => (r.custom === false ? 0 : SECONDS[r.name] ?? 0);

function res(urn: string, parent: string | null, deps: string[] = [], more: Partial<GraphResource> = {}): GraphResource {
    const [, , type, name] = urn.split("::");
    return { urn, type, name, parent, dependencies: deps, custom: !(type === "pulumi:pulumi:Stack" || type.startsWith("platform:")), ...more };
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
        // cert-manager 708-828, app (waits for the add-ons component) 828-838.
        assert.equal(p.totalSeconds, 838);
        assert.deepEqual(p.chain.map(s => [s.name, s.start, s.finish]), [
            ["rg", 0, 5], ["vnet-a", 5, 15], ["aks-a", 15, 615], ["prov-a", 615, 616], ["ns", 616, 618],
            ["gateway", 618, 708], ["cert-manager", 708, 828], ["app", 828, 838],
        ]);
    });

    it("the secondary region does not wait for the primary", () => {
        // Make the secondary cluster the long pole: the chain switches region, the total is its own.
        const g = graph(false);
        const p = criticalPath(g, { durationOf: r => (r.name === "aks-b" ? 900 : seconds(r)) });
        assert.equal(p.totalSeconds, 5 + 10 + 900);
        assert.deepEqual(p.chain.map(s => s.name), ["rg", "vnet-b", "aks-b"]);
    });

    it("a child of a custom resource waits for its parent", () => {
        const p = criticalPath(graph(false).filter(r => [STACK, RG, REGISTRY, REPLICA].includes(r.urn)), { durationOf: seconds });
        assert.equal(p.totalSeconds, 5 + 60 + 240);
        assert.deepEqual(p.chain.map(s => s.name), ["rg", "acr", "acr-replica"]);
    });

    it("lower bound from property dependencies drops ordering-only edges", () => {
        const e = deployEstimate(graph(true), seconds);
        assert.equal(e.lowerBoundBasis, "propertyDependencies");
        assert.equal(e.estimate.totalSeconds, 838);
        // cert-manager no longer waits for the gateway chart: 618 + 120 = 738; the gateway ends
        // at 708; `app` has no data dependency on the add-ons, so it starts at 0.
        assert.equal(e.lowerBound.totalSeconds, 738);
        assert.deepEqual(e.lowerBound.chain.map(s => s.name), ["rg", "vnet-a", "aks-a", "prov-a", "ns", "cert-manager"]);
    });

    it("without property dependencies, the lower bound keeps edges to prerequisite types only", () => {
        const e = deployEstimate(graph(false), seconds);
        assert.equal(e.lowerBoundBasis, "prerequisite types");
        // Namespace, cluster, VNet, resource group, provider edges kept; the Helm-release and
        // component edges dropped: same 738 as with the precise split.
        assert.equal(e.lowerBound.totalSeconds, 738);
        assert.ok(e.lowerBound.totalSeconds <= e.estimate.totalSeconds);
    });

    it("uses the documented table: per type, per chart, components free", () => {
        const r = (type: string, inputs: Record<string, unknown> = {}, custom = true): GraphResource =>
            ({ urn: U(type, "x"), type, name: "x", dependencies: [], custom, inputs });
        assert.equal(durationOf(r("azure-native:containerservice:ManagedCluster")), 540);
        assert.equal(durationOf(r("azure-native:network:Profile")), 60);
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

    it("rejects a dependency cycle", () => {
        const a = res(U("azure-native:network:Subnet", "a"), null, [U("azure-native:network:Subnet", "b")]);
        const b = res(U("azure-native:network:Subnet", "b"), null, [a.urn]);
        assert.throws(() => criticalPath([a, b]), /dependency cycle/);
    });

    it("renders the estimate, the lower bound and both chains", () => {
        const text = renderDeployPath(deployEstimate(graph(true), seconds));
        assert.match(text, /estimate 13m 58s; lower bound 12m 18s/);
        assert.match(text, /aks-a/);
        assert.equal(formatDuration(3725), "1h 2m 5s");
    });
});
