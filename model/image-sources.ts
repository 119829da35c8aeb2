// Where platform images come from: every upstream registry a platform chart pulls from is reached
// only through the stack's ACR, by an ACR artifact-cache rule per upstream registry. An image
// `quay.io/argoproj/argocd:v3.4.4` is pulled as `<acr>/quay.io/argoproj/argocd:v3.4.4`: the ACR
// repository keeps the upstream host as its first path segment, so a reference says where the
// bits originally came from and no two upstreams can collide.
//
// Dependency-free (the policy pack and the tests import it).
//
// ACR artifact cache (Microsoft Learn, "Optimize image pulls with artifact cache in Azure Container
// Registry" and "Wildcard support for artifact cache"; MicrosoftDocs/azure-management-docs
// articles/container-registry/artifact-cache-overview.md "Upstream support" @ f8f95bf8726b,
// ms.date 05/12/2025): upstreams are Docker Hub (authenticated pulls only; "To source content from
// Docker Hub, you must generate a credential set"), Microsoft Artifact Registry (mcr.microsoft.com,
// unauthenticated pulls only), AWS ECR Public (unauthenticated only), GitHub Container Registry,
// Quay, registry.k8s.io and legacy Google Container Registry (gcr.io) (both), and Google Artifact
// Registry (`*.pkg.dev`, authenticated pulls only: a Google service-account key as the credential
// set's password, username `_json_key`/`_json_key_base64`). The support is the service's: the
// CacheRule API (2024-11-01-preview in azure-native 3.28) takes any `sourceRepository` string.
// Available on Basic, Standard and Premium; a cache rule maps a target repository in the registry
// to a source repository upstream; a repository-level wildcard (`<prefix>/*` => `<upstream>/*`)
// caches every repository below the prefix; wildcard rules must not overlap each other. Which
// upstream needs a credential set is `credentials` below; config requires those
// (`platform:registry.cacheCredentials`). The pipeline's step images take the same
// `<acr>/<host>/…` form.

/** An upstream registry reached through an ACR cache rule. */
export interface UpstreamRegistry {
    /** Upstream login server, as it appears at the start of an image reference. */
    readonly host: string;
    /** Cache rule name (ACR: 5-50 characters, alphanumerics and '-'). */
    readonly ruleName: string;
    /** Which platform images come from it (why the rule exists). */
    readonly usedBy: string;
    /**
     * Pulls the cache supports from it (artifact-cache-overview.md "Upstream support"): `required`
     * (authenticated only: the rule needs a credential set), `forbidden` (unauthenticated only) or
     * `optional` (both: public images need none).
     */
    readonly credentials: "required" | "optional" | "forbidden";
}

export const UPSTREAM_REGISTRIES = [
    {
        host: "docker.io",
        ruleName: "docker-io",
        usedBy: "Envoy Gateway (controller, proxy, rate limit), Gatekeeper, Sealed Secrets, Harbor, Argo CD's Redis and HAProxy",
        credentials: "required",
    },
    { host: "quay.io", ruleName: "quay-io", usedBy: "Argo CD, cert-manager, oauth2-proxy", credentials: "optional" },
    {
        host: "ghcr.io",
        ruleName: "ghcr-io",
        usedBy: "Tekton Operator and the components it installs, Ratify, Argo CD's Redis exporter",
        credentials: "optional",
    },
    { host: "registry.k8s.io", ruleName: "registry-k8s-io", usedBy: "ExternalDNS", credentials: "optional" },
    // The pipeline's Task steps (components/cluster/pipeline/images.ts STEP_IMAGES).
    {
        host: "mcr.microsoft.com",
        ruleName: "mcr-microsoft-com",
        usedBy: "pipeline steps: Azure CLI (ACR token, Harbor/GitHub API calls); Tekton's Windows script image",
        credentials: "forbidden",
    },
    {
        host: "gcr.io",
        ruleName: "gcr-io",
        usedBy: "pipeline steps: crane (push to Harbor, promote to ACR); Tekton's script init container (distroless busybox)",
        credentials: "optional",
    },
    // Google Artifact Registry's US multi-region host: pluto has been published only there since
    // v5.3 (FairwindsOps/pluto .goreleaser.yml: quay.io/fairwinds/pluto until v5.2.x, commit
    // 0350b68f "push to GCP artifact registry"; us-docker.pkg.dev/fairwinds-ops/oss/pluto at
    // v5.24.0). The cache pulls from it only authenticated, even for public images: any Google
    // service-account key will do (README "Upstream registry credentials").
    { host: "us-docker.pkg.dev", ruleName: "us-docker-pkg-dev", usedBy: "pipeline steps: pluto", credentials: "required" },
] as const satisfies readonly UpstreamRegistry[];

