// The cluster's one ingress: Envoy Gateway (with the Gateway API CRDs), a GatewayClass and the
// shared Gateway apps attach HTTPRoutes to, exposed on the region's static public IP.
//
// Decisions, briefly:
// - The EnvoyProxy (Service annotations for the Azure public IP) hangs off the *Gateway*
//   (spec.infrastructure.parametersRef), not the GatewayClass: the IP belongs to this Gateway, and a
//   second Gateway of the same class must not try to claim it.
// - TLS comes from cert-manager's gateway-shim (the `cert-manager.io/cluster-issuer` annotation):
//   one Certificate per listener secret, kept in sync with the listeners by cert-manager itself, and
//   `pulumi up` never blocks on ACME issuance (an explicit Certificate would make the first `up`
//   wait on DNS delegation and Let's Encrypt). It also keeps this component independent of the
//   cert-manager CRDs, which are installed *after* this chart.
// - Listeners per hostname restrict which namespaces may attach routes (hostname hijack between
//   namespaces is otherwise first-come-first-served): a listener listed in `routeNamespaces` admits
//   only those namespaces; every other listener admits namespaces carrying GATEWAY_ROUTES_LABEL.
// - A hostname-less HTTPS listener is the default TLS filter chain, so a client without SNI (Traffic
//   Manager's prober is not documented to send one) still completes the handshake and the probe
//   route answers; it admits only routes from the Gateway's own namespace.
// - That default listener has its own certificate, self-signed by the stack (Traffic Manager does
//   not validate it), for two reasons. Envoy Gateway forces ALPN http/1.1 on every HTTPS listener
//   whose certificate SANs overlap another listener's on the same port (against HTTP/2 connection
//   coalescing): envoyproxy/gateway internal/gatewayapi/listener.go checkOverlappingCertificates
//   (sets TLSOverlaps) and internal/xds/translator/listener.go ("if irListener.TLSOverlaps &&
//   config.ALPNProtocols == nil { ... []string{"http/1.1"} }") @ v1.9.0 (39763b1c). Reusing the app
//   hostname's certificate therefore cost the app listener HTTP/2 (and gRPC). And the probe has a
//   certificate from the first `up` on, before ACME has issued one. Its SAN is under `.invalid`
//   (RFC 2606), so it overlaps no real hostname.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import { chartRelease, crdChart } from "../chart";
import { mirrored, PLATFORM_IMAGES } from "../platform-images";
import { GATEWAY, GATEWAY_ROUTES_LABEL, NAMESPACES } from "../../../model/names";
import { podSecurityLabels } from "../../../model/admission/pod-security-levels";
import { z } from "zod";
import { checkArgs, positiveInteger } from "../../args-schema";
import { isDnsName } from "../../../model/validators";

export { GATEWAY_ROUTES_LABEL };

/** The HTTPS listener serving a hostname is named after it: routes attach with `sectionName`. */
export function listenerName(hostname: string): string {
    return hostname;
}

/** Controller name Envoy Gateway's chart configures (config.envoyGateway.gateway.controllerName). */
export const ENVOY_GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";

export interface PlatformGatewayArgs {
    provider: k8s.Provider;
    /** The region's static public IP (azure-native PublicIPAddress name and its resource group). */
    publicIp: { name: pulumi.Input<string>; resourceGroupName: pulumi.Input<string> };
    /** One HTTPS listener (and certificate) per hostname: the app hostname plus the UIs this cluster serves. */
    hostnames: string[];
    /** `Host` header Traffic Manager's probe sends; gets a listener if not already in `hostnames`. */
    probeHostname: string;
    /** Path Traffic Manager probes; answered 200 by the Gateway itself (no backend pod). */
    healthPath: string;
    /** ClusterIssuer the gateway-shim requests certificates from (CLUSTER_ISSUERS.*). */
    clusterIssuer: string;
    /**
     * Hostname → namespaces allowed to attach routes to that hostname's listener (e.g. the Argo CD
     * hostname → ["argocd"]). Hostnames not listed admit namespaces labelled GATEWAY_ROUTES_LABEL.
     */
    routeNamespaces?: Record<string, string[]>;
    /** Envoy proxy replicas (a PDB keeps one up during node drains). Default 2. */
    proxyReplicas?: number;
    /** The cluster's Gateway API / Envoy Gateway CRDs; default: created as a child. */
    crds?: GatewayApiCrds;
    /** ACR login server: every image (controller, proxies, shutdown manager, rate limit) is pulled through its cache rules. */
    acrLoginServer: pulumi.Input<string>;
}

