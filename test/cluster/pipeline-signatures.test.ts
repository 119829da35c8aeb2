// The manifests-PR check's signature task, EXECUTED: a pull request's base and head commits in a
// local git repository, both checked out by the real git-clone step, then introduced-images.py
// (python3 + PyYAML, as uid 65532) and verify-signatures.sh (busybox sh) with a stand-in `cosign`
// on PATH that records its argv and answers per (digest, key) — cosign itself cannot be fetched
// here. See test/cluster/pipeline/run-step.ts for how a step runs.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import { spawnSync } from "child_process";
import * as path from "path";
import * as http from "http";
import { AddressInfo } from "net";
import { cloneTask, reportStatusTask, signatureCheckTask } from "../../components/cluster/pipeline/tasks";
import { FS_GROUP, git, newRunRoot, removeRunRoot, requireStepTools, runStep, volumeWorkspace } from "./pipeline/run-step";

const ACR = "shopacr.azurecr.io";
const PATHS = ["clusters/primary", "clusters/secondary"];
const d = (c: string) => `sha256:${c.repeat(64)}`;
const [D1, D2, D3, D4, D5, D6, D7, D8] = ["1", "2", "3", "4", "5", "6", "7", "8"].map(d);

/** Files of a commit; `null` deletes the file in the head commit. */
type Tree = Record<string, string | null>;

