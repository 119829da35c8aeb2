// The upstream images each pinned platform chart runs, and the helper that turns one into the
// stack's ACR reference (through the artifact-cache rules of components/azure/registry.ts).
//
// The references are the charts' own defaults at the versions in model/versions.ts (read from
// each chart's values.yaml / templates; test/cluster/platform-images.test.ts recomputes every
// chart's effective images from its vendored values.yaml the way its templates compose them). A
// chart upgrade that changes an image tag shows up there as a failing test.
import * as pulumi from "@pulumi/pulumi";
import { acrMirrorOf, throughAcr, UpstreamHost } from "../../model/image-sources";
import { CHARTS } from "../../model/versions";

export const PLATFORM_IMAGES = {
    envoyGateway: {
        // gateway-helm v1.9.0: values.tmpl.yaml `global.images.envoyGateway.image: ${GatewayImage}`
        // (the release sets docker.io/envoyproxy/gateway:<tag>); ratelimit from the same file.
        controller: `docker.io/envoyproxy/gateway:${CHARTS.envoyGateway.appVersion}`,
        ratelimit: "docker.io/envoyproxy/ratelimit:17b1956c",
        // envoyproxy/gateway v1.9.0 api/v1alpha1/shared_types.go DefaultEnvoyProxyImage.
        proxy: "docker.io/envoyproxy/envoy:distroless-v1.39.0",
    },
    certManager: {
        // cert-manager v1.21.1 values.yaml: imageRegistry quay.io, imageNamespace jetstack, tag = appVersion.
        registry: "quay.io" as UpstreamHost,
    },
    externalDns: {
        // external-dns chart 1.21.1 values.yaml image.repository; the tag stays the chart's
        // ("v" + appVersion, _helpers.tpl external-dns.image).
        repository: "registry.k8s.io/external-dns/external-dns",
    },
    sealedSecrets: {
        // sealed-secrets chart 2.18.5 values.yaml image.{registry,repository,tag}.
        registry: "docker.io" as UpstreamHost,
        repository: "bitnami/sealed-secrets-controller",
    },
    gatekeeper: {
        // gatekeeper chart 3.23.0 values.yaml (Docker Hub references without a host).
        controller: "docker.io/openpolicyagent/gatekeeper",
        crds: "docker.io/openpolicyagent/gatekeeper-crds",
        curl: "docker.io/curlimages/curl",
    },
    argocd: {
        // argo-cd chart 10.1.1 values.yaml global.image.repository (tag = appVersion).
        argocd: "quay.io/argoproj/argocd",
        dex: "ghcr.io/dexidp/dex",
        // The chart pulls Redis/HAProxy from `ecr-public.aws.com/docker/library/…`, a mirror of the
        // Docker official images; ACR's artifact cache has no rule for that host, so the same
        // official images come from Docker Hub (same tags).
        // Tags stay the charts' (argo-cd: 8.2.3-alpine; redis-ha 4.38.0 haproxy: 3.3.10-alpine).
        redis: "docker.io/library/redis",
        redisExporter: "ghcr.io/oliver006/redis_exporter",
        haproxy: "docker.io/library/haproxy",
        // redis-ha 4.38.0 values.yaml configmapTest.image (a Helm test hook).
        shellcheck: "docker.io/koalaman/shellcheck",
        extensionInstaller: "quay.io/argoprojlabs/argocd-extension-installer",
    },
    harbor: {
        // harbor chart 1.19.1 values.yaml: every component docker.io/goharbor/<name>; tags stay the chart's.
        nginx: "docker.io/goharbor/nginx-photon",
        portal: "docker.io/goharbor/harbor-portal",
        core: "docker.io/goharbor/harbor-core",
        jobservice: "docker.io/goharbor/harbor-jobservice",
        registry: "docker.io/goharbor/registry-photon",
        registryctl: "docker.io/goharbor/harbor-registryctl",
        trivy: "docker.io/goharbor/trivy-adapter-photon",
        database: "docker.io/goharbor/harbor-db",
        redis: "docker.io/goharbor/redis-photon",
        exporter: "docker.io/goharbor/harbor-exporter",
    },
    tektonOperator: {
        // tekton-operator chart 0.81.1 _helpers.tpl (Kubernetes flavour defaults; tag = appVersion)
        // and values.yaml pruner.image (a digest).
        operator: "ghcr.io/tektoncd/operator/operator-303303c315a48490ba6517859ef65b77",
        webhook: "ghcr.io/tektoncd/operator/webhook-f2bb711aa8f0c0892856a4cbf6d9ddd8",
        webhookProxy: "ghcr.io/tektoncd/operator/proxy-webhook-f6167da7bc41b96a27c5529f850e63d1",
        pruner: "ghcr.io/tektoncd/plumbing/tkn",
    },
    oauth2Proxy: {
        // oauth2-proxy chart 10.7.0 values.yaml image.repository; templates/deployment.yaml
        // defaults the registry to quay.io (oauth2-proxy/manifests 2a4bdf83).
        registry: "quay.io" as UpstreamHost,
        repository: "oauth2-proxy/oauth2-proxy",
    },
} as const;

/** `<acr>/<host>/<path>` for an upstream reference, as an Output of the registry's login server. */
export function mirrored(acrLoginServer: pulumi.Input<string>, upstream: string): pulumi.Output<string> {
    return pulumi.output(acrLoginServer).apply(acr => throughAcr(acr, upstream));
}

/** `<acr>/<host>`: for charts that take a registry (or registry + path prefix) value. */
export function mirroredRegistry(acrLoginServer: pulumi.Input<string>, host: UpstreamHost): pulumi.Output<string> {
    return pulumi.output(acrLoginServer).apply(acr => acrMirrorOf(acr, host));
}
