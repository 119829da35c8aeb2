// `npm run plan -- --stack <name> [--json <file>] [--diff <old.json>] [--preview]`
//
// What `pulumi up` would create, offline: a readable tree, a summary and the deploy-path
// estimate on stdout; the offline policy results; with --json, the plan document of DESIGN.md
// (resources in plan order — dependencies first, then by URN: tools/engine.ts planOrder — keys
// sorted, secrets as "[secret]"); with --diff, what changed against an earlier plan document,
// security-relevant changes first.
// Exit 0 on success, 1 when a mandatory policy of the offline policy pack fails, 2 on bad config
// or usage (including an unreadable or malformed --diff file).
import * as fs from "fs";
import { parseStackArgs, UsageError } from "./cli";
import { ConfigError } from "../infra/config";
import { planDocument, readStackConfig, RecordedResource, RunOptions, runStack, StackNotFoundError, StackRun } from "./engine";
import { deployEstimate, renderDeployPath } from "./deploy-path";
import { diffPlans, parsePlanDocument, PlanDoc, PlanDocumentError, renderDiff } from "./plan-diff";
import { evaluatePolicies, PolicyViolation } from "./policy-offline";

export const EXIT = { ok: 0, policy: 1, usage: 2 } as const;

const USAGE = "usage: npm run plan -- --stack <name> [--json <file>] [--diff <old.json>] [--preview]";

export { UsageError };

export interface PlanArgs {
    stack: string;
    json?: string;
    /** A plan document (`--json` of an earlier run) to compare with. */
    diff?: string;
    preview: boolean;
}

/** Options for callers other than the command line (tests). */
export interface PlanOptions {
    /** Directory holding Pulumi.<stack>.yaml; defaults to the project's stacks/. */
    stackConfigDir?: string;
    /** The policy evaluator to use instead of the pack's (tools/policy-offline.ts); `null` skips policies. */
    policies?: EvaluatePolicies | null;
    /** The engine to run the stack with (tests share one run where the run itself is not under test). */
    runStack?: (options: RunOptions) => Promise<StackRun>;
}

interface Writer {
    write(s: string): unknown;
}

export function parsePlanArgs(argv: string[]): PlanArgs {
    const { stack, values } = parseStackArgs(
        argv,
        {
            json: { type: "string" },
            diff: { type: "string" },
            preview: { type: "boolean", default: false },
        },
        USAGE,
    );
    const json = values.json as string | undefined;
    const diff = values.diff as string | undefined;
    if (json !== undefined && !json) throw new UsageError(`--json needs a file name\n${USAGE}`);
    if (diff !== undefined && !diff) throw new UsageError(`--diff needs a file name\n${USAGE}`);
    return { stack, json, diff, preview: (values.preview as boolean | undefined) ?? false };
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

/** The serialized plan document: byte-identical for identical runs. */
export function planJson(run: StackRun): string {
    return `${JSON.stringify(planDocument(run), null, 2)}\n`;
}

/** Reads and validates the --diff file; a problem is a usage error (exit 2). */
export function readOldPlan(file: string): PlanDoc {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`--diff ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
        return parsePlanDocument(text, `--diff ${file}`);
    } catch (e) {
        if (e instanceof PlanDocumentError) throw new UsageError(e.message);
        throw e;
    }
}

// ---------------------------------------------------------------------------------------------
// Offline policy pack: tools/policy-offline.ts runs the pack's own policies on the run, so `plan`
// enforces what `pulumi preview --policy-pack policy` does. Statically imported so the contract
// below is type-checked against it.
// ---------------------------------------------------------------------------------------------

export type { PolicyViolation };

export type EvaluatePolicies = (run: StackRun, options: { environment: string; pipelineNamespace?: string }) => PolicyViolation[];

// Fails to compile if tools/policy-offline.ts drifts from the contract.
const packPolicies: EvaluatePolicies = evaluatePolicies;

/** `platform:environment` and the pipeline namespace, as the stack config sets them. */
export function policyContext(stack: string, stackConfigDir?: string): { environment: string; pipelineNamespace?: string } {
    const { config } = readStackConfig(stack, stackConfigDir);
    let pipelineNamespace: string | undefined;
    try {
        const delivery = JSON.parse(config["platform:delivery"] ?? "{}");
        if (typeof delivery?.pipelineNamespace === "string") pipelineNamespace = delivery.pipelineNamespace;
    } catch {
        /* validated by the program already */
    }
    return { environment: config["platform:environment"] ?? stack, pipelineNamespace };
}

export function renderViolations(violations: PolicyViolation[]): string {
    const mandatory = violations.filter(v => v.enforcementLevel === "mandatory").length;
    const lines = [`Policies: ${mandatory} mandatory, ${violations.length - mandatory} advisory violation(s).`];
    for (const v of [...violations].sort((a, b) =>
        a.enforcementLevel === b.enforcementLevel ? 0 : a.enforcementLevel === "mandatory" ? -1 : 1,
    )) {
        lines.push(
            `  ${v.enforcementLevel === "mandatory" ? "FAIL" : "warn"} [${v.enforcementLevel}] ${v.policy}: ${v.message}${v.urn ? `\n       ${v.urn}` : ""}`,
        );
    }
    return lines.join("\n");
}

export async function main(
    argv: string[],
    out: Writer = process.stdout,
    err: Writer = process.stderr,
    options: PlanOptions = {},
): Promise<number> {
    let args: PlanArgs;
    let oldPlan: PlanDoc | undefined;
    try {
        args = parsePlanArgs(argv);
        // Check the old plan before the (slower) run, so a typo fails fast.
        if (args.diff) oldPlan = readOldPlan(args.diff);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        err.write(`plan: ${e.message}\n`);
        return EXIT.usage;
    }
    let run: StackRun;
    try {
        run = await (options.runStack ?? runStack)({ stack: args.stack, dryRun: args.preview, stackConfigDir: options.stackConfigDir });
    } catch (e) {
        if (e instanceof ConfigError || e instanceof StackNotFoundError) {
            err.write(`plan: stack '${args.stack}': ${e.message}\n`);
            return EXIT.usage;
        }
        throw e;
    }
    out.write(`${renderTree(run)}\n\n${renderSummary(run)}\n`);
    out.write(`\n${renderDeployPath(deployEstimate(run.resources))}\n`);

    let code: number = EXIT.ok;
    const evaluate = options.policies === undefined ? packPolicies : options.policies;
    if (evaluate) {
        const violations = evaluate(run, policyContext(args.stack, options.stackConfigDir));
        out.write(`\n${renderViolations(violations)}\n`);
        if (violations.some(v => v.enforcementLevel === "mandatory")) code = EXIT.policy;
    } else {
        out.write(`\nPolicies: skipped.\n`);
    }

    if (args.json) {
        fs.writeFileSync(args.json, planJson(run));
        out.write(`\nPlan written to ${args.json}\n`);
    }
    if (oldPlan && args.diff) {
        const current = JSON.parse(planJson(run)) as PlanDoc;
        out.write(`\n${renderDiff(diffPlans(oldPlan, current), args.diff)}\n`);
    }
    return code;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        code => {
            process.exitCode = code;
        },
        e => {
            process.stderr.write(`plan: ${(e as Error).stack ?? e}\n`);
            process.exitCode = 3;
        },
    );
}
