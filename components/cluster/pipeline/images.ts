// Every container image a pipeline step runs, pinned by digest, in one table.
//
// A tag can be re-pointed by whoever controls the upstream repository; a digest cannot, so a
// step runs `<repo>:<tag>@sha256:<digest>` (the tag is for humans, the runtime pulls by digest).
// Each image's digest comes from one of two places, never from a placeholder:
// - `digest` (source "public-pin"): a digest corroborated for exactly that tag by several
//   independent public pins (each entry says where). Bumping it is a reviewed one-line change.
// - source "registry-lookup": no digest could be verified offline, so `pulumi preview`/`up` asks
//   the registry for the tag's digest (@pulumi/docker getRegistryImage, see resolveDigest) and the
//   Task is created with that digest: `up` pins what it deploys. If the tag is re-pointed
//   upstream, the next preview shows the Task's image changing; review it like a version bump.
//   Once a digest is verified, move it into `digest` and the lookup goes away.
// Tests (test/cluster/pipeline-images.test.ts) and the mandatory policy `image-digests-resolved`
// fail on an all-zero (or other placeholder) digest anywhere in the plans or the repository.
//
// Refreshing a pin (needs registry access):
//   crane digest <repo>:<tag>            # or: regctl image digest / docker buildx imagetools inspect
// then replace `digest`, keep `tag` in step and record the corroboration in the entry's comment.
// Bump one image per commit so a broken pull is easy to bisect. "index" below means the sources
// indicate the multi-arch index digest (what `crane digest <repo>:<tag>` returns).

import * as pulumi from "@pulumi/pulumi";
import { registryDigest, registryLookupName as lookupName } from "../registry-digest";
import { CHARTS } from "../../../model/versions";
import { throughAcr } from "../../../model/image-sources";

interface ImageBase {
    /** Registry and repository, no tag. */
    readonly repo: string;
    /** Human-readable tag; the digest is the one this tag points to. */
    readonly tag: string;
    /** What the pipeline uses the image for. */
    readonly purpose: string;
}

/** A digest verified for the tag (several independent public pins agree). */
export interface PinnedImage extends ImageBase {
    readonly source: "public-pin";
    /** `sha256:<64 hex>`. */
    readonly digest: string;
}

/** No verifiable digest: the registry is asked for the tag's digest at preview/update. */
export interface LookedUpImage extends ImageBase {
    readonly source: "registry-lookup";
}

export type StepImageSpec = PinnedImage | LookedUpImage;

