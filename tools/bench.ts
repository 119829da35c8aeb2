// `npm run bench [-- --pairs <n>] [--stacks dev,prod] [--test]`
//
// 1. `plan` against its fair floor, per stack. `plan` runs the way users run it
//    (`npm run --silent plan -- --stack <s>`, a fresh process tree each time). The floor is a
//    plain `node` process that requires exactly the node_modules files `plan` loads, in load
//    order — recorded from one probed run of `plan` (tools/bench-probe.cjs), not a hand-kept
//    list — and does nothing else (tools/bench-floor.cjs). One warm-up each, then n alternating
//    (floor, plan) pairs, so drift in the machine's load hits both alike; median, min and max.
//    Warm: tsx's compile cache and the machine's dynamic-provider text cache
//    (tools/provider-cache.ts) filled. Cold: plan with TSX_DISABLE_CACHE=1 (tsx transpiles every
//    file again). Fresh, a fresh clone's very first plan: no tsx cache and an empty machine cache
//    (PLATFORM_PROVIDER_CACHE_DIR, a new empty directory per run), so only what the clone carries
//    (the committed tools/provider-text/) answers. Targets: plan ≤ 2× the floor warm, ≤ 2.5× cold
//    and fresh.
//    Peak memory (max RSS) of plan's process comes from the probed run.
// 2. With --test: the wall time of `npm test` from a warm checkout (run twice, the second counts:
//    the first may re-typecheck and re-lint changes).
// 3. The deploy-path estimate and its lower bound per stack (tools/deploy-path.ts).
//
// Timings are reported, never asserted (CONTRIBUTING: no timing assertions in tests).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const TARGET_WARM = 2;
const TARGET_COLD = 2.5;
const USAGE = "usage: npm run bench -- [--pairs <n>] [--stacks dev,prod] [--test]";
const NPM = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ["npm"];

interface Probe {
    argv: string[];
    maxRssKb: number;
    modules: string[];
}

/** Runs `plan` once with the probe preloaded; returns the plan process's record. */
export function recordPlan(stack: string): Probe {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-probe-"));
    try {
        const env = {
            ...process.env,
            BENCH_PROBE_DIR: dir,
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${path.join(ROOT, "tools", "bench-probe.cjs")}`,
        };
        run(planCommand(stack), [0, 1], env);
        const records = fs.readdirSync(dir).map(f => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Probe);
        // The plan process is the one whose script (argv[1]) is tools/plan.ts (npm itself is another).
        const plan = records.find(r => (r.argv[1] ?? "").endsWith(path.join("tools", "plan.ts")));
        if (!plan) throw new Error("the probed run recorded no process running tools/plan.ts");
        return plan;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function planCommand(stack: string): string[] {
    return [...NPM, "run", "--silent", "plan", "--", "--stack", stack];
}

/** Wall seconds of one command; throws if it exits with another code than okCodes. */
function run(command: string[], okCodes: number[], env: NodeJS.ProcessEnv = process.env): number {
    const start = process.hrtime.bigint();
    const r = spawnSync(command[0], command.slice(1), { cwd: ROOT, encoding: "utf8", env, stdio: ["ignore", "ignore", "pipe"] });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (r.error) throw r.error;
    if (!okCodes.includes(r.status ?? -1)) {
        throw new Error(
            `\`${command.join(" ")}\` exited ${r.status}:\n${(r.stderr ?? "")
                .split("\n")
                .filter(l => !/^npm warn/.test(l))
                .join("\n")}`,
        );
    }
    return seconds;
}

export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** One warm-up each, then n alternating (a, b) pairs; `bEnv` is b's environment. */
/** `bEnv`: the plan's environment, or a function giving a new one per run (each fresh run its own empty cache). */
function pairs(
    a: string[],
    b: string[],
    n: number,
    okA: number[],
    okB: number[],
    bEnv: NodeJS.ProcessEnv | (() => NodeJS.ProcessEnv) = process.env,
) {
    const envs: NodeJS.ProcessEnv[] = [];
    const planEnv = () => {
        envs.push(typeof bEnv === "function" ? bEnv() : bEnv);
        return envs[envs.length - 1];
    };
    try {
        run(a, okA);
        run(b, okB, planEnv());
        const all = { a: [] as number[], b: [] as number[] };
        for (let i = 0; i < n; i++) {
            all.a.push(run(a, okA));
            all.b.push(run(b, okB, planEnv()));
        }
        return { floor: median(all.a), plan: median(all.b), all };
    } finally {
        // The fresh runs' cache directories.
        for (const dir of envs.map(e => e.PLATFORM_PROVIDER_CACHE_DIR).filter(d => d && d.startsWith(os.tmpdir())))
            fs.rmSync(dir!, { recursive: true, force: true });
    }
}

function parse(argv: string[]): { pairs: number; stacks: string[]; test: boolean } {
    let n = 5;
    let stacks = ["prod"];
    let test = false;
    for (let i = 0; i < argv.length; i++) {
        const [flag, value] = [argv[i], argv[i + 1]];
        if (flag === "--pairs" && value && /^[1-9]\d*$/.test(value)) {
            n = Number(value);
            i++;
        } else if (flag === "--stacks" && value) {
            stacks = value.split(",").filter(Boolean);
            i++;
        } else if (flag === "--test") test = true;
        else throw new Error(`unexpected argument '${flag}'\n${USAGE}`);
    }
    if (n < 5) throw new Error(`--pairs ${n}: at least 5 pairs make a median worth reading\n${USAGE}`);
    return { pairs: n, stacks, test };
}

const secs = (x: number) => `${x.toFixed(2)}s`;