export interface GatewayApiCrdsArgs {
    provider: k8s.Provider;
}

/**
 * The Envoy Gateway and Gateway API CRDs of one cluster, from Envoy Gateway's CRD chart rendered by
 * Pulumi (chart.ts crdChart), so a version bump upgrades them. gateway-helm's own copy sits in its
 * `crds` subchart's crds/ folder (envoyproxy/gateway charts/gateway-helm/charts/crds/crds/ @ v1.9.0,
 * 39763b1c), which Helm installs once and never upgrades; PlatformGateway switches it off
 * (crds.enabled, the subchart's condition in charts/gateway-helm/Chart.yaml), as the chart's install
 * docs say to when the CRDs are managed separately (site/content/en/v1.9/install/install-helm.md).
 * Same CRDs as before: Envoy Gateway's, and the Gateway API v1.6.1 *experimental* channel (what
 * gateway-helm bundled: its crds/gatewayapi-crds.yaml is the experimental install;
 * gateway-crds-helm values.yaml: channel "experimental", both groups off by default).
 *
 * A component of its own so the cluster layer can apply the CRDs before Gatekeeper's fail-closed
 * webhook exists (the chart's objects are created by the provider, out of reach of the options
 * that make everything else wait for that webhook).
 */
export class GatewayApiCrds extends pulumi.ComponentResource {
    readonly chart: k8s.helm.v4.Chart;

    constructor(name: string, args: GatewayApiCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:GatewayApiCrds", name, {}, opts);
        this.chart = crdChart(
            `${name}-chart`,
            {
                chart: "envoyGatewayCrds",
                values: { crds: { gatewayAPI: { enabled: true, channel: "experimental" }, envoyGateway: { enabled: true } } },
            },
            { parent: this, provider: args.provider },
        );
        this.registerOutputs({});
    }
}

/** Secret holding the default listener's self-signed certificate (not managed by cert-manager). */
export const DEFAULT_LISTENER_SECRET = "tls-default-listener";
/** The default listener certificate's only SAN: `.invalid` (RFC 2606) overlaps no served hostname. */
export const DEFAULT_LISTENER_SAN = `${GATEWAY.name}.${GATEWAY.namespace}.invalid`;
/** Validity of the default listener's certificate; renewed (replaced) by `up` in its last year. */
export const DEFAULT_LISTENER_CERT_VALIDITY_HOURS = 5 * 365 * 24;

/** Stable, DNS-1123 secret name per hostname (cert-manager names the Certificate after it). */
export function tlsSecretName(hostname: string): string {
    return `tls-${hostname.replace(/\./g, "-")}`;
}

const hostname = z.string().refine(isDnsName, { error: iss => `'${iss.input}' is not a lowercase, fully qualified hostname` });

/** What PlatformGatewayArgs must satisfy (messages name the key). */
const ARGS_SCHEMA = z
    .object({
        hostnames: z
            .array(hostname)
            .refine(hs => new Set(hs).size === hs.length, "hostnames contain duplicates")
            .refine(hs => hs.length > 0, "at least one hostname is required"),
        probeHostname: hostname,
        healthPath: z.string().refine(p => p.startsWith("/"), { error: iss => `healthPath '${iss.input}' must start with '/'` }),
        routeNamespaces: z.record(z.string(), z.unknown()).optional(),
        proxyReplicas: positiveInteger("proxyReplicas").optional(),
    })
    .superRefine((args, ctx) => {
        const all = [...args.hostnames, args.probeHostname];
        if (new Set(all.map(tlsSecretName)).size !== new Set(all).size)
            ctx.addIssue({ code: "custom", message: "two hostnames map to the same TLS secret name" });
        for (const h of Object.keys(args.routeNamespaces ?? {})) {
            if (!all.includes(h)) ctx.addIssue({ code: "custom", message: `routeNamespaces names '${h}', which has no listener` });
        }
    });

