// The pipeline's step scripts, EXECUTED: each step as Tekton would run it (stepTemplate merged,
// substitutions applied, as its uid with the pod's fsGroup, in a root-owned workspace, private
// /tmp), with real git, busybox sh and python3, against local fixture repositories and local
// stubs of the GitHub and Harbor APIs. See test/cluster/pipeline/run-step.ts for the layout.
import { selfSignedLocalhostCert } from "../tls";
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";
import { AddressInfo } from "net";
import {
    buildTask,
    cloneTask,
    openPrTask,
    policyCheckTask,
    promoteTask,
    pushTask,
    reportStatusTask,
    scanSourceTask,
    STEPS_DIR,
    waitForScanTask,
} from "../../components/cluster/pipeline/tasks";
import { dockerConfigJson } from "../../components/cluster/pipeline";
import {
    FS_GROUP,
    fixtureRepo,
    git,
    newRunRoot,
    removeRunRoot,
    requireStepTools,
    runStep,
    secretWorkspace,
    volumeWorkspace,
    which,
} from "./pipeline/run-step";

type Any = Record<string, any>;

const TOKEN = "ghp_fixturetoken0000000000000000000000";

describe("pipeline step scripts", () => {
    it("every shell step script passes shellcheck (installed, not skipped)", () => {
        // shellcheck from Debian (CI: .ci/run). Missing → a clear failure, never a silent pass.
        const shellcheck = which("shellcheck");
        const scripts = fs
            .readdirSync(STEPS_DIR)
            .filter(f => f.endsWith(".sh"))
            .map(f => path.join(STEPS_DIR, f));
        assert.ok(scripts.length >= 8, `found ${scripts.length} shell scripts in ${STEPS_DIR}`);
        const r = spawnSync(shellcheck, ["--severity=style", ...scripts], { encoding: "utf8" });
        assert.equal(r.status, 0, `shellcheck:\n${r.stdout}${r.stderr}`);
    });

    it("every Python step script compiles", () => {
        const scripts = fs.readdirSync(STEPS_DIR).filter(f => f.endsWith(".py"));
        assert.ok(scripts.length >= 4);
        for (const f of scripts) {
            const r = spawnSync(
                "/usr/bin/python3",
                ["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])", path.join(STEPS_DIR, f)],
                { encoding: "utf8" },
            );
            assert.equal(r.status, 0, `${f}: ${r.stderr}`);
        }
    });

    it("the step tests have what they need: root, busybox, git, setpriv, unshare, python3 with PyYAML", () => {
        requireStepTools();
        // A missing tool is a failure that names it, never a skipped test.
        assert.throws(() => which("no-such-linter"), /no-such-linter is not installed: .*apt-get/);
    });
});

