// Issue 9 items 1, 2 and 5: stable, pre-created identities (the registry group's CanNotDelete lock
// also blocks deleting role assignments inside it), the control plane's narrow Network
// Contributor granted before the cluster, the user pool as its own AgentPool, and Harbor's
// storage closed to everything but the primary's node subnet.
import { strict as assert } from "assert";
import { byName, byType, readStackConfig, RecordedResource, stackRun, StackRun, azureLayerRun } from "../harness";
import { BUILT_IN_ROLES } from "../../components/azure/roles";
import { MOCK_SUBSCRIPTION_ID, uuidFrom } from "../../tools/mock-outputs";
import { CLUSTER_KEYS } from "../../infra/config";

const AKS = "azure-native:containerservice:ManagedCluster";
const POOL = "azure-native:containerservice:AgentPool";
const RA = "azure-native:authorization:RoleAssignment";
const UAI = "azure-native:managedidentity:UserAssignedIdentity";
const LOCK = "azure-native:authorization:ManagementLockAtResourceGroupLevel";
const rg = (name: string) => `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${name}`;
const uaiId = (r: RecordedResource) =>
    `${rg(String(r.inputs.resourceGroupName))}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${r.inputs.resourceName}`;
const principal = (r: RecordedResource) => uuidFrom(r.urn, "principal");
const roleOf = (r: RecordedResource) => String(r.inputs.roleDefinitionId).split("/").pop();
const idOf = (run: StackRun, type: string, name: string, armType: string, nameKey: string) => {
    const r = byName(run, type, name);
    return `${rg(String(r.inputs.resourceGroupName))}/providers/${armType}/${r.inputs[nameKey]}`;
};

describe("day two: identities under the registry lock (prod)", () => {
    let run: StackRun;
    before(async () => {
        run = await stackRun("prod");
    });

    it("every role assignment inside the locked registry group goes to a pre-created, protected identity", () => {
        const locks = byType(run, LOCK);
        assert.equal(locks.length, 1);
        const locked = rg(String(locks[0].inputs.resourceGroupName));
        const inside = byType(run, RA).filter(a => String(a.inputs.scope).toLowerCase().startsWith(`${locked.toLowerCase()}/`));
        assert.ok(inside.length >= 3, "AcrPull ×2 and AcrPush are scoped inside the registry group");
        const protectedIdentities = new Map(
            byType(run, UAI)
                .filter(u => u.protect)
                .map(u => [principal(u), u.name]),
        );
        for (const a of inside) {
            assert.ok(
                protectedIdentities.has(String(a.inputs.principalId)),
                `${a.name}: principal ${a.inputs.principalId} is not a protected user-assigned identity (a rebuilt principal would leave an undeletable assignment)`,
            );
        }
    });

    for (const key of CLUSTER_KEYS) {
        it(`${key}: the cluster runs on its pre-created control-plane and kubelet identities; the control plane may assign the kubelet one`, () => {
            const cluster = byName(run, AKS, `${key}-aks`);
            const cp = byName(run, UAI, `${key}-controlplane-identity`);
            const kubelet = byName(run, UAI, `${key}-kubelet-identity`);
            assert.ok(cp.protect && kubelet.protect, "protected in prod");
            const inputs = cluster.inputs as any;
            assert.deepEqual(inputs.identity, { type: "UserAssigned", userAssignedIdentities: [uaiId(cp)] });
            assert.deepEqual(inputs.identityProfile.kubeletidentity, {
                resourceId: uaiId(kubelet),
                clientId: uuidFrom(kubelet.urn, "client"),
                objectId: principal(kubelet),
            });
            const pull = byType(run, RA).find(a => roleOf(a) === BUILT_IN_ROLES.AcrPull && a.inputs.principalId === principal(kubelet));
            assert.ok(pull, "AcrPull goes to the pre-created kubelet identity");
            assert.ok(!pull!.dependencies.includes(cluster.urn), "AcrPull does not wait for (or change with) the cluster");
            const operator = byName(run, RA, `${key}-controlplane-kubelet-operator`);
            assert.equal(roleOf(operator), BUILT_IN_ROLES.ManagedIdentityOperator);
            assert.equal(operator.inputs.scope, uaiId(kubelet));
            assert.equal(operator.inputs.principalId, principal(cp));
            assert.ok(cluster.dependencies.includes(operator.urn), "the cluster is created after the grant AKS requires");
        });

        it(`${key}: Network Contributor for the control plane on the node subnet and the two public IPs only, before the cluster`, () => {
            const cluster = byName(run, AKS, `${key}-aks`);
            const cp = byName(run, UAI, `${key}-controlplane-identity`);
            const grants = byType(run, RA).filter(a => roleOf(a) === BUILT_IN_ROLES.NetworkContributor && a.name.startsWith(`${key}-`));
            const vnet = idOf(
                run,
                "azure-native:network:VirtualNetwork",
                `${key}-vnet`,
                "Microsoft.Network/virtualNetworks",
                "virtualNetworkName",
            );
            const ip = (what: string) =>
                idOf(
                    run,
                    "azure-native:network:PublicIPAddress",
                    `${key}-${what}-ip`,
                    "Microsoft.Network/publicIPAddresses",
                    "publicIpAddressName",
                );
            assert.deepEqual(grants.map(g => g.inputs.scope).sort(), [`${vnet}/subnets/snet-nodes`, ip("gateway"), ip("egress")].sort());
            for (const g of grants) {
                assert.equal(g.inputs.principalId, principal(cp));
                assert.ok(cluster.dependencies.includes(g.urn), `${g.name}: granted before the cluster exists`);
            }
        });

        it(`${key}: only the system pool inline; the user pool is an AgentPool carrying size, autoscaler range and version`, () => {
            const kc = JSON.parse(readStackConfig("prod").config["platform:kubernetes"]);
            const cluster = byName(run, AKS, `${key}-aks`);
            const profiles = (cluster.inputs as any).agentPoolProfiles as any[];
            assert.deepEqual(
                profiles.map(p => [p.name, p.mode]),
                [["system", "System"]],
            );
            const pool = byName(run, POOL, `${key}-pool-user`);
            const i = pool.inputs as any;
            assert.equal(i.agentPoolName, "user");
            assert.equal(i.resourceName, cluster.inputs.resourceName);
            assert.deepEqual(
                [i.mode, i.vmSize, i.enableAutoScaling, i.minCount, i.maxCount, i.orchestratorVersion],
                ["User", kc.userPool.vmSize, true, kc.userPool.minCount, kc.userPool.maxCount, kc.version],
            );
            assert.deepEqual(i.availabilityZones, kc.availabilityZones);
            assert.ok(pool.dependencies.includes(cluster.urn));
        });
    }

    it("a user pool resize changes the AgentPool, not the cluster's (non-updatable) inline profiles", async () => {
        const kc = JSON.parse(readStackConfig("prod").config["platform:kubernetes"]);
        const resized = await azureLayerRun({
            stack: "prod",
            configOverrides: { "platform:kubernetes": { ...kc, userPool: { ...kc.userPool, maxCount: kc.userPool.maxCount + 4 } } },
        });
        for (const key of CLUSTER_KEYS) {
            assert.deepEqual(byName(resized, AKS, `${key}-aks`).inputs, byName(run, AKS, `${key}-aks`).inputs);
            assert.equal((byName(resized, POOL, `${key}-pool-user`).inputs as any).maxCount, kc.userPool.maxCount + 4);
        }
    });

    it("the workload identities and the Azure Monitor workspace are protected", () => {
        for (const id of ["identity-pipeline", "identity-cert-manager", "identity-external-dns"])
            assert.ok(byName(run, UAI, id).protect, id);
        assert.ok(byType(run, "azure-native:monitor:AzureMonitorWorkspace").every(w => w.protect));
        assert.equal(byType(run, "azure-native:monitor:AzureMonitorWorkspace").length, 1);
    });
});

