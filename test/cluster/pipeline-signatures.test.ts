// The manifests-PR check's signature task, EXECUTED: a pull request's base and head commits in a
// local git repository, the head checked out by the real git-clone step, then image-references.py
// (python3 + PyYAML, as uid 65532) and verify-signatures.sh (busybox sh) with a stand-in `cosign`
// on PATH that records its argv and answers per (digest, key) — cosign itself cannot be fetched
// here. See test/cluster/pipeline/run-step.ts for how a step runs.
import { strict as assert } from "assert";
import * as fs from "fs";
import { spawnSync } from "child_process";
import * as path from "path";
import * as http from "http";
import { AddressInfo } from "net";
import {
    IMAGE_LIST_FILE,
    SIGNATURE_CHECK_PARSE_STEP,
    cloneTask,
    reportStatusTask,
    signatureCheckTask,
} from "../../components/cluster/pipeline/tasks";
import { fixtureRepo, FS_GROUP, newRunRoot, removeRunRoot, requireStepTools, runStep, volumeWorkspace } from "./pipeline/run-step";

const ACR = "shopacr.azurecr.io";
const PATHS = ["clusters/primary", "clusters/secondary"];
const REPO_URL = "https://github.com/example/shop-manifests.git";
const BRANCH = "main";
const d = (c: string) => `sha256:${c.repeat(64)}`;
const [D1, D2, D3, D4, D5, D6, D7, D8] = ["1", "2", "3", "4", "5", "6", "7", "8"].map(d);

/** Files of a commit; `null` deletes the file in the head commit, `{ symlink }` makes a symbolic link (git mode 120000). */
type Tree = Record<string, string | null | { symlink: string }>;