const deployment = (name: string, image: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${name}\n          image: ${image}\n`;

describe("manifests check / signature-check, executed", function () {
    let root: string;
    before(() => requireStepTools());
    beforeEach(() => {
        root = newRunRoot();
    });
    afterEach(() => removeRunRoot(root));

    /** A bare repository with a base commit and a head commit on top (the PR), served to the step user. */
    function pullRequest(base: Tree, head: Tree): { url: string; base: string; head: string } {
        const work = fs.mkdtempSync(path.join(os.tmpdir(), "manifests-pr-"));
        const write = (files: Tree) => {
            for (const [f, content] of Object.entries(files)) {
                const p = path.join(work, f);
                if (content === null) fs.rmSync(p);
                else {
                    fs.mkdirSync(path.dirname(p), { recursive: true });
                    fs.writeFileSync(p, content);
                }
            }
            git(work, "add", "-A");
            git(work, "commit", "-q", "--allow-empty", "-m", "commit");
            return git(work, "rev-parse", "HEAD");
        };
        git(work, "init", "-q", "-b", "main");
        const baseSha = write(base);
        const headSha = write(head);
        const bare = path.join(root, "repos", "manifests.git");
        fs.mkdirSync(path.dirname(bare), { recursive: true, mode: 0o755 });
        git(path.dirname(bare), "clone", "-q", "--bare", work, bare);
        git(bare, "config", "uploadpack.allowReachableSHA1InWant", "true");
        fs.rmSync(work, { recursive: true, force: true });
        spawnSync("chmod", ["a+rx", path.join(root, "repos")]);
        spawnSync("chown", ["-R", `${FS_GROUP}:${FS_GROUP}`, bare]);
        return { url: `file://${bare}`, base: baseSha, head: headSha };
    }

    /** The scratch volume as the check pipeline lays it out: head/ and base/, each by the real git-clone step. */
    async function checkouts(pr: { url: string; base: string; head: string }) {
        const out: Record<string, string> = {};
        for (const [sub, revision] of [
            ["head", pr.head],
            ["base", pr.base],
        ] as const) {
            out[sub] = volumeWorkspace(root, "source", sub);
            const r = await runStep({
                task: cloneTask(),
                step: "clone",
                root,
                params: { url: pr.url, revision },
                workspaces: { output: out[sub] },
            });
            assert.equal(r.code, 0, r.stderr);
        }
        return out as { head: string; base: string };
    }

    /** The task's emptyDir /work, as the kubelet makes it for a pod with fsGroup. */
    function workDir(): string {
        const dir = path.join(root, "volumes", "work");
        fs.mkdirSync(dir, { recursive: true });
        fs.chmodSync(path.join(root, "volumes"), 0o755);
        fs.chownSync(dir, 0, FS_GROUP);
        fs.chmodSync(dir, 0o2777);
        return dir;
    }

    /**
     * A ConfigMap volume as the kubelet writes it (pkg/volume/util/atomic_writer.go): the files in a
     * timestamped directory, `..data` pointing at it, and one symlink per key through `..data`.
     */
    let keySets = 0;
    function signingKeys(generations: number[]): string {
        const dir = path.join(root, "workspace", `signing-keys-${++keySets}`);
        const ts = path.join(dir, "..2026_01_01_00_00_00.000000001");
        fs.mkdirSync(ts, { recursive: true });
        for (const g of generations) {
            fs.writeFileSync(path.join(ts, `generation-${g}.pub`), `-----BEGIN PUBLIC KEY-----\ng${g}\n-----END PUBLIC KEY-----\n`);
            fs.symlinkSync(`..data/generation-${g}.pub`, path.join(dir, `generation-${g}.pub`));
        }
        fs.symlinkSync(path.basename(ts), path.join(dir, "..data"));
        spawnSync("chmod", ["-R", "a+rX", dir]);
        return dir;
    }

    async function step(
        name: "introduced-images" | "verify",
        ws: { head: string; base: string },
        work: string,
        keys = signingKeys([1, 2]),
    ) {
        return runStep({
            task: signatureCheckTask(),
            step: name,
            root,
            params: { paths: PATHS, "acr-login-server": ACR },
            workspaces: { source: ws.head, base: ws.base, "signing-keys": keys },
            mounts: { "/work": work },
        });
    }

    /** The list introduced-images wrote, one [file, line, reference, repo@digest] per row. */
    const listed = (work: string) =>
        fs
            .readFileSync(path.join(work, "introduced.tsv"), "utf8")
            .trimEnd()
            .split("\n")
            .filter(Boolean)
            .map(l => l.split("\t"));

    /**
     * `cosign` on the step's PATH: appends its argv (one line) to /tmp/cosign.calls and succeeds only
     * for `verify … --key <dir>/<key> … <ref>` where "<ref> <key>" is listed in /tmp/cosign.signed;
     * otherwise fails as cosign does for an unsigned image.
     */
    function stubCosign(signed: [string, string][], exitOtherwise = 1): string {
        fs.writeFileSync(path.join(root, "tmp", "cosign.signed"), signed.map(([ref, key]) => `${ref} ${key}\n`).join(""));
        fs.writeFileSync(
            path.join(root, "bin", "cosign"),
            [
                "#!/bin/sh",
                'echo "$*" >> /tmp/cosign.calls',
                'key=""; for a in "$@"; do [ "$prev" = --key ] && key=${a##*/}; prev=$a; done',
                'eval "ref=\\${$#}"',
                'grep -qxF "$ref $key" /tmp/cosign.signed && exit 0',
                `echo "Error: no matching signatures: $ref" >&2; exit ${exitOtherwise}`,
            ].join("\n") + "\n",
            { mode: 0o755 },
        );
        return path.join(root, "tmp", "cosign.calls");
    }

    const calls = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trimEnd().split("\n") : []);

    it("the commit status says signatures are checked, pending and on success", async () => {
        const bodies: Record<string, string>[] = [];
        const server = http.createServer((req, res) => {
            let raw = "";
            req.on("data", c => (raw += c));
            req.on("end", () => {
                bodies.push(JSON.parse(raw));
                res.writeHead(201).end("{}");
            });
        });
        await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
        try {
            const auth = path.join(root, "workspace", "git-auth");
            fs.mkdirSync(auth, { recursive: true });
            fs.writeFileSync(path.join(auth, "token"), "t");
            spawnSync("chmod", ["-R", "a+rX", auth]);
            for (const state of ["pending", "Succeeded"]) {
                const r = await runStep({
                    task: reportStatusTask(),
                    step: "status",
                    root,
                    workspaces: { "git-auth": auth },
                    params: {
                        "api-url": `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
                        "repo-slug": "example/shop-manifests",
                        sha: "d".repeat(40),
                        state,
                    },
                });
                assert.equal(r.code, 0, r.stderr);
            }
        } finally {
            server.close();
        }
        assert.deepEqual(
            bodies.map(b => [b.state, b.description]),
            [
                ["pending", "Gatekeeper policy, schema, deprecated-API and image-signature checks running"],
                ["success", "Gatekeeper policy, schemas, API versions and signatures of the new image digests OK"],
            ],
        );
    });

    describe("introduced-images: the references the pull request adds or changes", () => {
        const BASE: Tree = {
            // Multi-document: a Deployment, a Service, a CronJob (image nested under jobTemplate).
            "clusters/primary/app.yaml": [
                deployment("shop", `${ACR}/shop@${D1}`),
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: shop\n",
                `apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - name: report\n              image: ${ACR}/report@${D2}\n`,
            ].join("---\n"),
            "clusters/primary/legacy.yaml": deployment("legacy", `${ACR}/legacy@${D3}`),
            // An unpinned reference the base already holds is not the PR's doing.
            "clusters/primary/tools.yaml": deployment("tools", `${ACR}/tools:latest`),
            // kustomize rewrites `image: shop` to the entry's newName@digest.
            "clusters/secondary/kustomization.yaml": `resources:\n  - app.yaml\nimages:\n  - name: shop\n    newName: ${ACR}/shop\n    digest: ${D1}\n`,
            "clusters/secondary/app.yaml": deployment("shop", "shop"),
            "docs/example.yaml": deployment("example", "docker.io/library/nginx:latest"),
        };

        it("finds the added and changed ones (multi-document, any kind, kustomize), not the unchanged or removed, with file and line", async () => {
            const pr = pullRequest(BASE, {
                // shop bumped to D4; the CronJob unchanged; a new third document (Job, initContainers).
                "clusters/primary/app.yaml": [
                    deployment("shop", `${ACR}/shop@${D4}`),
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: shop\n",
                    `apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - name: report\n              image: ${ACR}/report@${D2}\n`,
                    `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: migrate\n          image: ${ACR}/migrate:v1@${D5}\n`,
                ].join("---\n"),
                "clusters/primary/legacy.yaml": null,
                // A new file, JSON.
                "clusters/primary/worker.json": JSON.stringify({
                    apiVersion: "apps/v1",
                    kind: "StatefulSet",
                    metadata: { name: "worker" },
                    spec: { template: { spec: { containers: [{ name: "worker", image: `${ACR}/worker@${D6}` }] } } },
                }),
                // A ConfigMap's data is opaque text, not an image reference.
                "clusters/primary/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  image: nginx\n",
                // shop's digest bumped (the entry's line), and a rename-only entry: the raw reference's digest stays.
                "clusters/secondary/kustomization.yaml": `resources:\n  - app.yaml\n  - worker.yaml\nimages:\n  - name: shop\n    newName: ${ACR}/shop\n    digest: ${D7}\n  - name: worker\n    newName: ${ACR}/worker\n`,
                "clusters/secondary/worker.yaml": deployment("worker", `worker@${D8}`),
                // Outside the manifests paths: Argo CD does not deploy it.
                "docs/example.yaml": deployment("example", "docker.io/library/nginx:1.27"),
            });
            const work = workDir();
            const r = await step("introduced-images", await checkouts(pr), work);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.step.securityContext.runAsUser, 65532);
            assert.equal(r.step.securityContext.runAsNonRoot, true);
            // Lines: app.yaml's fourth document starts at line 30 (10 + 4 + 12 lines and three `---`), its image on its 10th.
            assert.deepEqual(listed(work), [
                ["clusters/primary/app.yaml", "10", `${ACR}/shop@${D4}`, `${ACR}/shop@${D4}`],
                ["clusters/primary/app.yaml", "39", `${ACR}/migrate:v1@${D5}`, `${ACR}/migrate@${D5}`],
                ["clusters/primary/worker.json", "1", `${ACR}/worker@${D6}`, `${ACR}/worker@${D6}`],
                ["clusters/secondary/kustomization.yaml", "5", `${ACR}/shop@${D7}`, `${ACR}/shop@${D7}`],
                ["clusters/secondary/worker.yaml", "10", `${ACR}/worker@${D8}`, `${ACR}/worker@${D8}`],
            ]);
            assert.match(r.stdout, /5 image reference\(s\) introduced/);
        });

        it("a pull request that changes no image reference introduces none", async () => {
            const pr = pullRequest(BASE, {
                "clusters/primary/app.yaml": `${BASE["clusters/primary/app.yaml"]}---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n`,
            });
            const work = workDir();
            const r = await step("introduced-images", await checkouts(pr), work);
            assert.equal(r.code, 0, r.stderr);
            assert.deepEqual(listed(work), []);
        });

        it("rejects introduced references outside the stack's ACR or not pinned by digest, naming file, line and image", async () => {
            const pr = pullRequest(BASE, {
                "clusters/primary/hub.yaml": deployment("hub", `docker.io/library/nginx@${D1}`),
                "clusters/primary/tag.yaml": deployment("tag", `${ACR}/shop:1.2.3`),
                // A host that merely starts with the ACR's name is another registry.
                "clusters/primary/lookalike.yaml": deployment("lookalike", `${ACR}.evil.example/shop@${D1}`),
                "clusters/secondary/kustomization.yaml": `resources:\n  - app.yaml\nimages:\n  - name: shop\n    newName: ${ACR}/shop\n    newTag: "2.0"\n`,
            });
            const work = workDir();
            const r = await step("introduced-images", await checkouts(pr), work);
            assert.equal(r.code, 1);
            const lines = r.stderr.trimEnd().split("\n");
            assert.equal(lines[0], "The pull request introduces image references that cannot be verified:");
            const unpinned =
                "not pinned by digest (<repository>@sha256:<64 hex>): a tag can be moved after review, and signatures are bound to digests";
            assert.deepEqual(lines.slice(1).sort(), [
                `  clusters/primary/hub.yaml:10: docker.io/library/nginx@${D1}: not in the stack's registry ${ACR}`,
                `  clusters/primary/lookalike.yaml:10: ${ACR}.evil.example/shop@${D1}: not in the stack's registry ${ACR}`,
                `  clusters/primary/tag.yaml:10: ${ACR}/shop:1.2.3: ${unpinned}`,
                `  clusters/secondary/kustomization.yaml:4: ${ACR}/shop:2.0: ${unpinned}`,
            ]);
            assert.ok(!fs.existsSync(path.join(work, "introduced.tsv")), "nothing for the verify step");
        });

        it("fails closed on a head file it cannot parse", async () => {
            const pr = pullRequest(BASE, { "clusters/primary/broken.yaml": "image: [unclosed\n" });
            const r = await step("introduced-images", await checkouts(pr), workDir());
            assert.equal(r.code, 1);
            assert.match(r.stderr, /clusters\/primary\/broken\.yaml: cannot be read as YAML\/JSON/);
        });
    });

    describe("verify: cosign with every key generation, fail closed", () => {
        const SHOP = `${ACR}/shop@${D4}`;
        const MIGRATE = `${ACR}/migrate@${D5}`;

        /** Base and head as in a digest bump plus a new migration Job, and the list introduced-images made. */
        async function introduced(): Promise<string> {
            const pr = pullRequest(
                {
                    "clusters/primary/app.yaml": deployment("shop", `${ACR}/shop@${D1}`),
                    "clusters/secondary/app.yaml": deployment("shop", `${ACR}/shop@${D1}`),
                },
                {
                    "clusters/primary/app.yaml": `${deployment("shop", `${ACR}/shop:v2@${D4}`)}---\n${deployment("migrate", `${ACR}/migrate:v1@${D5}`)}`,
                    "clusters/secondary/app.yaml": deployment("shop", `${ACR}/shop@${D4}`),
                },
            );
            const work = workDir();
            const r = await step("introduced-images", await checkouts(pr), work);
            assert.equal(r.code, 0, r.stderr);
            return work;
        }

        const verifyArgs = (keys: string, key: string, ref: string) =>
            `verify --k8s-keychain --key ${keys}/${key} --insecure-ignore-tlog=true --new-bundle-format=false ${ref}`;

        it("passes when each digest verifies with some key generation: one cosign call per digest and key until one verifies", async () => {
            const work = await introduced();
            const log = stubCosign([
                [SHOP, "generation-2.pub"],
                [MIGRATE, "generation-1.pub"],
            ]);
            const keys = signingKeys([1, 2]);
            const r = await step("verify", { head: "", base: "" }, work, keys);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.step.securityContext.runAsUser, 65532);
            // By digest (tag dropped), each digest once although referenced twice, keys oldest first.
            assert.deepEqual(calls(log), [
                verifyArgs(keys, "generation-1.pub", MIGRATE),
                verifyArgs(keys, "generation-1.pub", SHOP),
                verifyArgs(keys, "generation-2.pub", SHOP),
            ]);
            assert.match(r.stdout, new RegExp(`${SHOP}: signature verified with generation-2.pub`));
        });

        it("one unsigned digest fails the check, naming every file, line and reference of it", async () => {
            const work = await introduced();
            const log = stubCosign([[MIGRATE, "generation-2.pub"]]);
            const keys = signingKeys([1, 2]);
            const r = await step("verify", { head: "", base: "" }, work, keys);
            assert.equal(r.code, 1);
            assert.equal(calls(log).length, 4, "both keys tried for the unsigned digest");
            assert.match(
                r.stderr,
                /Image digests without a valid signature by any of the stack's image-signing keys \(generation-1\.pub generation-2\.pub\):/,
            );
            assert.ok(r.stderr.includes(`  clusters/primary/app.yaml:10: ${ACR}/shop:v2@${D4}\n`), r.stderr);
            assert.ok(r.stderr.includes(`  clusters/secondary/app.yaml:10: ${SHOP}\n`), r.stderr);
            assert.doesNotMatch(r.stderr, /migrate/, "the signed one is not listed");
            assert.match(r.stderr, /cosign \(generation-1\.pub\): Error: no matching signatures/);
        });

        it("fails closed when cosign errors (e.g. the registry refuses it), whatever the exit code", async () => {
            const work = await introduced();
            stubCosign([], 2);
            const r = await step("verify", { head: "", base: "" }, work);
            assert.equal(r.code, 1);
            assert.match(r.stderr, /without a valid signature/);
        });

        it("fails closed when cosign is missing", async () => {
            const work = await introduced();
            const r = await step("verify", { head: "", base: "" }, work);
            assert.equal(r.code, 1);
            assert.match(r.stderr, /cosign is not on PATH: signatures cannot be verified \(failing closed\)/);
        });

        it("fails closed without keys or without the list; passes without calling cosign when nothing is introduced", async () => {
            const work = await introduced();
            const log = stubCosign([[SHOP, "generation-1.pub"]]);
            const noKeys = await step("verify", { head: "", base: "" }, work, signingKeys([]));
            assert.equal(noKeys.code, 1);
            assert.match(noKeys.stderr, /no public key \(\*\.pub\)/);

            const empty = workDir();
            fs.rmSync(path.join(empty, "introduced.tsv"), { force: true });
            const noList = await step("verify", { head: "", base: "" }, empty);
            assert.equal(noList.code, 1);
            assert.match(noList.stderr, /no list of introduced images/);

            fs.writeFileSync(path.join(empty, "introduced.tsv"), "");
            const nothing = await step("verify", { head: "", base: "" }, empty);
            assert.equal(nothing.code, 0, nothing.stderr);
            assert.match(nothing.stdout, /nothing to verify/);
            assert.deepEqual(calls(log), []);
        });
    });
});
