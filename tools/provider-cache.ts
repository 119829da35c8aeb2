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
// - every program source the provider's module imports, transitively (a closure captures
//   module-level values of its own module and of what that imports). The provider's module is
//   taken to be the program file (under components/, infra/ or model/) that constructs the
//   dynamic resource: the innermost one on the stack of the SDK's synchronous serializeFunction
//   call in the resource's constructor. `npm run provider-text -- --check` (run by the tests)
//   proves it for every provider of every stack: it asks V8 where each provider function is
//   defined (the SDK's own inspector lookup) and fails when that file is outside the key.
//   Relative imports are followed statically; when no program file is on the stack (a provider
//   a test defines) or an import cannot be resolved, every program source is the key instead;
// - what produces the text: Node, @pulumi/pulumi (the serializer), tsx and esbuild (the
//   transpiled function text), typescript (the serializer's parser), tsconfig.json (esbuild's
//   settings) and tools/launch.cjs.
// Only plain provider objects handed over by the SDK's dynamic resources are cached (a provider
// with a prototype of its own, e.g. a class instance, is serialized for real each time).
//
// Entries are written by a real serialization only. Two places answer: `tools/provider-text/`,
// committed, so that a fresh clone's first plan needs no serialization either, and
// node_modules/.cache/dynamic-providers/ (PLATFORM_PROVIDER_CACHE_DIR), where this machine's
// new entries go. `npm run provider-text` rewrites the committed set from a real serialization of
// every stack, in a process of its own; `--check` does the same into a scratch directory and
// compares, which test/tools/provider-cache.test.ts runs — so the committed texts are always the
// SDK's text today.
//
// Installed by the offline engine only: `pulumi up` never loads tools/, so what the real engine
// receives is serialized by the SDK itself. PLATFORM_PROVIDER_CACHE=off disables it (every
// provider serialized for real).
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as inspector from "inspector";
import { fileURLToPath } from "url";
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
/** Files that shape the transpiled function text. */
const TRANSPILER_SETTINGS = ["tsconfig.json", path.join("tools", "launch.cjs")];
/** Bump when the key or the entry format changes. */
const FORMAT = "3";

export interface ProviderTextCacheOptions {
    /** Where entries are looked up, in order. */
    readDirs: string[];
    /** Where a real serialization is stored. */
    writeDir: string;
    /** The real serializer (the SDK's). */
    serialize: SerializeFunction;
    /** Digest of everything but the provider's own functions that the text depends on, given the constructing module (if any). */
    contextDigest: (module: string | undefined) => string;
    /** Cache only calls made from this file (the SDK's dynamic resources); any caller when absent. */
    caller?: string;
    /** The project root: the modules on the stack that count are its components/, infra/ and model/ .ts files. */
    root?: string;
}

/**
 * The SDK's dynamic resources: runtime/closure's serializeFunction called from here is a provider
 * (dynamic/index.js serializeFunctionMaybeSecret). Resolved as Node resolves it (real path), so it
 * matches the stack even through a symlinked node_modules.
 */
export const SDK_DYNAMIC = require.resolve("@pulumi/pulumi/dynamic/index.js");

function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap(e => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
        .sort();
}

/** Node's and the toolchain's versions (from the lock file) and the transpiler's settings. */
function toolchainDigest(root: string): string {
    const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
        packages?: Record<string, { version?: string }>;
    };
    const versions = TOOLCHAIN.map(name => `${name}@${lock.packages?.[`node_modules/${name}`]?.version ?? "?"}`);
    const settings = TRANSPILER_SETTINGS.map(f => {
        const file = path.join(root, f);
        return `${f} ${fs.existsSync(file) ? createHash("sha256").update(fs.readFileSync(file)).digest("hex") : "-"}`;
    });
    return `format ${FORMAT}\nnode ${process.version}\n${[...versions, ...settings].join("\n")}\n`;
}

const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\(\s*)["'](\.{1,2}\/[^"']*)["']/g;

/**
 * The project files `file` imports, transitively (relative specifiers, resolved as TypeScript
 * does), itself included; undefined when a relative specifier resolves to no file.
 */
export function importClosure(file: string): string[] | undefined {
    const seen = new Set<string>();
    let unresolved = false;
    const visit = (f: string) => {
        if (seen.has(f)) return;
        seen.add(f);
        for (const [, spec] of fs.readFileSync(f, "utf8").matchAll(RELATIVE_IMPORT)) {
            const base = path.resolve(path.dirname(f), spec);
            const candidates = [`${base}.ts`, path.join(base, "index.ts"), base, base.replace(/\.js$/, ".ts")];
            const target = candidates.find(c => fs.existsSync(c) && fs.statSync(c).isFile());
            if (target) visit(target);
            else unresolved = true;
        }
    };
    visit(path.resolve(file));
    return unresolved ? undefined : [...seen].sort();
}

/** The program sources a provider constructed in `module` can depend on besides its own functions (see the header). */
export function keyFiles(module: string | undefined, root = ROOT): string[] {
    return (module && importClosure(module)) || SOURCE_DIRS.flatMap(d => filesUnder(path.join(root, d)));
}

/** What a provider constructed in `module` can depend on besides its own functions (see the header). */
export function providerContextDigest(module: string | undefined, root = ROOT): string {
    const hash = createHash("sha256").update(toolchainDigest(root));
    const files = keyFiles(module, root);
    for (const file of files) {
        hash.update(`${path.relative(root, file)}\n`)
            .update(fs.readFileSync(file))
            .update("\n");
    }
    return hash.digest("hex");
}

