// Reading resource properties the way a mandatory rule must: an unknown (preview) value is a
// distinct outcome, never silently "absent" and never an exception.
//
// Why not let @pulumi/policy handle unknowns? Its props are wrapped in a proxy that throws on
// touching an unknown value, and the analyzer server turns that throw into an *advisory*
// "can't run policy during preview" diagnostic (server.js, UnknownValueError branch) — a
// mandatory rule would silently stop blocking. So every policy here unwraps the proxy first and
// looks values up with `lookup`, which reports unknowns as data the rule can act on.

/**
 * Sentinels for values not known until the update: the ones the Pulumi engine sends to analyzers
 * (one per value kind; @pulumi/policy/proxy.js, checked by test/policy/policies.test.ts) plus the
 * offline engine's "[unknown]" (tools/engine.ts UNKNOWN).
 */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string (pulumi.runtime.unknownValue)
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
    "[unknown]", // offline engine
]);

export function isUnknown(value: unknown): boolean {
    return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

const IS_PROXY = "__isSpecialProxy";
const PROXY_TARGET = "__getSpecialProxyTarget";

/** The plain object behind @pulumi/policy's unknown-checking proxy (or the value itself). */
export function unwrap<T>(value: T): T {
    if (value && typeof value === "object") {
        const v = value as Record<string, unknown>;
        if (v[IS_PROXY] === true) return v[PROXY_TARGET] as T;
    }
    return value;
}

export type Path = readonly (string | number)[];

export type Lookup = { known: true; value: unknown } | { known: false; path: string };

export function formatPath(path: Path): string {
    return path
        .map((p, i) => (typeof p === "number" ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? (i ? `.${p}` : p) : `[${JSON.stringify(p)}]`))
        .join("");
}

/**
 * The value at `path`: `{known: true, value}` (value `undefined` when absent) or
 * `{known: false, path}` naming the first unknown step.
 */
export function lookup(root: unknown, path: Path): Lookup {
    let current: unknown = unwrap(root);
    for (let i = 0; i < path.length; i++) {
        if (isUnknown(current)) return { known: false, path: formatPath(path.slice(0, i)) || "(root)" };
        if (current === null || current === undefined || typeof current !== "object") return { known: true, value: undefined };
        current = (current as Record<string | number, unknown>)[path[i]];
    }
    if (isUnknown(current)) return { known: false, path: formatPath(path) };
    return { known: true, value: current };
}

export function unknownMessage(path: string, what: string): string {
    return (
        `${path} is unknown during preview (computed from another resource's output), so ${what} cannot be verified; ` +
        "a mandatory guardrail does not pass what it cannot see — make it a plain value in the program"
    );
}

/** Last GUID of a role definition id (`/subscriptions/…/roleDefinitions/<guid>` or a bare guid), lower-case. */
export function roleGuid(roleDefinitionId: string): string | undefined {
    const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s*$/i.exec(roleDefinitionId);
    return m ? m[1].toLowerCase() : undefined;
}

export interface KeyHit {
    path: string;
    /** The value at the key, or undefined when it is unknown. */
    value: unknown;
    unknown: boolean;
}

/**
 * Every occurrence of a key matching `keys` anywhere under `root` (objects and arrays), plus every
 * unknown value found at a key in `containers` (an unknown subtree where such a key could hide).
 */
export function findKeys(root: unknown, keys: (key: string) => boolean, containers: ReadonlySet<string> = new Set()): KeyHit[] {
    const hits: KeyHit[] = [];
    const walk = (node: unknown, path: (string | number)[]) => {
        node = unwrap(node);
        if (Array.isArray(node)) {
            node.forEach((v, i) => walk(v, [...path, i]));
            return;
        }
        if (!node || typeof node !== "object") return;
        // Sorted: deterministic messages regardless of property order.
        for (const key of Object.keys(node).sort()) {
            const value = (node as Record<string, unknown>)[key];
            const here = [...path, key];
            if (keys(key)) {
                hits.push({ path: formatPath(here), value: isUnknown(value) ? undefined : value, unknown: isUnknown(value) });
            } else if (isUnknown(value)) {
                if (containers.has(key)) hits.push({ path: formatPath(here), value: undefined, unknown: true });
            } else {
                walk(value, here);
            }
        }
    };
    walk(root, []);
    return hits;
}

/** True for a value that would configure something: a non-empty array, string or object. */
export function isNonEmpty(value: unknown): boolean {
    if (value === undefined || value === null || value === false) return false;
    if (Array.isArray(value)) return value.length > 0;
    if (typeof value === "string") return value.trim().length > 0;
    if (typeof value === "object") return Object.keys(value).length > 0;
    return true;
}
