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
    providersOutsideTheirKeys,
    providersSerialized,
} from "../../tools/provider-cache";
import { sdkSerializeFunction, SerializedFunction } from "../../tools/sdk-adapter";
import { compareTexts } from "../../tools/provider-text";

/** The SDK's own serialization of a provider factory (once per factory: it takes an inspector session). */
const sdkTexts = new Map<() => unknown, Promise<string>>();
function sdkText(func: () => unknown): Promise<string> {
    if (!sdkTexts.has(func))
        sdkTexts.set(
            func,
            sdkSerializeFunction(func, { allowSecrets: true }).then(r => r.text),
        );
    return sdkTexts.get(func)!;
}

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
        const served = providersSerialized();
        assert.ok(served.length > 0, "no provider went through the cache (PLATFORM_PROVIDER_CACHE=off?)");
        const real = new Map<string, string>();
        for (const { func, key } of served) real.set(key, await sdkText(func));
        const planned = new Set(
            runs.flatMap(run =>
                run.resources.filter(r => r.type.startsWith("pulumi-nodejs:dynamic")).map(r => String(r.rawInputs.__provider)),
            ),
        );
        assert.ok(planned.size > 0, "the stacks have dynamic resources");
        assert.deepEqual([...planned].sort(), [...new Set(real.values())].sort());
    });

    it("tools/provider-text/ holds exactly the SDK's texts of every stack's providers today, each within its key", async function () {
        this.timeout(120_000);
        await stackRun("dev");
        await stackRun("prod");
        // Every program provider was served through the cache in this process (whoever constructed
        // it first: the key depends on the provider and its constructing module only).
        const served = providersSerialized().filter(p => p.module !== undefined);
        const stale = "tools/provider-text/ is stale: run `npm run provider-text` and commit the result";
        const keys = [...new Set(served.map(p => p.key))].sort();
        assert.deepEqual(
            fs
                .readdirSync(COMMITTED_DIR)
                .map(f => f.replace(/\.json$/, ""))
                .sort(),
            keys,
            stale,
        );
        for (const { func, key } of served) {
            const entry = JSON.parse(fs.readFileSync(path.join(COMMITTED_DIR, `${key}.json`), "utf8")) as { text: string[] };
            assert.equal(entry.text.join("\n"), await sdkText(func), `${stale} (${key}.json)`);
        }
        assert.deepEqual(await providersOutsideTheirKeys(served), []);
    });

    it("provider-text --check names a stale, a missing and an extra committed text", () => {
        const [generated, committed] = [tempDir(), tempDir()];
        try {
            const write = (dir: string, name: string, text: string) => fs.writeFileSync(path.join(dir, `${name}.json`), text);
            write(generated, "a", "A");
            write(generated, "b", "B");
            write(generated, "c", "C");
            write(committed, "b", "B");
            write(committed, "c", "C, edited");
            write(committed, "d", "D");
            assert.deepEqual(compareTexts(generated, committed), [
                "missing: a.json",
                "differs from the SDK's text today: c.json",
                "no provider uses it: d.json",
            ]);
            assert.deepEqual(compareTexts(generated, generated), []);
        } finally {
            fs.rmSync(generated, { recursive: true, force: true });
            fs.rmSync(committed, { recursive: true, force: true });
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

    it("keys on the constructing module and what it imports, transitively, and on the toolchain and tsconfig — not on unrelated sources", () => {
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
                importClosure(module)!.map(f => path.relative(root, f)),
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
            write("tsconfig.json", '{"compilerOptions":{"useDefineForClassFields":false}}\n');
            digests.push(providerContextDigest(module, root));
            assert.equal(new Set(digests).size, digests.length, "each change gives a new key");
            // An import the scan cannot resolve: every program source is the key.
            write("components/cluster/harbor/util/deep.ts", 'export const d = require("./gone");\n');
            assert.equal(importClosure(module), undefined);
            const broad = providerContextDigest(module, root);
            write("components/cluster/other.ts", "export const o = 3;\n");
            assert.notEqual(providerContextDigest(module, root), broad, "an unrelated source is part of a broad key");
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("keys on the innermost program module on the stack; a provider defined outside what that key covers is caught", async function () {
        this.timeout(60_000);
        // The review's case: the provider lives in prov.ts, the dynamic resource is constructed by
        // a helper module that does not import prov.ts, so prov.ts is not in the key.
        const root = tempDir();
        const dir = tempDir();
        try {
            fs.mkdirSync(path.join(root, "components", "zz"), { recursive: true });
            fs.writeFileSync(
                path.join(root, "components", "zz", "helper.ts"),
                "export function construct(cache: any, provider: object) {\n    return cache(() => provider, { allowSecrets: true });\n}\n",
            );
            fs.writeFileSync(
                path.join(root, "components", "zz", "prov.ts"),
                'import { construct } from "./helper";\nexport const LIMIT = 1;\nconst provider = { create: async () => ({ id: String(LIMIT) }) };\nexport const make = (cache: any) => construct(cache, provider);\n',
            );
            const modules: (string | undefined)[] = [];
            const { serialize } = countingSerializer();
            const cache = createProviderTextCache({
                readDirs: [],
                writeDir: dir,
                serialize,
                contextDigest: m => (modules.push(m), "ctx"),
                root,
            });
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module written by this test
            await (require(path.join(root, "components", "zz", "prov.ts")) as { make: (c: unknown) => Promise<unknown> }).make(cache);
            assert.deepEqual(modules, [path.join(root, "components", "zz", "helper.ts")]);
            const problems = await providersOutsideTheirKeys(cache.seen, root);
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(
                problems[0],
                /provider function 'create' is defined in components\/zz\/prov\.ts, which the key of a provider constructed in components\/zz\/helper\.ts does not cover/,
            );
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
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
