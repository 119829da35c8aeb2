// The offline engine's use of SDK internals (tools/sdk-adapter.ts) is checked against the SDK that
// is installed: an upgrade that moves them fails here, by name, instead of deep inside a run.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { INTERNAL_ENTRY_POINTS, SDK_VERSION_WRITTEN_FOR } from "../../tools/sdk-adapter";

const installedSdk = (JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;

describe("SDK adapter", () => {
    it(`was written for the installed @pulumi/pulumi (${SDK_VERSION_WRITTEN_FOR})`, () => {
        assert.equal(
            installedSdk,
            SDK_VERSION_WRITTEN_FOR,
            `tools/sdk-adapter.ts was written for @pulumi/pulumi ${SDK_VERSION_WRITTEN_FOR} but ${installedSdk} is installed: ` +
                "re-check each internal entry point it uses against the new SDK, then bump SDK_VERSION_WRITTEN_FOR",
        );
    });

    for (const [name, get] of Object.entries(INTERNAL_ENTRY_POINTS)) {
        it(`finds the SDK internal ${name}`, () => {
            assert.equal(
                typeof get(),
                "function",
                `@pulumi/pulumi ${installedSdk} no longer has ${name}: tools/sdk-adapter.ts must be updated`,
            );
        });
    }
});

describe("toolchain", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as {
        optionalDependencies: Record<string, string>;
        engines: { node: string };
    };
    const pinned = new Set(
        Object.entries(pkg.optionalDependencies)
            .filter(([n]) => n.startsWith("node-"))
            .map(([, v]) => v),
    );

    it("pins one Node version for every platform package", () => {
        assert.equal(pinned.size, 1, `node-<platform> packages pin different versions: ${[...pinned].join(", ")}`);
    });

    it("runs the tests under the project's pinned Node, not the machine's", () => {
        const [version] = [...pinned];
        assert.equal(
            process.version,
            `v${version}`,
            `tests run under Node ${process.version}, the project pins ${version} (package.json optionalDependencies): ` +
                "run them through npm (`npm test`), which puts node_modules/.bin/node first on PATH; " +
                "on a platform without a node-<platform> package install that Node yourself",
        );
    });
});
