// Every container image a pipeline step runs, pinned by digest, in one table.
//
// A tag can be re-pointed by whoever controls the upstream repository; a digest cannot, so a
// step image is only ever referenced as `<repo>:<tag>@sha256:<digest>` (the tag is for humans,
// the runtime pulls by digest). Tests enforce that every step of every Task uses one of these
// references and that each has the digest form.
//
// Refreshing (needs registry access, which the offline build does not have):
//   crane digest <repo>:<tag>            # or: regctl image digest / docker buildx imagetools inspect
// then replace `digest` below, keep `tag` in step, and record where it came from in `source`.
// Bump one image per commit so a broken pull is easy to bisect.
//
// Provenance of the digests below: they could not be resolved against the registries from the
// build environment. Where a digest is given with `source: "public-pin"`, it is the digest that
// several independent public repositories pin for exactly that tag (found by code search); it
// must still be confirmed with `crane digest` before the first production run. Where no public
// pin could be found, the digest is the all-zero PLACEHOLDER: the pull fails (fails closed)
// until someone refreshes it, which is the intended behaviour for an unverified image.
//
// Each entry's comment records where its digest was corroborated (re-checked by exact-string search
// of a public code index; the index gives file contents, often without the repository name, so a
// source is named by its repository/path where known, otherwise by what it is). "index" means the
// sources indicate the multi-arch index digest (what `crane digest <repo>:<tag>` returns).

import { CHARTS } from "../../infra/versions";

export interface PinnedImage {
    /** Registry and repository, no tag. */
    readonly repo: string;
    /** Human-readable tag the digest was taken for. */
    readonly tag: string;
    /** `sha256:<64 hex>`; the all-zero value marks a digest that must be refreshed. */
    readonly digest: string;
    /** Where the digest comes from: a public pin for that tag, or a placeholder to refresh. */
    readonly source: "public-pin" | "placeholder-refresh-required";
    /** What the pipeline uses the image for. */
    readonly purpose: string;
}

export const PLACEHOLDER_DIGEST = `sha256:${"0".repeat(64)}`;

