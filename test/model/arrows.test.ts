// The layout's one rule (CONTRIBUTING.md): every import arrow points one way —
// entry (infra/index.ts) → layers (infra/) → components → model, and tools and policy → model.
// model/ is the shared vocabulary and imports nothing of ours; components never reach back into
// the layers, the config schema, the policy pack or the tools.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../tools/engine";

const IMPORT = /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;

function tsFiles(dir: string): string[] {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap(e => {
        const rel = path.join(dir, e.name);
        return e.isDirectory() ? tsFiles(rel) : e.name.endsWith(".ts") ? [rel] : [];
    });
}

/** Top-level folders each file's relative imports land in (type-only imports included: they couple too). */
function importedFolders(file: string): { spec: string; folder: string }[] {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    return [...text.matchAll(IMPORT)].map(m => {
        const target = path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), m[1]));
        return { spec: m[1], folder: target.split(path.sep)[0] };
    });
}

const ALLOWED: Record<string, string[]> = {
    model: ["model"],
    components: ["components", "model"],
    policy: ["policy", "model"],
    infra: ["infra", "components", "model"],
};

describe("import arrows point one way", () => {
    for (const [folder, allowed] of Object.entries(ALLOWED)) {
        it(`${folder}/ imports only from ${allowed.join(", ")}`, () => {
            const files = tsFiles(folder);
            assert.ok(files.length > 0, `no files in ${folder}/`);
            const wrong = files.flatMap(f =>
                importedFolders(f)
                    .filter(i => !allowed.includes(i.folder))
                    .map(i => `${f} imports ${i.spec}`),
            );
            assert.deepEqual(wrong, []);
        });
    }
});
