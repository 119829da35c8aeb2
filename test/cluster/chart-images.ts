// The images a Helm release actually runs, computed the way each pinned chart's templates compose
// them from values: the chart's vendored values.yaml (test/vendor/charts, origins in ORIGIN.md)
// deep-merged with the values the stack passes, exactly as Helm merges user values over defaults.
//
// Every function cites the template it mirrors. A slot is included whether or not the component
// is enabled (a disabled component's image is harmless, and this keeps the check conservative),
// except subcharts, which Helm renders only when enabled.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { CHARTS, ChartName } from "../../model/versions";

type Any = Record<string, any>;
const FIXTURES = path.join(__dirname, "..", "vendor", "charts");

// Parsed once per process (the large values.yaml files took seconds to parse per release);
// each caller gets its own copy.
const parsed = new Map<string, Any>();
function load(file: string): Any {
    if (!parsed.has(file)) parsed.set(file, YAML.parse(fs.readFileSync(path.join(FIXTURES, file), "utf8")) ?? {});
    return structuredClone(parsed.get(file)!);
}

/** Helm's values coalescing: maps merge key by key, anything else (lists, scalars) is replaced; null deletes. */
export function helmMerge(base: unknown, override: unknown): any {
    if (override === null) return undefined;
    if (override === undefined) return base;
    if (isMap(base) && isMap(override)) {
        const out: Any = { ...base };
        for (const [k, v] of Object.entries(override)) {
            const merged = helmMerge(base[k], v);
            if (merged === undefined) delete out[k];
            else out[k] = merged;
        }
        return out;
    }
    return override;
}
const isMap = (v: unknown): v is Any => typeof v === "object" && v !== null && !Array.isArray(v);

/** gateway-helm v1.9.0 values.tmpl.yaml after the release's envsubst (release workflow: GatewayImage, GatewayImagePullPolicy). */
function envoyGatewayDefaults(): Any {
    const raw = fs
        .readFileSync(path.join(FIXTURES, "envoy-gateway", "values.tmpl.yaml"), "utf8")
        .replace("${GatewayImage}", `docker.io/envoyproxy/gateway:${CHARTS.envoyGateway.appVersion}`)
        .replace("${GatewayImagePullPolicy}", "IfNotPresent");
    return YAML.parse(raw);
}

export const CHART_DEFAULTS: Record<ChartName, () => Any> = {
    envoyGateway: envoyGatewayDefaults,
    certManager: () => load("cert-manager/values.yaml"),
    externalDns: () => load("external-dns/values.yaml"),
    sealedSecrets: () => load("sealed-secrets/values.yaml"),
    gatekeeper: () => load("gatekeeper/values.yaml"),
    argocd: () => load("argo-cd/values.yaml"),
    harbor: () => load("harbor/values.yaml"),
    tektonOperator: () => load("tekton-operator/values.yaml"),
    ratify: () => load("ratify/values.yaml"),
    oauth2Proxy: () => load("oauth2-proxy/values.yaml"),
    envoyGatewayCrds: () => ({}),
};

/** Go templates' `splitn sep 2`: `_0` before the first separator, `_1` the rest. */
function splitn2(s: string, sep: string): [string, string] {
    const i = s.indexOf(sep);
    return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
}

/** Envoy Gateway v1.9.0 templates/_helpers.tpl: eg.image, eg.ratelimit.image, eg.envoyProxy.image. */
function envoyGatewayImages(v: Any): Record<string, string> {
    const g = v.global ?? {};
    const fromFull = (full: string, defaultTag?: string) => {
        const [registry0, repositoryTag] = splitn2(full, "/");
        const registry = g.imageRegistry || registry0;
        const [repository, tag] = splitn2(repositoryTag, ":");
        return `${registry}/${repository}:${tag || defaultTag}`;
    };
    const dep = v.deployment?.envoyGateway?.image ?? {};
    const controller = dep.repository
        ? g.imageRegistry
            ? `${g.imageRegistry}/${splitn2(dep.repository, "/")[1]}:${dep.tag || CHARTS.envoyGateway.version}`
            : `${dep.repository}:${dep.tag || CHARTS.envoyGateway.version}`
        : g.images?.envoyGateway?.image
          ? fromFull(g.images.envoyGateway.image)
          : `docker.io/envoyproxy/gateway:${CHARTS.envoyGateway.version}`;
    const out: Record<string, string> = {
        controller, // envoy-gateway Deployment and the certgen Job
        ratelimit: fromFull(g.images.ratelimit.image),
        // eg.default-envoy-gateway-config: the proxy image only when global.images.envoyProxy.image
        // is set; otherwise the controller's built-in default (api/v1alpha1/shared_types.go).
        proxy: g.images?.envoyProxy?.image
            ? fromFull(g.images.envoyProxy.image, "distroless-v1.39.0")
            : "docker.io/envoyproxy/envoy:distroless-v1.39.0",
        // eg.default-envoy-gateway-config sets provider.kubernetes.shutdownManager.image to eg.image;
        // templates/envoy-gateway-config.yaml merges the user's config.envoyGateway over it.
        shutdownManager: v.config?.envoyGateway?.provider?.kubernetes?.shutdownManager?.image ?? controller,
    };
    return out;
}

