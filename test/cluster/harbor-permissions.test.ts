// The Harbor permission table (components/cluster/harbor/permissions.ts) against the pipeline
// and the robot: every Harbor call the pipeline makes is in the table, the robot holds exactly
// the permissions those calls need, and the scan gate's real script passes Harbor's checks as
// that robot (run with python3 over HTTPS against the Harbor stand-in on 127.0.0.1).
import { selfSignedLocalhostCert } from "../tls";
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PIPELINE_ROBOT_ACCESS } from "../../components/cluster/harbor";
import {
    HARBOR_CALLS,
    HarborCall,
    PIPELINE_HARBOR_TASKS,
    permissionsTableMarkdown,
    pipelineRobotNeeds,
    robotPasses,
    RobotAccess,
} from "../../components/cluster/harbor/permissions";
import { buildPipeline, TASKS, waitForScanTask } from "../../components/cluster/pipeline/tasks";
import projectPermissions from "../fixtures/harbor/project-permissions-v2.15.1.json";
import swagger from "../fixtures/harbor/swagger-v2.15.1.json";
import { HarborStub, StubProject } from "../fixtures/harbor/stub";

const key = (a: RobotAccess) => `${a.resource}:${a.action}`;
const pipelineCalls = HARBOR_CALLS.filter(c => c.caller.kind === "pipeline-task");
/** The robot as the pipeline had it before issue 8 (push, pull, artifact read). */
const OLD_ROBOT_ACCESS: RobotAccess[] = [
    { resource: "repository", action: "push" },
    { resource: "repository", action: "pull" },
    { resource: "artifact", action: "read" },
];

describe("Harbor permissions: the table", () => {
    it("names, for every call, the Harbor v2.15.1 source line that checks it", () => {
        for (const c of HARBOR_CALLS) {
            assert.match(c.source, /^src\/[\w/.-]+\.go:\d+/, `${c.method} ${c.path}`);
            if (c.permission.scope !== "authenticated") assert.match(c.permission.action, /^(read|list|create|update|delete|pull|push)$/);
        }
        assert.match(permissionsTableMarkdown(), /\| pipeline wait-for-scan\/wait \| GetVulnerabilitiesAddition \|/);
    });

    it("is rendered, up to date, in components/cluster/harbor/PERMISSIONS.md", () => {
        const doc = fs.readFileSync(path.join(__dirname, "../../components/cluster/harbor/PERMISSIONS.md"), "utf8");
        assert.ok(
            doc.includes(permissionsTableMarkdown()),
            "regenerate: npx tsx -e 'console.log(require(\"./components/cluster/harbor/permissions\").permissionsTableMarkdown())'",
        );
    });

    it("lists REST calls that exist in Harbor's swagger (operationId, method, path)", () => {
        for (const c of HARBOR_CALLS.filter(x => x.path.startsWith("/api/v2.0/"))) {
            const op = (swagger.paths as any)[c.path.slice("/api/v2.0".length)]?.[c.method.toLowerCase()];
            assert.ok(op, `${c.method} ${c.path} is not in the swagger excerpt`);
            assert.equal(op.operationId.toLowerCase(), c.operation.toLowerCase(), `${c.method} ${c.path}`);
        }
    });

    it("covers every pipeline task that holds the Harbor robot's credentials, and only those", () => {
        const pipeline = buildPipeline({
            sourceRepoUrl: "https://github.com/o/app.git",
            manifestsRepoUrl: "https://github.com/o/m.git",
            branch: "main",
            manifestsPaths: ["a"],
            harborImage: "h/staging/app",
            harborHost: "h",
            harborProject: "staging",
            imageRepository: "app",
            acrLoginServer: "acr.azurecr.io",
            botName: "bot",
            botEmail: "b@x",
            githubApiUrl: "https://api.github.com",
            manifestsSlug: "o/m",
        }) as any;
        const withRobot = (pipeline.spec.tasks as any[])
            .filter(t => (t.workspaces ?? []).some((w: any) => w.workspace === "harbor-auth"))
            .map(t => t.taskRef.name)
            .sort();
        const inTable = [...new Set(pipelineCalls.map(c => (c.caller as { task: string }).task))].sort();
        assert.deepEqual(inTable, withRobot);
        assert.deepEqual(PIPELINE_HARBOR_TASKS, { push: TASKS.push, waitForScan: TASKS.waitForScan, promote: TASKS.promote });
    });
});