describe("pipeline steps, executed", function () {
    let root: string;
    before(() => requireStepTools());
    beforeEach(() => {
        root = newRunRoot();
    });
    afterEach(() => removeRunRoot(root));

    describe("git-clone", () => {
        it("clones one commit as uid 65532 into the root-owned workspace (subPath src) and reports it", async () => {
            const repo = fixtureRepo(root, "shop", { Dockerfile: "FROM scratch\n", "src/app.ts": "export {};\n" });
            const out = volumeWorkspace(root, "source", "src");
            assert.equal(fs.statSync(out).uid, 0, "the workspace is root's, as the kubelet creates it");
            fs.writeFileSync(path.join(out, "stale"), "left by an earlier run");
            const r = await runStep({
                task: cloneTask(),
                step: "clone",
                root,
                params: { url: repo.url, revision: repo.head },
                workspaces: { output: out },
            });
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.step.securityContext.runAsUser, 65532);
            assert.equal(r.results.commit, repo.head);
            assert.equal(fs.readFileSync(path.join(out, "src/app.ts"), "utf8"), "export {};\n");
            assert.ok(!fs.existsSync(path.join(out, "stale")), "the workspace is emptied first");
            assert.equal(fs.statSync(path.join(out, ".git")).uid, 65532);
            assert.doesNotMatch(
                fs.readFileSync(path.join(out, ".git/config"), "utf8"),
                /safe|extraheader|token/i,
                "nothing written to .git/config",
            );
        });

        it("with the git-auth workspace bound, sends the token only as a command-line header", async () => {
            const repo = fixtureRepo(root, "shop", { "a.txt": "a\n" });
            const out = volumeWorkspace(root, "source", "src");
            const auth = secretWorkspace(root, "git-auth", { token: TOKEN });
            const r = await runStep({
                task: cloneTask(),
                step: "clone",
                root,
                params: { url: repo.url, revision: repo.head },
                workspaces: { output: out, "git-auth": auth },
            });
            assert.equal(r.code, 0, r.stderr);
            assert.ok(!fs.readFileSync(path.join(out, ".git/config"), "utf8").includes(TOKEN));
        });

        it("refuses a revision that is not a 40-hex SHA, before touching the workspace", async () => {
            const out = volumeWorkspace(root, "source");
            fs.writeFileSync(path.join(out, "keep"), "x");
            for (const revision of ["main", "$(rm -rf /)", "abc"]) {
                const r = await runStep({
                    task: cloneTask(),
                    step: "clone",
                    root,
                    params: { url: "file:///nonexistent", revision },
                    workspaces: { output: out },
                });
                assert.equal(r.code, 1, revision);
                assert.match(r.stderr, /not a (40-hex )?commit SHA/);
            }
            assert.ok(fs.existsSync(path.join(out, "keep")));
        });
    });

    describe("open-pr", () => {
        const IMAGE = "shopacr.azurecr.io/shop";
        const OLD = `sha256:${"a".repeat(64)}`;
        const NEW = `sha256:${"b".repeat(64)}`;
        const BOT = { name: "platform-bot", email: "platform-bot@example.com" };

        function manifests() {
            return fixtureRepo(root, "shop-manifests", {
                "clusters/primary/app.yaml": `image: ${IMAGE}:v1@${OLD}\nsidecar: ${IMAGE}per@${OLD}\n`,
                "clusters/secondary/app.yml": `image: ${IMAGE}@${OLD}\n`,
                "docs/app.yaml": `image: ${IMAGE}@${OLD}\n`,
            });
        }

        function prParams(url: string, api: string): Record<string, string | string[]> {
            return {
                "manifests-url": url,
                "base-branch": "main",
                paths: ["clusters/primary", "clusters/secondary"],
                "image-url": IMAGE,
                digest: NEW,
                "source-revision": "c".repeat(40),
                "bot-name": BOT.name,
                "bot-email": BOT.email,
                "api-url": api,
                "repo-slug": "example/shop-manifests",
            };
        }

        it("pushes a bump branch that pins the image at the new digest under each region path only, then opens the PR", async () => {
            const repo = manifests();
            const github = await stubServer(http.createServer(), () => ({
                status: 201,
                body: { html_url: "https://github.com/example/shop-manifests/pull/8" },
            }));
            try {
                const work = emptyDir(root, "work");
                const auth = secretWorkspace(root, "git-auth", { token: TOKEN });
                const params = prParams(repo.url, github.url);
                const push = await runStep({
                    task: openPrTask(),
                    step: "push-branch",
                    root,
                    params,
                    workspaces: { "git-auth": auth },
                    mounts: { "/work": work },
                });
                assert.equal(push.code, 0, push.stderr);
                const branch = `bump/shop-${"b".repeat(12)}`;
                assert.equal(push.results.branch, branch);
                const show = (f: string) => git(repo.bare, "show", `${branch}:${f}`);
                assert.equal(
                    show("clusters/primary/app.yaml"),
                    `image: ${IMAGE}@${NEW}\nsidecar: ${IMAGE}per@${OLD}`,
                    "tag@digest replaced, another image untouched",
                );
                assert.equal(show("clusters/secondary/app.yml"), `image: ${IMAGE}@${NEW}`);
                assert.equal(show("docs/app.yaml"), `image: ${IMAGE}@${OLD}`, "only the region paths");
                assert.equal(
                    git(repo.bare, "log", "-1", "--format=%an <%ae> | %cn <%ce> | %s", branch),
                    `${BOT.name} <${BOT.email}> | ${BOT.name} <${BOT.email}> | Deploy shop@${NEW}`,
                );

                const pr = await runStep({ task: openPrTask(), step: "pull-request", root, params, workspaces: { "git-auth": auth } });
                assert.equal(pr.code, 0, pr.stderr);
                assert.match(pr.stdout, /opened https:\/\/github.com\/example\/shop-manifests\/pull\/8/);
                assert.equal(github.requests.length, 1);
                const [req] = github.requests;
                assert.equal(`${req.method} ${req.url}`, "POST /repos/example/shop-manifests/pulls");
                assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
                assert.deepEqual(
                    { head: req.body.head, base: req.body.base, title: req.body.title },
                    { head: branch, base: "main", title: `Deploy shop@${NEW.slice(0, 19)}` },
                );
            } finally {
                github.close();
            }
        });

        it("does nothing (no branch, no PR) when the manifests are already at the digest; a 422 on re-run is not an error", async () => {
            const repo = manifests();
            const github = await stubServer(http.createServer(), () => ({
                status: 422,
                body: { message: "A pull request already exists" },
            }));
            try {
                const auth = secretWorkspace(root, "git-auth", { token: TOKEN });
                const params = prParams(repo.url, github.url);
                const first = await runStep({
                    task: openPrTask(),
                    step: "push-branch",
                    root,
                    params,
                    workspaces: { "git-auth": auth },
                    mounts: { "/work": emptyDir(root, "work") },
                });
                assert.equal(first.code, 0, first.stderr);
                const again = await runStep({ task: openPrTask(), step: "pull-request", root, params, workspaces: { "git-auth": auth } });
                assert.equal(again.code, 0, again.stderr);
                assert.match(again.stdout, /already open/);

                // The base branch already carries the new digest: nothing to push, no PR.
                const bumped = fixtureRepo(root, "bumped", {
                    "clusters/primary/a.yaml": `image: ${IMAGE}@${NEW}\n`,
                    "clusters/secondary/a.yaml": "x: 1\n",
                });
                const root2 = newRunRoot();
                try {
                    const auth2 = secretWorkspace(root2, "git-auth", { token: TOKEN });
                    const p2 = prParams(bumped.url, github.url);
                    const noop = await runStep({
                        task: openPrTask(),
                        step: "push-branch",
                        root: root2,
                        params: p2,
                        workspaces: { "git-auth": auth2 },
                        mounts: { "/work": emptyDir(root2, "work") },
                    });
                    assert.equal(noop.code, 0, noop.stderr);
                    assert.equal(noop.results.branch, "");
                    const before = github.requests.length;
                    const nopr = await runStep({
                        task: openPrTask(),
                        step: "pull-request",
                        root: root2,
                        params: p2,
                        workspaces: { "git-auth": auth2 },
                    });
                    assert.equal(nopr.code, 0, nopr.stderr);
                    assert.equal(github.requests.length, before, "no API call");
                } finally {
                    removeRunRoot(root2);
                }
            } finally {
                github.close();
            }
        });

        it("fails when a region path does not exist in the manifests repo", async () => {
            const repo = manifests();
            const auth = secretWorkspace(root, "git-auth", { token: TOKEN });
            const params = { ...prParams(repo.url, "http://127.0.0.1:9"), paths: ["clusters/primary", "clusters/missing"] };
            const r = await runStep({
                task: openPrTask(),
                step: "push-branch",
                root,
                params,
                workspaces: { "git-auth": auth },
                mounts: { "/work": emptyDir(root, "work") },
            });
            assert.equal(r.code, 1);
            assert.match(r.stderr, /no path clusters\/missing/);
        });
    });

    describe("report-status", () => {
        it("maps pending and $(tasks.status) to GitHub commit states", async () => {
            const github = await stubServer(http.createServer(), () => ({ status: 201, body: {} }));
            try {
                const auth = secretWorkspace(root, "git-auth", { token: TOKEN });
                const sha = "d".repeat(40);
                for (const [state, expected] of [
                    ["pending", "pending"],
                    ["Succeeded", "success"],
                    ["Completed", "success"],
                    ["Failed", "failure"],
                    ["None", "failure"],
                ]) {
                    const r = await runStep({
                        task: reportStatusTask(),
                        step: "status",
                        root,
                        workspaces: { "git-auth": auth },
                        params: { "api-url": github.url, "repo-slug": "example/shop-manifests", sha, state },
                    });
                    assert.equal(r.code, 0, r.stderr);
                    const req = github.requests.at(-1)!;
                    assert.equal(`${req.method} ${req.url}`, `POST /repos/example/shop-manifests/statuses/${sha}`);
                    assert.equal(req.body.state, expected, state);
                    assert.equal(req.body.context, "platform/manifests-check");
                    assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
                }
            } finally {
                github.close();
            }
        });
    });

    describe("wait-for-scan (against a local HTTPS stub of Harbor's API)", () => {
        const DIGEST = `sha256:${"e".repeat(64)}`;
        const REPORT = "application/vnd.security.vulnerability.report; version=1.1";

        async function gate(vulns: { id: string; severity: string }[], allowlist: string[]) {
            const cert = selfSignedLocalhostCert(path.join(root, "tls"));
            const robot = { user: "robot$staging+pipeline", password: "robot-secret" };
            const harbor = await stubServer(https.createServer({ key: cert.key, cert: cert.cert }), req => {
                const expectedAuth = `Basic ${Buffer.from(`${robot.user}:${robot.password}`).toString("base64")}`;
                if (req.headers.authorization !== expectedAuth) return { status: 401, body: { errors: [{ code: "UNAUTHORIZED" }] } };
                const artifact = `/api/v2.0/projects/staging/repositories/team%252Fshop/artifacts/${DIGEST}`;
                if (req.url === `${artifact}?with_scan_overview=true`)
                    return { status: 200, body: { digest: DIGEST, scan_overview: { [REPORT]: { scan_status: "Success" } } } };
                if (req.url === "/api/v2.0/projects/staging")
                    return { status: 200, body: { name: "staging", cve_allowlist: { items: allowlist.map(cve_id => ({ cve_id })) } } };
                if (req.url === `${artifact}/additions/vulnerabilities`)
                    return { status: 200, body: { [REPORT]: { vulnerabilities: vulns } } };
                return { status: 404, body: { errors: [{ code: "NOT_FOUND", message: req.url }] } };
            });
            try {
                const host = `127.0.0.1:${harbor.port}`;
                const auth = secretWorkspace(root, "registry-auth", { "config.json": dockerConfigJson(host, robot.user, robot.password) });
                const r = await runStep({
                    task: waitForScanTask("high"),
                    step: "wait",
                    root,
                    workspaces: { "registry-auth": auth },
                    params: { "harbor-host": host, project: "staging", repository: "team/shop", digest: DIGEST },
                    // The test's trust store for the stub's self-signed certificate (the image trusts public CAs).
                    extraEnv: { SSL_CERT_FILE: cert.certFile },
                });
                return { r, requests: harbor.requests };
            } finally {
                harbor.close();
            }
        }

        it("passes when every finding is below the threshold or on the project's CVE allowlist", async () => {
            const { r, requests } = await gate(
                [
                    { id: "CVE-1", severity: "Medium" },
                    { id: "CVE-2", severity: "High" },
                ],
                ["CVE-2"],
            );
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, /2 findings, 0 blocking \(HIGH,CRITICAL\), 1 allowlisted/);
            assert.deepEqual(
                requests.map(q => q.url.replace(/\/artifacts\/sha256:e+/, "/artifacts/<digest>")),
                [
                    "/api/v2.0/projects/staging/repositories/team%252Fshop/artifacts/<digest>?with_scan_overview=true",
                    "/api/v2.0/projects/staging",
                    "/api/v2.0/projects/staging/repositories/team%252Fshop/artifacts/<digest>/additions/vulnerabilities",
                ],
            );
        });

        it("fails naming the blocking CVEs at or above the threshold", async () => {
            const { r } = await gate(
                [
                    { id: "CVE-3", severity: "Critical" },
                    { id: "CVE-4", severity: "High" },
                    { id: "CVE-5", severity: "Low" },
                ],
                [],
            );
            assert.equal(r.code, 1);
            assert.match(r.stderr, /blocking vulnerabilities: CVE-3, CVE-4$/m);
        });
    });
});