/** cert-manager v1.21.1 templates/_helpers.tpl "cert-manager.image", called with (image, imageRegistry, imageNamespace, ":"+appVersion). */
function certManagerImages(v: Any): Record<string, string> {
    const image = (img: Any) => {
        let repository: string;
        if (img.repository) repository = img.repository;
        else {
            repository = img.name;
            if (v.imageNamespace) repository = `${v.imageNamespace}/${repository}`;
            if (v.imageRegistry) repository = `${v.imageRegistry}/${repository}`;
        }
        if (img.registry) repository = `${img.registry}/${repository}`;
        const suffix =
            img.tag && img.digest
                ? `:${img.tag}@${img.digest}`
                : img.tag
                  ? `:${img.tag}`
                  : img.digest
                    ? `@${img.digest}`
                    : `:${CHARTS.certManager.appVersion}`;
        return repository + suffix;
    };
    // deployment.yaml, webhook-deployment.yaml, cainjector-deployment.yaml, the controller's
    // --acme-http01-solver-image flag, startupapicheck-job.yaml.
    return {
        controller: image(v.image),
        webhook: image(v.webhook.image),
        cainjector: image(v.cainjector.image),
        acmesolver: image(v.acmesolver.image),
        startupapicheck: image(v.startupapicheck.image),
    };
}

/** external-dns chart 1.21.1 templates/_helpers.tpl external-dns.image. */
function externalDnsImages(v: Any): Record<string, string> {
    return { controller: `${v.image.repository}:${v.image.tag || `v${CHARTS.externalDns.appVersion}`}` };
}

/** sealed-secrets chart 2.18.5 templates/deployment.yaml. */
function sealedSecretsImages(v: Any): Record<string, string> {
    return { controller: `${v.image.registry}/${v.image.repository}:${v.image.tag}` };
}

/** gatekeeper chart 3.23.0 templates (see components/cluster/gatekeeper/index.ts for the files). */
function gatekeeperImages(v: Any): Record<string, string> {
    const withTag = (repo: string, tag: string | undefined) => (tag ? `${repo}:${tag}` : repo);
    const pre = v.preInstall?.crdRepository?.image ?? {};
    return {
        controllerManager: withTag(v.image.repository, v.image.release),
        audit: withTag(v.image.repository, v.image.release),
        crdUpgrade: pre.repository ? withTag(pre.repository, pre.tag) : withTag(v.image.crdRepository, v.image.release),
        postInstallLabelNamespace: `${v.postInstall.labelNamespace.image.repository}:${v.postInstall.labelNamespace.image.tag}`,
        postInstallProbeWebhook: `${v.postInstall.probeWebhook.image.repository}:${v.postInstall.probeWebhook.image.tag}`,
        postUpgradeLabelNamespace: `${v.postUpgrade.labelNamespace.image.repository}:${v.postUpgrade.labelNamespace.image.tag}`,
        preUninstall: `${v.preUninstall.deleteWebhookConfigurations.image.repository}:${v.preUninstall.deleteWebhookConfigurations.image.tag}`,
    };
}

/** argo-cd chart 10.1.1 templates, plus the redis-ha 4.38.0 subchart when enabled. */
function argocdImages(v: Any): Record<string, string> {
    const g = v.global.image;
    const defaultTag = g.tag || CHARTS.argocd.appVersion; // _helpers.tpl argo-cd.defaultTag
    const argo = (img: Any) => `${img.repository || g.repository}:${img.tag || defaultTag}`;
    const out: Record<string, string> = {
        controller: argo(v.controller.image),
        applicationSet: argo(v.applicationSet.image),
        commitServer: argo(v.commitServer.image),
        notifications: argo(v.notifications.image),
        repoServer: argo(v.repoServer.image),
        server: argo(v.server.image),
        redisSecretInit: argo(v.redisSecretInit.image),
        dexInit: argo(v.dex.initImage),
        dex: `${v.dex.image.repository}:${v.dex.image.tag}`,
        redis: `${v.redis.image.repository}:${v.redis.image.tag}`,
        redisExporter: `${v.redis.exporter.image.repository}:${v.redis.exporter.image.tag}`,
        serverExtensions: `${v.server.extensions.image.repository}:${v.server.extensions.image.tag}`,
    };
    if (v["redis-ha"]?.enabled) {
        // redis-ha templates/redis-ha-statefulset.yaml and redis-haproxy-deployment.yaml; Helm
        // coalesces the parent's `redis-ha:` values over the subchart's defaults.
        const r = helmMerge(load("redis-ha/values.yaml"), v["redis-ha"]);
        out.redisHa = `${r.image.repository}:${r.image.tag}`;
        out.redisHaExporter = `${r.exporter.image}:${r.exporter.tag}`;
        out.haproxy = `${r.haproxy.image.repository}:${r.haproxy.image.tag}`;
        out.configmapTest = `${r.configmapTest.image.repository}:${r.configmapTest.image.tag}`;
    }
    return out;
}

