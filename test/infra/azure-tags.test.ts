// Every Azure resource the stack creates carries the same tags: the config's `platform:tags`
// merged once by the Azure layer with who manages it and for which platform (azureTags). Which
// resources take tags is read from the provider SDK's own declarations at the pinned version
// (@pulumi/azure-native 3.28.0, `<module>/<resource>.d.ts`: the resource's `…Args` interface
// declares `tags?:` exactly when the ARM resource is taggable), so a new resource type cannot
// slip through by not being listed here.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { readStackConfig, stackRun } from "../harness";

const SDK = path.dirname(require.resolve("@pulumi/azure-native/package.json"));

/** Whether an azure-native type token's resource takes `tags` (its Args interface declares them). */
function takesTags(type: string): boolean {
    const [, module, resource] = type.split(":");
    const file = path.join(SDK, module, `${resource[0].toLowerCase()}${resource.slice(1)}.d.ts`);
    const dts = fs.readFileSync(file, "utf8");
    const args = new RegExp(`export interface ${resource}Args \\{([\\s\\S]*?)\\n\\}`).exec(dts);
    assert.ok(args, `${file} declares ${resource}Args`);
    return /^\s+tags\?:/m.test(args[1]);
}

describe("Azure tags", () => {
    it("reads taggability from the SDK (a tagged and an untagged type)", () => {
        assert.equal(takesTags("azure-native:storage:StorageAccount"), true);
        assert.equal(takesTags("azure-native:monitor:DataCollectionEndpoint"), true);
        assert.equal(takesTags("azure-native:authorization:RoleAssignment"), false);
    });

    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: every taggable azure-native resource carries the config tags plus managed-by and platform`, async () => {
            const { config } = readStackConfig(stack);
            const expected = { ...JSON.parse(config["platform:tags"]), "managed-by": "pulumi", platform: config["platform:namePrefix"] };
            const run = await stackRun(stack);
            const taggable = run.resources.filter(r => r.custom && r.type.startsWith("azure-native:") && takesTags(r.type));
            assert.ok(taggable.length > 20, "the plan has taggable Azure resources");
            const wrong = taggable
                .filter(r => !isDeepEqual(r.inputs.tags, expected))
                .map(r => `${r.type} ${r.name}: ${JSON.stringify(r.inputs.tags)}`);
            assert.deepEqual(wrong, [], `expected tags ${JSON.stringify(expected)}`);
        });
    }
});

function isDeepEqual(a: unknown, b: unknown): boolean {
    try {
        assert.deepStrictEqual(a, b);
        return true;
    } catch {
        return false;
    }
}