export class PlatformGateway extends pulumi.ComponentResource {
    /** The Envoy Gateway controller release (its CRDs come from `crds`). */
    readonly release: k8s.helm.v3.Release;
    /** The Envoy Gateway and Gateway API CRDs (a Pulumi-rendered CRD chart, upgraded with its version). */
    readonly crds: GatewayApiCrds;
    /** What other components depend on to order after the Gateway API / Envoy Gateway CRDs (= `crds`). */
    readonly crdsReady: pulumi.Resource;
    readonly gatewayClassName: pulumi.Output<string>;
    readonly gatewayName: pulumi.Output<string>;
    readonly gatewayNamespace: pulumi.Output<string>;
    /** The Gateway resource (HTTPRoutes elsewhere may depend on it). */
    readonly gateway: k8s.apiextensions.CustomResource;
    /** Hostnames with an HTTPS listener, in listener order. */
    readonly listenerHostnames: string[];

    constructor(name: string, args: PlatformGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:PlatformGateway", name, {}, opts);
        checkArgs(ARGS_SCHEMA, args, `PlatformGateway ${name}`);

        const provider = args.provider;
        const child = { parent: this, provider };
        const hostnames = args.hostnames.includes(args.probeHostname) ? [...args.hostnames] : [...args.hostnames, args.probeHostname];
        this.listenerHostnames = hostnames;

        const controllerNs = new k8s.core.v1.Namespace(
            `${name}-envoy-gateway-ns`,
            {
                metadata: { name: NAMESPACES.envoyGateway, labels: podSecurityLabels(NAMESPACES.envoyGateway) },
            },
            child,
        );
        const gatewayNs = new k8s.core.v1.Namespace(
            `${name}-gateway-ns`,
            {
                // Labelled so its own routes (probe) may attach to label-selected listeners.
                metadata: { name: GATEWAY.namespace, labels: { [GATEWAY_ROUTES_LABEL]: "true", ...podSecurityLabels(NAMESPACES.gateway) } },
            },
            child,
        );

        // The CRDs: given (so the cluster layer can order them before Gatekeeper) or made here.
        this.crds = args.crds ?? new GatewayApiCrds(`${name}-crds`, { provider }, { parent: this });

        // Otherwise chart defaults are right for us: the controller name matches the GatewayClass.
        const images = {
            controller: mirrored(args.acrLoginServer, PLATFORM_IMAGES.envoyGateway.controller),
            ratelimit: mirrored(args.acrLoginServer, PLATFORM_IMAGES.envoyGateway.ratelimit),
            proxy: mirrored(args.acrLoginServer, PLATFORM_IMAGES.envoyGateway.proxy),
        };
        this.release = chartRelease(
            `${name}-envoy-gateway`,
            {
                chart: "envoyGateway",
                releaseName: "envoy-gateway",
                namespace: controllerNs.metadata.name,
                values: {
                    crds: { enabled: false },
                    // gateway-helm v1.9.0 templates/_helpers.tpl: eg.image, eg.ratelimit.image and
                    // eg.envoyProxy.image split these at the first '/' into registry and repository:tag.
                    global: {
                        images: {
                            envoyGateway: { image: images.controller },
                            ratelimit: { image: images.ratelimit },
                            envoyProxy: { image: images.proxy },
                        },
                    },
                    deployment: { replicas: 2 },
                    // At most one controller pod down during drains (leader election keeps one active).
                    podDisruptionBudget: { minAvailable: 1 },
                    config: {
                        envoyGateway: {
                            gateway: { controllerName: ENVOY_GATEWAY_CONTROLLER },
                            // The proxies' shutdown-manager sidecar runs eg.image, the controller image above
                            // (the chart's eg.default-envoy-gateway-config, _helpers.tpl).
                            provider: { type: "Kubernetes" },
                        },
                    },
                },
            },
            { ...child, dependsOn: [this.crds] },
        );
        this.crdsReady = this.crds;
        // Gateway API / Envoy Gateway objects: after their CRDs and the controller that reconciles them.
        const afterCrds = { ...child, dependsOn: [this.crds, this.release] };

        const gatewayClass = new k8s.apiextensions.CustomResource(
            `${name}-gatewayclass`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "GatewayClass",
                metadata: { name: GATEWAY.className },
                spec: {
                    controllerName: ENVOY_GATEWAY_CONTROLLER,
                    // Max 64 characters (GatewayClass CRD).
                    description: "Envoy Gateway; proxy settings per Gateway (EnvoyProxy)",
                },
            },
            afterCrds,
        );

