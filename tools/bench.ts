// `npm run bench [-- --runs <n>] [--stacks dev,prod]`
//
// 1. Wall time of `plan` per stack (a fresh `npx tsx tools/plan.ts --stack <s>` process each
//    run; one warm-up, then the median of n) next to the floor: a process started the same way
//    that only imports the SDK modules `plan` loads (collected by following tools/plan.ts's,
//    the program's and the policy pack's imports). Target: plan ≤ 3× the floor.
// 2. The deploy-path estimate and its lower bound per stack (tools/deploy-path.ts).
//
// Timings are reported, never asserted (CONTRIBUTING: no timing assertions in tests).
// Only Node built-ins are imported at the top: `--floor` children must load nothing else.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const TARGET_RATIO = 3;
const USAGE = "usage: npm run bench -- [--runs <n>] [--stacks dev,prod]";

/** Entry points `plan` loads: itself, the program (required by the engine), the policy pack. */
const ENTRY_POINTS = ["tools/plan.ts", "infra/index.ts", "policy/offline.ts"];
const IMPORT = /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;

function resolveLocal(fromFile: string, spec: string): string | undefined {
    const base = path.resolve(path.dirname(fromFile), spec);
    return [base, `${base}.ts`, path.join(base, "index.ts")].find(f => fs.existsSync(f) && fs.statSync(f).isFile() && f.endsWith(".ts"));
}

/** Every `@pulumi/…` module specifier reachable from the entry points through local imports. */
export function sdkModules(root = ROOT, entries = ENTRY_POINTS): string[] {
    const seen = new Set<string>();
    const modules = new Set<string>();
    const queue = entries.map(e => path.join(root, e)).filter(f => fs.existsSync(f));
    while (queue.length) {
        const file = queue.pop()!;
        if (seen.has(file)) continue;
        seen.add(file);
        // Type-only imports are erased: they load nothing.
        const text = fs.readFileSync(file, "utf8").replace(/\b(import|export)\s+type\s[^;]*?from\s*["'][^"']+["']/g, "");
        for (const m of text.matchAll(IMPORT)) {
            const spec = m[1];
            if (spec.startsWith(".")) {
                const local = resolveLocal(file, spec);
                if (local) queue.push(local);
            } else if (spec.startsWith("@pulumi/")) {
                modules.add(spec);
            }
        }
    }
    return [...modules].sort();
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Wall seconds of one child process; throws if it fails. */
function timeOnce(args: string[], okCodes: number[]): number {
    const start = process.hrtime.bigint();
    const r = spawnSync("npx", ["tsx", ...args], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (r.error) throw r.error;
    if (!okCodes.includes(r.status ?? -1)) {
        throw new Error(`\`npx tsx ${args.join(" ")}\` exited ${r.status}:\n${(r.stderr ?? "").split("\n").filter(l => !/^npm warn/.test(l)).join("\n")}`);
    }
    return seconds;
}

function timeMedian(args: string[], runs: number, okCodes: number[]): { median: number; all: number[] } {
    timeOnce(args, okCodes); // warm-up: tsx's compile cache, the OS file cache
    const all = Array.from({ length: runs }, () => timeOnce(args, okCodes));
    return { median: median(all), all };
}

function parse(argv: string[]): { runs: number; stacks: string[] } {
    let runs = 5;
    let stacks = ["dev", "prod"];
    for (let i = 0; i < argv.length; i++) {
        const [flag, value] = [argv[i], argv[i + 1]];
        if (flag === "--runs" && value && /^[1-9]\d*$/.test(value)) { runs = Number(value); i++; }
        else if (flag === "--stacks" && value) { stacks = value.split(",").filter(Boolean); i++; }
        else throw new Error(`unexpected argument '${flag}'\n${USAGE}`);
    }
    return { runs, stacks };
}

async function bench(argv: string[]): Promise<number> {
    let opts;
    try {
        opts = parse(argv);
    } catch (e) {
        process.stderr.write(`bench: ${(e as Error).message}\n`);
        return 2;
    }
    const modules = sdkModules();
    const out = (s = "") => process.stdout.write(`${s}\n`);
    out(`plan wall time: median of ${opts.runs} runs after one warm-up, each a fresh \`npx tsx\` process.`);
    out(`floor: \`npx tsx tools/bench.ts --floor\`, importing only the ${modules.length} SDK modules plan loads:`);
    out(`  ${modules.join(", ")}`);
    const floor = timeMedian(["tools/bench.ts", "--floor", ...modules], opts.runs, [0]);
    out();
    out(`  ${"stack".padEnd(8)}${"plan".padStart(9)}${"floor".padStart(9)}${"ratio".padStart(8)}  target ≤ ${TARGET_RATIO}×`);
    for (const stack of opts.stacks) {
        // Exit 1 (a mandatory policy violation) is still a completed plan.
        const plan = timeMedian(["tools/plan.ts", "--stack", stack], opts.runs, [0, 1]);
        const ratio = plan.median / floor.median;
        out(`  ${stack.padEnd(8)}${`${plan.median.toFixed(2)}s`.padStart(9)}${`${floor.median.toFixed(2)}s`.padStart(9)}${`${ratio.toFixed(2)}×`.padStart(8)}  ${ratio <= TARGET_RATIO ? "ok" : "OVER TARGET"}`);
    }

    // Loaded only here, so that --floor children import nothing but the SDK modules.
    const { runStack } = await import("./engine");
    const { deployEstimate, formatDuration } = await import("./deploy-path");
    out();
    out("deploy path (from-scratch `pulumi up`; typical durations from tools/deploy-path.ts):");
    out(`  ${"stack".padEnd(8)}${"estimate".padStart(10)}${"lower bound".padStart(13)}  longest chain`);
    for (const stack of opts.stacks) {
        const run = await runStack({ stack });
        const e = deployEstimate(run.resources);
        const chain = e.estimate.chain.map(s => s.name).join(" → ");
        out(`  ${stack.padEnd(8)}${formatDuration(e.estimate.totalSeconds).padStart(10)}${formatDuration(e.lowerBound.totalSeconds).padStart(13)}  ${chain}`);
        out(`  ${"".padEnd(31)}  essential: ${e.lowerBound.chain.map(s => s.name).join(" → ")} (data edges by ${e.lowerBoundBasis})`);
    }
    return 0;
}

/** The floor: load the modules, do nothing else. */
function floor(modules: string[]): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    for (const m of modules) require(m);
}

if (require.main === module) {
    const argv = process.argv.slice(2);
    if (argv[0] === "--floor") {
        floor(argv.slice(1));
    } else {
        bench(argv).then(code => { process.exitCode = code; }, e => {
            process.stderr.write(`bench: ${(e as Error).message}\n`);
            process.exitCode = 1;
        });
    }
}
