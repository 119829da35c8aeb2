// Offline-only, content-addressed cache of dynamic providers' serialized text.
//
// Every `pulumi.dynamic.Resource` carries its provider as JavaScript text (`__provider`), which the
// SDK produces by serializing the provider object's closure: it opens an inspector session to
// read each function's captured scopes and parses the source with TypeScript
// (@pulumi/pulumi 3.276.0 runtime/closure/createClosure.js, v8Hooks.js, parseFunction.js) —
// about a second per process for this program's providers, and the open inspector slows the
// rest of the run. The text depends only on the provider's code, what that code can capture and
// the toolchain, so it is cached under a key made of exactly those:
// - the source of the provider's functions and of the SDK's `() => provider` factory;
// - every project source the provider's module imports, transitively (a closure captures
//   module-level values of its own module and of what that imports): the module is the project
//   file that constructed the dynamic resource, read from the call stack of the SDK's
//   (synchronous) serializeFunction call in the resource's constructor; relative imports are
//   followed statically. Without such a file (never in this program) every source under
//   components/, infra/ and model/ is the key;
// - the versions of what produces the text: Node, @pulumi/pulumi (the serializer), tsx and
//   esbuild (the transpiled function text), typescript (the serializer's parser).
//
// Entries are written by a real serialization only. Two places answer: `tools/provider-text/`,
// committed, so that a fresh clone's first plan needs no serialization either, and
// node_modules/.cache/dynamic-providers/ (PLATFORM_PROVIDER_CACHE_DIR), where this machine's
// new entries go. `npm run provider-text` rewrites the committed set from a real serialization of
// both stacks; test/tools/provider-cache.test.ts fails when the committed set is not exactly the
// one the stacks use, or when any entry differs from what the SDK produces now — so the plan
// always shows the real text.
//
// Installed by the offline engine only: `pulumi up` never loads tools/, so what the real engine
// receives is serialized by the SDK itself. PLATFORM_PROVIDER_CACHE=off disables it (every
// provider serialized for real).
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { replaceSerializeFunction, sdkSerializeFunction, SerializedFunction, SerializeFunction } from "./sdk-adapter";

const ROOT = path.resolve(__dirname, "..");
/** Source folders whose module-level values a provider may capture. */
const SOURCE_DIRS = ["components", "infra", "model"];
/** Committed entries (refreshed by `npm run provider-text`). */
export const COMMITTED_DIR = path.join(ROOT, "tools", "provider-text");
/** This machine's entries. */
export const DEFAULT_CACHE_DIR = process.env.PLATFORM_PROVIDER_CACHE_DIR || path.join(ROOT, "node_modules", ".cache", "dynamic-providers");
/** Packages whose versions shape the serialized text (see the header). */
const TOOLCHAIN = ["@pulumi/pulumi", "tsx", "esbuild", "typescript"];
/** Bump when the key or the entry format changes. */
const FORMAT = "2";

export interface ProviderTextCacheOptions {
    /** Where entries are looked up, in order. */
    readDirs: string[];
    /** Where a real serialization is stored. */
    writeDir: string;
    /** The real serializer (the SDK's). */
    serialize: SerializeFunction;
    /** Digest of everything but the provider's own functions that the text depends on, given the constructing module. */
    contextDigest: (module: string | undefined) => string;
}

function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap(e => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
        .sort();
}

/** Node's and the toolchain's versions, from the lock file. */
function toolchainDigest(root: string): string {
    const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
        packages?: Record<string, { version?: string }>;
    };
    const versions = TOOLCHAIN.map(name => `${name}@${lock.packages?.[`node_modules/${name}`]?.version ?? "?"}`);
    return `format ${FORMAT}\nnode ${process.version}\n${versions.join("\n")}\n`;
}

const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*|\brequire\(\s*)["'](\.{1,2}\/[^"']*)["']/g;

/** The project files `file` imports, transitively (relative specifiers, resolved as TypeScript does), itself included. */
export function importClosure(file: string): string[] {
    const seen = new Set<string>();
    const visit = (f: string) => {
        if (seen.has(f)) return;
        seen.add(f);
        for (const [, spec] of fs.readFileSync(f, "utf8").matchAll(RELATIVE_IMPORT)) {
            const base = path.resolve(path.dirname(f), spec);
            const target = [`${base}.ts`, path.join(base, "index.ts"), base].find(c => fs.existsSync(c) && fs.statSync(c).isFile());
            if (target) visit(target);
        }
    };
    visit(path.resolve(file));
    return [...seen].sort();
}

/** What a provider constructed in `module` can depend on besides its own functions (see the header). */
export function providerContextDigest(module: string | undefined, root = ROOT): string {
    const hash = createHash("sha256").update(toolchainDigest(root));
    const files = module ? importClosure(module) : SOURCE_DIRS.flatMap(d => filesUnder(path.join(root, d)));
    for (const file of files) {
        hash.update(`${path.relative(root, file)}\n`)
            .update(fs.readFileSync(file))
            .update("\n");
    }
    return hash.digest("hex");
}