async function bench(argv: string[]): Promise<number> {
    let opts;
    try {
        opts = parse(argv);
    } catch (e) {
        process.stderr.write(`bench: ${(e as Error).message}\n`);
        return 2;
    }
    const out = (s = "") => process.stdout.write(`${s}\n`);
    out(`Node ${process.version}, ${os.cpus().length} cores; ${opts.pairs} alternating (floor, plan) pairs after one warm-up each.`);
    out(`  plan:  npm ${planCommand("<stack>").slice(NPM.length).join(" ")}`);
    out("  floor: node tools/bench-floor.cjs <the node_modules files plan loaded, in load order>");
    out();
    out(
        `  ${"stack".padEnd(6)}${"modules".padStart(8)}${"floor".padStart(8)}${"plan".padStart(8)}${"warm".padStart(7)}${"cold".padStart(7)}${"fresh".padStart(7)}  plan min–max   floor min–max  plan peak RSS`,
    );
    for (const stack of opts.stacks) {
        const probe = recordPlan(stack);
        const list = path.join(os.tmpdir(), `bench-floor-${process.pid}-${stack}.json`);
        fs.writeFileSync(list, JSON.stringify(probe.modules));
        try {
            // Exit 1 (a mandatory policy violation) is still a completed plan.
            const floorCommand = [process.execPath, path.join(ROOT, "tools", "bench-floor.cjs"), list];
            const warm = pairs(floorCommand, planCommand(stack), opts.pairs, [0], [0, 1]);
            const cold = pairs(floorCommand, planCommand(stack), opts.pairs, [0], [0, 1], { ...process.env, TSX_DISABLE_CACHE: "1" });
            const fresh = pairs(floorCommand, planCommand(stack), opts.pairs, [0], [0, 1], () => ({
                ...process.env,
                TSX_DISABLE_CACHE: "1",
                PLATFORM_PROVIDER_CACHE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "bench-fresh-")),
            }));
            const [warmRatio, coldRatio, freshRatio] = [warm.plan / warm.floor, cold.plan / cold.floor, fresh.plan / fresh.floor];
            out(
                `  ${stack.padEnd(6)}${String(probe.modules.length).padStart(8)}${secs(warm.floor).padStart(8)}${secs(warm.plan).padStart(8)}` +
                    `${`${warmRatio.toFixed(2)}×`.padStart(7)}${`${coldRatio.toFixed(2)}×`.padStart(7)}${`${freshRatio.toFixed(2)}×`.padStart(7)}` +
                    `  ${secs(Math.min(...warm.all.b))}–${secs(Math.max(...warm.all.b))}   ${secs(Math.min(...warm.all.a))}–${secs(Math.max(...warm.all.a))}` +
                    `  ${(probe.maxRssKb / 1024).toFixed(0)} MB` +
                    `  ${warmRatio <= TARGET_WARM ? "warm ok" : `warm OVER ${TARGET_WARM}×`}, ${coldRatio <= TARGET_COLD ? "cold ok" : `cold OVER ${TARGET_COLD}×`}` +
                    `, ${freshRatio <= TARGET_COLD ? "fresh ok" : `fresh OVER ${TARGET_COLD}×`}` +
                    ` (cold plan ${secs(cold.plan)} ${secs(Math.min(...cold.all.b))}–${secs(Math.max(...cold.all.b))}, floor ${secs(cold.floor)};` +
                    ` fresh plan ${secs(fresh.plan)} ${secs(Math.min(...fresh.all.b))}–${secs(Math.max(...fresh.all.b))}, floor ${secs(fresh.floor)})`,
            );
        } finally {
            fs.rmSync(list, { force: true });
        }
    }
    if (opts.test) {
        out();
        // The first run may re-typecheck and re-lint what changed; the second is a warm checkout's.
        const first = run([...NPM, "test", "--silent"], [0]);
        const seconds = run([...NPM, "test", "--silent"], [0]);
        out(
            `npm test: ${secs(seconds)} wall from a warm checkout (target < 25 s on ${os.cpus().length} cores); the run before it: ${secs(first)}`,
        );
    }

    // Loaded only now: the engine is not needed for the timings above. `require`, not
    // `import()`: the launcher (tools/launch.cjs) compiles TypeScript for CommonJS loading only.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { runStack } = require("./engine") as typeof import("./engine");
    const { deployEstimate, formatDuration } = require("./deploy-path") as typeof import("./deploy-path");
    /* eslint-enable @typescript-eslint/no-require-imports */
    out();
    out("deploy path (from-scratch `pulumi up`; typical durations from tools/deploy-path.ts):");
    out(`  ${"stack".padEnd(8)}${"estimate".padStart(10)}${"lower bound".padStart(13)}  longest chain`);
    for (const stack of opts.stacks) {
        const run = await runStack({ stack });
        const e = deployEstimate(run.resources);
        const chain = e.estimate.chain.map(s => s.name).join(" → ");
        out(
            `  ${stack.padEnd(8)}${formatDuration(e.estimate.totalSeconds).padStart(10)}${formatDuration(e.lowerBound.totalSeconds).padStart(13)}  ${chain}`,
        );
        out(`  ${"".padEnd(31)}  essential: ${e.lowerBound.chain.map(s => s.name).join(" → ")} (data edges by ${e.lowerBoundBasis})`);
    }
    return 0;
}

if (require.main === module) {
    bench(process.argv.slice(2)).then(
        code => {
            process.exitCode = code;
        },
        e => {
            process.stderr.write(`bench: ${(e as Error).message}\n`);
            process.exitCode = 1;
        },
    );
}
