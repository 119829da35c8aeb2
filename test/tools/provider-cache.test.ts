// The dynamic-provider text cache (tools/provider-cache.ts): the plan carries exactly what the SDK's
// own serializer produces, entries are keyed by everything the text depends on, and only the
// offline engine uses it.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planDocument, ROOT, stackRun } from "../harness";
import { createProviderTextCache, projectDigest, providersSerialized } from "../../tools/provider-cache";
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
    it("every dynamic resource of both stacks carries the SDK's own serialization of its provider", async function () {
        this.timeout(120_000);
        const runs = [await stackRun("dev"), await stackRun("prod")];
        const serialized = providersSerialized();
        assert.ok(serialized.length > 0, "no provider went through the cache (PLATFORM_PROVIDER_CACHE=off?)");
        const real = new Set<string>();
        for (const func of serialized) real.add((await sdkSerializeFunction(func, { allowSecrets: true })).text);
        const planned = new Set(
            runs.flatMap(run =>
                run.resources.filter(r => r.type.startsWith("pulumi-nodejs:dynamic")).map(r => String(r.rawInputs.__provider)),
            ),
        );
        assert.ok(planned.size > 0, "the stacks have dynamic resources");
        assert.deepEqual([...planned].sort(), [...real].sort());
    });

    it("answers a later process from disk without serializing again; the entry is the real serializer's result", async () => {
        const dir = tempDir();
        try {
            const provider = { create: async () => ({ id: "x" }) };
            const first = countingSerializer();
            const a = await createProviderTextCache({ dir, serialize: first.serialize, contextDigest: () => "ctx" })(() => provider, {
                allowSecrets: true,
            });
            assert.equal(first.calls.length, 1);
            const second = countingSerializer();
            const b = await createProviderTextCache({ dir, serialize: second.serialize, contextDigest: () => "ctx" })(() => provider, {
                allowSecrets: true,
            });
            assert.equal(second.calls.length, 0, "a cached provider is not serialized again");
            // The SDK's factory text is part of the serialized text, so it is part of the key.
            await createProviderTextCache({ dir, serialize: second.serialize, contextDigest: () => "ctx" })(
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
            const cache = (context: string) => createProviderTextCache({ dir, serialize, contextDigest: () => context });
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

    it("keys on every source under components/, infra/ and model/ and on the lock file", () => {
        const root = tempDir();
        try {
            fs.mkdirSync(path.join(root, "components", "cluster"), { recursive: true });
            fs.mkdirSync(path.join(root, "infra"));
            fs.mkdirSync(path.join(root, "model"));
            fs.writeFileSync(path.join(root, "model", "severity.ts"), "export const s = 'high';\n");
            fs.writeFileSync(path.join(root, "components", "cluster", "a.ts"), "export const x = 1;\n");
            fs.writeFileSync(path.join(root, "infra", "names.ts"), "export const n = 'a';\n");
            fs.writeFileSync(path.join(root, "package-lock.json"), "{}\n");
            const digests = [projectDigest(root)];
            fs.writeFileSync(path.join(root, "components", "cluster", "a.ts"), "export const x = 2;\n");
            digests.push(projectDigest(root));
            fs.writeFileSync(path.join(root, "infra", "names.ts"), "export const n = 'b';\n");
            digests.push(projectDigest(root));
            fs.writeFileSync(path.join(root, "package-lock.json"), '{"v":1}\n');
            digests.push(projectDigest(root));
            // Providers capture model/ code too (e.g. the severity scale in Harbor's provider).
            fs.writeFileSync(path.join(root, "model", "severity.ts"), "export const s = 'critical';\n");
            digests.push(projectDigest(root));
            assert.equal(new Set(digests).size, digests.length, "each change gives a new key");
            assert.equal(projectDigest(root), digests[4], "the same sources give the same key");
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
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
