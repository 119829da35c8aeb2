// `npm run plan -- --stack <name> [--json <file>] [--preview]`
//
// What `pulumi up` would create, offline: a readable tree and a summary on stdout; with --json,
// the plan document of DESIGN.md (resources in registration order, keys sorted, secrets as
// "[secret]"). Exit 0 on success, 2 on bad config or usage.
import * as fs from "fs";
import { parseArgs } from "util";
import { ConfigError } from "../infra/config";
import { planDocument, RecordedResource, runStack, StackNotFoundError, StackRun } from "./engine";

export const EXIT = { ok: 0, policy: 1, usage: 2 } as const;

const USAGE = "usage: npm run plan -- --stack <name> [--json <file>] [--preview]";

export class UsageError extends Error {}

export interface PlanArgs {
    stack: string;
    json?: string;
    preview: boolean;
}

export function parsePlanArgs(argv: string[]): PlanArgs {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            options: {
                stack: { type: "string", short: "s" },
                json: { type: "string" },
                preview: { type: "boolean", default: false },
            },
            strict: true,
            allowPositionals: false,
        });
    } catch (e) {
        throw new UsageError(`${(e as Error).message}\n${USAGE}`);
    }
    const { stack, json, preview } = parsed.values;
    if (!stack) throw new UsageError(`--stack is required\n${USAGE}`);
    return { stack, json, preview: preview ?? false };
}

/** The resource tree, one line per resource, children indented under their parent. */
export function renderTree(run: StackRun): string {
    const children = new Map<string | undefined, RecordedResource[]>();
    for (const r of run.resources) {
        const list = children.get(r.parent) ?? [];
        list.push(r);
        children.set(r.parent, list);
    }
    const lines: string[] = [];
    const walk = (parent: string | undefined, depth: number) => {
        for (const r of children.get(parent) ?? []) {
            const flags = [r.protect ? "protected" : "", r.provider ? `via ${r.provider.split("::").pop()}` : ""].filter(Boolean);
            lines.push(`${"  ".repeat(depth)}+ ${r.type}  ${r.name}${flags.length ? `  (${flags.join(", ")})` : ""}`);
            walk(r.urn, depth + 1);
        }
    };
    walk(undefined, 0);
    return lines.join("\n");
}

export function renderSummary(run: StackRun): string {
    const counts = new Map<string, number>();
    for (const r of run.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    const custom = run.resources.filter(r => r.custom).length;
    const rows = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `  ${String(n).padStart(4)}  ${t}`);
    const outputs = Object.entries(run.outputs).map(([k, v]) => `  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
    return [
        `Stack ${run.stack}: ${run.resources.length} resources to create (${custom} custom, ${run.resources.length - custom} components), ${run.resources.filter(r => r.protect).length} protected.`,
        ...rows,
        "Outputs:",
        ...outputs,
    ].join("\n");
}

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
    let args: PlanArgs;
    try {
        args = parsePlanArgs(argv);
    } catch (e) {
        err.write(`${(e as Error).message}\n`);
        return EXIT.usage;
    }
    let run: StackRun;
    try {
        run = await runStack({ stack: args.stack, dryRun: args.preview });
    } catch (e) {
        if (e instanceof ConfigError || e instanceof StackNotFoundError) {
            err.write(`plan: stack '${args.stack}': ${e.message}\n`);
            return EXIT.usage;
        }
        throw e;
    }
    out.write(`${renderTree(run)}\n\n${renderSummary(run)}\n`);
    if (args.json) {
        fs.writeFileSync(args.json, `${JSON.stringify(planDocument(run), null, 2)}\n`);
        out.write(`Plan written to ${args.json}\n`);
    }
    return EXIT.ok;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(code => { process.exitCode = code; }, e => {
        process.stderr.write(`plan: ${(e as Error).stack ?? e}\n`);
        process.exitCode = 3;
    });
}
