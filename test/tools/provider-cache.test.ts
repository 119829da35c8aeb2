// The dynamic-provider text cache (tools/provider-cache.ts): the plan carries exactly what the SDK's
// own serializer produces, entries are keyed by everything the text depends on, the committed
// entries are exactly the current ones, and only the offline engine uses it.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planDocument, ROOT, stackRun } from "../harness";
import {
    COMMITTED_DIR,
    createProviderTextCache,
    importClosure,
    providerContextDigest,
    providersSerialized,
} from "../../tools/provider-cache";
import { sdkSerializeFunction, SerializedFunction } from "../../tools/sdk-adapter";

function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "provider-cache-test-"));
}

/** A stand-in for the SDK serializer that counts its calls. */
function countingSerializer() {
    const calls: unknown[] = [];
    const serialize = async (func: () => unknown): Promise<SerializedFunction> => {
        calls.push(func());
        return { text: `serialized #${calls.length}`, exportName: "handler", containsSecrets: false };
    };
    return { serialize, calls };
}

describe("dynamic-provider text cache", () => {
    it("every dynamic resource of both stacks carries the SDK's own serialization of its provider; tools/provider-text/ holds exactly those", async function () {
        this.timeout(120_000);
        const runs = [await stackRun("dev"), await stackRun("prod")];
        const served = providersSerialized();
        assert.ok(served.length > 0, "no provider went through the cache (PLATFORM_PROVIDER_CACHE=off?)");
        const real = new Map<string, string>();
        for (const { func, key } of served) real.set(key, (await sdkSerializeFunction(func, { allowSecrets: true })).text);
        const planned = new Set(
            runs.flatMap(run =>
                run.resources.filter(r => r.type.startsWith("pulumi-nodejs:dynamic")).map(r => String(r.rawInputs.__provider)),
            ),
        );
        assert.ok(planned.size > 0, "the stacks have dynamic resources");
        assert.deepEqual([...planned].sort(), [...new Set(real.values())].sort());

        // The committed texts: one per provider of the program, each the SDK's text today.
        const stale = "tools/provider-text/ is stale: run `npm run provider-text` and commit the result";
        const programKeys = new Set(served.filter(p => p.module && !p.module.startsWith(path.join(ROOT, "test"))).map(p => p.key));
        const committed = fs.readdirSync(COMMITTED_DIR).map(f => f.replace(/\.json$/, ""));
        assert.deepEqual(committed.sort(), [...programKeys].sort(), stale);
        for (const key of committed) {
            const entry = JSON.parse(fs.readFileSync(path.join(COMMITTED_DIR, `${key}.json`), "utf8")) as { text: string[] };
            assert.equal(entry.text.join("\n"), real.get(key), `${stale} (${key}.json differs from the SDK's text)`);
        }
    });

    it("answers a later process from disk without serializing again; the entry is the real serializer's result", async () => {
        const dir = tempDir();
        try {
            const provider = { create: async () => ({ id: "x" }) };
            const first = countingSerializer();
            const a = await createProviderTextCache({
                readDirs: [dir],
                writeDir: dir,
                serialize: first.serialize,
                contextDigest: () => "ctx",
            })(() => provider, {
                allowSecrets: true,
            });
            assert.equal(first.calls.length, 1);
            const second = countingSerializer();
            const b = await createProviderTextCache({
                readDirs: [dir],
                writeDir: dir,
                serialize: second.serialize,
                contextDigest: () => "ctx",
            })(() => provider, {
                allowSecrets: true,
            });
            assert.equal(second.calls.length, 0, "a cached provider is not serialized again");
            // The SDK's factory text is part of the serialized text, so it is part of the key.
            await createProviderTextCache({ readDirs: [dir], writeDir: dir, serialize: second.serialize, contextDigest: () => "ctx" })(
                () => {
                    return provider;
                },
                { allowSecrets: true },
            );
            assert.equal(second.calls.length, 1, "another factory text is another entry");
            assert.deepEqual(b, a);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("serializes again when the provider's code, the project sources or the arguments change", async () => {
        const dir = tempDir();
        try {
            const { serialize, calls } = countingSerializer();
            const cache = (context: string) =>
                createProviderTextCache({ readDirs: [dir], writeDir: dir, serialize, contextDigest: () => context });
            await cache("ctx")(() => ({ create: async () => ({ id: "x" }) }), { allowSecrets: true });
            await cache("ctx")(() => ({ create: async () => ({ id: "y" }) }), { allowSecrets: true });
            await cache("other sources")(() => ({ create: async () => ({ id: "x" }) }), { allowSecrets: true });
            await cache("ctx")(() => ({ create: async () => ({ id: "x" }) }), {});
            assert.equal(calls.length, 4);
            // Any other call shape (a serialize filter, a function with parameters) is never cached.
            await cache("ctx")(() => ({ create: async () => ({ id: "x" }) }), { allowSecrets: true, serialize: () => true });
            await cache("ctx")(() => ({ create: async () => ({ id: "x" }) }), { allowSecrets: true, serialize: () => true });
            assert.equal(calls.length, 6);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("keys on the constructing module and what it imports, transitively, and on the toolchain — not on unrelated sources", () => {
        const root = tempDir();
        try {
            const write = (file: string, text: string) => {
                fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
                fs.writeFileSync(path.join(root, file), text);
            };
            write(
                "components/cluster/harbor/api.ts",
                'import type { Severity } from "../../../model/severity";\nimport { x } from "./util";\n',
            );
            write("components/cluster/harbor/util/index.ts", 'export const x = require("./deep");\n');
            write("components/cluster/harbor/util/deep.ts", "export const d = 1;\n");
            write("model/severity.ts", "export type Severity = 'high';\n");
            write("components/cluster/other.ts", "export const o = 1;\n");
            const lock = (pulumi: string, yaml: string) =>
                write(
                    "package-lock.json",
                    JSON.stringify({
                        packages: { "node_modules/@pulumi/pulumi": { version: pulumi }, "node_modules/yaml": { version: yaml } },
                    }),
                );
            lock("3.276.0", "2.8.0");
            const module = path.join(root, "components/cluster/harbor/api.ts");
            assert.deepEqual(
                importClosure(module).map(f => path.relative(root, f)),
                [
                    "components/cluster/harbor/api.ts",
                    "components/cluster/harbor/util/deep.ts",
                    "components/cluster/harbor/util/index.ts",
                    "model/severity.ts",
                ],
            );
            const digests = [providerContextDigest(module, root)];
            write("components/cluster/other.ts", "export const o = 2;\n");
            lock("3.276.0", "2.8.1");
            assert.equal(providerContextDigest(module, root), digests[0], "an unrelated source or dependency is not part of the key");
            for (const [file, text] of [
                ["components/cluster/harbor/util/deep.ts", "export const d = 2;\n"],
                ["model/severity.ts", "export type Severity = 'critical';\n"],
            ]) {
                write(file, text);
                digests.push(providerContextDigest(module, root));
            }
            lock("3.277.0", "2.8.1");
            digests.push(providerContextDigest(module, root));
            assert.equal(new Set(digests).size, digests.length, "each change gives a new key");
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("finds the constructing module on the call stack (here: this test file)", async () => {
        const dir = tempDir();
        try {
            const modules: (string | undefined)[] = [];
            const { serialize } = countingSerializer();
            await createProviderTextCache({ readDirs: [], writeDir: dir, serialize, contextDigest: m => (modules.push(m), "ctx") })(
                () => ({ create: async () => ({ id: "x" }) }),
                { allowSecrets: true },
            );
            assert.deepEqual(modules, [__filename]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("is offline only: no program source imports tools/", () => {
        const sources = (dir: string): string[] =>
            fs
                .readdirSync(dir, { withFileTypes: true })
                .flatMap(e => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
        const offenders = ["infra", "components", "model"]
            .flatMap(d => sources(path.join(ROOT, d)))
            .filter(f => /from\s+["'](\.\.\/)+tools\/|require\(["'](\.\.\/)+tools\//.test(fs.readFileSync(f, "utf8")));
        assert.deepEqual(offenders, []);
    });
});

describe("plan document order", () => {
    it("does not depend on registration order (which follows promise timing): dependencies first, then by URN", async () => {
        const run = await stackRun("dev");
        const reversed = { ...run, resources: [...run.resources].reverse() };
        assert.deepEqual(planDocument(reversed), planDocument(run));
        const doc = planDocument(run) as {
            resources: { urn: string; parent: string | null; provider: string | null; dependencies: string[] }[];
        };
        const position = new Map(doc.resources.map((r, i) => [r.urn, i]));
        for (const [i, r] of doc.resources.entries()) {
            for (const before of [r.parent, r.provider, ...r.dependencies]) {
                if (before && position.has(before)) assert.ok(position.get(before)! < i, `${before} comes before ${r.urn}`);
            }
        }
    });
});
