// Test scratch space on tmpfs when the machine has a usable one (mocha `require`, .mocharc.json).
// The step tests create and delete thousands of files (git repositories, run roots); on this
// project's CI VM the disk's latency swings with the host's load, and the same suite took 26 s
// or 35 s on disk against 26 s every time on tmpfs. Children inherit TMPDIR, so fixture repos,
// git and python temp files land there too. Falls back to the disk when /dev/shm is missing,
// small (a container's default 64 MB), not executable (the step tests exec stand-in binaries), or
// PLATFORM_TEST_SCRATCH=disk. `npm test` reports nothing about the choice: the tests are the same.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const SHM = "/dev/shm";
const MIN_FREE = 2 * 1024 ** 3;

function tmpfsUsable(): boolean {
    try {
        const st = fs.statfsSync(SHM);
        if (st.bavail * st.bsize < MIN_FREE) return false;
        const dir = fs.mkdtempSync(path.join(SHM, "platform-exec-check-"));
        try {
            const probe = path.join(dir, "probe");
            fs.writeFileSync(probe, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
            return spawnSync(probe).status === 0;
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    } catch {
        return false;
    }
}

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/**
 * Removes the directories `<prefix><pid>-…` under `dir` whose process is gone: scratch left by
 * test processes that were killed before their exit hook ran (tmpfs is memory).
 */
export function sweepDeadProcessDirs(dir: string, prefix: string): void {
    for (const name of fs.readdirSync(dir).filter(n => n.startsWith(prefix))) {
        const pid = Number(name.slice(prefix.length).split("-")[0]);
        if (!Number.isInteger(pid) || !processAlive(pid)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
}

/** Where the step tests' run roots go: the tmpfs scratch when there is one, else /var/tmp (never under /tmp). */
export function stepScratchDir(): string {
    const scratch = process.env.PLATFORM_TEST_SCRATCH;
    return scratch && scratch !== "disk" ? scratch : "/var/tmp";
}

// Decided once, in mocha's main process; the workers inherit the environment.
if (!process.env.PLATFORM_TEST_SCRATCH && tmpfsUsable()) {
    sweepDeadProcessDirs(SHM, "platform-tests-");
    const dir = fs.mkdtempSync(path.join(SHM, `platform-tests-${process.pid}-`));
    // Traversable by the step users (run roots live here: test/cluster/pipeline/run-step.ts).
    fs.chmodSync(dir, 0o755);
    process.env.PLATFORM_TEST_SCRATCH = dir;
    process.env.TMPDIR = dir;
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
} else if (process.env.PLATFORM_TEST_SCRATCH && process.env.PLATFORM_TEST_SCRATCH !== "disk") {
    process.env.TMPDIR = process.env.PLATFORM_TEST_SCRATCH;
}
