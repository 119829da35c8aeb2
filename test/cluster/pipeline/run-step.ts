// Runs one step of a Task the way the pod would: after the stepTemplate merge and Tekton's
// substitutions, its script verbatim under the interpreter its `#!` line names, as the uid/gid of
// its (merged) securityContext with the pod's fsGroup as supplementary group, with only its own
// environment, in a workspace laid out as the kubelet and Tekton lay it out, with a private /tmp.
//
// Layout under a run root R (a stand-in for the container's /):
//   R/workspace/<name>  workspaces (Tekton mounts a workspace at /workspace/<name>)
//   R/tekton/results    results ($(results.<name>.path) = /tekton/results/<name>), world-writable
//   R/tekton/scripts    the step script (Tekton writes it to /tekton/scripts/script-<i>-<id>)
//   R/tmp               mounted over /tmp for the step (private mount namespace)
//   R/bin               first on PATH: the stand-ins a test puts there (crane, cosign, …)
// then, shared by every run root of the process (built once: a few hundred symlinks per root
// were a tenth of npm test's CPU), the image's tools: busybox applets + git (the alpine/git
// image), python3 (the azure-cli image).
//
// Needs root (setpriv, unshare); the tests say so clearly when it is missing.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stepScratchDir, sweepDeadProcessDirs } from "../../scratch";
import { mergeStepWithTemplate, ParamValue, substitute, substituteList, Substitutions, taskParams } from "./tekton";

type Obj = Record<string, any>;

/** fsGroup of every pipeline pod (the TriggerTemplates' podTemplate). */
export const FS_GROUP = 65532;

const PYTHON = "/usr/bin/python3";

/** Where run roots go (../../scratch.ts). */
const SCRATCH = stepScratchDir();

/** The host programs a step's `#!` line stands for. */
function interpreter(shebang: string): string[] {
    switch (shebang) {
        case "/bin/sh":
        case "/busybox/sh":
            return [which("busybox"), "sh"];
        case "/usr/bin/env python3":
        case "/usr/lib64/az/bin/python":
            return [PYTHON];
        default:
            throw new Error(`no host interpreter for #!${shebang}`);
    }
}

const found = new Map<string, string>();

export function which(cmd: string): string {
    if (!found.has(cmd)) {
        const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
        const location = r.stdout.trim();
        if (r.status !== 0 || !location)
            throw new Error(`${cmd} is not installed: the pipeline step tests run real ${cmd} (CI: .ci/run installs it with apt-get)`);
        found.set(cmd, location);
    }
    return found.get(cmd)!;
}

/** The tools these tests need, with a clear message for each one missing. */
export function requireStepTools(): void {
    if (process.getuid?.() !== 0)
        throw new Error("the pipeline step tests run steps as their uid with setpriv/unshare and must run as root");
    for (const t of ["busybox", "git", "setpriv", "unshare", "mount"]) which(t);
    if (spawnSync(PYTHON, ["-c", "import yaml"]).status !== 0) throw new Error(`${PYTHON} lacks PyYAML (apt-get install python3-yaml)`);
}

/** A fresh run root, traversable by the step users (0755, root-owned). Outside /tmp, which steps get privately. */
export function newRunRoot(): string {
    const root = fs.mkdtempSync(path.join(SCRATCH, "tekton-step-"));
    fs.chmodSync(root, 0o755);
    for (const d of ["workspace", "tekton", "tmp", "bin"]) fs.mkdirSync(path.join(root, d), { mode: 0o755 });
    fs.chmodSync(path.join(root, "tmp"), 0o1777);
    fs.mkdirSync(path.join(root, "tekton", "results"), { mode: 0o777 });
    fs.chmodSync(path.join(root, "tekton", "results"), 0o777);
    fs.mkdirSync(path.join(root, "tekton", "scripts"), { mode: 0o755 });
    return root;
}

let imageTools: string | undefined;

