import { strict as assert } from "assert";
import { byName, byType, RecordedResource, stackRun, StackRun } from "../harness";
import { BUILT_IN_ROLES, REGISTRY_WRITE_ROLES, deterministicGuid, roleDefinitionId } from "../../components/azure/roles";
import { MOCK_SUBSCRIPTION_ID, uuidFrom } from "../../tools/mock-outputs";
import { issuerOf, kubeletObjectIdOf } from "./helpers";
import { readStackConfig } from "../harness";
import { MANIFESTS_CHECK_SERVICE_ACCOUNT, serviceAccountSubject } from "../../model/names";
import { CHECK_SERVICE_ACCOUNT } from "../../components/cluster/pipeline";

const readStackConfigDelivery = (stack: string) => JSON.parse(readStackConfig(stack).config["platform:delivery"]);

const RA = "azure-native:authorization:RoleAssignment";
const UAI = "azure-native:managedidentity:UserAssignedIdentity";
const FIC = "azure-native:managedidentity:FederatedIdentityCredential";

const roleOf = (r: RecordedResource) => String(r.inputs.roleDefinitionId).split("/").pop();
const registryId = (run: StackRun) => {
    const acr = byType(run, "azure-native:containerregistry:Registry")[0];
    return `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${acr.inputs.resourceGroupName}/providers/Microsoft.ContainerRegistry/registries/${acr.inputs.registryName}`;
};
const zoneId = (run: StackRun) => {
    const zone = byType(run, "azure-native:dns:Zone")[0];
    return `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${zone.inputs.resourceGroupName}/providers/Microsoft.Network/dnsZones/${zone.inputs.zoneName}`;
};
const dnsGroupId = (run: StackRun) => {
    const zone = byType(run, "azure-native:dns:Zone")[0];
    return `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${zone.inputs.resourceGroupName}`;
};
const principalOf = (run: StackRun, identity: string) => uuidFrom(byName(run, UAI, identity).urn, "principal");