describe("day two: Harbor's storage admits only the primary's node subnet", () => {
    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: deny by default, one VNet rule for the primary node subnet, which carries the Microsoft.Storage endpoint`, async () => {
            const run = await stackRun(stack);
            const [account] = byType(run, "azure-native:storage:StorageAccount");
            const vnet = byName(run, "azure-native:network:VirtualNetwork", "primary-vnet");
            const subnetId = `${rg(String(vnet.inputs.resourceGroupName))}/providers/Microsoft.Network/virtualNetworks/${vnet.inputs.virtualNetworkName}/subnets/snet-nodes`;
            assert.deepEqual(account.inputs.networkRuleSet, {
                defaultAction: "Deny",
                bypass: "None",
                virtualNetworkRules: [{ virtualNetworkResourceId: subnetId, action: "Allow" }],
            });
            const subnet = (vnet.inputs.subnets as any[])[0];
            assert.deepEqual(subnet.serviceEndpoints, [{ service: "Microsoft.Storage", locations: [vnet.inputs.location] }]);
            const secondary = (byName(run, "azure-native:network:VirtualNetwork", "secondary-vnet").inputs.subnets as any[])[0];
            assert.equal(secondary.serviceEndpoints, undefined);
            const soft = byType(run, "azure-native:storage:BlobServiceProperties");
            if (stack === "prod") {
                assert.equal(soft.length, 1);
                assert.deepEqual(
                    [soft[0].inputs.deleteRetentionPolicy, soft[0].inputs.containerDeleteRetentionPolicy],
                    [
                        { enabled: true, days: 14 },
                        { enabled: true, days: 14 },
                    ],
                );
            } else {
                assert.equal(soft.length, 0);
            }
        });
    }
});