describe("pipeline steps, executed (scanners and the policy guard)", function () {
    let root: string;
    before(() => requireStepTools());
    beforeEach(() => {
        root = newRunRoot();
    });
    afterEach(() => removeRunRoot(root));

    /** A checkout in a root-owned workspace, files written as git would leave them. */
    function checkout(files: Record<string, string>): string {
        const src = volumeWorkspace(root, "source", "src");
        for (const [f, content] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
            fs.writeFileSync(path.join(src, f), content);
        }
        spawnSync("chmod", ["-R", "a+rX", src]);
        return src;
    }

    describe("policy-check / reject-policy-objects (finding 9)", () => {
        const TEMPLATE = "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata:\n  name: k8sallowedrepos\nspec: {}\n";
        const DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec: {}\n";
        const guard = (src: string, paths = ["clusters/primary", "clusters/secondary"]) =>
            runStep({
                task: policyCheckTask(),
                step: "reject-policy-objects",
                root,
                params: { paths, "filename-args": paths.map(p => `--filename=${p}`) },
                workspaces: { source: src, policy: volumeWorkspace(root, "policy") },
            });

        it("passes ordinary manifests (and files gator does not read)", async () => {
            const src = checkout({
                "clusters/primary/app.yaml": `${DEPLOYMENT}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: shop\n`,
                "clusters/secondary/app.json": JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }),
                "clusters/secondary/notes.txt": TEMPLATE,
            });
            const r = await guard(src);
            assert.equal(r.code, 0, r.stderr);
        });

        for (const [what, files] of Object.entries<Record<string, string>>({
            "a ConstraintTemplate replacing the stack's (second document)": {
                "clusters/primary/app.yaml": `${DEPLOYMENT}---\n${TEMPLATE}`,
            },
            "a constraint in JSON flow style": {
                "clusters/secondary/x.json": JSON.stringify({
                    apiVersion: "constraints.gatekeeper.sh/v1beta1",
                    kind: "K8sAllowedRepos",
                    metadata: { name: "repos" },
                    spec: { enforcementAction: "dryrun" },
                }),
            },
            "an ExpansionTemplate in a nested .yml": {
                "clusters/primary/deep/er/e.yml":
                    "apiVersion: expansion.gatekeeper.sh/v1beta1\nkind: ExpansionTemplate\nmetadata:\n  name: e\n",
            },
            "a gatekeeper Config (referential data)": {
                "clusters/primary/c.yaml": "apiVersion: config.gatekeeper.sh/v1alpha1\nkind: Config\nmetadata:\n  name: config\n",
            },
            "a duplicate-key trick (parsers disagree on which kind wins)": {
                "clusters/primary/d.yaml":
                    "apiVersion: templates.gatekeeper.sh/v1\nkind: ConfigMap\nkind: ConstraintTemplate\nmetadata:\n  name: k8sallowedrepos\n",
            },
            "a file that cannot be parsed": { "clusters/primary/bad.yaml": "kind: [unclosed\n" },
        })) {
            it(`fails on ${what}`, async () => {
                const src = checkout({ "clusters/secondary/ok.yaml": DEPLOYMENT, "clusters/primary/ok.yaml": DEPLOYMENT, ...files });
                const r = await guard(src);
                assert.equal(r.code, 1, `${what}: ${r.stdout}${r.stderr}`);
                assert.match(r.stderr, /brings Gatekeeper policy objects/);
                assert.ok(r.stderr.includes(Object.keys(files)[0]), r.stderr);
            });
        }

        it("fails on a region path missing from the checkout", async () => {
            const r = await guard(checkout({ "clusters/primary/ok.yaml": DEPLOYMENT }));
            assert.equal(r.code, 1);
            assert.match(r.stderr, /no path clusters\/secondary/);
        });
    });

    describe("build and push-staging (stand-ins for buildctl and crane; the shell around them is real)", () => {
        const BUILT = `sha256:${"1".repeat(64)}`;
        const CONFIG = `sha256:${"2".repeat(64)}`;

        it("build runs as uid 1000, writes the OCI layout into the fsGroup workspace and reports containerimage.digest", async () => {
            // buildctl --metadata-file writes json.MarshalIndent(…, "", "  ") of the exporter response
            // (moby/buildkit cmd/buildctl/build.go writeMetadataFile), nested descriptor included.
            const metadata = JSON.stringify(
                {
                    "containerimage.config.digest": CONFIG,
                    "containerimage.descriptor": { mediaType: "application/vnd.oci.image.index.v1+json", digest: BUILT, size: 856 },
                    "containerimage.digest": BUILT,
                },
                null,
                2,
            );
            fs.writeFileSync(
                path.join(root, "bin", "buildctl-daemonless.sh"),
                [
                    "#!/bin/sh",
                    "set -eu",
                    'printf \'%s\\n\' "$(id -u)" "$@" > /tmp/buildctl.argv',
                    "while [ $# -gt 0 ]; do",
                    '  case "$1" in',
                    "    --metadata-file) meta=$2; shift;;",
                    "    --output) dest=$(printf '%s' \"$2\" | sed 's/.*dest=\\([^,]*\\).*/\\1/'); shift;;",
                    "  esac; shift",
                    "done",
                    'mkdir -p "$dest" && echo \'{}\' > "$dest/index.json"',
                    `cat > "$meta" <<'JSON'\n${metadata}\nJSON`,
                ].join("\n") + "\n",
                { mode: 0o755 },
            );
            const src = checkout({ Dockerfile: "FROM scratch\n" });
            const image = volumeWorkspace(root, "image", "image");
            const r = await runStep({ task: buildTask(), step: "build", root, workspaces: { source: src, image } });
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.step.securityContext.runAsUser, 1000);
            assert.equal(r.results.digest, BUILT);
            assert.ok(fs.existsSync(path.join(image, "layout", "index.json")), "uid 1000 can write the workspace (fsGroup)");
            const argv = fs.readFileSync(path.join(root, "tmp", "buildctl.argv"), "utf8").split("\n");
            assert.equal(argv[0], "1000");
            assert.ok(argv.includes(`context=${src}`) && argv.includes(`type=oci,dest=${image}/layout,tar=false`), argv.join(" "));
        });

        for (const [what, pushed, code] of [
            ["the digest it built", BUILT, 0],
            ["another digest", CONFIG, 1],
        ] as const) {
            it(`push-staging accepts only ${what}`, async () => {
                fs.writeFileSync(
                    path.join(root, "bin", "crane"),
                    `#!/bin/sh\n[ "$1" = push ] && [ -f "$DOCKER_CONFIG/config.json" ] && printf '%s@%s\\n' "\${3%:*}" '${pushed}'\n`,
                    { mode: 0o755 },
                );
                const image = volumeWorkspace(root, "image", "image");
                const auth = secretWorkspace(root, "registry-auth", { "config.json": "{}" });
                const r = await runStep({
                    task: pushTask(),
                    step: "push",
                    root,
                    workspaces: { image, "registry-auth": auth },
                    params: { image: "harbor.dev.example.com/staging/shop:abc", digest: BUILT },
                });
                assert.equal(r.code, code, r.stderr);
                // IMAGE_URL + IMAGE_DIGEST: the Chains type hints name the Harbor image (no tag).
                if (code === 0) assert.deepEqual(r.results, { IMAGE_URL: "harbor.dev.example.com/staging/shop", IMAGE_DIGEST: BUILT });
                else assert.match(r.stderr, new RegExp(`pushed ${CONFIG}, built ${BUILT}`));
            });
        }
    });

    describe("promote / copy: the image goes to ACR with Chains' signature and attestation (stand-in crane records its calls)", () => {
        const DIGEST = `sha256:${"a".repeat(64)}`;
        const TAG = `sha256-${"a".repeat(64)}`;
        const SOURCE = `harbor.dev.example.com/staging/shop@${DIGEST}`;

        /**
         * crane on the step's PATH: records each call (argv, one line) in /tmp/crane.calls; `digest`
         * answers for the tags listed in /tmp/crane.present (what Harbor/ACR hold) and for the ACR
         * target (the copied image), and fails like crane on a missing manifest otherwise.
         */
        function stubCrane(present: string[]): string {
            fs.writeFileSync(path.join(root, "tmp", "crane.present"), present.map(p => `${p}\n`).join(""));
            fs.chmodSync(path.join(root, "tmp", "crane.present"), 0o666);
            fs.writeFileSync(
                path.join(root, "bin", "crane"),
                [
                    "#!/bin/sh",
                    'echo "$*" >> /tmp/crane.calls',
                    'case "$1" in',
                    "  auth) cat > /dev/null;;",
                    '  digest) if grep -qxF "$2" /tmp/crane.present; then echo ' +
                        DIGEST +
                        '; else echo "MANIFEST_UNKNOWN: $2" >&2; exit 1; fi;;',
                    '  copy) echo "$3" >> /tmp/crane.present;;',
                    "esac",
                ].join("\n") + "\n",
                { mode: 0o755 },
            );
            return path.join(root, "tmp", "crane.calls");
        }

        async function promote(timeout: string) {
            const acr = emptyDir(root, "acr-token");
            fs.writeFileSync(path.join(acr, "token"), "acr-refresh-token");
            fs.chmodSync(path.join(acr, "token"), 0o644);
            const auth = secretWorkspace(root, "registry-auth", {
                "config.json": dockerConfigJson("harbor.dev.example.com", "robot$staging+pipeline", "pw"),
            });
            return runStep({
                task: promoteTask(),
                step: "copy",
                root,
                workspaces: { "registry-auth": auth },
                mounts: { "/acr": acr },
                params: {
                    source: SOURCE,
                    "acr-login-server": "shopacr.azurecr.io",
                    target: "shopacr.azurecr.io/shop:abc",
                    digest: DIGEST,
                    "signature-timeout-seconds": timeout,
                },
            });
        }

        it("waits for .sig and .att in Harbor, then copies image, signature and attestation to ACR by digest", async () => {
            const calls = stubCrane([`harbor.dev.example.com/staging/shop:${TAG}.sig`, `harbor.dev.example.com/staging/shop:${TAG}.att`]);
            const r = await promote("600");
            assert.equal(r.code, 0, r.stderr);
            assert.deepEqual(fs.readFileSync(calls, "utf8").trimEnd().split("\n"), [
                `digest harbor.dev.example.com/staging/shop:${TAG}.sig`,
                `digest harbor.dev.example.com/staging/shop:${TAG}.att`,
                "auth login shopacr.azurecr.io -u 00000000-0000-0000-0000-000000000000 --password-stdin",
                `copy ${SOURCE} shopacr.azurecr.io/shop:abc`,
                "digest shopacr.azurecr.io/shop:abc",
                `copy harbor.dev.example.com/staging/shop:${TAG}.sig shopacr.azurecr.io/shop:${TAG}.sig`,
                `copy harbor.dev.example.com/staging/shop:${TAG}.att shopacr.azurecr.io/shop:${TAG}.att`,
            ]);
            assert.deepEqual(r.results, { ACR_URL: "shopacr.azurecr.io/shop", ACR_DIGEST: DIGEST });
        });

        for (const [what, present] of [
            ["no signature", [`harbor.dev.example.com/staging/shop:${TAG}.att`]],
            ["no attestation", [`harbor.dev.example.com/staging/shop:${TAG}.sig`]],
        ] as const) {
            it(`fails closed with ${what} once the wait is over: nothing reaches ACR`, async () => {
                const calls = stubCrane([...present]);
                const r = await promote("0");
                assert.equal(r.code, 1);
                assert.match(r.stderr, /Tekton Chains has not signed\/attested it; an unsigned image is not promoted/);
                const log = fs.readFileSync(calls, "utf8");
                assert.doesNotMatch(log, /^copy /m, log);
                assert.doesNotMatch(log, /^auth /m, log);
                assert.deepEqual(r.results, {});
            });
        }
    });

    describe("scan-source (finding 8): the repository cannot switch its scans off", () => {
        /** A stand-in scanner binary on the step's PATH that records its working directory and argv. */
        function recordingTool(name: string): string {
            fs.writeFileSync(
                path.join(root, "bin", name),
                `#!/bin/sh\n{ pwd; for a in "$@"; do printf '%s\\n' "$a"; done; } > /tmp/${name}.argv\n`,
                { mode: 0o755 },
            );
            return path.join(root, "tmp", `${name}.argv`);
        }
        const repoOwnConfig = {
            ".gitleaks.toml": "[allowlist]\npaths = ['''.*''']\n",
            "trivy.yaml": "severity: [LOW]\nexit-code: 0\n",
            ".trivyignore": "CVE-2099-0001\n",
        };

        it("gitleaks: the stack's config, an ignore file outside the checkout, gitleaks:allow ignored, run from /tmp", async () => {
            const log = recordingTool("gitleaks");
            const src = checkout({ ...repoOwnConfig, "app.py": "x = 1\n" });
            const r = await runStep({ task: scanSourceTask("high", []), step: "credentials", root, workspaces: { source: src } });
            assert.equal(r.code, 0, r.stderr);
            const [cwd, ...argv] = fs.readFileSync(log, "utf8").trimEnd().split("\n");
            assert.equal(cwd, "/tmp", "not the checkout: gitleaks reads .gitleaksignore from its working directory by default");
            assert.deepEqual(argv, [
                "dir",
                "--no-banner",
                "--redact",
                "--exit-code",
                "1",
                "--config",
                "/tmp/gitleaks.toml",
                "--gitleaks-ignore-path",
                "/tmp/gitleaksignore",
                "--ignore-gitleaks-allow",
                src,
            ]);
            assert.equal(
                fs.readFileSync(path.join(root, "tmp", "gitleaks.toml"), "utf8"),
                fs.readFileSync(path.join(STEPS_DIR, "..", "gitleaks.toml"), "utf8") + "\n",
            );
        });

        it("gitleaks: a checkout carrying its own .gitleaksignore (always loaded from the scanned root) is refused", async () => {
            const log = recordingTool("gitleaks");
            const src = checkout({ ".gitleaksignore": "app.py:generic-api-key:1\n", "app.py": "x = 1\n" });
            const r = await runStep({ task: scanSourceTask("high", []), step: "credentials", root, workspaces: { source: src } });
            assert.equal(r.code, 1);
            assert.match(r.stderr, /own \.gitleaksignore/);
            assert.ok(!fs.existsSync(log), "gitleaks never ran");
        });

        it("Trivy: the stack's trivy.yaml and the reviewed allowlist, run from /tmp, whatever the repository carries", async () => {
            const log = recordingTool("trivy");
            const src = checkout({ ...repoOwnConfig, "package-lock.json": "{}" });
            const r = await runStep({
                task: scanSourceTask("medium", ["CVE-2024-0002", "CVE-2024-0001"]),
                step: "dependencies",
                root,
                workspaces: { source: src },
            });
            assert.equal(r.code, 0, r.stderr);
            const [cwd, ...argv] = fs.readFileSync(log, "utf8").trimEnd().split("\n");
            assert.equal(cwd, "/tmp", "not the checkout: Trivy's defaults trivy.yaml and .trivyignore are relative to it");
            assert.deepEqual(argv, [
                "fs",
                "--config",
                "/tmp/trivy.yaml",
                "--scanners",
                "vuln",
                "--severity",
                "MEDIUM,HIGH,CRITICAL",
                "--ignorefile",
                "/tmp/allowlist",
                "--exit-code",
                "1",
                "--no-progress",
                src,
            ]);
            assert.equal(fs.readFileSync(path.join(root, "tmp", "allowlist"), "utf8"), "CVE-2024-0001\nCVE-2024-0002\n");
            assert.equal(
                fs.readFileSync(path.join(root, "tmp", "trivy.yaml"), "utf8"),
                fs.readFileSync(path.join(STEPS_DIR, "..", "trivy.yaml"), "utf8") + "\n",
            );
        });
    });
});

