// The pipeline's step scripts, EXECUTED: each step as Tekton would run it (stepTemplate merged,
// substitutions applied, as its uid with the pod's fsGroup, in a root-owned workspace, private
// /tmp), with real git, busybox sh and python3, against local fixture repositories and local
// stubs of the GitHub and Harbor APIs. See test/cluster/pipeline/run-step.ts for the layout.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";
import { AddressInfo } from "net";
import {
    cloneTask, openPrTask, policyCheckTask, reportStatusTask, scanSourceTask, STEPS_DIR, waitForScanTask,
} from "../../components/cluster/pipeline-tasks";
import { dockerConfigJson } from "../../components/cluster/pipeline";
import {
    FS_GROUP, fixtureRepo, git, newRunRoot, removeRunRoot, requireStepTools, runStep, secretWorkspace, volumeWorkspace, which,
} from "./pipeline/run-step";

type Any = Record<string, any>;

const TOKEN = "ghp_fixturetoken0000000000000000000000";

describe("pipeline step scripts", () => {
    it("every shell step script passes shellcheck (installed, not skipped)", () => {
        // shellcheck from Debian (CI: .ci/run). Missing → a clear failure, never a silent pass.
        const shellcheck = which("shellcheck");
        const scripts = fs.readdirSync(STEPS_DIR).filter(f => f.endsWith(".sh")).map(f => path.join(STEPS_DIR, f));
        assert.ok(scripts.length >= 8, `found ${scripts.length} shell scripts in ${STEPS_DIR}`);
        const r = spawnSync(shellcheck, ["--severity=style", ...scripts], { encoding: "utf8" });
        assert.equal(r.status, 0, `shellcheck:\n${r.stdout}${r.stderr}`);
    });

    it("every Python step script compiles", () => {
        const scripts = fs.readdirSync(STEPS_DIR).filter(f => f.endsWith(".py"));
        assert.ok(scripts.length >= 4);
        for (const f of scripts) {
            const r = spawnSync("/usr/bin/python3", ["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])", path.join(STEPS_DIR, f)], { encoding: "utf8" });
            assert.equal(r.status, 0, `${f}: ${r.stderr}`);
        }
    });

    it("the step tests have what they need: root, busybox, git, setpriv, unshare, python3 with PyYAML", () => {
        requireStepTools();
    });
});

describe("pipeline steps, executed", function () {
    let root: string;
    before(() => requireStepTools());
    beforeEach(() => { root = newRunRoot(); });
    afterEach(() => removeRunRoot(root));

    describe("git-clone", () => {
        it("clones one commit as uid 65532 into the root-owned workspace (subPath src) and reports it", async () => {
            const repo = fixtureRepo(root, "shop", { "Dockerfile": "FROM scratch\n", "src/app.ts": "export {};\n" });
            const out = volumeWorkspace(root, "source", "src");
            assert.equal(fs.statSync(out).uid, 0, "the workspace is root's, as the kubelet creates it");
            fs.writeFileSync(path.join(out, "stale"), "left by an earlier run");
            const r = await runStep({ task: cloneTask(), step: "clone", root, params: { url: repo.url, revision: repo.head }, workspaces: { output: out } });
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.step.securityContext.runAsUser, 65532);
            assert.equal(r.results.commit, repo.head);
            assert.equal(fs.readFileSync(path.join(out, "src/app.ts"), "utf8"), "export {};\n");
            assert.ok(!fs.existsSync(path.join(out, "stale")), "the workspace is emptied first");
            assert.equal(fs.statSync(path.join(out, ".git")).uid, 65532);
            assert.doesNotMatch(fs.readFileSync(path.join(out, ".git/config"), "utf8"), /safe|extraheader|token/i, "nothing written to .git/config");
        });

        it("with the git-auth workspace bound, sends the token only as a command-line header", async () => {
            const repo = fixtureRepo(root, "shop", { "a.txt": "a\n" });
            const out = volumeWorkspace(root, "source", "src");
            const auth = secretWorkspace(root, "git-auth", { token: TOKEN });
            const r = await runStep({ task: cloneTask(), step: "clone", root, params: { url: repo.url, revision: repo.head }, workspaces: { output: out, "git-auth": auth } });
            assert.equal(r.code, 0, r.stderr);
            assert.ok(!fs.readFileSync(path.join(out, ".git/config"), "utf8").includes(TOKEN));
        });

        it("refuses a revision that is not a 40-hex SHA, before touching the workspace", async () => {
            const out = volumeWorkspace(root, "source");
            fs.writeFileSync(path.join(out, "keep"), "x");
            for (const revision of ["main", "$(rm -rf /)", "abc"]) {
                const r = await runStep({ task: cloneTask(), step: "clone", root, params: { url: "file:///nonexistent", revision }, workspaces: { output: out } });
                assert.equal(r.code, 1, revision);
                assert.match(r.stderr, /not a (40-hex )?commit SHA/);
            }
            assert.ok(fs.existsSync(path.join(out, "keep")));
        });
    });
});