/** The files of the current call stack, innermost first. */
function stackFiles(): string[] {
    const [limit, prepare] = [Error.stackTraceLimit, Error.prepareStackTrace];
    Error.stackTraceLimit = 100;
    Error.prepareStackTrace = (_, sites) => sites;
    try {
        return (new Error().stack as unknown as NodeJS.CallSite[]).map(site => site.getFileName() ?? "");
    } finally {
        Error.stackTraceLimit = limit;
        Error.prepareStackTrace = prepare;
    }
}

/** The innermost program .ts file (under components/, infra/ or model/) among `files`. */
function constructingModule(files: string[], root: string): string | undefined {
    const dirs = SOURCE_DIRS.map(d => path.join(root, d) + path.sep);
    return files.find(f => f.endsWith(".ts") && dirs.some(d => f.startsWith(d)));
}

/** The provider's own code: each member's name and source text, in definition order. */
function providerSource(value: unknown): string | undefined {
    // A plain object only: methods on a prototype of its own would not be in the key.
    if (!value || typeof value !== "object" || ![Object.prototype, null].includes(Object.getPrototypeOf(value))) return undefined;
    return Object.entries(value as Record<string, unknown>)
        .map(([name, member]) => `${name}=${typeof member === "function" ? member.toString() : JSON.stringify(member)}`)
        .join("\n");
}

/** One provider served through the cache: its factory, the program module that constructed it and the entry's key. */
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
    const contexts = new Map<string, string>();
    const seen: CachedProvider[] = [];
    const cached = async (func: () => unknown, args: Record<string, unknown> = {}): Promise<SerializedFunction> => {
        // Before the first await: the dynamic resource's constructor is still on the stack.
        const stack = stackFiles();
        if (options.caller !== undefined && !stack.includes(options.caller)) return options.serialize(func, args);
        const plainArgs = Object.keys(args).every(k => k === "allowSecrets");
        const provider = plainArgs && func.length === 0 ? func() : undefined;
        const source = providerSource(provider);
        if (source === undefined) return options.serialize(func, args);
        const module = constructingModule(stack, options.root ?? ROOT);
        const id = module ?? "";
        if (!contexts.has(id)) contexts.set(id, options.contextDigest(module));
        // The factory's own text is part of the serialized text (the SDK's is `() => provider`).
        const key = createHash("sha256")
            .update(`${contexts.get(id)}\n${JSON.stringify(args)}\n${func.toString()}\n${source}`)
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
        caller: SDK_DYNAMIC,
    });
    replaceSerializeFunction(installed);
}

/**
 * Where V8 says each function is defined: its [[FunctionLocation]] (what the SDK's closure
 * serializer reads, runtime/closure/v8.js getFunctionLocationAsync), mapped to the script's file
 * through an inspector session of our own that listens to scriptParsed before enabling the
 * debugger (so it hears every script already loaded).
 */
export async function functionFiles(funcs: readonly unknown[]): Promise<string[]> {
    const session = new inspector.Session();
    session.connect();
    const post = <T>(method: string, params: object = {}) =>
        new Promise<T>((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r as T))));
    const urls = new Map<string, string>();
    session.on("Debugger.scriptParsed", e => urls.set(e.params.scriptId, e.params.url));
    const slot = `__providerFunction_${process.pid}`;
    const global = globalThis as Record<string, unknown>;
    try {
        await post("Debugger.enable");
        const files: string[] = [];
        for (const func of funcs) {
            global[slot] = func;
            const { result } = await post<{ result: { objectId?: string } }>("Runtime.evaluate", { expression: `globalThis.${slot}` });
            const { internalProperties = [] } = await post<{
                internalProperties?: { name: string; value?: { value?: { scriptId: string } } }[];
            }>("Runtime.getProperties", { objectId: result.objectId, ownProperties: false });
            const location = internalProperties.find(p => p.name === "[[FunctionLocation]]")?.value?.value;
            const url = location ? (urls.get(location.scriptId) ?? "") : "";
            files.push(url.startsWith("file://") ? fileURLToPath(url) : url);
        }
        return files;
    } finally {
        delete global[slot];
        await post("Debugger.disable").catch(() => undefined);
        session.disconnect();
    }
}

/**
 * Providers whose functions V8 places outside the files their key covers (keyFiles of the
 * constructing module), one line each: a key that would not change when such a function's
 * module changes. Slow (an inspector session): `provider-text --check` and tests only.
 */
export async function providersOutsideTheirKeys(served: readonly CachedProvider[], root = ROOT): Promise<string[]> {
    const members = served.flatMap(({ func, module }) =>
        Object.entries(func() as Record<string, unknown>)
            .filter(([, member]) => typeof member === "function")
            .map(([name, member]) => ({ name, member, module })),
    );
    // One inspector session for all of them: each one replays every loaded script.
    const files = await functionFiles(members.map(m => m.member));
    const covered = new Map<string | undefined, Set<string>>();
    const problems: string[] = [];
    for (const [i, { name, module }] of members.entries()) {
        if (!covered.has(module)) covered.set(module, new Set(keyFiles(module, root)));
        if (!covered.get(module)!.has(files[i]))
            problems.push(
                `provider function '${name}' is defined in ${path.relative(root, files[i])}, which the key of a provider constructed in ${module ? path.relative(root, module) : "(no program file)"} does not cover: construct the dynamic resource in the module that defines its provider (or one importing it)`,
            );
    }
    return problems;
}

/** The providers served through the installed cache so far (tests serialize them with the SDK). */
export function providersSerialized(): CachedProvider[] {
    return installed?.seen ?? [];
}