const deployment = (name: string, image: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ${name}\n          image: ${image}\n`;

describe("manifests check / signature-check, executed", function () {
    let root: string;
    before(() => requireStepTools());
    beforeEach(() => {
        root = newRunRoot();
    });
    afterEach(() => removeRunRoot(root));

    let repos = 0;
    /**
     * A bare repository whose commit is the PR's head: the base files with the PR's changes applied
     * (the check reads the head only, never a diff), served to the step user.
     */
    function pullRequest(base: Tree, head: Tree): { url: string; head: string } {
        const files = Object.entries({ ...base, ...head }).filter((e): e is [string, string | { symlink: string }] => e[1] !== null);
        const { url, head: sha } = fixtureRepo(root, `manifests-${++repos}`, Object.fromEntries(files));
        return { url, head: sha };
    }

    /** The scratch volume as the check pipeline lays it out: head/, by the real git-clone step. */
    async function checkout(pr: { url: string; head: string }): Promise<string> {
        const head = volumeWorkspace(root, "source", "head");
        const r = await runStep({
            task: cloneTask(),
            step: "clone",
            root,
            params: { url: pr.url, revision: pr.head },
            workspaces: { output: head },
        });
        assert.equal(r.code, 0, r.stderr);
        return head;
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

    async function step(name: typeof SIGNATURE_CHECK_PARSE_STEP | "verify", head: string, work: string, keys = signingKeys([1, 2])) {
        return runStep({
            task: signatureCheckTask(),
            step: name,
            root,
            params: { paths: PATHS, "acr-login-server": ACR, "repo-url": REPO_URL, branch: BRANCH },
            workspaces: { source: head, "signing-keys": keys },
            mounts: { "/work": work },
        });
    }

    /** The pull request's head checked out and image-references run on it. */
    async function references(base: Tree, head: Tree) {
        const work = workDir();
        const r = await step(SIGNATURE_CHECK_PARSE_STEP, await checkout(pullRequest(base, head)), work);
        return { r, work };
    }

    /** The problems image-references reported, one line each, sorted. */
    function problems(r: { code: number | null; stderr: string }): string[] {
        assert.equal(r.code, 1, r.stderr);
        const lines = r.stderr.trimEnd().split("\n");
        assert.equal(lines[0], "The pull request holds manifests whose images cannot be verified:");
        return lines.slice(1).sort();
    }

    /** The list image-references wrote, one [file, line, reference, repo@digest] per row. */
    const listed = (work: string) =>
        fs
            .readFileSync(path.join(work, IMAGE_LIST_FILE), "utf8")
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
                ["success", "Gatekeeper policy, schemas, API versions and image signatures OK"],
            ],
        );
    });

    describe("image-references: every reference under the manifests paths of the head", () => {
        const BASE: Tree = {
            "clusters/primary/app.yaml": deployment("shop", `${ACR}/shop@${D1}`),
            "clusters/primary/legacy.yaml": deployment("legacy", `${ACR}/legacy@${D3}`),
            "clusters/secondary/kustomization.yaml": `resources:\n  - app.yaml\nimages:\n  - name: ${ACR}/shop\n    digest: ${D1}\n`,
            "clusters/secondary/app.yaml": deployment("shop", `${ACR}/shop@${D1}`),
            "docs/example.yaml": deployment("example", "docker.io/library/nginx:latest"),
        };

        it("lists every reference, unchanged ones included (multi-document, any kind, JSON, kustomize), with file and line", async () => {
            const { r, work } = await references(BASE, {
                // shop bumped to D4, a second document (Job, initContainers); legacy.yaml unchanged.
                "clusters/primary/app.yaml": [
                    deployment("shop", `${ACR}/shop@${D4}`),
                    `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: migrate\n          image: ${ACR}/migrate:v1@${D5}\n`,
                ].join("---\n"),
                "clusters/primary/worker.json": JSON.stringify({
                    apiVersion: "apps/v1",
                    kind: "StatefulSet",
                    metadata: { name: "worker" },
                    spec: { template: { spec: { containers: [{ name: "worker", image: `${ACR}/worker@${D6}` }] } } },
                }),
                // A digest entry (its own line) and a rename-only entry (the raw reference's digest, renamed).
                "clusters/secondary/kustomization.yaml": `resources:\n  - app.yaml\n  - worker.yaml\nimages:\n  - name: ${ACR}/shop\n    digest: ${D7}\n  - name: ${ACR}/worker-old\n    newName: ${ACR}/worker\n`,
                "clusters/secondary/worker.yaml": deployment("worker", `${ACR}/worker-old@${D8}`),
                // Outside the manifests paths: Argo CD does not deploy it.
                "docs/example.yaml": deployment("example", "docker.io/library/nginx:1.27"),
            });
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.step.securityContext.runAsUser, 65532);
            assert.equal(r.step.securityContext.runAsNonRoot, true);
            // app.yaml's second document starts at line 12 (10 lines and `---`), its image on its 10th.
            assert.deepEqual(listed(work), [
                ["clusters/primary/app.yaml", "10", `${ACR}/shop@${D4}`, `${ACR}/shop@${D4}`],
                ["clusters/primary/app.yaml", "21", `${ACR}/migrate:v1@${D5}`, `${ACR}/migrate@${D5}`],
                ["clusters/primary/legacy.yaml", "10", `${ACR}/legacy@${D3}`, `${ACR}/legacy@${D3}`],
                ["clusters/primary/worker.json", "1", `${ACR}/worker@${D6}`, `${ACR}/worker@${D6}`],
                ["clusters/secondary/app.yaml", "10", `${ACR}/shop@${D1}`, `${ACR}/shop@${D1}`],
                // What each entry makes of the raw references it matches, at the entry's line.
                ["clusters/secondary/kustomization.yaml", "5", `${ACR}/shop@${D7}`, `${ACR}/shop@${D7}`],
                ["clusters/secondary/kustomization.yaml", "7", `${ACR}/worker@${D8}`, `${ACR}/worker@${D8}`],
                ["clusters/secondary/worker.yaml", "10", `${ACR}/worker-old@${D8}`, `${ACR}/worker-old@${D8}`],
            ]);
            assert.match(r.stdout, /8 image reference\(s\) under clusters\/primary, clusters\/secondary, all to be verified/);
        });

        it("D4: a reference the base snapshot already held is listed, and an unsigned one fails the check", async () => {
            // legacy.yaml is unchanged by the PR; its digest was never signed (e.g. since removed on the base branch).
            const { r, work } = await references(BASE, { "clusters/primary/app.yaml": deployment("shop", `${ACR}/shop@${D4}`) });
            assert.equal(r.code, 0, r.stderr);
            assert.ok(
                listed(work).some(row => row[2] === `${ACR}/legacy@${D3}`),
                JSON.stringify(listed(work)),
            );
            stubCosign([
                [`${ACR}/shop@${D4}`, "generation-1.pub"],
                [`${ACR}/shop@${D1}`, "generation-1.pub"],
            ]);
            const v = await step("verify", "", work);
            assert.equal(v.code, 1, v.stderr);
            assert.ok(v.stderr.includes(`  clusters/primary/legacy.yaml:10: ${ACR}/legacy@${D3}\n`), v.stderr);
        });

        it("rejects references outside the stack's ACR or not pinned by digest, naming file, line and image", async () => {
            const { r, work } = await references(BASE, {
                "clusters/primary/hub.yaml": deployment("hub", `docker.io/library/nginx@${D1}`),
                "clusters/primary/tag.yaml": deployment("tag", `${ACR}/shop:1.2.3`),
                // A host that merely starts with the ACR's name is another registry.
                "clusters/primary/lookalike.yaml": deployment("lookalike", `${ACR}.evil.example/shop@${D1}`),
                "clusters/secondary/kustomization.yaml": `resources:\n  - app.yaml\nimages:\n  - name: ${ACR}/shop\n    newTag: "2.0"\n`,
                // A ConfigMap is walked like any kind: an `image:` in it is held to the same rule.
                "clusters/primary/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  image: nginx\n",
            });
            const unpinned =
                "not pinned by digest (<repository>@sha256:<64 hex>): a tag can be moved after review, and signatures are bound to digests";
            assert.deepEqual(problems(r), [
                `  clusters/primary/hub.yaml:10: docker.io/library/nginx@${D1}: not in the stack's registry ${ACR}`,
                `  clusters/primary/lookalike.yaml:10: ${ACR}.evil.example/shop@${D1}: not in the stack's registry ${ACR}`,
                `  clusters/primary/settings.yaml:6: nginx: not in the stack's registry ${ACR}; ${unpinned}`,
                `  clusters/primary/tag.yaml:10: ${ACR}/shop:1.2.3: ${unpinned}`,
                `  clusters/secondary/kustomization.yaml:4: ${ACR}/shop:2.0: ${unpinned}`,
            ]);
            assert.ok(!fs.existsSync(path.join(work, IMAGE_LIST_FILE)), "nothing for the verify step");
        });

        it("fails closed on a file it cannot parse", async () => {
            const { r } = await references(BASE, { "clusters/primary/broken.yaml": "image: [unclosed\n" });
            assert.equal(r.code, 1);
            assert.match(r.stderr, /clusters\/primary\/broken\.yaml: cannot be read as YAML\/JSON/);
        });

        it("D1: YAML and JSON Argo CD reads differently (duplicate keys, merge keys, !!binary, custom tags) are rejected with file:line", async () => {
            const unsigned = "docker.io/evil/miner:latest";
            const { r } = await references(BASE, {
                // go-yaml v2 keeps the LAST `kind`: a Deployment, whose unpinned image PyYAML's first key hid as a ConfigMap.
                "clusters/primary/dup-kind.yaml": deployment("miner", unsigned).replace(
                    "kind: Deployment\n",
                    "kind: ConfigMap\nkind: Deployment\n",
                ),
                // Go encoding/json keeps the last key too.
                "clusters/primary/dup-kind.json":
                    '{"apiVersion": "apps/v1",\n "kind": "ConfigMap",\n "kind": "Deployment",\n "spec": {"template": {"spec": {"containers": [{"name": "m", "image": "' +
                    unsigned +
                    '"}]}}}}\n',
                // Decoded by go-yaml to the string the base64 holds / to the raw string.
                "clusters/primary/binary.yaml": deployment("miner", `!!binary ${Buffer.from(unsigned).toString("base64")}`),
                "clusters/primary/custom-tag.yaml": deployment("miner", `!x ${unsigned}`),
                "clusters/secondary/merge.yaml": `base: &b {image: ${unsigned}}\nspec:\n  <<: *b\n`,
                "clusters/secondary/dup-image.yaml": deployment("shop", `${ACR}/shop@${D1}\n          image: ${unsigned}`),
            });
            assert.deepEqual(problems(r), [
                "  clusters/primary/binary.yaml:10: YAML tag tag:yaml.org,2002:binary (only plain values are read as Argo CD reads them)",
                "  clusters/primary/custom-tag.yaml:10: YAML tag !x (only plain values are read as Argo CD reads them)",
                "  clusters/primary/dup-kind.json:1: duplicate key `kind` in the object opening here: Go encoding/json keeps the last one",
                "  clusters/primary/dup-kind.yaml:3: duplicate key `kind` (also at line 2): Argo CD keeps the last one",
                "  clusters/secondary/dup-image.yaml:11: duplicate key `image` (also at line 10): Argo CD keeps the last one",
                "  clusters/secondary/merge.yaml:3: YAML merge key `<<` (not supported: write the keys out)",
            ]);
        });

        it("D2: a kustomize `images:` entry never hides a raw reference, in its own or another kustomization", async () => {
            const { r } = await references(BASE, {
                // A decoy entry named after the raw references: kustomize would not even apply it to raw.yaml.
                "clusters/secondary/kustomization.yaml": `resources:\n  - app.yaml\nimages:\n  - name: docker.io/evil/miner\n    newName: ${ACR}/shop\n    digest: ${D1}\n  - name: ${ACR}/unsigned\n    newName: ${ACR}/shop\n    digest: ${D1}\n`,
                "clusters/primary/raw.yaml": `${deployment("miner", "docker.io/evil/miner")}---\n${deployment("unsigned", `${ACR}/unsigned@${D2}`)}`,
            });
            assert.deepEqual(problems(r), [
                `  clusters/primary/raw.yaml:10: docker.io/evil/miner: not in the stack's registry ${ACR}; not pinned by digest (<repository>@sha256:<64 hex>): a tag can be moved after review, and signatures are bound to digests`,
            ]);
            // Without the unpinned one, the pinned raw reference is listed for cosign beside the entry's.
            const pinned = await references(BASE, {
                "clusters/secondary/kustomization.yaml": `resources:\n  - app.yaml\nimages:\n  - name: ${ACR}/unsigned\n    newName: ${ACR}/shop\n    digest: ${D1}\n`,
                "clusters/primary/raw.yaml": deployment("unsigned", `${ACR}/unsigned@${D2}`),
            });
            assert.equal(pinned.r.code, 0, pinned.r.stderr);
            assert.deepEqual(
                listed(pinned.work).filter(row => row[0] !== "clusters/primary/legacy.yaml" && row[0] !== "clusters/primary/app.yaml"),
                [
                    ["clusters/primary/raw.yaml", "10", `${ACR}/unsigned@${D2}`, `${ACR}/unsigned@${D2}`],
                    ["clusters/secondary/app.yaml", "10", `${ACR}/shop@${D1}`, `${ACR}/shop@${D1}`],
                    ["clusters/secondary/kustomization.yaml", "4", `${ACR}/shop@${D1}`, `${ACR}/shop@${D1}`],
                ],
            );
        });

        it("D2: kustomize matches an entry's name as a regular expression: what it renames is listed, metacharacters are rejected", async () => {
            const { r } = await references(BASE, {
                // `.` matches `o`: kustomize renames the raw shop@D1 to the unsigned miner, keeping the digest.
                "clusters/secondary/kustomization.yaml": `resources:\n  - app.yaml\nimages:\n  - name: ${ACR}/sh.p\n    newName: docker.io/evil/miner\n`,
                // `.*` would match every reference.
                "clusters/primary/kustomization.yaml": `resources:\n  - app.yaml\nimages:\n  - name: ".*"\n    newName: ${ACR}/miner\n`,
            });
            assert.deepEqual(problems(r), [
                "  clusters/primary/kustomization.yaml:4: kustomize `images` entry name '.*': kustomize matches it as a regular expression; only letters, digits and `._/:@-` are supported",
                `  clusters/secondary/kustomization.yaml:4: docker.io/evil/miner@${D1}: not in the stack's registry ${ACR}`,
            ]);
        });

        it("D3: what Argo CD would render and the check cannot is rejected: jsonnet, Helm, kustomize patches/replacements/helmCharts/remote resources, Application overrides", async () => {
            const k = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
            const app = (source: string) =>
                `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n  namespace: argocd\nspec:\n  project: apps\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: shop\n  source:\n${source}`;
            const src = (path: string, extra = "", repo = REPO_URL) =>
                `    repoURL: ${repo}\n    path: ${path}\n    targetRevision: ${BRANCH}\n${extra}`;
            const { r } = await references(BASE, {
                "clusters/primary/app.jsonnet": `{ apiVersion: "v1", kind: "Pod", spec: { containers: [{ image: "${"docker.io/evil/miner"}" }] } }\n`,
                "clusters/primary/chart/Chart.yaml": "apiVersion: v2\nname: evil\nversion: 1.0.0\n",
                "clusters/primary/k-patches/kustomization.yaml": k(
                    `patches:\n  - patch: |-\n      - op: replace\n        path: /spec/template/spec/containers/0/image\n        value: docker.io/evil/miner\n`,
                ),
                "clusters/primary/k-psm/kustomization.yaml": k("patchesStrategicMerge:\n  - patch.yaml\n"),
                "clusters/primary/k-json6902/kustomization.yaml": k("patchesJson6902:\n  - path: p.yaml\n"),
                "clusters/primary/k-replacements/kustomization.yaml": k("replacements:\n  - path: r.yaml\n"),
                "clusters/primary/k-helm/kustomization.yaml": k("helmCharts:\n  - name: evil\n    repo: https://evil.example\n"),
                "clusters/primary/k-remote/kustomization.yaml": k("resources:\n  - https://github.com/evil/manifests//base?ref=v1\n"),
                "clusters/primary/k-escape/kustomization.yaml": k("bases:\n  - ../../secondary\n"),
                "clusters/primary/k-missing/kustomization.yaml": k("components:\n  - github.com/evil/components\n"),
                "clusters/primary/k-txt/kustomization.yaml": k("resources:\n  - miner.txt\n"),
                "clusters/primary/k-txt/miner.txt": deployment("miner", "docker.io/evil/miner"),
                "clusters/primary/k-ok/kustomization.yaml": k("resources:\n  - ../app.yaml\n"),
                "clusters/secondary/apps/kustomize.yaml": app(
                    src("clusters/secondary", `    kustomize:\n      images:\n        - docker.io/evil/miner\n`),
                ),
                "clusters/secondary/apps/helm.yaml": app(
                    src("clusters/secondary", `    helm:\n      parameters:\n        - name: image\n          value: x\n`),
                ),
                "clusters/secondary/apps/plugin.yaml": app(src("clusters/secondary", `    plugin:\n      name: evil\n`)),
                "clusters/secondary/apps/jsonnet.yaml": app(src("clusters/secondary", `    directory:\n      jsonnet: {}\n`)),
                "clusters/secondary/apps/outside.yaml": app(src("docs")),
                "clusters/secondary/apps/escape.yaml": app(src("clusters/primary/../../docs")),
                "clusters/secondary/apps/other-repo.yaml": app(src("clusters/secondary", "", "https://github.com/evil/manifests")),
                "clusters/secondary/apps/revision.yaml": app(
                    src("clusters/secondary").replace(`targetRevision: ${BRANCH}`, "targetRevision: unreviewed"),
                ),
                // An Application inside a List is deployed as one too.
                "clusters/secondary/apps/list.yaml": `apiVersion: v1\nkind: List\nitems:\n  - ${app(src("docs"))
                    .split("\n")
                    .join("\n    ")
                    .trimEnd()}\n`,
                "clusters/secondary/apps/default-branch.yaml": app(
                    src("clusters/secondary").replace(`    targetRevision: ${BRANCH}\n`, ""),
                ),
                "clusters/secondary/apps/appset.yaml":
                    "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: s\nspec: {}\n",
                // Allowed: the manifests repository (any spelling Argo CD normalizes), its branch, a path inside, plain directory options.
                "clusters/secondary/apps/ok.yaml": app(
                    src("clusters/primary/sub", "    directory:\n      recurse: true\n", "https://GitHub.com/example/shop-manifests/"),
                ),
            });
            const kz = (key: string) =>
                `kustomize \`${key}\` is not supported by the signature check (it can rewrite or add image references the check does not render)`;
            const remote = (key: string, target: string) =>
                `kustomize \`${key}\` entry '${target}' is not a file or directory inside clusters/primary (remote and out-of-path resources are not checked)`;
            const override = (key: string) =>
                `an Argo CD Application source with \`${key}\`: its rendering is not checked (only plain manifests under the manifests paths are)`;
            assert.deepEqual(problems(r), [
                "  clusters/primary/app.jsonnet:1: a jsonnet file: Argo CD renders it, the signature check cannot",
                "  clusters/primary/chart/Chart.yaml:1: a Helm chart: Argo CD renders it, the signature check cannot",
                `  clusters/primary/k-escape/kustomization.yaml:4: ${remote("bases", "../../secondary")}`,
                `  clusters/primary/k-helm/kustomization.yaml:3: ${kz("helmCharts")}`,
                `  clusters/primary/k-json6902/kustomization.yaml:3: ${kz("patchesJson6902")}`,
                `  clusters/primary/k-missing/kustomization.yaml:4: ${remote("components", "github.com/evil/components")}`,
                `  clusters/primary/k-patches/kustomization.yaml:3: ${kz("patches")}`,
                `  clusters/primary/k-psm/kustomization.yaml:3: ${kz("patchesStrategicMerge")}`,
                `  clusters/primary/k-remote/kustomization.yaml:4: ${remote("resources", "https://github.com/evil/manifests//base?ref=v1")}`,
                `  clusters/primary/k-replacements/kustomization.yaml:3: ${kz("replacements")}`,
                "  clusters/primary/k-txt/kustomization.yaml:4: kustomize `resources` entry 'miner.txt' is not a .yaml/.yml/.json file: the check does not read it",
                "  clusters/secondary/apps/appset.yaml:1: an Argo CD ApplicationSet: its generators choose repositories and paths at run time, which the signature check cannot follow (write the Applications out)",
                "  clusters/secondary/apps/default-branch.yaml:12: an Argo CD Application source at targetRevision 'HEAD': only main (what this check guards) is checked",
                "  clusters/secondary/apps/escape.yaml:12: an Argo CD Application source path 'clusters/primary/../../docs' outside the manifests paths (clusters/primary, clusters/secondary): not checked",
                `  clusters/secondary/apps/helm.yaml:15: ${override("helm")}`,
                "  clusters/secondary/apps/jsonnet.yaml:16: an Argo CD Application source with `directory.jsonnet`: jsonnet is not checked",
                `  clusters/secondary/apps/kustomize.yaml:15: ${override("kustomize")}`,
                "  clusters/secondary/apps/list.yaml:15: an Argo CD Application source path 'docs' outside the manifests paths (clusters/primary, clusters/secondary): not checked",
                "  clusters/secondary/apps/other-repo.yaml:12: an Argo CD Application source from 'https://github.com/evil/manifests': only the manifests repository https://github.com/example/shop-manifests.git is checked",
                "  clusters/secondary/apps/outside.yaml:12: an Argo CD Application source path 'docs' outside the manifests paths (clusters/primary, clusters/secondary): not checked",
                `  clusters/secondary/apps/plugin.yaml:15: ${override("plugin")}`,
                "  clusters/secondary/apps/revision.yaml:12: an Argo CD Application source at targetRevision 'unreviewed': only main (what this check guards) is checked",
            ]);
        });
    });

    // A second review's bypasses: each exited 0 before, while Argo CD v3.4.4 / kustomize 5.8.1 would
    // deploy a non-ACR or unpinned image.
    describe("image-references: read as Argo CD v3.4.4 and kustomize 5.8.1 read (second review)", () => {
        const BASE: Tree = {
            "clusters/primary/app.yaml": deployment("shop", `${ACR}/shop@${D1}`),
            "clusters/secondary/app.yaml": deployment("shop", `${ACR}/shop@${D1}`),
        };
        const MINER = "docker.io/evil/miner";
        const UNPINNED =
            "not pinned by digest (<repository>@sha256:<64 hex>): a tag can be moved after review, and signatures are bound to digests";
        const app = (spec: string) =>
            `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n  namespace: argocd\nspec:\n  project: apps\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: shop\n${spec}`;
        const source = (p: string, extra = "") =>
            `  source:\n    repoURL: ${REPO_URL}\n    path: ${p}\n    targetRevision: ${BRANCH}\n${extra}`;

        it("1: documents split as apimachinery's YAMLReader splits them (`---#`), `---x` rejected, non-object documents rejected", async () => {
            const json = JSON.stringify({
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "m" },
                spec: { template: { spec: { containers: [{ name: "m", image: MINER }] } } },
            });
            const { r } = await references(BASE, {
                // PyYAML reads one null document (`---#…` is a plain scalar continuation); Argo CD two, the second a Deployment.
                "clusters/primary/hash.yaml": `~\n---#\n${json}\n`,
                // Behind a byte-order mark (dropped by Argo CD's reader) the first line is a separator too.
                "clusters/primary/bom.yaml": `\ufeff---#\n${json}\n`,
                "clusters/primary/hash-comment.yaml": `${deployment("shop", `${ACR}/shop@${D1}`)}--- # next\n${deployment("m", MINER)}`,
                // kustomize (kyaml) splits at `---x`, Argo CD fails: the two disagree.
                "clusters/secondary/dash.yaml": `${deployment("shop", `${ACR}/shop@${D1}`)}---x\n${deployment("m", `${ACR}/shop@${D2}`)}`,
                "clusters/secondary/scalar.yaml": "just a string\n",
            });
            assert.deepEqual(problems(r), [
                `  clusters/primary/bom.yaml:2: ${MINER}: not in the stack's registry ${ACR}; ${UNPINNED}`,
                `  clusters/primary/hash-comment.yaml:21: ${MINER}: not in the stack's registry ${ACR}; ${UNPINNED}`,
                `  clusters/primary/hash.yaml:3: ${MINER}: not in the stack's registry ${ACR}; ${UNPINNED}`,
                "  clusters/secondary/dash.yaml:11: a line starting with `---` followed by 'x': a document separator to kustomize, an error to Argo CD (only `---` and a comment may share the line)",
                "  clusters/secondary/scalar.yaml:1: a document that is not a mapping (an object) nor empty",
            ]);
        });

        it("2: an Application's spec and sources are allowlisted: sourceHydrator, ref and unknown keys are rejected", async () => {
            const { r } = await references(BASE, {
                // GetSource() prefers sourceHydrator's syncSource: Argo CD deploys docs/, not clusters/secondary.
                "clusters/secondary/apps/hydrator.yaml": app(
                    `${source("clusters/secondary")}  sourceHydrator:\n    drySource:\n      repoURL: ${REPO_URL}\n      path: docs\n      targetRevision: ${BRANCH}\n    syncTarget:\n      targetBranch: hydrated\n      path: docs\n`,
                ),
                "clusters/secondary/apps/ref.yaml": app(source("clusters/secondary", "    ref: values\n")),
                "clusters/secondary/apps/directory.yaml": app(
                    source("clusters/secondary", "    directory:\n      recurse: true\n      exotic: x\n"),
                ),
                // Allowed: the ApplicationSpec fields the check reads or that deploy nothing.
                "clusters/secondary/apps/ok.yaml": app(
                    `${source("clusters/primary", "    name: primary\n    directory:\n      include: '*.yaml'\n")}  syncPolicy:\n    automated: {}\n  revisionHistoryLimit: 3\n  info:\n    - name: a\n      value: b\n  ignoreDifferences: []\n`,
                ),
            });
            assert.deepEqual(problems(r), [
                "  clusters/secondary/apps/directory.yaml:17: an Argo CD Application source with `directory.exotic`: not checked",
                "  clusters/secondary/apps/hydrator.yaml:15: an Argo CD Application with `spec.sourceHydrator`: only project, destination, source, sources, syncPolicy, ignoreDifferences, info, revisionHistoryLimit are checked (sourceHydrator deploys another path)",
                "  clusters/secondary/apps/ref.yaml:15: an Argo CD Application source with `ref`: only repoURL, path, targetRevision, directory, name are checked",
            ]);
        });

        it("3: a symbolic link to a directory under the paths, and an Application path through one, are rejected", async () => {
            const { r } = await references(BASE, {
                "clusters/outside/sub/app.yaml": deployment("m", MINER),
                "clusters/primary/link": { symlink: "../outside" },
                "clusters/secondary/apps/linked.yaml": app(source("clusters/primary/link/sub")),
            });
            assert.deepEqual(problems(r), [
                "  clusters/primary/link: a symbolic link to a directory under the manifests paths (the check does not follow it)",
                "  clusters/secondary/apps/linked.yaml:12: an Argo CD Application source path 'clusters/primary/link/sub' leads through a symbolic link out of the manifests paths (clusters/primary, clusters/secondary): not checked",
            ]);
        });

        it("4: kustomize `images:` entries chain (each a transformer, in order): an entry matching an earlier entry's output is computed", async () => {
            const { r } = await references(BASE, {
                "clusters/secondary/kustomization.yaml": `resources:\n  - app.yaml\nimages:\n  - name: ${ACR}/shop\n    newTag: v2\n    digest: ${D2}\n  - name: ${ACR}/shop:v2\n    newName: ${MINER}\n    newTag: latest\n`,
            });
            assert.deepEqual(problems(r), [
                `  clusters/secondary/kustomization.yaml:7: ${MINER}:latest: not in the stack's registry ${ACR}; ${UNPINNED}`,
            ]);
            // Every intermediate result is listed too (the first entry's output is pinned and in ACR).
            const ok = await references(BASE, {
                "clusters/secondary/kustomization.yaml": `resources:\n  - app.yaml\nimages:\n  - name: ${ACR}/shop\n    newName: ${ACR}/mid\n  - name: ${ACR}/mid\n    newName: ${ACR}/final\n`,
            });
            assert.equal(ok.r.code, 0, ok.r.stderr);
            assert.deepEqual(
                listed(ok.work).filter(row => row[0] === "clusters/secondary/kustomization.yaml"),
                [
                    ["clusters/secondary/kustomization.yaml", "4", `${ACR}/mid@${D1}`, `${ACR}/mid@${D1}`],
                    ["clusters/secondary/kustomization.yaml", "6", `${ACR}/final@${D1}`, `${ACR}/final@${D1}`],
                ],
            );
        });

        it("5: an `images:` entry field other than name/newName/newTag/digest (tagSuffix) is rejected", async () => {
            const { r } = await references(BASE, {
                "clusters/secondary/kustomization.yaml": `resources:\n  - app.yaml\nimages:\n  - name: ${ACR}/shop\n    tagSuffix: -evil\n`,
            });
            assert.deepEqual(problems(r), [
                "  clusters/secondary/kustomization.yaml:5: kustomize `images` entry key `tagSuffix` is not read by the signature check",
            ]);
        });

        it("6: kustomization keys match case-insensitively (Go encoding/json, Unicode folds too); collisions and unknown keys are rejected", async () => {
            const k = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
            const { r } = await references(BASE, {
                "clusters/primary/upper/kustomization.yaml": k(`Images:\n  - name: ${ACR}/shop\n    newName: ${MINER}\n`),
                "clusters/primary/entry/kustomization.yaml": k(`images:\n  - name: ${ACR}/shop\n    NewName: ${MINER}-2\n`),
                // U+017F LATIN SMALL LETTER LONG S folds to `s`.
                "clusters/primary/long-s/kustomization.yaml": k(`image\u017f:\n  - name: ${ACR}/shop\n    newName: ${MINER}-3\n`),
                "clusters/primary/patches/kustomization.yaml": k(`Patches:\n  - path: p.yaml\n`),
                "clusters/primary/twice/kustomization.yaml": k(`images: []\nIMAGES: []\n`),
                "clusters/primary/image-tags/kustomization.yaml": k(`imageTags:\n  - name: ${ACR}/shop\n    newName: ${MINER}\n`),
                "clusters/primary/unknown/kustomization.yaml": k(`surprise: {}\n`),
                "clusters/primary/remote/kustomization.yaml": k(`Resources:\n  - https://github.com/evil/manifests\n`),
                // A label transformer with its own field paths can write a pair `image: …` into each container
                // (the pair is an `image:` scalar, listed anyway; `fields` is rejected as well).
                "clusters/primary/label-fields/kustomization.yaml": k(
                    `labels:\n  - pairs:\n      image: ${MINER}\n    Fields:\n      - path: spec/template/spec/containers\n        kind: Deployment\n`,
                ),
            });
            assert.deepEqual(problems(r), [
                `  clusters/primary/entry/kustomization.yaml:4: ${MINER}-2@${D1}: not in the stack's registry ${ACR}`,
                "  clusters/primary/image-tags/kustomization.yaml:3: kustomize `imageTags` is not supported by the signature check (it can rewrite or add image references the check does not render)",
                `  clusters/primary/label-fields/kustomization.yaml:5: ${MINER}: not in the stack's registry ${ACR}; ${UNPINNED}`,
                "  clusters/primary/label-fields/kustomization.yaml:6: kustomize `labels` entry key `Fields` is not read by the signature check",
                `  clusters/primary/long-s/kustomization.yaml:4: ${MINER}-3@${D1}: not in the stack's registry ${ACR}`,
                "  clusters/primary/patches/kustomization.yaml:3: kustomize `Patches` is not supported by the signature check (it can rewrite or add image references the check does not render)",
                "  clusters/primary/remote/kustomization.yaml:4: kustomize `Resources` entry 'https://github.com/evil/manifests' is not a file or directory inside clusters/primary (remote and out-of-path resources are not checked)",
                "  clusters/primary/twice/kustomization.yaml:4: kustomization keys `images` and `IMAGES` are the same field to kustomize (Go encoding/json matches names case-insensitively; the last one wins)",
                "  clusters/primary/unknown/kustomization.yaml:3: kustomization key `surprise` is not read by the signature check",
                `  clusters/primary/upper/kustomization.yaml:4: ${MINER}@${D1}: not in the stack's registry ${ACR}`,
            ]);
        });

        it("7: an image volume's reference (volumes[].image.reference) is listed and held to the same rule", async () => {
            const pod = (ref: string) =>
                `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: ${ACR}/shop@${D1}\n  volumes:\n    - name: tools\n      image:\n        reference: ${ref}\n        pullPolicy: IfNotPresent\n`;
            const { r } = await references(BASE, { "clusters/primary/pod.yaml": pod(`${MINER}:latest`) });
            assert.deepEqual(problems(r), [
                `  clusters/primary/pod.yaml:12: ${MINER}:latest: not in the stack's registry ${ACR}; ${UNPINNED}`,
            ]);
            const ok = await references(BASE, { "clusters/primary/pod.yaml": pod(`${ACR}/tools@${D3}`) });
            assert.equal(ok.r.code, 0, ok.r.stderr);
            assert.deepEqual(
                listed(ok.work).filter(row => row[0] === "clusters/primary/pod.yaml"),
                [
                    ["clusters/primary/pod.yaml", "8", `${ACR}/shop@${D1}`, `${ACR}/shop@${D1}`],
                    ["clusters/primary/pod.yaml", "12", `${ACR}/tools@${D3}`, `${ACR}/tools@${D3}`],
                ],
            );
        });
    });

    describe("verify: cosign with every key generation, fail closed", () => {
        const SHOP = `${ACR}/shop@${D4}`;
        const MIGRATE = `${ACR}/migrate@${D5}`;

        /** Base and head as in a digest bump plus a new migration Job, and the list image-references made. */
        async function bumpList(): Promise<string> {
            const { r, work } = await references(
                {
                    "clusters/primary/app.yaml": deployment("shop", `${ACR}/shop@${D1}`),
                    "clusters/secondary/app.yaml": deployment("shop", `${ACR}/shop@${D1}`),
                },
                {
                    "clusters/primary/app.yaml": `${deployment("shop", `${ACR}/shop:v2@${D4}`)}---\n${deployment("migrate", `${ACR}/migrate:v1@${D5}`)}`,
                    "clusters/secondary/app.yaml": deployment("shop", `${ACR}/shop@${D4}`),
                },
            );
            assert.equal(r.code, 0, r.stderr);
            return work;
        }

        const verifyArgs = (keys: string, key: string, ref: string) =>
            `verify --k8s-keychain --key ${keys}/${key} --insecure-ignore-tlog=true --new-bundle-format=false ${ref}`;

        it("passes when each digest verifies with some key generation: one cosign call per digest and key until one verifies", async () => {
            const work = await bumpList();
            const log = stubCosign([
                [SHOP, "generation-2.pub"],
                [MIGRATE, "generation-1.pub"],
            ]);
            const keys = signingKeys([1, 2]);
            const r = await step("verify", "", work, keys);
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
            const work = await bumpList();
            const log = stubCosign([[MIGRATE, "generation-2.pub"]]);
            const keys = signingKeys([1, 2]);
            const r = await step("verify", "", work, keys);
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
            const work = await bumpList();
            stubCosign([], 2);
            const r = await step("verify", "", work);
            assert.equal(r.code, 1);
            assert.match(r.stderr, /without a valid signature/);
        });

        it("fails closed when cosign is missing", async () => {
            const work = await bumpList();
            const r = await step("verify", "", work);
            assert.equal(r.code, 1);
            assert.match(r.stderr, /cosign is not on PATH: signatures cannot be verified \(failing closed\)/);
        });

        it("fails closed without keys or without the list; passes without calling cosign when there is no image reference", async () => {
            const work = await bumpList();
            const log = stubCosign([[SHOP, "generation-1.pub"]]);
            const noKeys = await step("verify", "", work, signingKeys([]));
            assert.equal(noKeys.code, 1);
            assert.match(noKeys.stderr, /no public key \(\*\.pub\)/);

            const empty = workDir();
            fs.rmSync(path.join(empty, IMAGE_LIST_FILE), { force: true });
            const noList = await step("verify", "", empty);
            assert.equal(noList.code, 1);
            assert.match(noList.stderr, /no list of image references/);

            fs.writeFileSync(path.join(empty, IMAGE_LIST_FILE), "");
            const nothing = await step("verify", "", empty);
            assert.equal(nothing.code, 0, nothing.stderr);
            assert.match(nothing.stdout, /nothing to verify/);
            assert.deepEqual(calls(log), []);
        });
    });
});