        const envoyProxy = new k8s.apiextensions.CustomResource(
            `${name}-envoyproxy`,
            {
                apiVersion: "gateway.envoyproxy.io/v1alpha1",
                kind: "EnvoyProxy",
                metadata: { name: `${GATEWAY.name}-proxy`, namespace: gatewayNs.metadata.name },
                spec: {
                    provider: {
                        type: "Kubernetes",
                        kubernetes: {
                            // Set here too: this Gateway's EnvoyProxy, not only the controller's default.
                            envoyDeployment: { replicas: args.proxyReplicas ?? 2, container: { image: images.proxy } },
                            envoyPDB: { minAvailable: 1 },
                            envoyService: {
                                type: "LoadBalancer",
                                // Local keeps the client IP and makes the Azure LB probe kube-proxy's
                                // healthCheckNodePort, so only nodes running Envoy receive traffic; no
                                // health-probe annotation is needed for that policy.
                                externalTrafficPolicy: "Local",
                                annotations: {
                                    "service.beta.kubernetes.io/azure-pip-name": args.publicIp.name,
                                    "service.beta.kubernetes.io/azure-load-balancer-resource-group": args.publicIp.resourceGroupName,
                                },
                            },
                        },
                    },
                },
            },
            afterCrds,
        );

        const defaultCertSecret = this.defaultListenerCertificate(name, gatewayNs, child);