/** The images' tools (busybox applets, git, python3), one directory per test process, traversable by the step users. */
function imageToolsBin(): string {
    if (imageTools === undefined) {
        sweepDeadProcessDirs(SCRATCH, "tekton-tools-");
        const bin = fs.mkdtempSync(path.join(SCRATCH, `tekton-tools-${process.pid}-`));
        fs.chmodSync(bin, 0o755);
        process.on("exit", () => fs.rmSync(bin, { recursive: true, force: true }));
        const r = spawnSync(which("busybox"), ["--install", "-s", bin]);
        if (r.status !== 0) throw new Error(`busybox --install failed: ${r.stderr}`);
        fs.symlinkSync(which("git"), path.join(bin, "git"));
        fs.symlinkSync(PYTHON, path.join(bin, "python3"));
        imageTools = bin;
    }
    return imageTools;
}

export function removeRunRoot(root: string): void {
    fs.rmSync(root, { recursive: true, force: true });
}

/**
 * A workspace volume as the kubelet hands it to a pod with `fsGroup`: owned by root, group
 * fsGroup, group-writable with the setgid bit (kubernetes/kubernetes pkg/volume/volume_linux.go
 * SetVolumeOwnership: Lchown(-1, fsGroup), rw for the group, ModeSetgid on directories). A
 * workspace `subPath` directory is created by the kubelet (as root) with the volume's mode
 * (pkg/kubelet/kubelet_pods.go makeMounts, SafeMakeDir). Returns its host path.
 */
export function volumeWorkspace(root: string, name: string, subPath?: string): string {
    const dir = path.join(root, "workspace", name);
    for (const d of subPath ? [dir, path.join(dir, subPath)] : [dir]) {
        fs.mkdirSync(d, { recursive: true });
        fs.chownSync(d, 0, FS_GROUP);
        fs.chmodSync(d, 0o2775);
    }
    return subPath ? path.join(dir, subPath) : dir;
}