describe("Harbor permissions: the pipeline robot", () => {
    it("holds every permission the pipeline's calls need (Harbor's robot evaluation)", () => {
        for (const c of pipelineCalls) {
            assert.ok(robotPasses(PIPELINE_ROBOT_ACCESS, c.permission), `${c.method} ${c.path} needs ${JSON.stringify(c.permission)}`);
        }
    });

    it("holds nothing the pipeline does not need (least privilege)", () => {
        assert.deepEqual(PIPELINE_ROBOT_ACCESS.map(key).sort(), pipelineRobotNeeds().map(key).sort());
    });

    it("asks only for permissions Harbor lets a project robot have (else POST /robots is a 400)", () => {
        for (const a of PIPELINE_ROBOT_ACCESS) assert.ok(projectPermissions.permissions.includes(key(a)), key(a));
    });

    it("evaluates like Harbor: push implies pull, `project` is the project itself, no system access", () => {
        assert.ok(robotPasses([{ resource: "repository", action: "push" }], { scope: "project", resource: "repository", action: "pull" }));
        assert.ok(!robotPasses([{ resource: "repository", action: "pull" }], { scope: "project", resource: "repository", action: "push" }));
        assert.ok(!robotPasses([{ resource: "project", action: "read" }], { scope: "project", resource: "artifact", action: "read" }));
        assert.ok(
            !robotPasses([{ resource: "artifact", action: "read" }], { scope: "project", resource: "artifact-addition", action: "read" }),
        );
        assert.ok(
            !robotPasses([{ resource: "garbage-collection", action: "read" }], {
                scope: "system",
                resource: "garbage-collection",
                action: "read",
            }),
        );
        assert.ok(robotPasses([], { scope: "authenticated" }));
    });

    it("lacked project read and artifact-addition read before (the scan gate's 403s)", () => {
        const denied = pipelineCalls.filter(c => !robotPasses(OLD_ROBOT_ACCESS, c.permission)).map(c => c.operation);
        assert.deepEqual(denied, ["GetProject", "GetVulnerabilitiesAddition"]);
    });
});

// ---------------------------------------------------------------------------------------------
// The wait-for-scan step's script, run as the robot against the stand-in over HTTPS.
// ---------------------------------------------------------------------------------------------

const DIGEST = `sha256:${"ab".repeat(32)}`;

interface StepRun {
    status: number | null;
    output: string;
}

