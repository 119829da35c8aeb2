import { strict as assert } from "assert";
import * as YAML from "yaml";
import { byName, byType, descendants, readStackConfig, RecordedResource, stackRun, StackRun, azureLayerRun } from "../harness";
import { BUILT_IN_ROLES } from "../../components/azure/roles";
import { uuidFrom, MOCK_SUBSCRIPTION_ID, AKS_AAD_SERVER_ID } from "../../tools/mock-outputs";
import { CLUSTER_KEYS } from "../../infra/config";

const AKS = "azure-native:containerservice:ManagedCluster";
const MAINT = "azure-native:containerservice:MaintenanceConfiguration";
const RA = "azure-native:authorization:RoleAssignment";
const PIP = "azure-native:network:PublicIPAddress";
const VNET = "azure-native:network:VirtualNetwork";
const PROVIDER = "pulumi:providers:kubernetes";
const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

const cluster = (run: StackRun, key: string) => byName(run, AKS, `${key}-aks`);
const mockClusterId = (rg: string, name: string) =>
    `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
const roleOf = (r: RecordedResource) => String(r.inputs.roleDefinitionId).split("/").pop();
const groups = {
    dev: {
        admin: "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7",
        dev: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        ops: "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
    },
    prod: {
        admin: "7a2b3c4d-5e6f-4a70-8b81-a2c3d4e5f607",
        dev: "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
        ops: "3d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f70",
    },
} as const;
/** kubernetes.deployer in the committed stacks. */
const deployer = {
    dev: { objectId: "4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c", principalType: "Group" },
    prod: { objectId: "8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e", principalType: "ServicePrincipal" },
} as const;
/** kubernetes.operatorNamespaces in the committed stacks. */
const operatorNamespaces = { dev: ["team-a"], prod: [] as string[] } as const;

for (const stack of ["dev", "prod"] as const) {
    describe(`AKS clusters (${stack})`, () => {
        let run: StackRun;
        before(async () => {
            run = await stackRun(stack);
        });

        it("creates exactly two clusters, in the two configured regions, with distinct names", () => {
            const clusters = byType(run, AKS);
            assert.equal(clusters.length, 2);
            assert.deepEqual(clusters.map(c => c.inputs.location).sort(), ["northeurope", "westeurope"]);
            assert.equal(new Set(clusters.map(c => c.inputs.resourceName)).size, 2);
            assert.equal(new Set(clusters.map(c => c.inputs.resourceGroupName)).size, 2);
            assert.equal(new Set(clusters.map(c => c.inputs.nodeResourceGroup)).size, 2);
        });

        it("gives every Azure child of the two regions its own logical and physical name", () => {
            const names = (key: string) => descendants(run, byName(run, "platform:azure:Cluster", key).urn);
            const primary = names("primary");
            const secondary = names("secondary");
            assert.ok(primary.length >= 10);
            assert.equal(primary.length, secondary.length);
            const overlap = primary.map(r => r.name).filter(n => secondary.some(s => s.name === n));
            assert.deepEqual(overlap, []);
            const physical = (rs: RecordedResource[]) =>
                rs
                    .map(r => r.inputs.resourceName ?? r.inputs.virtualNetworkName ?? r.inputs.publicIpAddressName)
                    .filter((n): n is string => typeof n === "string");
            assert.deepEqual(
                physical(primary).filter(n => physical(secondary).includes(n)),
                [],
            );
        });

        for (const key of CLUSTER_KEYS) {
            it(`${key}: CNI Overlay with Cilium policy + data plane and the configured CIDRs`, () => {
                const np = cluster(run, key).inputs.networkProfile as Record<string, unknown>;
                assert.equal(np.networkPlugin, "azure");
                assert.equal(np.networkPluginMode, "overlay");
                assert.equal(np.networkPolicy, "cilium");
                assert.equal(np.networkDataplane, "cilium");
                assert.equal(np.podCidr, "192.168.0.0/16");
                assert.equal(np.serviceCidr, "172.16.0.0/16");
                assert.equal(np.dnsServiceIP, "172.16.0.10");
                assert.equal(np.loadBalancerSku, "standard");
            });

            it(`${key}: Entra ID with Azure RBAC, local accounts disabled, OIDC issuer and workload identity`, () => {
                const i = cluster(run, key).inputs as Record<string, any>;
                assert.equal(i.aadProfile.managed, true);
                assert.equal(i.aadProfile.enableAzureRBAC, true);
                assert.deepEqual(i.aadProfile.adminGroupObjectIDs, [
                    stack === "dev" ? "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7" : "7a2b3c4d-5e6f-4a70-8b81-a2c3d4e5f607",
                ]);
                assert.equal(i.disableLocalAccounts, true);
                assert.equal(i.enableRBAC, true);
                assert.equal(i.oidcIssuerProfile.enabled, true);
                assert.equal(i.securityProfile.workloadIdentity.enabled, true);
                assert.equal(
                    i.identity.type,
                    "UserAssigned",
                    "the pre-created control-plane identity (test/azure/day2-identities.test.ts)",
                );
            });

            it(`${key}: minor version pinned, patch + NodeImage channels, authorized IP ranges`, () => {
                const i = cluster(run, key).inputs as Record<string, any>;
                assert.equal(i.kubernetesVersion, "1.34");
                assert.deepEqual(i.autoUpgradeProfile, { upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" });
                assert.deepEqual(
                    i.apiServerAccessProfile.authorizedIPRanges,
                    stack === "dev" ? ["203.0.113.0/24"] : ["203.0.113.0/24", "198.51.100.16/28"],
                );
            });

            it(`${key}: tainted System pool and autoscaling User pool, in the configured zones and the node subnet`, () => {
                const c = cluster(run, key);
                const pools = c.inputs.agentPoolProfiles as Record<string, any>[];
                const system = pools.find(p => p.mode === "System")!;
                assert.equal(pools.length, 1, "only the system pool inline");
                const user = byName(run, "azure-native:containerservice:AgentPool", `${key}-pool-user`).inputs as Record<string, any>;
                assert.deepEqual(system.nodeTaints, ["CriticalAddonsOnly=true:NoSchedule"]);
                assert.equal(user.nodeTaints, undefined);
                for (const p of [system, user]) {
                    assert.equal(p.enableAutoScaling, true);
                    assert.ok(p.minCount <= p.maxCount);
                    assert.deepEqual(p.availabilityZones, stack === "prod" ? ["1", "2", "3"] : undefined);
                    assert.equal(p.orchestratorVersion, "1.34");
                    const vnet = byName(run, VNET, `${key}-vnet`);
                    assert.match(p.vnetSubnetID, new RegExp(`/virtualNetworks/${vnet.inputs.virtualNetworkName}/subnets/snet-nodes$`));
                }
                assert.deepEqual([user.minCount, user.maxCount], stack === "prod" ? [3, 12] : [1, 3]);
                assert.ok(c.ignoreChanges.includes("agentPoolProfiles[0].count"), "the autoscaler owns the node count");
                assert.ok(c.dependencies.includes(byName(run, VNET, `${key}-vnet`).urn));
            });

            it(`${key}: Container Insights and (prod only) Defender report to the stack's workspace`, () => {
                const i = cluster(run, key).inputs as Record<string, any>;
                const workspace = byType(run, "azure-native:operationalinsights:Workspace")[0];
                const workspaceId = `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${workspace.inputs.resourceGroupName}/providers/Microsoft.OperationalInsights/workspaces/${workspace.inputs.workspaceName}`;
                assert.equal(i.addonProfiles.omsagent.enabled, true);
                assert.equal(i.addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID, workspaceId);
                assert.equal(i.addonProfiles.omsagent.config.useAADAuth, "true", "managed-identity auth, no workspace shared key");
                if (stack === "prod") {
                    assert.deepEqual(i.securityProfile.defender, {
                        logAnalyticsWorkspaceResourceId: workspaceId,
                        securityMonitoring: { enabled: true },
                    });
                } else {
                    assert.equal(i.securityProfile.defender, undefined);
                }
                assert.equal(workspace.inputs.retentionInDays, stack === "prod" ? 90 : 30);
            });

            it(`${key}: both named maintenance windows, weekly, from config`, () => {
                const c = cluster(run, key);
                const configs = byType(run, MAINT).filter(m => m.inputs.resourceName === c.inputs.resourceName);
                const byConfig = Object.fromEntries(
                    configs.map(m => [m.inputs.configName, m.inputs.maintenanceWindow as Record<string, any>]),
                );
                assert.deepEqual(Object.keys(byConfig).sort(), ["aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"]);
                const expected =
                    stack === "dev"
                        ? { upgrade: ["Tuesday", "09:00"], nodeOs: ["Wednesday", "09:00"] }
                        : { upgrade: ["Sunday", "02:00"], nodeOs: ["Saturday", "02:00"] };
                for (const [name, [day, start]] of [
                    ["aksManagedAutoUpgradeSchedule", expected.upgrade],
                    ["aksManagedNodeOSUpgradeSchedule", expected.nodeOs],
                ] as const) {
                    assert.deepEqual(byConfig[name], {
                        schedule: { weekly: { dayOfWeek: day, intervalWeeks: 1 } },
                        startTime: start,
                        utcOffset: "+00:00",
                        durationHours: 4,
                    });
                }
                for (const m of configs) assert.ok(m.dependencies.includes(c.urn));
            });

            it(`${key}: static, Standard, DNS-labelled gateway IP (zone-redundant in prod) where the control plane is Network Contributor`, () => {
                const cp = byName(run, "azure-native:managedidentity:UserAssignedIdentity", `${key}-controlplane-identity`);
                const c = cluster(run, key);
                const ip = byName(run, PIP, `${key}-gateway-ip`);
                assert.equal(ip.inputs.publicIPAllocationMethod, "Static");
                assert.deepEqual(ip.inputs.sku, { name: "Standard", tier: "Regional" });
                assert.deepEqual(ip.inputs.zones, stack === "prod" ? ["1", "2", "3"] : undefined);
                assert.equal(ip.inputs.location, c.inputs.location);
                assert.match(String((ip.inputs.dnsSettings as any).domainNameLabel), new RegExp(`^sc${stack}-${key}-[0-9a-f]{6}$`));
                const nc = byType(run, RA).filter(r => roleOf(r) === BUILT_IN_ROLES.NetworkContributor && r.urn.includes(`::${key}-`));
                const onIp = nc.filter(
                    r =>
                        r.inputs.scope ===
                        `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${ip.inputs.resourceGroupName}/providers/Microsoft.Network/publicIPAddresses/${ip.inputs.publicIpAddressName}`,
                );
                assert.equal(onIp.length, 1, "on the IP itself, not its resource group");
                assert.equal(onIp[0].inputs.principalId, uuidFrom(cp.urn, "principal"));
                assert.equal(onIp[0].inputs.principalType, "ServicePrincipal");
            });

            it(`${key}: egress leaves from a static IP of its own`, () => {
                const c = cluster(run, key);
                const egress = byName(run, PIP, `${key}-egress-ip`);
                const lb = (c.inputs.networkProfile as any).loadBalancerProfile;
                assert.deepEqual(lb.outboundIPs.publicIPs, [
                    {
                        id: `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${egress.inputs.resourceGroupName}/providers/Microsoft.Network/publicIPAddresses/${egress.inputs.publicIpAddressName}`,
                    },
                ]);
            });

            it(`${key}: at cluster scope the deployer and admins are Cluster Admin, operators and developers only Reader (+ Cluster User)`, () => {
                const c = cluster(run, key);
                const id = mockClusterId(String(c.inputs.resourceGroupName), String(c.inputs.resourceName));
                const onCluster = byType(run, RA).filter(r => r.inputs.scope === id);
                const grants = onCluster.map(r => `${roleOf(r)} ${r.inputs.principalId} ${r.inputs.principalType}`).sort();
                const cfg = groups[stack];
                assert.deepEqual(
                    grants,
                    [
                        `${BUILT_IN_ROLES.AksRbacClusterAdmin} ${deployer[stack].objectId} ${deployer[stack].principalType}`,
                        `${BUILT_IN_ROLES.AksRbacClusterAdmin} ${cfg.admin} Group`,
                        `${BUILT_IN_ROLES.AksRbacReader} ${cfg.ops} Group`,
                        `${BUILT_IN_ROLES.AksRbacReader} ${cfg.dev} Group`,
                        `${BUILT_IN_ROLES.AksClusterUser} ${cfg.admin} Group`,
                        `${BUILT_IN_ROLES.AksClusterUser} ${cfg.ops} Group`,
                        `${BUILT_IN_ROLES.AksClusterUser} ${cfg.dev} Group`,
                    ].sort(),
                );
            });

            it(`${key}: RBAC Writer only at namespace scope, for the operators group, in exactly kubernetes.operatorNamespaces`, () => {
                const c = cluster(run, key);
                const id = mockClusterId(String(c.inputs.resourceGroupName), String(c.inputs.resourceName));
                const writers = byType(run, RA).filter(
                    r => roleOf(r) === BUILT_IN_ROLES.AksRbacWriter && String(r.inputs.scope).startsWith(id),
                );
                assert.deepEqual(
                    writers.map(r => [r.inputs.scope, r.inputs.principalId, r.inputs.principalType]),
                    operatorNamespaces[stack].map(ns => [`${id}/namespaces/${ns}`, groups[stack].ops, "Group"]),
                );
                for (const w of writers) assert.ok(w.dependencies.includes(c.urn), "scope comes from the cluster's id");
            });
            it(`${key}: the Kubernetes provider uses the rewritten user kubeconfig (secret), clusterIdentifier, SSA, after the deployer's grant`, () => {
                const c = cluster(run, key);
                const provider = byName(run, PROVIDER, `${key}-k8s`);
                assert.equal(provider.inputs.kubeconfig, "[secret]");
                const kubeconfig = YAML.parse(String(provider.rawInputs.kubeconfig));
                assert.match(kubeconfig.users[0].name, /^clusterUser_/, "user credentials, never clusterAdmin");
                assert.deepEqual(kubeconfig.users[0].user.exec.args, [
                    "get-token",
                    "--login",
                    "azurecli",
                    "--server-id",
                    AKS_AAD_SERVER_ID,
                ]);
                assert.match(kubeconfig.clusters[0].cluster.server, new RegExp(`^https://${c.inputs.resourceName}-`));
                assert.equal(
                    provider.inputs.clusterIdentifier,
                    mockClusterId(String(c.inputs.resourceGroupName), String(c.inputs.resourceName)),
                );
                assert.equal(provider.inputs.enableServerSideApply, "true");
                assert.notEqual(provider.inputs.deleteUnreachable, "true");
                const deployerGrant = byType(run, RA).find(
                    r => r.inputs.principalId === deployer[stack].objectId && r.inputs.scope === provider.inputs.clusterIdentifier,
                )!;
                assert.ok(provider.dependencies.includes(deployerGrant.urn), "the provider waits for the deployer's RBAC grant");
                assert.ok(provider.dependencies.includes(c.urn));
            });

            it(`${key}: a bounded check that the deployer's grant is effective sits between the grant and the provider`, () => {
                const c = cluster(run, key);
                const provider = byName(run, PROVIDER, `${key}-k8s`);
                const deployerGrant = byType(run, RA).find(
                    r => r.inputs.principalId === deployer[stack].objectId && r.inputs.scope === provider.inputs.clusterIdentifier,
                )!;
                const check = byName(run, DYNAMIC, `${key}-deployer-rbac-propagation`);
                assert.equal(check.parent, byName(run, "platform:azure:Cluster", key).urn);
                assert.ok(check.dependencies.includes(deployerGrant.urn), "the check starts after the grant exists");
                assert.ok(provider.dependencies.includes(check.urn), "the provider (and every Kubernetes object) waits for it");
                assert.equal(
                    check.inputs.roleAssignmentId,
                    `${deployerGrant.inputs.scope}/providers/Microsoft.Authorization/roleAssignments/${deployerGrant.inputs.roleAssignmentName}`,
                );
                assert.deepEqual([check.inputs.intervalSeconds, check.inputs.timeoutSeconds], [10, 600]);
                // It asks as the provider does: the same server and exec login, kept secret.
                assert.equal(check.inputs.connection, "[secret]");
                const kubeconfig = YAML.parse(String(provider.rawInputs.kubeconfig));
                const connection = check.rawInputs.connection as Record<string, any>;
                assert.equal(connection.server, kubeconfig.clusters[0].cluster.server);
                assert.deepEqual(connection.exec.args, kubeconfig.users[0].user.exec.args);
                assert.deepEqual(
                    (check.rawInputs.checks as any[]).map(x => x.resource),
                    ["customresourcedefinitions", "namespaces", "clusterrolebindings", "validatingwebhookconfigurations"],
                );
                assert.doesNotMatch(JSON.stringify({ ...check.inputs, __provider: undefined }), /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
                assert.ok(!String(check.rawInputs.__provider).includes("Date"), "the provider never reads the clock");
                assert.ok(!c.dependencies.includes(check.urn));
            });
        }
    });
}

