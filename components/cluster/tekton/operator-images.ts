// The Tekton Operator's image overrides: one env variable per image it would otherwise take from
// its bundled release manifests (model/tekton-operator-images.ts), each set to
// `<acr>/<upstream host>/<path>:<tag>@<digest>` so Pipelines, Triggers, Chains, Dashboard, every
// TaskRun's injected init containers and every EventListener's pod pull through the ACR's cache
// rules (model/image-sources.ts), by digest.
//
// Digests: the bundled release manifests pin `<repo>:<version>@sha256:…`, but those digests exist
// only in the release artifacts (not reachable here). The registry is asked for the digest of
// `<repo>:<version>` at preview/update (../registry-digest.ts), so `up` pins what it deploys; a
// re-pointed tag shows up as a changed env value in the next preview. A literal digest in the
// upstream config (the Windows shell image) is kept as is.
//
// The operator re-applies a component only when its spec hash changes, and that hash does not
// cover the IMAGE_* variables (tektoncd/operator v0.81.1
// pkg/reconciler/kubernetes/tektoninstallerset/client/check.go specHashInput L162-171): the
// TektonConfig carries a digest of them per component so that a changed value (a re-pointed tag,
// the floating shell image) changes that hash (./index.ts imageOverridesDigests,
// model/tekton-operator-images.ts).
import * as pulumi from "@pulumi/pulumi";
import { throughAcr } from "../../../model/image-sources";
import { registryDigest } from "../registry-digest";
import { BundledImageSlot, operatorEnvName, TEKTON_BUNDLED_IMAGES, upstreamImage } from "../../../model/tekton-operator-images";

/** One entry of the chart's `operator.additionalEnvs` (chart 0.81.1 templates/deployment.yaml). */
export interface OperatorEnv {
    name: string;
    value: pulumi.Output<string>;
}

/** `<upstream>@<digest>`: the upstream reference pinned by the digest the registry reports (or the bundled one). */
function pinned(slot: BundledImageSlot): pulumi.Output<string> {
    const upstream = upstreamImage(slot);
    if (upstream.includes("@")) return pulumi.output(upstream);
    return registryDigest(upstream).apply(digest => `${upstream}@${digest}`);
}

/** `<acr>/<host>/<path>[:<tag>]@<digest>` for an upstream `<host>/<path>[:<tag>]@<digest>`. */
export function pinnedThroughAcr(acrLoginServer: string, reference: string): string {
    const at = reference.indexOf("@");
    return `${throughAcr(acrLoginServer, reference.slice(0, at))}${reference.slice(at)}`;
}

/** The operator env that points every bundled image at the stack's ACR, in table order. */
export function operatorImageEnv(acrLoginServer: pulumi.Input<string>): OperatorEnv[] {
    return TEKTON_BUNDLED_IMAGES.map(slot => ({
        name: operatorEnvName(slot),
        value: pulumi.all([acrLoginServer, pinned(slot)]).apply(([acr, ref]) => pinnedThroughAcr(acr, ref)),
    }));
}