describe("Harbor permissions: the scan gate step as the pipeline robot", function () {
    let dir: string;
    let tls: { key: string; cert: string };
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "harbor-gate-"));
        // A throwaway certificate for 127.0.0.1: the step only speaks https.
        selfSignedLocalhostCert(dir);
        tls = { key: fs.readFileSync(path.join(dir, "key.pem"), "utf8"), cert: fs.readFileSync(path.join(dir, "cert.pem"), "utf8") };
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Runs the step's script the way Tekton would: env with params and workspace paths substituted. */
    async function runGate(
        access: readonly RobotAccess[],
        seed: (h: HarborStub, p: StubProject) => void,
    ): Promise<StepRun & { harbor: HarborStub }> {
        const harbor = new HarborStub();
        const base = await harbor.start(tls);
        try {
            const project = harbor.addProject("staging");
            project.cve_allowlist.items = [{ cve_id: "CVE-2024-0001" }];
            const robot = harbor.addRobot(project, "pipeline", [...access]);
            seed(harbor, project);
            const host = base.replace(/^https:\/\//, "");
            const authDir = fs.mkdtempSync(path.join(dir, "auth-"));
            fs.writeFileSync(
                path.join(authDir, "config.json"),
                JSON.stringify({
                    auths: { [host]: { auth: Buffer.from(`${robot.fullName}:${robot.secret}`).toString("base64") } },
                }),
            );
            const step = (waitForScanTask("high") as any).spec.steps[0];
            const params: Record<string, string> = {
                "harbor-host": host,
                project: "staging",
                repository: "app",
                digest: DIGEST,
                "timeout-seconds": "30",
            };
            const env: Record<string, string> = {};
            for (const e of step.env as { name: string; value: string }[]) {
                env[e.name] = e.value
                    .replace(/\$\(params\.([\w-]+)\)/g, (_m, p) => params[p])
                    .replace("$(workspaces.registry-auth.path)", authDir);
            }
            // Tekton writes the script to a file and executes it: its shebang picks the interpreter.
            const script = path.join(dir, "wait-step");
            fs.writeFileSync(script, step.script, { mode: 0o755 });
            // Async: the stand-in answers on this process's event loop.
            const child = await new Promise<StepRun>(resolve => {
                const p = spawn(script, [], {
                    env: { PATH: process.env.PATH!, HOME: dir, SSL_CERT_FILE: path.join(dir, "cert.pem"), ...env },
                });
                let output = "";
                p.stdout.on("data", d => {
                    output += d;
                });
                p.stderr.on("data", d => {
                    output += d;
                });
                p.on("close", status => resolve({ status, output }));
            });
            return { ...child, harbor };
        } finally {
            await harbor.stop();
        }
    }

    const clean = (h: HarborStub) =>
        h.artifacts.set(`staging/app@${DIGEST}`, {
            scanStatus: "Success",
            vulnerabilities: [
                { id: "CVE-2024-0001", severity: "Critical" },
                { id: "CVE-2024-0003", severity: "Low" },
            ],
        });
    const vulnerable = (h: HarborStub) =>
        h.artifacts.set(`staging/app@${DIGEST}`, {
            scanStatus: "Success",
            vulnerabilities: [{ id: "CVE-2024-0002", severity: "High" }],
        });

    it("python3 is here to run the step", () => {
        assert.equal(spawnSync("python3", ["--version"]).status, 0);
    });

    it("passes a clean scan (allowlisted Critical, Low below the threshold) with the robot's permissions", async () => {
        const run = await runGate(PIPELINE_ROBOT_ACCESS, clean);
        assert.equal(run.status, 0, run.output);
        assert.match(run.output, /2 findings, 0 blocking/);
        assert.deepEqual(run.harbor.violations, []);
        // Every call the step made is a row of the table, and none was refused.
        for (const call of run.harbor.calls) {
            assert.equal(call.status, 200, `${call.method} ${call.path}`);
            assert.equal(call.user, "robot$staging+pipeline");
            assert.ok(tableRowFor(call.method, call.path), `${call.method} ${call.path} is not in the permission table`);
        }
        assert.deepEqual([...new Set(run.harbor.calls.map(c => tableRowFor(c.method, c.path)!.operation))].sort(), [
            "GetArtifact",
            "GetProject",
            "GetVulnerabilitiesAddition",
        ]);
    });

    it("fails on a High finding that is not allowlisted", async () => {
        const run = await runGate(PIPELINE_ROBOT_ACCESS, vulnerable);
        assert.notEqual(run.status, 0);
        assert.match(run.output, /blocking vulnerabilities: CVE-2024-0002/);
    });

    it("got 403 with the robot's old permissions (issue 8, finding 3)", async () => {
        const run = await runGate(OLD_ROBOT_ACCESS, clean);
        assert.notEqual(run.status, 0);
        assert.match(run.output, /HTTP Error 403/);
        assert.deepEqual(
            run.harbor.calls.map(c => `${c.method} ${c.path} ${c.status}`).filter(c => c.endsWith("403")),
            ["GET /api/v2.0/projects/staging 403"],
        );
    });
});

/** The table row for a concrete REST call (path parameters matched by segment). */
function tableRowFor(method: string, concretePath: string): HarborCall | undefined {
    return HARBOR_CALLS.find(
        c =>
            c.caller.kind === "pipeline-task" &&
            c.method === method &&
            new RegExp(`^${c.path.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(concretePath),
    );
}
