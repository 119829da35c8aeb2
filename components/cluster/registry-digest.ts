// An upstream image tag's digest, asked of its registry at preview/update: the one way the stack
// pins an image whose digest could not be verified offline (pipeline step images,
// ./pipeline/images.ts; the Tekton Operator's bundled images, ./tekton/operator-images.ts).
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";

/** A digest: `sha256:` and 64 hex digits. */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A digest that cannot be real: all one hex digit (the all-zero "fill me in" value, …). */
export function isPlaceholderDigest(digest: string): boolean {
    return /^sha256:([0-9a-f])\1{63}$/.test(digest);
}

/**
 * The name the registry lookup is made with, for an upstream `<repo>:<tag>`. Docker Hub images go
 * without `docker.io/`: the provider sends a name whose first component is a host to that host
 * (kreuzwerker/terraform-provider-docker v4.5.0, bridged by @pulumi/docker 5.x:
 * internal/provider/resource_docker_image_funcs.go parseImageOptions), and docker.io serves no
 * registry API; without a host it uses registry-1.docker.io.
 */
export function registryLookupName(reference: string): string {
    return reference.replace(/^docker\.io\//, "");
}

/**
 * The digest of upstream `<repo>:<tag>` as its registry reports it. getRegistryImage sends
 * HEAD /v2/<repo>/manifests/<tag> accepting the Docker and OCI manifest-list/index types and
 * returns Docker-Content-Digest (anonymous bearer token where the registry asks for one), so a
 * multi-arch image yields its index digest, as `crane digest` does
 * (terraform-provider-docker v4.5.0 internal/provider/data_source_docker_registry_image.go,
 * authentication_helpers.go setupHTTPHeadersForRegistryRequests). It needs no Docker daemon:
 * provider configuration only records the host (internal/provider/provider.go configure) and
 * the data source never creates a Docker client. A missing tag, or an answer that is not a real
 * digest, fails the preview.
 */
export function registryDigest(reference: string): pulumi.Output<string> {
    const name = registryLookupName(reference);
    return docker.getRegistryImageOutput({ name, insecureSkipVerify: false }).apply(r => {
        if (!SHA256_DIGEST.test(r.sha256Digest) || isPlaceholderDigest(r.sha256Digest))
            throw new Error(`registry lookup of ${name} returned ${JSON.stringify(r.sha256Digest)}, not an image digest`);
        return r.sha256Digest;
    });
}
