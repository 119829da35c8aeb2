import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { EvaluatePolicies, EXIT, main, parsePlanArgs, PlanOptions, policyContext, UsageError } from "../../tools/plan";
import { ROOT } from "../../tools/engine";
import { stackRun } from "../harness";

class Capture {
    text = "";
    write(s: string) {
        this.text += s;
        return true;
    }
}

async function plan(argv: string[], options: PlanOptions = {}): Promise<{ code: number; out: string; err: string }> {
    const out = new Capture(),
        err = new Capture();
    const code = await main(argv, out, err, options);
    return { code, out: out.text, err: err.text };
}

/** The dev run shared through the harness, for tests about what plan does with a run, not the run itself. */
const sharedDev: PlanOptions = {
    runStack: options => {
        assert.deepEqual(options, { stack: "dev", dryRun: false, stackConfigDir: undefined });
        return stackRun("dev");
    },
};

const STACK_TRACE = /\n\s+at .+:\d+:\d+/;
// The committed stacks must pass every mandatory policy (CI plans them and requires exit 0).
const RAN = [EXIT.ok] as number[];

describe("plan", function () {
    this.timeout(120_000);
    let tmp: string;
    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-test-"));
    });
    after(() => {
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    describe("usage errors exit 2", () => {
        it("without --stack, with an unknown flag, with a positional argument", async () => {
            for (const argv of [[], ["--stack", "dev", "--frobnicate"], ["--stack", "dev", "extra"], ["--json"]]) {
                const r = await plan(argv);
                assert.equal(r.code, EXIT.usage, argv.join(" "));
                assert.match(r.err, /usage: npm run plan/);
                assert.doesNotMatch(r.err, STACK_TRACE);
            }
            assert.throws(() => parsePlanArgs(["--stack", "dev", "--diff", ""]), UsageError);
        });

        it("for a stack without config, naming the stacks that exist", async () => {
            const r = await plan(["--stack", "nosuchstack"]);
            assert.equal(r.code, EXIT.usage);
            assert.match(r.err, /no config for stack 'nosuchstack'.*stacks: .*dev/);
        });

        it("for an unreadable or invalid --diff file, before running the stack", async () => {
            const missing = await plan(["--stack", "dev", "--diff", path.join(tmp, "missing.json")]);
            assert.equal(missing.code, EXIT.usage);
            assert.match(missing.err, /--diff .*missing\.json: cannot read it \(ENOENT\)/);
            assert.equal(missing.out, "");

            const garbage = path.join(tmp, "garbage.json");
            fs.writeFileSync(garbage, "{ not json");
            const bad = await plan(["--stack", "dev", "--diff", garbage]);
            assert.equal(bad.code, EXIT.usage);
            assert.match(bad.err, /garbage\.json: not valid JSON/);

            const shape = path.join(tmp, "shape.json");
            fs.writeFileSync(shape, JSON.stringify({ stack: "dev", resources: {}, outputs: {} }));
            const wrong = await plan(["--stack", "dev", "--diff", shape]);
            assert.equal(wrong.code, EXIT.usage);
            assert.match(wrong.err, /not a plan document.*\n.*`resources` is not an array/);
            for (const r of [missing, bad, wrong]) assert.doesNotMatch(r.err, STACK_TRACE);
        });
    });

    it("bad config exits 2 naming the key, with no stack trace", async () => {
        const dir = path.join(tmp, "stacks-bad");
        fs.mkdirSync(dir);
        const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.dev.yaml"), "utf8"));
        doc.config["platform:kubernetes"].version = "1.34.2";
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), YAML.stringify(doc));
        const r = await plan(["--stack", "dev"], { stackConfigDir: dir });
        assert.equal(r.code, EXIT.usage);
        assert.match(r.err, /platform:kubernetes\.version/);
        assert.doesNotMatch(r.err, STACK_TRACE);
        assert.equal(r.out, "");
    });

    it("a stack file that is not valid YAML exits 2 naming the file, line and problem, with no stack trace", async () => {
        const dir = path.join(tmp, "stacks-unreadable");
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  platform:environment: dev\n  platform:tags: {owner: [x\n");
        const r = await plan(["--stack", "dev"], { stackConfigDir: dir });
        assert.equal(r.code, EXIT.usage, r.err);
        assert.match(r.err, /Pulumi\.dev\.yaml:\d+:\d+: not valid YAML: /);
        assert.doesNotMatch(r.err, STACK_TRACE);
        assert.equal(r.out, "");
    });

    it("an unknown azure-native:location exits 2 naming the key", async () => {
        const dir = path.join(tmp, "stacks-location");
        fs.mkdirSync(dir);
        const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.dev.yaml"), "utf8"));
        doc.config["azure-native:location"] = "westeruope";
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), YAML.stringify(doc));
        const r = await plan(["--stack", "dev"], { stackConfigDir: dir });
        assert.equal(r.code, EXIT.usage, r.err);
        assert.match(r.err, /azure-native:location: 'westeruope' is an unknown Azure region/);
        assert.doesNotMatch(r.err, STACK_TRACE);
    });

    describe("on the dev stack", () => {
        let first: { code: number; out: string; err: string };
        const a = () => path.join(tmp, "a.json");
        const b = () => path.join(tmp, "b.json");
        before(async () => {
            first = await plan(["--stack", "dev", "--json", a()]);
            assert.ok(RAN.includes(first.code), first.err);
        });

        it("--preview plans a from-scratch preview: computed values unknown, secrets still redacted, dev passes the mandatory policies", async () => {
            const file = path.join(tmp, "preview.json");
            const r = await plan(["--stack", "dev", "--preview", "--json", file]);
            assert.equal(r.code, EXIT.ok, r.out + r.err);
            const text = fs.readFileSync(file, "utf8");
            assert.ok(text.includes('"[unknown]"'), "computed outputs are unknown in a preview");
            for (const leaked of ["mockpw-", "BEGIN RSA PRIVATE KEY", "offline-placeholder", "mockrobot-"])
                assert.ok(!text.includes(leaked), leaked);
            assert.match(r.out, /Policies: 0 mandatory/);
        });

        it("writes byte-identical JSON on every run", async () => {
            const second = await plan(["--stack", "dev", "--json", b()]);
            assert.ok(RAN.includes(second.code), second.err);
            assert.ok(fs.readFileSync(a()).equals(fs.readFileSync(b())), "plan JSON differs between two runs");
        });

        it("writes DESIGN.md's shape with every secret redacted", () => {
            const text = fs.readFileSync(a(), "utf8");
            const doc = JSON.parse(text);
            assert.deepEqual(Object.keys(doc), ["outputs", "resources", "stack"]);
            assert.equal(doc.stack, "dev");
            for (const r of doc.resources) {
                assert.deepEqual(Object.keys(r), ["dependencies", "inputs", "name", "parent", "protect", "provider", "type", "urn"]);
            }
            // What the engine's mocks produce for secrets: passwords, keys, `secure:` config.
            for (const needle of [
                "mockpw-",
                "BEGIN RSA PRIVATE KEY",
                "BEGIN PRIVATE KEY",
                "BEGIN OPENSSH PRIVATE KEY",
                "offline-placeholder",
            ]) {
                assert.ok(!text.includes(needle), `plan JSON contains ${needle}`);
            }
        });

        it("prints the tree, the summary and the deploy-path estimate", () => {
            assert.match(first.out, /\+ pulumi:pulumi:Stack {2}platform-dev/);
            assert.match(first.out, /Stack dev: \d+ resources to create/);
            assert.match(first.out, /Deploy path .*\n {2}estimate \S+( \S+)?; lower bound/);
            // The pack's own policies ran (tools/policy-offline.ts).
            assert.match(first.out, /\nPolicies: \d+ mandatory, \d+ advisory violation\(s\)\./);
            assert.equal(first.code === EXIT.policy, /FAIL \[mandatory\]/.test(first.out));
        });

        it("--diff against its own plan reports no change", async () => {
            const r = await plan(["--stack", "dev", "--diff", a()], sharedDev);
            assert.ok(RAN.includes(r.code), r.err);
            assert.match(
                r.out,
                /Plan diff: stack dev against .*a\.json \(stack dev\)\n {2}0 to add, 0 to remove, 0 to change, \d+ unchanged; 0 output/,
            );
            assert.match(r.out, /Security-relevant changes \(0\):\n {2}none/);
        });

        it("--diff against an edited plan reports the change, security first", async () => {
            const doc = JSON.parse(fs.readFileSync(a(), "utf8"));
            // A removed role assignment (or, on a program still too small to have one, an added one).
            const ra = doc.resources.findIndex((r: { type: string }) => r.type === "azure-native:authorization:RoleAssignment");
            if (ra >= 0) doc.resources.splice(ra, 1);
            else
                doc.resources.push({
                    urn: "urn:pulumi:dev::platform::azure-native:authorization:RoleAssignment::old",
                    type: "azure-native:authorization:RoleAssignment",
                    name: "old",
                    parent: null,
                    provider: null,
                    dependencies: [],
                    protect: false,
                    inputs: {},
                });
            const edited = path.join(tmp, "edited.json");
            fs.writeFileSync(edited, JSON.stringify(doc));
            const r = await plan(["--stack", "dev", "--diff", edited], sharedDev);
            assert.ok(RAN.includes(r.code), r.err);
            assert.match(r.out, /Security-relevant changes \(\d+\):\n {2}! access +[+-] azure-native:authorization:RoleAssignment/);
        });
    });

    describe("offline policies", () => {
        const violations =
            (level: "mandatory" | "advisory"): EvaluatePolicies =>
            (run, options) => [
                {
                    policy: "test-policy",
                    enforcementLevel: level,
                    urn: run.resources[0].urn,
                    message: `env=${options.environment} ns=${options.pipelineNamespace}`,
                },
            ];

        it("exit 1 when a mandatory policy fails, printing the violation", async () => {
            const r = await plan(["--stack", "dev"], { ...sharedDev, policies: violations("mandatory") });
            assert.equal(r.code, EXIT.policy);
            assert.match(r.out, /Policies: 1 mandatory, 0 advisory violation\(s\)\.\n {2}FAIL \[mandatory\] test-policy: env=dev ns=ci/);
        });

        it("advisory violations are printed but do not fail", async () => {
            const r = await plan(["--stack", "dev"], { ...sharedDev, policies: violations("advisory") });
            assert.equal(r.code, EXIT.ok);
            assert.match(r.out, /warn \[advisory\] test-policy/);
        });

        it("reads the environment and pipeline namespace from the stack config", () => {
            assert.deepEqual(policyContext("dev"), { environment: "dev", pipelineNamespace: "ci" });
            assert.equal(policyContext("prod").environment, "prod");
        });
    });
});