export const STEP_IMAGES = {
    git: {
        // Corroborated: >= 8 distinct public pins (build-worker Go consts, compose/README image
        // tables, vLLM build notes, an Earthfile) give this digest for alpine/git:v2.49.1 and for its
        // twin tag :2.49.1; no other digest found for the tag. Index vs platform not stated by sources.
        repo: "docker.io/alpine/git", tag: "v2.49.1",
        digest: "sha256:c0280cf9572316299b08544065d3bf35db65043d5e3963982ec50647d2746e26",
        source: "public-pin", purpose: "clone the source, push the manifest bump branch",
    },
    gitleaks: {
        // Corroborated: >= 10 distinct public pins (Makefiles, CI scripts, TS/Python consts) give this
        // digest for v8.30.1, on both ghcr.io/gitleaks/gitleaks and docker.io/zricethezav/gitleaks; the
        // same digest in two registries points to the index. No conflicting digest found.
        repo: "ghcr.io/gitleaks/gitleaks", tag: "v8.30.1",
        digest: "sha256:c00b6bd0aeb3071cbcb79009cb16a60dd9e0a7c60e2be9ab65d25e6bc8abbb7f",
        source: "public-pin", purpose: "scan the checked-out source for committed credentials",
    },
    trivy: {
        // A scanner runs with the source mounted: verify the release's signature
        // (cosign verify) before bumping, not just its digest.
        // Corroborated: >= 10 distinct public pins (incl. a Renovate-managed `depName=aquasec/trivy`
        // script) give this digest for 0.69.3 on docker.io, ghcr.io/aquasecurity and public.ecr.aws:
        // the index. Some repos pin sha256:7228e304… for 0.69.3 together with `--platform linux/amd64`:
        // that is the per-platform manifest, not the index; do not use it here.
        repo: "docker.io/aquasec/trivy", tag: "0.69.3",
        digest: "sha256:bcc376de8d77cfe086a917230e818dc9f8528e3c852f7b1aff648949b6258d1c",
        source: "public-pin", purpose: "filesystem scan of dependencies (lock files) in the source",
    },
    buildkitRootless: {
        // Corroborated: >= 9 distinct public pins (kuberpack's Go default, compose files, a TS builder
        // const, a VPS quick-start script) give this digest for v0.33.0-rootless; one notes the
        // multi-architecture image was pulled at it (the index). No conflicting digest found.
        repo: "docker.io/moby/buildkit", tag: "v0.33.0-rootless",
        digest: "sha256:80b15f0735e87bab7bf59ec4d695dfb4a7cfb25521cf56dc75d6f256285b63ef",
        source: "public-pin", purpose: "daemonless rootless builds (test stage and image)",
    },
    azureCli: {
        // NOT corroborated: only ONE public pin of azure-cli:2.80.0 with a digest was found (a shell
        // script's AZURE_CLI_IMAGE); no second source, no other digest. Confirm with `crane digest`
        // before the first production run.
        repo: "mcr.microsoft.com/azure-cli", tag: "2.80.0",
        digest: "sha256:b138e1125a95b7e7bc000f8458f1bb206b7836b11eca38a3633cf135619a99ca",
        source: "public-pin", purpose: "workload-identity login + ACR token; python3 for the Harbor and GitHub APIs",
    },
    crane: {
        // Corroborated: >= 6 distinct public pins give this digest for crane:debug, and >= 2 others pin
        // the same digest as gcr.io/go-containerregistry/crane/debug:v0.22.1 (upstream's
        // release-container.yml builds `-t debug` and `crane/debug:<tag>` from one ko build, all
        // platforms: an index). `debug` is a floating tag; this digest is the v0.22.1 debug build.
        repo: "gcr.io/go-containerregistry/crane", tag: "debug",
        digest: "sha256:e78770b31258a3846f878036d9c1f63fbe4c871f9f56990bf77fd95c013e3c1b",
        source: "public-pin", purpose: "copy the scanned image by digest from Harbor to ACR",
    },
    kubeconform: {
        // Corroborated: >= 10 distinct public pins (Go consts, justfile vars, shell scripts, a test that
        // asserts the digest) give this digest for v0.7.0-alpine; no conflicting digest found
        // (the non-alpine v0.7.0 tag has its own digest). Index vs platform not stated by sources.
        repo: "ghcr.io/yannh/kubeconform", tag: "v0.7.0-alpine",
        digest: "sha256:8f0eeaaa96ba27ba1500b0e4b1c215acc358d159c62a7ecae58d7a03403287b0",
        source: "public-pin", purpose: "schema validation of the manifests in a pull request",
    },
    gator: {
        // Same version as the Gatekeeper chart the stack installs (infra/versions.ts).
        // No published digest found: no public pin of openpolicyagent/gator (or
        // ghcr.io/open-policy-agent/gator) with a digest exists in the code/issue/doc indexes for any
        // v3.2x tag, and Gatekeeper's release notes/docs publish none. Stays a placeholder.
        repo: "docker.io/openpolicyagent/gator", tag: CHARTS.gatekeeper.appVersion,
        digest: PLACEHOLDER_DIGEST,
        source: "placeholder-refresh-required", purpose: "evaluate the stack's Gatekeeper templates/constraints (CEL) on the manifests",
    },
    pluto: {
        // No published digest found: public uses of us-docker.pkg.dev/fairwinds-ops/oss/pluto (v5.24.4,
        // v5.24.0, v5.20.4, v5) are all tag-only; Fairwinds' releases publish cosign signatures, not
        // digests. Stays a placeholder.
        repo: "us-docker.pkg.dev/fairwinds-ops/oss/pluto", tag: "v5.24.4",
        digest: PLACEHOLDER_DIGEST,
        source: "placeholder-refresh-required", purpose: "deprecated/removed Kubernetes API check",
    },
} as const satisfies Record<string, PinnedImage>;

export type StepImageName = keyof typeof STEP_IMAGES;

/** The reference a step uses: `<repo>:<tag>@<digest>`. */
export function stepImage(name: StepImageName): string {
    const i: PinnedImage = STEP_IMAGES[name];
    return `${i.repo}:${i.tag}@${i.digest}`;
}

/** A digest-pinned image reference (tag optional, digest mandatory). */
export const DIGEST_PINNED = /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$/;

/** Images whose digest still has to be refreshed before the first real run. */
export function imagesNeedingRefresh(): StepImageName[] {
    return (Object.keys(STEP_IMAGES) as StepImageName[])
        .filter(k => (STEP_IMAGES[k] as PinnedImage).source !== "public-pin")
        .sort();
}
