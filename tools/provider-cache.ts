// Offline-only, content-addressed cache of dynamic providers' serialized text.
//
// Every `pulumi.dynamic.Resource` carries its provider as JavaScript text (`__provider`), which the
// SDK produces by serializing the provider object's closure: it opens an inspector session to
// read each function's captured scopes and parses the source with TypeScript
// (@pulumi/pulumi 3.276.0 runtime/closure/createClosure.js, v8Hooks.js, parseFunction.js) —
// about a second per process for this program's providers, and the open inspector slows the
// rest of the run. The text depends only on the provider's code, what that code captures
// (module-level values of the project's own sources) and the toolchain, so it is cached on disk
// under a key made of exactly those: the source of the provider's functions (and of the SDK's
// `() => provider` factory), every source file under
// components/, infra/ and model/, package-lock.json (SDK, tsx and every dependency version) and the Node
// version. Entries are written by a real serialization only, so the plan shows the real text;
// test/tools/provider-cache.test.ts checks every provider of both stacks against a fresh one.
//
// Installed by the offline engine only: `pulumi up` never loads tools/, so what the real engine
// receives is serialized by the SDK itself. PLATFORM_PROVIDER_CACHE=off disables it (as on a fresh
// clone; `npm run bench` measures cold that way).
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { replaceSerializeFunction, sdkSerializeFunction, SerializedFunction, SerializeFunction } from "./sdk-adapter";

const ROOT = path.resolve(__dirname, "..");
/** Source folders whose module-level values a provider may capture. */
const SOURCE_DIRS = ["components", "infra", "model"];
export const DEFAULT_CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "dynamic-providers");
/** Bump when the key or the entry format changes. */
const FORMAT = "1";

export interface ProviderTextCacheOptions {
    /** Where entries live (one JSON file per key). */
    dir: string;
    /** The real serializer (the SDK's). */
    serialize: SerializeFunction;
    /** Digest of everything but the provider's own functions that the text depends on. */
    contextDigest: () => string;
}

function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap(e => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
        .sort();
}

/** Project sources, lock file and Node version: what a provider's text depends on besides its own code. */
export function projectDigest(root = ROOT): string {
    const hash = createHash("sha256").update(`format ${FORMAT}\nnode ${process.version}\n`);
    for (const file of [...SOURCE_DIRS.flatMap(d => filesUnder(path.join(root, d))), path.join(root, "package-lock.json")]) {
        hash.update(`${path.relative(root, file)}\n`)
            .update(fs.readFileSync(file))
            .update("\n");
    }
    return hash.digest("hex");
}

/** The provider's own code: each member's name and source text, in definition order. */
function providerSource(value: unknown): string | undefined {
    if (!value || (typeof value !== "object" && typeof value !== "function")) return undefined;
    return Object.entries(value as Record<string, unknown>)
        .map(([name, member]) => `${name}=${typeof member === "function" ? member.toString() : JSON.stringify(member)}`)
        .join("\n");
}

/**
 * A serializer that answers from the cache when the key matches and otherwise serializes for
 * real and stores the result. Only the dynamic providers' call shape (`() => provider`,
 * `{ allowSecrets }`) is cached; any other call goes straight to the real serializer.
 */
export function createProviderTextCache(options: ProviderTextCacheOptions): SerializeFunction & { seen: (() => unknown)[] } {
    let context: string | undefined;
    const seen: (() => unknown)[] = [];
    const cached = async (func: () => unknown, args: Record<string, unknown> = {}): Promise<SerializedFunction> => {
        const plainArgs = Object.keys(args).every(k => k === "allowSecrets");
        const provider = plainArgs && func.length === 0 ? func() : undefined;
        const source = providerSource(provider);
        if (source === undefined) return options.serialize(func, args);
        seen.push(func);
        context ??= options.contextDigest();
        // The factory's own text is part of the serialized text (the SDK's is `() => provider`).
        const key = createHash("sha256")
            .update(`${context}\n${JSON.stringify(args)}\n${func.toString()}\n${source}`)
            .digest("hex");
        const file = path.join(options.dir, `${key}.json`);
        try {
            return JSON.parse(fs.readFileSync(file, "utf8")) as SerializedFunction;
        } catch {
            // Not cached yet (or unreadable): serialize for real below.
        }
        const result = await options.serialize(func, args);
        const entry: SerializedFunction = { text: result.text, exportName: result.exportName, containsSecrets: result.containsSecrets };
        try {
            fs.mkdirSync(options.dir, { recursive: true });
            // Parallel test workers may write the same entry: write aside, then rename (atomic).
            const tmp = `${file}.${process.pid}.tmp`;
            fs.writeFileSync(tmp, JSON.stringify(entry));
            fs.renameSync(tmp, file);
        } catch {
            // A read-only checkout only loses the speed-up.
        }
        return result;
    };
    return Object.assign(cached, { seen });
}

let installed: ReturnType<typeof createProviderTextCache> | undefined;

/** Routes the SDK's provider serialization through the cache (once per process; offline engine only). */
export function installProviderTextCache(): void {
    if (installed || process.env.PLATFORM_PROVIDER_CACHE === "off") return;
    installed = createProviderTextCache({ dir: DEFAULT_CACHE_DIR, serialize: sdkSerializeFunction, contextDigest: () => projectDigest() });
    replaceSerializeFunction(installed);
}

/** The functions serialized through the installed cache so far (tests serialize them with the SDK). */
export function providersSerialized(): (() => unknown)[] {
    return installed?.seen ?? [];
}