        const gatewayRef = { group: "gateway.networking.k8s.io", kind: "Gateway", name: GATEWAY.name, namespace: GATEWAY.namespace };
        const sameNamespace = { namespaces: { from: "Same" } };
        const allowedRoutesFor = (hostname: string) => {
            const only = args.routeNamespaces?.[hostname];
            if (only) {
                // kubernetes.io/metadata.name is set by the API server on every namespace.
                const names = [...new Set([...only, GATEWAY.namespace])].sort();
                return {
                    namespaces: {
                        from: "Selector",
                        selector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: names }] },
                    },
                };
            }
            return { namespaces: { from: "Selector", selector: { matchLabels: { [GATEWAY_ROUTES_LABEL]: "true" } } } };
        };
        const certificateRef = (hostname: string) => ({ group: "", kind: "Secret", name: tlsSecretName(hostname) });

        const listeners = [
            { name: "http", protocol: "HTTP", port: 80, allowedRoutes: sameNamespace },
            ...hostnames.map(hostname => ({
                name: listenerName(hostname),
                hostname,
                protocol: "HTTPS",
                port: 443,
                tls: { mode: "Terminate", certificateRefs: [certificateRef(hostname)] },
                allowedRoutes: allowedRoutesFor(hostname),
            })),
            {
                // Default filter chain for clients without (matching) SNI, with its own self-signed
                // certificate (see the header). cert-manager skips it (no hostname) with a warning event.
                name: "https-default",
                protocol: "HTTPS",
                port: 443,
                tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: defaultCertSecret.metadata.name }] },
                allowedRoutes: sameNamespace,
            },
        ];

        this.gateway = new k8s.apiextensions.CustomResource(
            `${name}-gateway`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "Gateway",
                metadata: {
                    name: GATEWAY.name,
                    namespace: gatewayNs.metadata.name,
                    annotations: { "cert-manager.io/cluster-issuer": args.clusterIssuer },
                },
                spec: {
                    gatewayClassName: gatewayClass.metadata.name,
                    infrastructure: {
                        parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: envoyProxy.metadata.name },
                    },
                    listeners,
                },
            },
            { ...child, dependsOn: [this.release, envoyProxy, defaultCertSecret] },
        );

        // Plain HTTP only ever redirects.
        new k8s.apiextensions.CustomResource(
            `${name}-http-redirect`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { name: "http-to-https", namespace: gatewayNs.metadata.name },
                spec: {
                    parentRefs: [{ ...gatewayRef, name: this.gateway.metadata.name, sectionName: "http" }],
                    rules: [
                        {
                            filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }],
                        },
                    ],
                },
            },
            afterCrds,
        );

        // Traffic Manager's probe: answered by Envoy itself, so an endpoint is Online exactly when
        // its region's gateway and load balancer path work, independent of any app rollout.
        const healthFilter = new k8s.apiextensions.CustomResource(
            `${name}-health-response`,
            {
                apiVersion: "gateway.envoyproxy.io/v1alpha1",
                kind: "HTTPRouteFilter",
                metadata: { name: "health-ok", namespace: gatewayNs.metadata.name },
                spec: {
                    directResponse: {
                        statusCode: 200,
                        contentType: "text/plain",
                        body: { type: "Inline", inline: "ok\n" },
                    },
                },
            },
            afterCrds,
        );

        new k8s.apiextensions.CustomResource(
            `${name}-health-route`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { name: "traffic-manager-probe", namespace: gatewayNs.metadata.name },
                spec: {
                    parentRefs: [args.probeHostname, "https-default"].map(sectionName => ({
                        ...gatewayRef,
                        name: this.gateway.metadata.name,
                        sectionName,
                    })),
                    hostnames: [args.probeHostname],
                    rules: [
                        {
                            matches: [{ path: { type: "Exact", value: args.healthPath } }],
                            filters: [
                                {
                                    type: "ExtensionRef",
                                    extensionRef: {
                                        group: "gateway.envoyproxy.io",
                                        kind: "HTTPRouteFilter",
                                        name: healthFilter.metadata.name,
                                    },
                                },
                            ],
                        },
                    ],
                },
            },
            afterCrds,
        );

        this.gatewayClassName = gatewayClass.metadata.name;
        this.gatewayName = this.gateway.metadata.name;
        this.gatewayNamespace = this.gateway.metadata.namespace;
        this.registerOutputs({
            gatewayClassName: this.gatewayClassName,
            gatewayName: this.gatewayName,
            gatewayNamespace: this.gatewayNamespace,
            listenerHostnames: this.listenerHostnames,
        });
    }

    /**
     * The default listener's certificate: a key and a self-signed certificate made by the stack
     * (kept in state; the key only as a secret) in a `kubernetes.io/tls` Secret of the Gateway's
     * namespace. No timestamps in inputs: validity counts from creation, so re-runs show no diff.
     */
    private defaultListenerCertificate(
        name: string,
        gatewayNs: k8s.core.v1.Namespace,
        child: pulumi.CustomResourceOptions,
    ): k8s.core.v1.Secret {
        const key = new tls.PrivateKey(`${name}-default-listener-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const cert = new tls.SelfSignedCert(
            `${name}-default-listener-cert`,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: DEFAULT_LISTENER_SAN, organization: "platform gateway (default listener)" },
                dnsNames: [DEFAULT_LISTENER_SAN],
                validityPeriodHours: DEFAULT_LISTENER_CERT_VALIDITY_HOURS,
                earlyRenewalHours: 365 * 24,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                isCaCertificate: false,
            },
            { parent: this },
        );
        return new k8s.core.v1.Secret(
            `${name}-default-listener-tls`,
            {
                metadata: { name: DEFAULT_LISTENER_SECRET, namespace: gatewayNs.metadata.name },
                type: "kubernetes.io/tls",
                stringData: { "tls.crt": cert.certPem, "tls.key": pulumi.secret(key.privateKeyPem) },
            },
            child,
        );
    }
}