export const STEP_IMAGES = {
    git: {
        // Corroborated: >= 8 distinct public pins (build-worker Go consts, compose/README image
        // tables, vLLM build notes, an Earthfile) give this digest for alpine/git:v2.49.1 and for its
        // twin tag :2.49.1; no other digest found for the tag. Index vs platform not stated by sources.
        repo: "docker.io/alpine/git",
        tag: "v2.49.1",
        digest: "sha256:c0280cf9572316299b08544065d3bf35db65043d5e3963982ec50647d2746e26",
        source: "public-pin",
        purpose: "clone the source, push the manifest bump branch",
    },
    gitleaks: {
        // Corroborated: >= 10 distinct public pins (Makefiles, CI scripts, TS/Python consts) give this
        // digest for v8.30.1, on both ghcr.io/gitleaks/gitleaks and docker.io/zricethezav/gitleaks; the
        // same digest in two registries points to the index. No conflicting digest found.
        repo: "ghcr.io/gitleaks/gitleaks",
        tag: "v8.30.1",
        digest: "sha256:c00b6bd0aeb3071cbcb79009cb16a60dd9e0a7c60e2be9ab65d25e6bc8abbb7f",
        source: "public-pin",
        purpose: "scan the checked-out source for committed credentials",
    },
    trivy: {
        // A scanner runs with the source mounted: verify the release's signature
        // (cosign verify) before bumping, not just its digest.
        // Corroborated: >= 10 distinct public pins (incl. a Renovate-managed `depName=aquasec/trivy`
        // script) give this digest for 0.69.3 on docker.io, ghcr.io/aquasecurity and public.ecr.aws:
        // the index. Some repos pin sha256:7228e304… for 0.69.3 together with `--platform linux/amd64`:
        // that is the per-platform manifest, not the index; do not use it here.
        repo: "docker.io/aquasec/trivy",
        tag: "0.69.3",
        digest: "sha256:bcc376de8d77cfe086a917230e818dc9f8528e3c852f7b1aff648949b6258d1c",
        source: "public-pin",
        purpose: "filesystem scan of dependencies (lock files) in the source",
    },
    buildkitRootless: {
        // Corroborated: >= 9 distinct public pins (kuberpack's Go default, compose files, a TS builder
        // const, a VPS quick-start script) give this digest for v0.33.0-rootless; one notes the
        // multi-architecture image was pulled at it (the index). No conflicting digest found.
        repo: "docker.io/moby/buildkit",
        tag: "v0.33.0-rootless",
        digest: "sha256:80b15f0735e87bab7bf59ec4d695dfb4a7cfb25521cf56dc75d6f256285b63ef",
        source: "public-pin",
        purpose: "daemonless rootless builds (test stage and image)",
    },
    azureCli: {
        // Looked up: only ONE public pin of azure-cli:2.80.0 with a digest exists in the public code
        // index (a shell script's AZURE_CLI_IMAGE, sha256:b138e112…; re-checked 2026-12-03), no
        // second source, so it is not taken as verified.
        repo: "mcr.microsoft.com/azure-cli",
        tag: "2.80.0",
        source: "registry-lookup",
        purpose: "workload-identity login + ACR token; python3 for the Harbor and GitHub APIs",
    },
    crane: {
        // Corroborated: >= 6 distinct public pins give this digest for crane:debug, and >= 2 others pin
        // the same digest as gcr.io/go-containerregistry/crane/debug:v0.22.1 (upstream's
        // release-container.yml builds `-t debug` and `crane/debug:<tag>` from one ko build, all
        // platforms: an index). `debug` is a floating tag; this digest is the v0.22.1 debug build.
        repo: "gcr.io/go-containerregistry/crane",
        tag: "debug",
        digest: "sha256:e78770b31258a3846f878036d9c1f63fbe4c871f9f56990bf77fd95c013e3c1b",
        source: "public-pin",
        purpose: "copy the scanned image by digest from Harbor to ACR",
    },
    kubeconform: {
        // Corroborated: >= 10 distinct public pins (Go consts, justfile vars, shell scripts, a test that
        // asserts the digest) give this digest for v0.7.0-alpine; no conflicting digest found
        // (the non-alpine v0.7.0 tag has its own digest). Index vs platform not stated by sources.
        repo: "ghcr.io/yannh/kubeconform",
        tag: "v0.7.0-alpine",
        digest: "sha256:8f0eeaaa96ba27ba1500b0e4b1c215acc358d159c62a7ecae58d7a03403287b0",
        source: "public-pin",
        purpose: "schema validation of the manifests in a pull request",
    },
    gator: {
        // Same version as the Gatekeeper chart the stack installs (model/versions.ts); Gatekeeper's
        // release workflow publishes it as openpolicyagent/gator:<tag> on Docker Hub
        // (open-policy-agent/gatekeeper v3.23.0 .github/workflows/release.yaml GATOR_IMAGE_REPO).
        // Looked up: no public pin of openpolicyagent/gator (or ghcr.io/open-policy-agent/gator) with
        // a digest exists for any v3.2x tag, and Gatekeeper's release notes publish none.
        repo: "docker.io/openpolicyagent/gator",
        tag: CHARTS.gatekeeper.appVersion,
        source: "registry-lookup",
        purpose: "evaluate the stack's Gatekeeper templates/constraints (CEL) on the manifests",
    },
    pluto: {
        // Fairwinds publishes a multi-arch manifest list us-docker.pkg.dev/fairwinds-ops/oss/pluto:<tag>
        // since v5.24.0 (FairwindsOps/pluto .goreleaser.yml docker_manifests @ v5.24.0), pulled
        // through the ACR's Google Artifact Registry cache rule (model/image-sources.ts). Looked up:
        // public uses are tag-only and the releases publish cosign signatures, not digests.
        repo: "us-docker.pkg.dev/fairwinds-ops/oss/pluto",
        tag: "v5.24.4",
        source: "registry-lookup",
        purpose: "deprecated/removed Kubernetes API check",
    },
    cosign: {
        // The `-dev` variant: the same cosign binary on gcr.io/distroless/static-debian12:debug-nonroot
        // (busybox at /busybox/sh, uid 65532), where the plain tag has no shell (sigstore/cosign v3.1.2
        // Makefile ko-cosign-dev, .ko.yaml). Pin from the publisher itself: cosign's own release build
        // runs exactly this reference (sigstore/cosign v3.1.2, 193d2153, release/cloudbuild.yaml:35),
        // the newest -dev digest upstream vouches for; no other public pin of a v3.1.x-dev digest was
        // found in the public code index (2026-12-03). Flags and keychain verified at v3.1.1
        // (steps/verify-signatures.sh).
        repo: "ghcr.io/sigstore/cosign/cosign",
        tag: "v3.1.1-dev",
        digest: "sha256:0dcd21d8b6464a526e3225f44c50f34687e861dcf010f566b3caa4f0e5cd898a",
        source: "public-pin",
        purpose: "verify the signatures of every image digest under the manifests paths of a pull request's head",
    },
} as const satisfies Record<string, StepImageSpec>;