/** harbor chart 1.19.1 templates: <component>.image.repository:<component>.image.tag. */
function harborImages(v: Any): Record<string, string> {
    const i = (img: Any) => `${img.repository}:${img.tag}`;
    return {
        nginx: i(v.nginx.image),
        portal: i(v.portal.image),
        core: i(v.core.image),
        jobservice: i(v.jobservice.image),
        registry: i(v.registry.registry.image),
        registryctl: i(v.registry.controller.image),
        trivy: i(v.trivy.image),
        database: i(v.database.internal.image),
        redis: i(v.redis.internal.image),
        exporter: i(v.exporter.image),
    };
}

/** tekton-operator chart 0.81.1 templates/_helpers.tpl (Kubernetes flavour). */
function tektonOperatorImages(v: Any): Record<string, string> {
    const tag = (t: string) => t || CHARTS.tektonOperator.appVersion;
    const pr = v.pruner.image;
    return {
        operator: `${v.operator.image.repository || "ghcr.io/tektoncd/operator/operator-303303c315a48490ba6517859ef65b77"}:${tag(v.operator.image.tag)}`,
        webhook: `${v.webhook.image.repository || "ghcr.io/tektoncd/operator/webhook-f2bb711aa8f0c0892856a4cbf6d9ddd8"}:${tag(v.webhook.image.tag)}`,
        webhookProxy: `${v.webhookProxy.image.repository || "ghcr.io/tektoncd/operator/proxy-webhook-f6167da7bc41b96a27c5529f850e63d1"}:${tag(v.webhookProxy.image.tag)}`,
        pruner: String(pr.tag).includes("sha256:") ? `${pr.repository}@${pr.tag}` : `${pr.repository}:${pr.tag}`,
    };
}

/** ratify chart 1.15.0 templates/deployment.yaml and upgrade-crds-hook.yaml. */
function ratifyImages(v: Any): Record<string, string> {
    return {
        ratify: `${v.image.repository}:${v.image.tag}`,
        crds: v.image.tag ? `${v.image.crdRepository}:${v.image.tag}` : v.image.crdRepository,
    };
}

/**
 * oauth2-proxy chart 10.7.0 templates/deployment.yaml (oauth2-proxy/manifests 2a4bdf83): the proxy
 * `<image.registry | global.imageRegistry | "quay.io">/<image.repository>:<image.tag | v+appVersion>`;
 * the wait-for-redis init container only with the redis-ha subchart and waitForRedis enabled.
 */
function oauth2ProxyImages(v: Any): Record<string, string> {
    const registry = v.image.registry || v.global?.imageRegistry || "quay.io";
    const images: Record<string, string> = {
        proxy: `${registry}/${v.image.repository}:${v.image.tag || `v${CHARTS.oauth2Proxy.appVersion}`}`,
    };
    if (v["redis-ha"]?.enabled && v.initContainers?.waitForRedis?.enabled) {
        images.waitForRedis = `${v.initContainers.waitForRedis.image.repository}:${v.initContainers.waitForRedis.image.tag}`;
    }
    return images;
}

export const CHART_IMAGES: Record<ChartName, (values: Any) => Record<string, string>> = {
    envoyGateway: envoyGatewayImages,
    certManager: certManagerImages,
    externalDns: externalDnsImages,
    sealedSecrets: sealedSecretsImages,
    gatekeeper: gatekeeperImages,
    argocd: argocdImages,
    harbor: harborImages,
    tektonOperator: tektonOperatorImages,
    ratify: ratifyImages,
    oauth2Proxy: oauth2ProxyImages,
    // gateway-crds-helm v1.9.0 renders CustomResourceDefinitions only.
    envoyGatewayCrds: () => ({}),
};

/** The pinned chart a recorded helm Release installs. */
export function chartOf(release: { inputs: Any }): ChartName {
    const name = (Object.keys(CHARTS) as ChartName[]).find(
        k => CHARTS[k].chart === release.inputs.chart && CHARTS[k].version === release.inputs.version,
    );
    if (!name) throw new Error(`release of ${release.inputs.chart}@${release.inputs.version} is not a pinned chart`);
    return name;
}

/** The images a release runs: its chart's defaults with the release's values over them. */
export function effectiveImages(chart: ChartName, values: Any): Record<string, string> {
    return CHART_IMAGES[chart](helmMerge(CHART_DEFAULTS[chart](), values));
}

/** Fully qualified upstream form of a default reference (Docker Hub's implicit host and library/). */
export function qualified(ref: string): string {
    const [first] = splitn2(ref, "/");
    const hasHost = ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
    if (hasHost) return ref;
    return `docker.io/${ref.includes("/") ? ref : `library/${ref}`}`;
}