describe("AKS clusters: configuration variants", () => {
    const devKubernetes = () => JSON.parse(readStackConfig("dev").config["platform:kubernetes"]);

    it("kubeloginMode selects the provider's non-interactive login", async () => {
        const run = await azureLayerRun({
            stack: "dev",
            configOverrides: { "platform:kubernetes": { ...devKubernetes(), kubeloginMode: "workloadidentity" } },
        });
        for (const key of CLUSTER_KEYS) {
            const kubeconfig = YAML.parse(String(byName(run, PROVIDER, `${key}-k8s`).rawInputs.kubeconfig));
            assert.deepEqual(kubeconfig.users[0].user.exec.args, [
                "get-token",
                "--login",
                "workloadidentity",
                "--server-id",
                AKS_AAD_SERVER_ID,
            ]);
        }
    });

    it("operators get namespace-scoped Writer per configured namespace and never a cluster-scoped one", async () => {
        const run = await azureLayerRun({
            stack: "dev",
            configOverrides: { "platform:kubernetes": { ...devKubernetes(), operatorNamespaces: ["team-b", "team-a"] } },
        });
        const writers = byType(run, RA).filter(r => roleOf(r) === BUILT_IN_ROLES.AksRbacWriter);
        assert.equal(writers.length, 4);
        for (const key of CLUSTER_KEYS) {
            const c = cluster(run, key);
            const id = mockClusterId(String(c.inputs.resourceGroupName), String(c.inputs.resourceName));
            assert.deepEqual(
                writers
                    .filter(w => String(w.inputs.scope).startsWith(`${id}/`))
                    .map(w => w.inputs.scope)
                    .sort(),
                [`${id}/namespaces/team-a`, `${id}/namespaces/team-b`],
            );
        }
        for (const w of writers) assert.equal(w.inputs.principalId, groups.dev.ops);
        // The operators group is required (sign-in to the platform UIs): test/infra/config.test.ts.
    });

    it("calico and azure policy engines run on the Azure data plane", async () => {
        for (const engine of ["calico", "azure"]) {
            const run = await azureLayerRun({
                stack: "dev",
                configOverrides: { "platform:kubernetes": { ...devKubernetes(), networkPolicy: engine } },
            });
            const np = cluster(run, "primary").inputs.networkProfile as Record<string, unknown>;
            assert.deepEqual([np.networkPolicy, np.networkDataplane, np.networkPluginMode], [engine, "azure", "overlay"]);
        }
    });
});

describe("cluster control-plane logs", () => {
    it("send the API server's write audit, Entra auth and autoscaler logs of each cluster to the workspace", async () => {
        const run = await stackRun("dev");
        const settings = byType(run, "azure-native:monitor:DiagnosticSetting");
        const clusters = byType(run, "azure-native:containerservice:ManagedCluster");
        assert.equal(settings.length, clusters.length);
        const workspace = (run.rawOutputs as Record<string, any>).logAnalyticsWorkspaceId;
        for (const s of settings) {
            assert.equal(s.rawInputs.workspaceId, workspace);
            assert.deepEqual((s.rawInputs.logs as { category: string }[]).map(l => l.category).sort(), [
                "cluster-autoscaler",
                "guard",
                "kube-audit-admin",
            ]);
            assert.ok(
                clusters.some(c => s.propertyDependencies.resourceUri?.includes(c.urn)),
                "scoped to a cluster",
            );
        }
        assert.notEqual(settings[0].rawInputs.resourceUri, settings[1].rawInputs.resourceUri);
    });
});
