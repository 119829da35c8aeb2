// `npx tsx tools/vendor-crds.ts <owner/name>=<git dir or checkout> …`
//
// Refreshes the CRD schemas the tests validate against (test/vendor/crds/<group>/<Kind>.json)
// from upstream repositories. What is vendored, and from which commit, is the list in
// test/vendor/crds/SOURCES.json; this script reads each listed file of the repositories given on
// the command line at the listed commit (`git show <commit>:<path>`), keeps only the structure
// of every served version's openAPIV3Schema (schema `description`s stripped, keys sorted) and
// regenerates test/vendor/crds/SOURCES.md. To move to a new upstream version, change the entry's
// `ref` and `commit` in SOURCES.json and run this with a checkout (or bare mirror) of that
// repository. Tests read only the vendored JSON, never upstream or a shared folder.
//
// Exit 0 on success, 2 on bad usage or an upstream file that does not hold the listed kinds.
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export const VENDOR_DIR = path.resolve(__dirname, "..", "test", "vendor", "crds");

/** One upstream file to vendor from (an entry of SOURCES.json). */
export interface CrdSource {
    /** GitHub `owner/name`. */
    repository: string;
    /** Tag the version is pinned by (model/versions.ts or the chart that bundles it). */
    ref: string;
    /** The tag's commit: what is actually read. */
    commit: string;
    /** Path of the file in the repository. */
    path: string;
    /** CRD kinds to keep (a file may hold many); all when absent. */
    kinds?: string[];
    /** The CRD YAML is the value of this Go string constant (e.g. Gatekeeper's match schema). */
    goConst?: string;
    /** Why this file is the one the cluster actually gets. */
    why: string;
}

/** What one vendored file holds. */
export interface VendoredCrd {
    origin: { repository: string; ref: string; commit: string; path: string; blob: string };
    group: string;
    kind: string;
    scope: string;
    /** Served versions only. */
    versions: Record<string, { storage: boolean; schema: Schema }>;
}

export type Schema = Record<string, unknown>;

// Keywords whose values are schemas (or lists/maps of schemas) in a CRD's JSONSchemaProps
// (k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1 types_jsonschema.go). Only these are
// walked, so a *property* named `description` (Tekton's Task has one) is kept.
const SCHEMA_MAP_KEYWORDS = ["properties", "patternProperties", "definitions"];
const SCHEMA_LIST_KEYWORDS = ["allOf", "anyOf", "oneOf"];
const SCHEMA_KEYWORDS = ["not", "additionalProperties", "additionalItems"];

/** The schema without its `description`s (documentation, not structure); keys sorted. */
export function stripDescriptions(schema: Schema): Schema {
    const out: Schema = {};
    for (const key of Object.keys(schema).sort()) {
        const value = schema[key];
        if (key === "description") continue;
        if (SCHEMA_MAP_KEYWORDS.includes(key) && value && typeof value === "object") {
            out[key] = Object.fromEntries(
                Object.keys(value)
                    .sort()
                    .map(k => [k, stripDescriptions((value as Record<string, Schema>)[k])]),
            );
        } else if (SCHEMA_LIST_KEYWORDS.includes(key) && Array.isArray(value)) {
            out[key] = value.map(v => stripDescriptions(v as Schema));
        } else if ((SCHEMA_KEYWORDS.includes(key) || key === "items") && value && typeof value === "object") {
            out[key] = Array.isArray(value) ? value.map(v => stripDescriptions(v as Schema)) : stripDescriptions(value as Schema);
        } else {
            out[key] = sortKeys(value);
        }
    }
    return out;
}

function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map(k => [k, sortKeys((value as Record<string, unknown>)[k])]),
        );
    }
    return value;
}

/** Git's blob id of a file's bytes (what `git ls-tree <commit> <path>` shows). */
export function gitBlobId(content: Buffer): string {
    return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

/**
 * The string value of a Go constant `const name = \`…\` + "…" + \`…\``: raw and interpreted
 * string literals joined by `+` (controller-gen output splices backticks in that way).
 */
export function goConstString(source: string, name: string): string {
    const start = new RegExp(`const ${name}\\s*=\\s*`).exec(source);
    if (!start) throw new VendorError(`no Go constant ${name}`);
    let i = start.index + start[0].length;
    let value = "";
    for (;;) {
        if (source[i] === "`") {
            const end = source.indexOf("`", i + 1);
            value += source.slice(i + 1, end);
            i = end + 1;
        } else if (source[i] === '"') {
            const m = /^"(?:[^"\\]|\\.)*"/.exec(source.slice(i));
            if (!m) throw new VendorError(`unterminated string in Go constant ${name}`);
            value += JSON.parse(m[0]) as string;
            i += m[0].length;
        } else {
            throw new VendorError(`Go constant ${name} is not a concatenation of string literals`);
        }
        const next = /^\s*\+\s*/.exec(source.slice(i));
        if (!next) return value;
        i += next[0].length;
    }
}

export class VendorError extends Error {}

