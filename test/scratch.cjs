// Test scratch space on tmpfs when the machine has a usable one (mocha `require`, .mocharc.json).
// The step tests create and delete thousands of files (git repositories, run roots); on this
// project's CI VM the disk's latency swings with the host's load, and the same suite took 26 s
// or 35 s on disk against 26 s every time on tmpfs. Children inherit TMPDIR, so fixture repos,
// git and python temp files land there too. Falls back to the disk when /dev/shm is missing,
// small (a container's default 64 MB), not executable (the step tests exec stand-in binaries), or
// PLATFORM_TEST_SCRATCH=disk. `npm test` reports nothing about the choice: the tests are the same.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const SHM = "/dev/shm";
const MIN_FREE = 2 * 1024 ** 3;

function tmpfsUsable() {
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

/** Scratch directories of test runs that were killed before their exit hook ran (tmpfs is memory). */
function sweepStale() {
    for (const name of fs.readdirSync(SHM).filter(n => n.startsWith("platform-tests-"))) {
        const pid = Number(name.split("-")[2]);
        let alive = false;
        try {
            process.kill(pid, 0);
            alive = true;
        } catch (e) {
            alive = e.code === "EPERM";
        }
        if (!Number.isInteger(pid) || !alive) fs.rmSync(path.join(SHM, name), { recursive: true, force: true });
    }
}

// Decided once, in mocha's main process; the workers inherit the environment.
if (!process.env.PLATFORM_TEST_SCRATCH && tmpfsUsable()) {
    sweepStale();
    const dir = fs.mkdtempSync(path.join(SHM, `platform-tests-${process.pid}-`));
    // Traversable by the step users (run roots live here: test/cluster/pipeline/run-step.ts).
    fs.chmodSync(dir, 0o755);
    process.env.PLATFORM_TEST_SCRATCH = dir;
    process.env.TMPDIR = dir;
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
} else if (process.env.PLATFORM_TEST_SCRATCH && process.env.PLATFORM_TEST_SCRATCH !== "disk") {
    process.env.TMPDIR = process.env.PLATFORM_TEST_SCRATCH;
}