/** A Secret workspace: root-owned files, mode 0644 (Secret volume defaultMode). Returns its path. */
export function secretWorkspace(root: string, name: string, files: Record<string, string>): string {
    const dir = path.join(root, "workspace", name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (const [f, content] of Object.entries(files)) {
        fs.writeFileSync(path.join(dir, f), content);
        fs.chmodSync(path.join(dir, f), 0o644);
    }
    return dir;
}

export interface StepRunOptions {
    task: Obj;
    step: string;
    root: string;
    params?: Record<string, ParamValue>;
    /** Workspace name → host path (from volumeWorkspace/secretWorkspace); leave an optional one out for "unbound". */
    workspaces?: Record<string, string>;
    /** Volume mountPath → host path, for emptyDir volumes a step mounts (e.g. /work): its workingDir and env paths under it. */
    mounts?: Record<string, string>;
    /** Environment the test adds (e.g. SSL_CERT_FILE for a local HTTPS stub); named in the test. */
    extraEnv?: Record<string, string>;
}

export interface StepResult {
    code: number | null;
    stdout: string;
    stderr: string;
    /** Result name → content, for the results the step wrote. */
    results: Record<string, string>;
    /** The merged step as it ran. */
    step: Obj;
}

export async function runStep(o: StepRunOptions): Promise<StepResult> {
    const spec = o.task.spec;
    const raw = (spec.steps as Obj[]).find(s => s.name === o.step);
    if (!raw) throw new Error(`${o.task.metadata.name} has no step ${o.step}`);
    const step = mergeStepWithTemplate(spec.stepTemplate, raw);
    const resultsDir = path.join(o.root, "tekton", "results");
    const workspaces: Record<string, string | undefined> = {};
    for (const w of (spec.workspaces ?? []) as Obj[]) {
        const bound = o.workspaces?.[w.name];
        if (bound === undefined && !w.optional) throw new Error(`workspace ${w.name} is not optional and not bound`);
        workspaces[w.name] = bound;
    }
    const subs: Substitutions = {
        params: taskParams(o.task, o.params ?? {}),
        workspaces,
        results: Object.fromEntries(((spec.results ?? []) as Obj[]).map(r => [r.name, path.join(resultsDir, r.name)])),
    };
    const sc = step.securityContext ?? {};
    if (typeof sc.runAsUser !== "number" || typeof sc.runAsGroup !== "number")
        throw new Error(`${o.step}: no runAsUser/runAsGroup after the merge`);

    // The container's /tmp is the private R/tmp; a literal /tmp in env stays /tmp.
    const mapPath = (p: string) => {
        for (const [mount, host] of Object.entries(o.mounts ?? {}))
            if (p === mount || p.startsWith(mount + "/")) return host + p.slice(mount.length);
        return p;
    };
    // A path under one of the step's volume mounts (e.g. /acr/token) is the mount's host directory.
    const env: Record<string, string> = { PATH: `${path.join(o.root, "bin")}:${imageToolsBin()}` };
    for (const e of (step.env ?? []) as Obj[]) env[e.name] = mapPath(substitute(String(e.value ?? ""), subs));
    Object.assign(env, o.extraEnv ?? {});

    const script: string = step.script;
    if (!script?.startsWith("#!")) throw new Error(`${o.step}: script without #! line`);
    const shebang = script.split("\n", 1)[0].slice(2).trim();
    const scriptFile = path.join(o.root, "tekton", "scripts", `script-${o.step}`);
    fs.writeFileSync(scriptFile, script, { mode: 0o755 });
    const args = substituteList((step.args ?? []) as string[], subs);

    const cwd = step.workingDir ? mapPath(substitute(step.workingDir, subs)) : path.join(o.root, "workspace");
    const inner = [
        which("setpriv"),
        `--reuid=${sc.runAsUser}`,
        `--regid=${sc.runAsGroup}`,
        `--groups=${FS_GROUP}`,
        "--",
        "env",
        "-i",
        ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
        ...interpreter(shebang),
        scriptFile,
        ...args,
    ];
    const child = spawn(
        which("unshare"),
        [
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            'mount --bind "$0" /tmp && exec "$@"',
            path.join(o.root, "tmp"),
            ...inner,
        ],
        { cwd },
    );
    let stdout = "",
        stderr = "";
    child.stdout.on("data", d => {
        stdout += d;
    });
    child.stderr.on("data", d => {
        stderr += d;
    });
    const code = await new Promise<number | null>(resolve => child.on("close", c => resolve(c)));
    const results: Record<string, string> = {};
    for (const f of fs.readdirSync(resultsDir)) results[f] = fs.readFileSync(path.join(resultsDir, f), "utf8");
    return { code, stdout, stderr, results, step };
}

/** git as root on the fixture side (author/committer fixed so commits are reproducible). */
export function git(cwd: string, ...args: string[]): string {
    const r = spawnSync("git", ["-c", "safe.directory=*", ...args], {
        cwd,
        encoding: "utf8",
        env: {
            PATH: process.env.PATH,
            HOME: cwd,
            GIT_CONFIG_NOSYSTEM: "1",
            GIT_AUTHOR_NAME: "Dev",
            GIT_AUTHOR_EMAIL: "dev@example.com",
            GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
            GIT_COMMITTER_NAME: "Dev",
            GIT_COMMITTER_EMAIL: "dev@example.com",
            GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
        },
    });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
}

/**
 * A bare fixture repository with files committed on `branch`, owned by the step user (65532) so
 * that the step's git serves and accepts it over file:// as GitHub would over https — the
 * ownership under test is the WORKSPACE's, not the remote's.
 */
export function fixtureRepo(
    root: string,
    name: string,
    files: Record<string, string | { symlink: string }>,
    branch = "main",
): { url: string; bare: string; head: string } {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-work-`));
    git(work, "init", "-q", "-b", branch);
    for (const [f, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(work, f)), { recursive: true });
        // A `{ symlink }` entry is committed as a symbolic link (git mode 120000).
        if (typeof content === "object") fs.symlinkSync(content.symlink, path.join(work, f));
        else fs.writeFileSync(path.join(work, f), content);
    }
    git(work, "add", "-A");
    git(work, "commit", "-q", "--allow-empty", "-m", "fixture");
    const head = git(work, "rev-parse", "HEAD");
    const bare = path.join(root, "repos", `${name}.git`);
    fs.mkdirSync(path.dirname(bare), { recursive: true, mode: 0o755 });
    git(path.dirname(bare), "clone", "-q", "--bare", work, bare);
    // Serving a single commit by SHA (fetch --depth 1 origin <sha>) needs this, as GitHub allows it.
    git(bare, "config", "uploadpack.allowReachableSHA1InWant", "true");
    fs.rmSync(work, { recursive: true, force: true });
    spawnSync("chmod", ["a+rx", path.join(root, "repos")]);
    spawnSync("chown", ["-R", `${FS_GROUP}:${FS_GROUP}`, bare]);
    return { url: `file://${bare}`, bare, head };
}