for (const stack of ["dev", "prod"] as const) {
    describe(`identities and roles (${stack})`, () => {
        let run: StackRun;
        before(async () => {
            run = await stackRun(stack);
        });

        it("every role assignment: full role definition id from the subscription, a principal type, a deterministic name", () => {
            const assignments = byType(run, RA);
            assert.ok(assignments.length >= 15);
            const known = new Set<string>(Object.values(BUILT_IN_ROLES));
            for (const r of assignments) {
                assert.match(
                    String(r.inputs.roleDefinitionId),
                    new RegExp(
                        `^/subscriptions/${MOCK_SUBSCRIPTION_ID}/providers/Microsoft\\.Authorization/roleDefinitions/[0-9a-f-]{36}$`,
                    ),
                    r.name,
                );
                assert.ok(known.has(roleOf(r)!), `${r.name}: role from the one table`);
                assert.ok(["ServicePrincipal", "Group", "User"].includes(String(r.inputs.principalType)), `${r.name}: principalType`);
                assert.equal(
                    r.inputs.roleAssignmentName,
                    deterministicGuid(String(r.inputs.scope), roleOf(r)!, String(r.inputs.principalId)),
                    r.name,
                );
            }
            assert.equal(new Set(assignments.map(r => r.inputs.roleAssignmentName)).size, assignments.length);
        });

        it("each cluster's kubelet identity gets AcrPull on the registry (wired to that cluster's kubelet); so does the manifests check", () => {
            const pulls = byType(run, RA).filter(r => roleOf(r) === BUILT_IN_ROLES.AcrPull);
            assert.deepEqual(
                pulls.map(r => r.inputs.principalId).sort(),
                [
                    kubeletObjectIdOf(run, "primary-aks"),
                    kubeletObjectIdOf(run, "secondary-aks"),
                    principalOf(run, "identity-manifests-check"),
                ].sort(),
            );
            for (const key of ["primary", "secondary"]) {
                const pull = pulls.find(r => r.inputs.principalId === kubeletObjectIdOf(run, `${key}-aks`))!;
                assert.equal(pull.inputs.scope, registryId(run));
                assert.equal(pull.inputs.principalType, "ServicePrincipal");
                // The pre-created identity, not the cluster: a cluster rebuild leaves the grant alone.
                assert.ok(pull.dependencies.includes(byName(run, UAI, `${key}-kubelet-identity`).urn));
                assert.ok(!pull.dependencies.includes(byName(run, "azure-native:containerservice:ManagedCluster", `${key}-aks`).urn));
            }
        });

        it("AcrPush only for the pipeline identity, on the registry; no Contributor or Owner anywhere", () => {
            const writers = byType(run, RA).filter(r => REGISTRY_WRITE_ROLES.some(role => roleOf(r) === BUILT_IN_ROLES[role]));
            assert.equal(writers.length, 1);
            assert.equal(roleOf(writers[0]), BUILT_IN_ROLES.AcrPush);
            assert.equal(writers[0].inputs.principalId, principalOf(run, "identity-pipeline"));
            assert.equal(writers[0].inputs.scope, registryId(run));
            const json = JSON.stringify(run.resources.map(r => r.inputs));
            assert.ok(!json.includes(BUILT_IN_ROLES.Contributor) && !json.includes(BUILT_IN_ROLES.Owner));
        });

        it("the pipeline identity is federated to the pipeline ServiceAccount on the primary cluster's issuer only", () => {
            const fics = byType(run, FIC).filter(f => f.name.startsWith("identity-pipeline-"));
            assert.equal(fics.length, 1);
            assert.equal(fics[0].inputs.subject, "system:serviceaccount:ci:pipeline");
            assert.equal(fics[0].inputs.issuer, issuerOf(run, "primary-aks"));
            assert.deepEqual(fics[0].inputs.audiences, ["api://AzureADTokenExchange"]);
            assert.equal(fics[0].inputs.resourceName, byName(run, UAI, "identity-pipeline").inputs.resourceName);
        });

        it("the manifests-check identity: AcrPull on the registry and nothing else, federated to the check's ServiceAccount on the primary only", () => {
            const grants = byType(run, RA).filter(r => r.inputs.principalId === principalOf(run, "identity-manifests-check"));
            assert.deepEqual(
                grants.map(r => [roleOf(r), r.inputs.scope, r.inputs.principalType]),
                [[BUILT_IN_ROLES.AcrPull, registryId(run), "ServicePrincipal"]],
            );
            const fics = byType(run, FIC).filter(f => f.name.startsWith("identity-manifests-check-"));
            assert.equal(fics.length, 1);
            // The subject is the ServiceAccount the check's PipelineRuns run as (model/names.ts).
            const ns = readStackConfigDelivery(stack).pipelineNamespace;
            assert.equal(fics[0].inputs.subject, serviceAccountSubject(ns, MANIFESTS_CHECK_SERVICE_ACCOUNT));
            assert.equal(fics[0].inputs.subject, `system:serviceaccount:${ns}:${CHECK_SERVICE_ACCOUNT}`);
            assert.equal(fics[0].inputs.issuer, issuerOf(run, "primary-aks"));
            assert.deepEqual(fics[0].inputs.audiences, ["api://AzureADTokenExchange"]);
            assert.equal(fics[0].inputs.resourceName, byName(run, UAI, "identity-manifests-check").inputs.resourceName);
            // …and the check's ServiceAccount carries this identity's client id; the run uses that SA.
            const k8s = (kind: string, name: string) =>
                run.resources.find(r => r.type === `kubernetes:${kind}` && (r.inputs as Record<string, any>).metadata?.name === name)!
                    .inputs as Record<string, any>;
            const sa = k8s("core/v1:ServiceAccount", CHECK_SERVICE_ACCOUNT);
            assert.equal(sa.metadata.namespace, ns);
            assert.equal(
                sa.metadata.annotations["azure.workload.identity/client-id"],
                uuidFrom(byName(run, UAI, "identity-manifests-check").urn, "client"),
            );
            const template = k8s("triggers.tekton.dev/v1beta1:TriggerTemplate", "manifests-check");
            assert.equal(template.spec.resourcetemplates[0].spec.taskRunTemplate.serviceAccountName, sa.metadata.name);
        });

        for (const [id, sa] of [
            ["cert-manager", "system:serviceaccount:cert-manager:cert-manager"],
            ["external-dns", "system:serviceaccount:external-dns:external-dns"],
        ] as const) {
            it(`${id}: DNS Zone Contributor on the zone, federated on each cluster's issuer, one credential after another`, () => {
                const primary = byName(run, FIC, `identity-${id}-primary`);
                const secondary = byName(run, FIC, `identity-${id}-secondary`);
                for (const [fic, key] of [
                    [primary, "primary"],
                    [secondary, "secondary"],
                ] as const) {
                    assert.equal(fic.inputs.subject, sa);
                    assert.equal(fic.inputs.issuer, issuerOf(run, `${key}-aks`));
                    assert.deepEqual(fic.inputs.audiences, ["api://AzureADTokenExchange"]);
                }
                assert.notEqual(primary.inputs.issuer, secondary.inputs.issuer);
                assert.ok(secondary.dependencies.includes(primary.urn), "Entra rejects concurrent credential writes on one identity");
            });
        }

        it("cert-manager: DNS Zone Contributor on the zone and nothing else (its issuers name the zone; it never lists the group)", () => {
            const grants = byType(run, RA).filter(r => r.inputs.principalId === principalOf(run, "identity-cert-manager"));
            assert.deepEqual(
                grants.map(r => [roleOf(r), r.inputs.scope]),
                [[BUILT_IN_ROLES.DnsZoneContributor, zoneId(run)]],
            );
        });

        it("external-dns: DNS Zone Contributor on the zone plus Reader on the zone's resource group (it lists zones there)", () => {
            const grants = byType(run, RA).filter(r => r.inputs.principalId === principalOf(run, "identity-external-dns"));
            assert.deepEqual(
                grants.map(r => [roleOf(r), r.inputs.scope]).sort(),
                [
                    [BUILT_IN_ROLES.DnsZoneContributor, zoneId(run)],
                    [BUILT_IN_ROLES.Reader, dnsGroupId(run)],
                ].sort(),
            );
            assert.ok(zoneId(run).startsWith(`${dnsGroupId(run)}/providers/`), "the group that holds the zone");
            // The Reader grant is the only one at resource-group scope on the DNS group, and it is read-only.
            const onGroup = byType(run, RA).filter(r => r.inputs.scope === dnsGroupId(run));
            assert.deepEqual(
                onGroup.map(r => roleOf(r)),
                [BUILT_IN_ROLES.Reader],
            );
        });

        it("grants nothing to principals other than kubelets, the control planes, the four workload identities, the deployer and the configured groups", () => {
            const principals = new Set(byType(run, RA).map(r => String(r.inputs.principalType)));
            // No User: the committed stacks' deployer is a group (dev) or the CI identity (prod).
            assert.deepEqual([...principals].sort(), ["Group", "ServicePrincipal"]);
            const groups = byType(run, RA).filter(r => r.inputs.principalType === "Group");
            for (const g of groups) {
                assert.ok(
                    [
                        BUILT_IN_ROLES.AksRbacClusterAdmin,
                        BUILT_IN_ROLES.AksRbacWriter,
                        BUILT_IN_ROLES.AksRbacReader,
                        BUILT_IN_ROLES.AksClusterUser,
                    ].includes(roleOf(g) as never),
                    g.name,
                );
            }
        });
    });
}

describe("role helpers", () => {
    it("builds full role definition ids and stable GUID names", () => {
        assert.equal(
            roleDefinitionId("sub", "AcrPull"),
            "/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d",
        );
        const a = deterministicGuid("/scope", "role", "principal");
        assert.equal(a, deterministicGuid("/scope", "role", "principal"));
        assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.notEqual(a, deterministicGuid("/scope", "role", "other"));
    });
});
