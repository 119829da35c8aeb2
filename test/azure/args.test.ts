// Identities and ResourceGroups take their own described, validated Args (zod, before any child
// is registered): a bad value is an error naming the key, not an odd resource name in Azure.
import { strict as assert } from "assert";
import { Identities, IdentitiesArgs } from "../../components/azure/identity";
import { ResourceGroups, ResourceGroupsArgs } from "../../components/azure/resource-groups";
import { freshRun, rejection } from "../harness";

const cluster = (key: string) => ({
    clusterName: `aks-${key}`,
    oidcIssuerUrl: `https://issuer/${key}/`,
    kubeletObjectId: `kubelet-${key}`,
});
const identities = (o: Partial<IdentitiesArgs>): IdentitiesArgs => ({
    namePrefix: "scdev",
    resourceGroupName: "rg-global",
    location: "westeurope",
    subscriptionId: "sub",
    registryId: "/registry",
    dnsZoneId: "/zone",
    dnsResourceGroupId: "/rg-dns",
    clusters: { primary: cluster("primary"), secondary: cluster("secondary") },
    pipelineNamespace: "ci",
    protect: false,
    tags: {},
    ...o,
});
const groups = (o: Partial<ResourceGroupsArgs>): ResourceGroupsArgs => ({
    namePrefix: "scdev",
    sharedLocation: "westeurope",
    regions: { primary: "westeurope", secondary: "northeurope" },
    lock: false,
    tags: {},
    ...o,
});

describe("Azure component Args", () => {
    it("Identities and ResourceGroups accept the stack's values", async () => {
        const run = await freshRun({
            stack: "dev",
            program: () => {
                new Identities("identity", identities({}));
                new ResourceGroups("rg", groups({}));
            },
        });
        assert.ok(run.resources.some(r => r.type === "azure-native:managedidentity:UserAssignedIdentity"));
        assert.ok(run.resources.some(r => r.type === "azure-native:resources:ResourceGroup"));
    });

    it("Identities: rejects a bad name prefix and pipeline namespace, naming both", async () => {
        const err = await rejection(() =>
            freshRun({
                stack: "dev",
                program: () => {
                    new Identities("identity", identities({ namePrefix: "SC-dev", pipelineNamespace: "CI_ns" }));
                },
            }),
        );
        assert.match(
            err.message,
            /Identities identity: namePrefix 'SC-dev' must be 2-12 lower-case letters and digits, starting with a letter; pipelineNamespace 'CI_ns' is not a namespace name/,
        );
    });

    it("ResourceGroups: rejects a bad name prefix and unknown regions, naming each key", async () => {
        const err = await rejection(() =>
            freshRun({
                stack: "dev",
                program: () => {
                    new ResourceGroups(
                        "rg",
                        groups({ namePrefix: "x", sharedLocation: "West Europe", regions: { primary: "westeurope", secondary: "mars" } }),
                    );
                },
            }),
        );
        assert.match(err.message, /ResourceGroups rg: namePrefix 'x' must be 2-12/);
        assert.match(err.message, /sharedLocation 'West Europe' is not an Azure region/);
        assert.match(err.message, /regions\.secondary 'mars' is not an Azure region/);
    });
});