export type StepImageName = keyof typeof STEP_IMAGES;

/** `<repo>:<tag>@<digest>`, the form every step uses. */
export function imageReference(image: StepImageSpec, digest: string): string {
    return `${image.repo}:${image.tag}@${digest}`;
}

/** The name the registry lookup is made with (../registry-digest.ts). */
export function registryLookupName(image: StepImageSpec): string {
    return lookupName(`${image.repo}:${image.tag}`);
}

// One lookup per image and program run (several Tasks share an image; one digest for all).
const lookups = new WeakMap<object, Map<StepImageName, pulumi.Output<string>>>();

/** The tag's digest as the registry reports it at preview/update (../registry-digest.ts). */
function resolveDigest(name: StepImageName, image: LookedUpImage): pulumi.Output<string> {
    const stack = pulumi.runtime.getStackResource();
    const cache = stack
        ? (lookups.get(stack) ?? lookups.set(stack, new Map()).get(stack)!)
        : new Map<StepImageName, pulumi.Output<string>>();
    let ref = cache.get(name);
    if (!ref) {
        ref = registryDigest(`${image.repo}:${image.tag}`).apply(digest => imageReference(image, digest));
        cache.set(name, ref);
    }
    return ref;
}

/** Images with a verified pin: their reference is a plain string. */
export type PinnedStepImageName = {
    [K in StepImageName]: (typeof STEP_IMAGES)[K]["source"] extends "public-pin" ? K : never;
}[StepImageName];

/**
 * The reference a step uses, `<repo>:<tag>@<digest>`: a plain string for a pinned image (typed
 * so), an Output for an image whose digest is looked up at preview/update. Task specs take either.
 */
export function stepImage<N extends StepImageName>(name: N): N extends PinnedStepImageName ? string : pulumi.Output<string>;
export function stepImage(name: StepImageName): pulumi.Input<string> {
    const image: StepImageSpec = STEP_IMAGES[name];
    return image.source === "public-pin" ? imageReference(image, image.digest) : resolveDigest(name, image);
}

/** A digest-pinned image reference (tag optional, digest mandatory). */
export const DIGEST_PINNED = /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$/;

/**
 * What a step runs: `<acr>/<upstream host>/<path>:<tag>@<digest>`, pulled through the ACR's
 * artifact-cache rule for that host (model/image-sources.ts), by the same digest as upstream — the
 * cache stores the upstream manifest unchanged, so the digest pinned or looked up upstream is the
 * one ACR serves. `reference` is the upstream `<repo>:<tag>@<digest>` (stepImage). The tag stays
 * for reviewers (which variant: -rootless, debug, -alpine); with a digest the runtime pulls by
 * digest only.
 * A host without a cache rule is an error (throughAcr).
 */
export function stepImageThroughAcr(acrLoginServer: string, reference: string): string {
    if (!DIGEST_PINNED.test(reference)) throw new Error(`step image ${reference} is not digest-pinned`);
    const at = reference.lastIndexOf("@");
    return `${throughAcr(acrLoginServer, reference.slice(0, at))}${reference.slice(at)}`;
}

/** A Task with every step's (and sidecar's) image moved through the ACR (stepImageThroughAcr). */
export function withStepImagesThroughAcr<T extends Record<string, unknown>>(task: T, acrLoginServer: pulumi.Input<string>): T {
    const spec = task.spec as { steps?: { image?: pulumi.Input<string> }[]; sidecars?: { image?: pulumi.Input<string> }[] };
    const move = (containers?: { image?: pulumi.Input<string> }[]) =>
        containers?.map(c =>
            c.image === undefined
                ? c
                : {
                      ...c,
                      image: pulumi.all([acrLoginServer, c.image]).apply(([acr, ref]) => stepImageThroughAcr(acr, ref)),
                  },
        );
    return {
        ...task,
        spec: { ...spec, ...(spec.steps ? { steps: move(spec.steps) } : {}), ...(spec.sidecars ? { sidecars: move(spec.sidecars) } : {}) },
    };
}

/** Images whose digest the registry is asked for at preview/update (no verified pin). */
export function imagesLookedUp(): StepImageName[] {
    return (Object.keys(STEP_IMAGES) as StepImageName[]).filter(k => (STEP_IMAGES[k] as StepImageSpec).source === "registry-lookup").sort();
}
