// `npm run provider-text [-- --check [--dir <d>]]`: the committed dynamic-provider texts
// (tools/provider-text/, see tools/provider-cache.ts), regenerated from a real serialization of
// every stack's providers in this process (nothing read from any cache), so that a fresh clone's
// first plan serializes nothing.
// - without flags: rewrites the committed set (generated aside, then swapped in whole);
// - --check: generates aside and compares with the committed set (or --dir): exit 1 naming every
//   stale, missing or extra entry, and every provider whose functions V8 places outside the files
//   its key covers. test/tools/provider-cache.test.ts runs it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { listStacks, runStack } from "./engine";
import { COMMITTED_DIR, installProviderTextCache, providersOutsideTheirKeys, providersSerialized } from "./provider-cache";

const USAGE = "usage: npm run provider-text [-- --check [--dir <directory>]]";

/** Serializes every stack's providers for real into `dir`; returns the entry names written. */
async function generate(dir: string): Promise<string[]> {
    installProviderTextCache({ readDirs: [], writeDir: dir });
    for (const stack of listStacks()) await runStack({ stack });
    return fs.readdirSync(dir).sort();
}

function entries(dir: string): Map<string, string> {
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter(f => f.endsWith(".json")) : [];
    return new Map(names.map(f => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

/** What differs between the texts generated now and `committed`, one line each. */
export function compareTexts(generated: string, committed: string): string[] {
    const [now, then] = [entries(generated), entries(committed)];
    const problems: string[] = [];
    for (const [name, text] of now) {
        if (!then.has(name)) problems.push(`missing: ${name}`);
        else if (then.get(name) !== text) problems.push(`differs from the SDK's text today: ${name}`);
    }
    for (const name of then.keys()) if (!now.has(name)) problems.push(`no provider uses it: ${name}`);
    return problems;
}

export async function main(argv: string[]): Promise<number> {
    let check: boolean;
    let committed: string;
    try {
        const { values } = parseArgs({ args: argv, options: { check: { type: "boolean" }, dir: { type: "string" } }, strict: true });
        if (values.dir !== undefined && !values.check) throw new Error("--dir goes with --check");
        check = values.check ?? false;
        committed = values.dir ?? COMMITTED_DIR;
    } catch (e) {
        process.stderr.write(`provider-text: ${(e as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (process.env.PLATFORM_PROVIDER_CACHE === "off") {
        process.stderr.write("provider-text: PLATFORM_PROVIDER_CACHE=off; unset it\n");
        return 2;
    }
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "provider-text-"));
    try {
        const written = await generate(scratch);
        if (check) {
            const problems = [...(await providersOutsideTheirKeys(providersSerialized())), ...compareTexts(scratch, committed)];
            if (problems.length === 0) return 0;
            process.stderr.write(
                `provider-text: ${path.relative(process.cwd(), committed) || committed} is stale or a key is too narrow (run \`npm run provider-text\` and commit the result):\n` +
                    problems.map(p => `  - ${p}\n`).join(""),
            );
            return 1;
        }
        fs.rmSync(committed, { recursive: true, force: true });
        fs.mkdirSync(committed, { recursive: true });
        for (const name of written) fs.copyFileSync(path.join(scratch, name), path.join(committed, name));
        process.stdout.write(
            `provider-text: ${written.length} provider text(s) written to ${path.relative(process.cwd(), committed) || "."}\n`,
        );
        return 0;
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        code => {
            process.exitCode = code;
        },
        (e: Error) => {
            process.stderr.write(`provider-text: ${e.message}\n`);
            process.exitCode = 3;
        },
    );
}
