import { strict as assert } from "assert";
import { byType, freshRun, planDocument, StackRun } from "../harness";
import { HarborStorage, HARBOR_CONTAINER_NAME } from "../../components/azure/harbor-storage";

const SUBNET = "/subscriptions/s/resourceGroups/rg-primary/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-nodes";

function storageRun(protect: boolean): Promise<StackRun> {
    return freshRun({
        stack: "dev",
        program: () => {
            const s = new HarborStorage("harbor-storage", {
                resourceGroupName: "rg-registry",
                location: "westeurope",
                namePrefix: "scdev",
                zoneRedundant: protect,
                protect,
                allowedSubnetId: SUBNET,
                softDeleteDays: protect ? 14 : 0,
                tags: { env: "dev" },
            });
            return { accountName: s.accountName, containerName: s.containerName, accountKey: s.accountKey };
        },
    });
}

describe("HarborStorage", () => {
    let dev: StackRun;
    let prod: StackRun;
    before(async () => {
        [dev, prod] = await Promise.all([storageRun(false), storageRun(true)]);
    });

    it("creates a hardened StorageV2 account: https only, TLS 1.2, no public blob access", () => {
        const [account] = byType(dev, "azure-native:storage:StorageAccount");
        assert.equal(account.inputs.kind, "StorageV2");
        assert.equal(account.inputs.enableHttpsTrafficOnly, true);
        assert.equal(account.inputs.minimumTlsVersion, "TLS1_2");
        assert.equal(account.inputs.allowBlobPublicAccess, false);
        // Harbor's azure driver authenticates with the account key.
        assert.equal(account.inputs.allowSharedKeyAccess, true);
        assert.ok(String(dev.outputs.accountName).length <= 24, "storage account names are at most 24 characters");
        assert.match(String(dev.outputs.accountName), /^[a-z0-9]{3,24}$/);
    });

    it("creates a private container for the registry", () => {
        const [container] = byType(dev, "azure-native:storage:BlobContainer");
        assert.equal(container.inputs.publicAccess, "None");
        assert.equal(container.inputs.containerName, HARBOR_CONTAINER_NAME);
        assert.equal(dev.outputs.containerName, HARBOR_CONTAINER_NAME);
    });

    it("outputs the account key only as a secret, never in the plan", () => {
        assert.equal(dev.outputs.accountKey, "[secret]");
        const key = String(dev.rawOutputs.accountKey);
        assert.ok(key.length > 20, "the mock key is returned");
        assert.ok(!JSON.stringify(planDocument(dev)).includes(key), "plan JSON leaks the storage key");
    });

    it("protects the account and container in prod only, zone-redundant in prod", () => {
        for (const type of ["azure-native:storage:StorageAccount", "azure-native:storage:BlobContainer"]) {
            assert.equal(byType(prod, type)[0].protect, true, `${type} protected in prod`);
            assert.equal(byType(dev, type)[0].protect, false, `${type} not protected in dev`);
        }
        assert.equal((byType(prod, "azure-native:storage:StorageAccount")[0].inputs.sku as any).name, "Standard_ZRS");
        assert.equal((byType(dev, "azure-native:storage:StorageAccount")[0].inputs.sku as any).name, "Standard_LRS");
    });

    it("parents everything to the component", () => {
        const [component] = byType(dev, "platform:azure:HarborStorage");
        for (const r of dev.resources.filter(r => r.type.startsWith("azure-native:"))) {
            assert.equal(r.parent, component.urn, `${r.type} ${r.name}`);
        }
    });
});