/** The vendored documents for the CRDs in one upstream file. */
export function vendorFile(source: CrdSource, content: Buffer): VendoredCrd[] {
    const text = source.goConst ? goConstString(content.toString("utf8"), source.goConst) : content.toString("utf8");
    const crds = YAML.parseAllDocuments(text)
        .map(d => d.toJS() as Record<string, any> | null)
        .filter((d): d is Record<string, any> => !!d && d.kind === "CustomResourceDefinition")
        .filter(d => !source.kinds || source.kinds.includes(d.spec.names.kind));
    const found = crds.map(d => d.spec.names.kind as string);
    const missing = (source.kinds ?? []).filter(k => !found.includes(k));
    if (crds.length === 0 || missing.length > 0) {
        throw new VendorError(
            `${source.repository}@${source.ref}:${source.path}: no CRD for ${missing.join(", ") || "any kind"} (found: ${found.join(", ") || "none"})`,
        );
    }
    return crds.map(d => {
        const versions: VendoredCrd["versions"] = {};
        for (const v of d.spec.versions as Record<string, any>[]) {
            if (!v.served) continue;
            versions[v.name] = { storage: v.storage === true, schema: stripDescriptions(v.schema?.openAPIV3Schema ?? {}) };
        }
        if (Object.keys(versions).length === 0)
            throw new VendorError(`${source.repository}@${source.ref}:${source.path}: CRD ${d.spec.names.kind} serves no version`);
        return {
            origin: { repository: source.repository, ref: source.ref, commit: source.commit, path: source.path, blob: gitBlobId(content) },
            group: d.spec.group,
            kind: d.spec.names.kind,
            scope: d.spec.scope,
            versions,
        };
    });
}

export function readSources(dir = VENDOR_DIR): CrdSource[] {
    return JSON.parse(fs.readFileSync(path.join(dir, "SOURCES.json"), "utf8")) as CrdSource[];
}

export function vendoredPath(group: string, kind: string, dir = VENDOR_DIR): string {
    return path.join(dir, group, `${kind}.json`);
}

/** Every vendored CRD, keyed `<group>/<Kind>`. */
export function readVendored(dir = VENDOR_DIR): Map<string, VendoredCrd> {
    const out = new Map<string, VendoredCrd>();
    for (const group of fs.readdirSync(dir).sort()) {
        const groupDir = path.join(dir, group);
        if (!fs.statSync(groupDir).isDirectory()) continue;
        for (const file of fs
            .readdirSync(groupDir)
            .filter(f => f.endsWith(".json"))
            .sort()) {
            const crd = JSON.parse(fs.readFileSync(path.join(groupDir, file), "utf8")) as VendoredCrd;
            out.set(`${crd.group}/${crd.kind}`, crd);
        }
    }
    return out;
}

/** SOURCES.md: where every vendored file comes from (generated; do not edit by hand). */
export function renderSourcesMd(vendored: Map<string, VendoredCrd>, sources: CrdSource[]): string {
    const lines = [
        "# Vendored CRD schemas",
        "",
        "Generated by `tools/vendor-crds.ts` from the list in `SOURCES.json`; do not edit by hand.",
        "Each file holds the served versions' `openAPIV3Schema` of one CRD, structure only (schema",
        "`description`s stripped, keys sorted), read with `git show <commit>:<path>`; `blob` is the",
        "upstream file's git blob id (`git rev-parse <commit>:<path>`).",
        "",
        "| file | repository | path | ref (commit) | blob |",
        "|---|---|---|---|---|",
    ];
    for (const [key, crd] of [...vendored.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const o = crd.origin;
        lines.push(`| \`${key}.json\` | ${o.repository} | \`${o.path}\` | \`${o.ref}\` (\`${o.commit}\`) | \`${o.blob}\` |`);
    }
    lines.push("", "## Why these files", "");
    for (const s of sources)
        lines.push(`- ${s.repository} \`${s.path}\` @ \`${s.ref}\`${s.kinds ? ` (${s.kinds.join(", ")})` : ""}: ${s.why}`);
    return lines.join("\n") + "\n";
}

function readUpstream(repoDir: string, commit: string, file: string): Buffer {
    // A bare mirror (HEAD + objects at its top) or a working checkout.
    const bare = fs.existsSync(path.join(repoDir, "objects")) && fs.existsSync(path.join(repoDir, "HEAD"));
    const args = bare ? ["--git-dir", repoDir] : ["-C", repoDir];
    try {
        return execFileSync("git", [...args, "show", `${commit}:${file}`], { maxBuffer: 256 * 1024 * 1024 });
    } catch (e) {
        throw new VendorError(`cannot read ${commit}:${file} from ${repoDir}: ${(e as Error).message.split("\n")[0]}`);
    }
}

export function main(argv: string[]): number {
    const repos = new Map<string, string>();
    for (const arg of argv) {
        const m = /^([\w.-]+\/[\w.-]+)=(.+)$/.exec(arg);
        if (!m) {
            process.stderr.write("usage: npx tsx tools/vendor-crds.ts <owner/name>=<git dir or checkout> …\n");
            return 2;
        }
        repos.set(m[1], m[2]);
    }
    const sources = readSources();
    const unknown = [...repos.keys()].filter(r => !sources.some(s => s.repository === r));
    if (repos.size === 0 || unknown.length > 0) {
        process.stderr.write(
            `vendor-crds: give one or more of: ${[...new Set(sources.map(s => s.repository))].join(", ")}${unknown.length ? ` (unknown: ${unknown.join(", ")})` : ""}\n`,
        );
        return 2;
    }
    try {
        for (const source of sources.filter(s => repos.has(s.repository))) {
            for (const crd of vendorFile(source, readUpstream(repos.get(source.repository)!, source.commit, source.path))) {
                const file = vendoredPath(crd.group, crd.kind);
                fs.mkdirSync(path.dirname(file), { recursive: true });
                fs.writeFileSync(file, JSON.stringify(crd, null, 1) + "\n");
                process.stdout.write(`${path.relative(process.cwd(), file)} <- ${source.repository}@${source.ref}:${source.path}\n`);
            }
        }
    } catch (e) {
        if (e instanceof VendorError) {
            process.stderr.write(`vendor-crds: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    fs.writeFileSync(path.join(VENDOR_DIR, "SOURCES.md"), renderSourcesMd(readVendored(), sources));
    return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
