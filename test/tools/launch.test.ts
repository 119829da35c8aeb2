// The npm scripts run the tools through tools/launch.cjs (tsx for the project's files, Node's own
// loader for dependencies), the way users run them: in a fresh process, as package.json says.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../harness";

const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

describe("tools launcher (tools/launch.cjs)", function () {
    this.timeout(120_000);

    it("runs plan, admit and bench through the launcher", () => {
        for (const name of ["plan", "admit", "bench"]) {
            assert.equal(scripts[name], `node --require ./tools/launch.cjs tools/${name}.ts`);
        }
    });

    it("admit with a stack loads the engine on demand (in a fresh process, as the npm script runs it)", () => {
        const [node, ...args] = scripts.admit.split(" ");
        assert.equal(node, "node");
        // An unknown stack: the engine is loaded and answers, without a whole program run.
        const r = spawnSync(
            process.execPath,
            [...args, "--stack", "nosuchstack", path.join(ROOT, "test", "fixtures", "admit", "allowed", "app.yaml")],
            { cwd: ROOT, encoding: "utf8" },
        );
        assert.equal(r.status, 2, `admit exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
        assert.match(r.stderr, /stack 'nosuchstack': no config for stack 'nosuchstack'/);
    });
});