/** The project file (outside tools/ and node_modules) nearest the top of the current call stack. */
function constructingModule(): string | undefined {
    const [limit, prepare] = [Error.stackTraceLimit, Error.prepareStackTrace];
    Error.stackTraceLimit = 50;
    Error.prepareStackTrace = (_, sites) => sites;
    try {
        const sites = new Error().stack as unknown as NodeJS.CallSite[];
        return sites
            .map(site => site.getFileName() ?? "")
            .find(
                f =>
                    f.startsWith(`${ROOT}${path.sep}`) &&
                    !f.includes(`${path.sep}node_modules${path.sep}`) &&
                    !f.startsWith(path.join(ROOT, "tools") + path.sep) &&
                    f.endsWith(".ts"),
            );
    } finally {
        Error.stackTraceLimit = limit;
        Error.prepareStackTrace = prepare;
    }
}

/** The provider's own code: each member's name and source text, in definition order. */
function providerSource(value: unknown): string | undefined {
    if (!value || (typeof value !== "object" && typeof value !== "function")) return undefined;
    return Object.entries(value as Record<string, unknown>)
        .map(([name, member]) => `${name}=${typeof member === "function" ? member.toString() : JSON.stringify(member)}`)
        .join("\n");
}

/** One provider served through the cache: its factory, the module that constructed it and the entry's key. */
export interface CachedProvider {
    func: () => unknown;
    module: string | undefined;
    key: string;
}

/**
 * A serializer that answers from the cache when the key matches and otherwise serializes for
 * real and stores the result. Only the dynamic providers' call shape (`() => provider`,
 * `{ allowSecrets }`) is cached; any other call goes straight to the real serializer.
 */
export function createProviderTextCache(options: ProviderTextCacheOptions): SerializeFunction & { seen: CachedProvider[] } {
    const contexts = new Map<string | undefined, string>();
    const seen: CachedProvider[] = [];
    const cached = async (func: () => unknown, args: Record<string, unknown> = {}): Promise<SerializedFunction> => {
        const plainArgs = Object.keys(args).every(k => k === "allowSecrets");
        const provider = plainArgs && func.length === 0 ? func() : undefined;
        const source = providerSource(provider);
        if (source === undefined) return options.serialize(func, args);
        // Before the first await: the dynamic resource's constructor is still on the stack.
        const module = constructingModule();
        if (!contexts.has(module)) contexts.set(module, options.contextDigest(module));
        // The factory's own text is part of the serialized text (the SDK's is `() => provider`).
        const key = createHash("sha256")
            .update(`${contexts.get(module)}\n${JSON.stringify(args)}\n${func.toString()}\n${source}`)
            .digest("hex");
        seen.push({ func, module, key });
        for (const dir of options.readDirs) {
            const entry = readEntry(dir, key);
            if (entry) return entry;
        }
        const result = await options.serialize(func, args);
        writeEntry(options.writeDir, key, result);
        return result;
    };
    return Object.assign(cached, { seen });
}

/** An entry on disk: the text as an array of lines, so that a change to a committed one reads as a diff. */
interface Entry {
    exportName: string;
    containsSecrets: boolean;
    text: string[];
}

function readEntry(dir: string, key: string): SerializedFunction | undefined {
    try {
        const entry = JSON.parse(fs.readFileSync(path.join(dir, `${key}.json`), "utf8")) as Entry;
        return { text: entry.text.join("\n"), exportName: entry.exportName, containsSecrets: entry.containsSecrets };
    } catch {
        return undefined; // not there or unreadable: the next place, then a real serialization
    }
}

function writeEntry(dir: string, key: string, result: SerializedFunction): void {
    const entry: Entry = { exportName: result.exportName, containsSecrets: result.containsSecrets, text: result.text.split("\n") };
    const file = path.join(dir, `${key}.json`);
    try {
        fs.mkdirSync(dir, { recursive: true });
        // Parallel test workers may write the same entry: write aside, then rename (atomic).
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, `${JSON.stringify(entry, null, 1)}\n`);
        fs.renameSync(tmp, file);
    } catch {
        // A read-only checkout only loses the speed-up.
    }
}

let installed: ReturnType<typeof createProviderTextCache> | undefined;

/**
 * Routes the SDK's provider serialization through the cache (once per process; offline engine
 * only): the committed entries, then this machine's.
 */
export function installProviderTextCache(
    options: Omit<ProviderTextCacheOptions, "serialize" | "contextDigest"> = {
        readDirs: [COMMITTED_DIR, DEFAULT_CACHE_DIR],
        writeDir: DEFAULT_CACHE_DIR,
    },
): void {
    if (installed || process.env.PLATFORM_PROVIDER_CACHE === "off") return;
    installed = createProviderTextCache({
        ...options,
        serialize: sdkSerializeFunction,
        contextDigest: module => providerContextDigest(module),
    });
    replaceSerializeFunction(installed);
}

/** The providers served through the installed cache so far (tests serialize them with the SDK). */
export function providersSerialized(): CachedProvider[] {
    return installed?.seen ?? [];
}
