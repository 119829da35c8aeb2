import { strict as assert } from "assert";
import { byName, byType, stackRun } from "../harness";
import { publicIpAddressOf } from "./helpers";

const ACR = "azure-native:containerregistry:Registry";
const REPLICA = "azure-native:containerregistry:Replication";

describe("registry (ACR)", () => {
    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: admin user and anonymous pull are off`, async () => {
            const run = await stackRun(stack);
            const acrs = byType(run, ACR);
            assert.equal(acrs.length, 1);
            assert.equal(acrs[0].inputs.adminUserEnabled, false);
            assert.equal(acrs[0].inputs.anonymousPullEnabled, false);
            assert.match(String(acrs[0].inputs.registryName), /^[a-z0-9]{5,50}$/);
        });
    }

    it("dev: Standard, none of the Premium-only features", async () => {
        const run = await stackRun("dev");
        const acr = byName(run, ACR, "registry-acr");
        assert.deepEqual(acr.inputs.sku, { name: "Standard" });
        for (const key of ["policies", "networkRuleSet"]) {
            assert.equal(acr.inputs[key], undefined, key);
        }
        assert.equal(acr.inputs.zoneRedundancy, "Disabled");
        assert.equal(byType(run, REPLICA).length, 0);
    });

    it("prod: Premium, zone-redundant, untagged retention, default-Deny network rules, replica in the secondary region", async () => {
        const run = await stackRun("prod");
        const acr = byName(run, ACR, "registry-acr");
        assert.deepEqual(acr.inputs.sku, { name: "Premium" });
        assert.equal(acr.inputs.zoneRedundancy, "Enabled");
        assert.deepEqual(acr.inputs.policies, { retentionPolicy: { status: "enabled", days: 7 } });
        const rules = acr.inputs.networkRuleSet as { defaultAction: string; ipRules: { iPAddressOrRange: string; action: string }[] };
        assert.equal(rules.defaultAction, "Deny");
        // The configured ranges plus each cluster's egress address (kubelets pull, the pipeline pushes).
        const expected = ["203.0.113.0/24", publicIpAddressOf(run, "primary-egress-ip"), publicIpAddressOf(run, "secondary-egress-ip")].sort();
        assert.deepEqual(rules.ipRules, expected.map(r => ({ iPAddressOrRange: r, action: "Allow" })));
        const replicas = byType(run, REPLICA);
        assert.equal(replicas.length, 1);
        assert.equal(replicas[0].inputs.location, "northeurope");
        assert.equal(replicas[0].inputs.registryName, acr.inputs.registryName);
        assert.ok(replicas[0].dependencies.includes(acr.urn));
    });
});