// ---------------------------------------------------------------------------------------------
// Local stubs
// ---------------------------------------------------------------------------------------------

interface Recorded {
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    body: Any;
}

/** An HTTP(S) server on 127.0.0.1 answering JSON from `answer`, recording every request. */
async function stubServer(server: http.Server | https.Server, answer: (req: Recorded, body: Any) => { status: number; body: unknown }) {
    const requests: Recorded[] = [];
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
        let raw = "";
        req.on("data", d => {
            raw += d;
        });
        req.on("end", () => {
            const rec: Recorded = { method: req.method!, url: req.url!, headers: req.headers, body: raw ? JSON.parse(raw) : undefined };
            requests.push(rec);
            const a = answer(rec, rec.body);
            res.writeHead(a.status, { "Content-Type": "application/json" });
            res.end(JSON.stringify(a.body));
        });
    });
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const scheme = server instanceof https.Server ? "https" : "http";
    return { url: `${scheme}://127.0.0.1:${port}`, port, requests, close: () => server.close() };
}

/** An emptyDir volume: root-owned, mode 0777 (kubelet pkg/volume/emptydir), group fsGroup. */
function emptyDir(root: string, name: string): string {
    const dir = path.join(root, "volumes", name);
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(path.join(root, "volumes"), 0o755);
    fs.chownSync(dir, 0, FS_GROUP);
    fs.chmodSync(dir, 0o2777);
    return dir;
}