export type UpstreamHost = (typeof UPSTREAM_REGISTRIES)[number]["host"];

/** ACR repository (target) and upstream repository (source) of a cache rule: `<host>/*` => `<host>/*`. */
export function cacheRuleRepositories(host: string): { targetRepository: string; sourceRepository: string } {
    return { targetRepository: `${host}/*`, sourceRepository: `${host}/*` };
}

/** Docker Hub's implicit `library/` namespace for single-segment official images (`redis` → `library/redis`). */
function dockerHubPath(path: string): string {
    return path.includes("/") ? path : `library/${path}`;
}

/**
 * The ACR reference of an upstream image: `<acr>/<host>/<path>`. `upstream` is a full reference
 * with its registry host (`docker.io/envoyproxy/envoy:distroless-v1.39.0`); a reference without a
 * host, or from a registry without a cache rule, is a programming error.
 */
export function throughAcr(acrLoginServer: string, upstream: string): string {
    const slash = upstream.indexOf("/");
    const host = slash > 0 ? upstream.slice(0, slash) : "";
    if (!UPSTREAM_REGISTRIES.some(r => r.host === host)) {
        throw new Error(`image ${upstream}: its registry '${host}' has no ACR cache rule (UPSTREAM_REGISTRIES)`);
    }
    const path = upstream.slice(slash + 1);
    return `${acrLoginServer.replace(/\/+$/, "")}/${host}/${host === "docker.io" ? dockerHubPath(path) : path}`;
}

/** The ACR repository prefix (no tag) for an upstream host: `<acr>/<host>`. */
export function acrMirrorOf(acrLoginServer: string, host: UpstreamHost): string {
    return `${acrLoginServer.replace(/\/+$/, "")}/${host}`;
}

/**
 * The values keys through which each platform chart (by chart name, model/versions.ts) takes
 * its images, at the pinned versions: all must name the stack's ACR, or the chart falls back to
 * its upstream default. The policy pack checks releases against this table at preview; the
 * whole-plan test (test/cluster/platform-images.test.ts) proves from each chart's own values.yaml
 * and templates that setting these moves every image the chart runs.
 */
export const CHART_IMAGE_VALUES: Readonly<Record<string, readonly string[]>> = {
    "oci://docker.io/envoyproxy/gateway-helm": [
        "global.images.envoyGateway.image",
        "global.images.ratelimit.image",
        "global.images.envoyProxy.image",
    ],
    "cert-manager": ["imageRegistry"],
    "external-dns": ["image.repository"],
    "sealed-secrets": ["image.registry"],
    gatekeeper: [
        "image.repository",
        "image.crdRepository",
        "postInstall.labelNamespace.image.repository",
        "postInstall.probeWebhook.image.repository",
        "postUpgrade.labelNamespace.image.repository",
        "preUninstall.deleteWebhookConfigurations.image.repository",
    ],
    "argo-cd": [
        "global.image.repository",
        "dex.image.repository",
        "redis.image.repository",
        "redis.exporter.image.repository",
        "redis-ha.image.repository",
        "redis-ha.exporter.image",
        "redis-ha.haproxy.image.repository",
        "redis-ha.configmapTest.image.repository",
        "server.extensions.image.repository",
    ],
    harbor: [
        "nginx.image.repository",
        "portal.image.repository",
        "core.image.repository",
        "jobservice.image.repository",
        "registry.registry.image.repository",
        "registry.controller.image.repository",
        "trivy.image.repository",
        "database.internal.image.repository",
        "redis.internal.image.repository",
        "exporter.image.repository",
    ],
    "tekton-operator": [
        "operator.image.repository",
        "webhook.image.repository",
        "webhookProxy.image.repository",
        "pruner.image.repository",
    ],
    ratify: ["image.repository", "image.crdRepository"],
    "oauth2-proxy": ["image.registry"],
    // CRDs only (rendered by Pulumi, helm.v4.Chart): no image.
    "oci://docker.io/envoyproxy/gateway-crds-helm": [],
};
