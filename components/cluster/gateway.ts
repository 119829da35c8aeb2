// The cluster's one ingress: Envoy Gateway (which owns the Gateway API CRDs), a GatewayClass and the
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
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { chartRelease } from "./chart";
import { mirrored, PLATFORM_IMAGES } from "./platform-images";
import { GATEWAY, GATEWAY_ROUTES_LABEL, NAMESPACES } from "../../infra/names";

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
    /** ACR login server: every image (controller, proxies, shutdown manager, rate limit) is pulled through its cache rules. */
    acrLoginServer: pulumi.Input<string>;
}

const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;

/** Stable, DNS-1123 secret name per hostname (cert-manager names the Certificate after it). */
export function tlsSecretName(hostname: string): string {
    return `tls-${hostname.replace(/\./g, "-")}`;
}

function validate(args: PlatformGatewayArgs): string[] {
    const problems: string[] = [];
    const all = [...args.hostnames, args.probeHostname];
    for (const h of all) if (!DNS_NAME.test(h)) problems.push(`'${h}' is not a lowercase, fully qualified hostname`);
    if (new Set(args.hostnames).size !== args.hostnames.length) problems.push("hostnames contain duplicates");
    if (!args.hostnames.length) problems.push("at least one hostname is required");
    if (!args.healthPath.startsWith("/")) problems.push(`healthPath '${args.healthPath}' must start with '/'`);
    const secrets = new Set(all.map(tlsSecretName));
    if (secrets.size !== new Set(all).size) problems.push("two hostnames map to the same TLS secret name");
    for (const h of Object.keys(args.routeNamespaces ?? {})) {
        if (!all.includes(h)) problems.push(`routeNamespaces names '${h}', which has no listener`);
    }
    if (args.proxyReplicas !== undefined && !(Number.isInteger(args.proxyReplicas) && args.proxyReplicas >= 1)) {
        problems.push("proxyReplicas must be a positive integer");
    }
    return problems;
}

export class PlatformGateway extends pulumi.ComponentResource {
    /** The Envoy Gateway release; it installs the Gateway API CRDs, so depend on it to order after them. */
    readonly release: k8s.helm.v3.Release;
    /** Alias of `release` for readers: "the Gateway API CRDs exist once this is ready". */
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
        const problems = validate(args);
        if (problems.length) throw new Error(`PlatformGateway ${name}: ${problems.join("; ")}`);

        const provider = args.provider;
        const child = { parent: this, provider };
        const hostnames = args.hostnames.includes(args.probeHostname) ? [...args.hostnames] : [...args.hostnames, args.probeHostname];
        this.listenerHostnames = hostnames;

        const controllerNs = new k8s.core.v1.Namespace(`${name}-envoy-gateway-ns`, {
            metadata: { name: NAMESPACES.envoyGateway },
        }, child);
        const gatewayNs = new k8s.core.v1.Namespace(`${name}-gateway-ns`, {
            // Labelled so its own routes (probe) may attach to label-selected listeners.
            metadata: { name: GATEWAY.namespace, labels: { [GATEWAY_ROUTES_LABEL]: "true" } },
        }, child);

        // Chart defaults are right for us: crds.enabled installs the Envoy Gateway and Gateway API
        // CRDs (the only place they are installed), and the controller name matches the GatewayClass.
        const images = {
            controller: mirrored(args.acrLoginServer, PLATFORM_IMAGES.envoyGateway.controller),
            ratelimit: mirrored(args.acrLoginServer, PLATFORM_IMAGES.envoyGateway.ratelimit),
            proxy: mirrored(args.acrLoginServer, PLATFORM_IMAGES.envoyGateway.proxy),
        };
        this.release = chartRelease(`${name}-envoy-gateway`, {
            chart: "envoyGateway",
            releaseName: "envoy-gateway",
            namespace: controllerNs.metadata.name,
            values: {
                crds: { enabled: true },
                // gateway-helm v1.9.0 templates/_helpers.tpl: eg.image, eg.ratelimit.image and
                // eg.envoyProxy.image split these at the first '/' into registry and repository:tag.
                global: { images: {
                    envoyGateway: { image: images.controller },
                    ratelimit: { image: images.ratelimit },
                    envoyProxy: { image: images.proxy },
                } },
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
        }, child);
        this.crdsReady = this.release;
        const afterCrds = { ...child, dependsOn: [this.release] };

        const gatewayClass = new k8s.apiextensions.CustomResource(`${name}-gatewayclass`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "GatewayClass",
            metadata: { name: GATEWAY.className },
            spec: {
                controllerName: ENVOY_GATEWAY_CONTROLLER,
                // Max 64 characters (GatewayClass CRD).
                description: "Envoy Gateway; proxy settings per Gateway (EnvoyProxy)",
            },
        }, afterCrds);

        const envoyProxy = new k8s.apiextensions.CustomResource(`${name}-envoyproxy`, {
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
        }, afterCrds);

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
                // Default filter chain for clients without (matching) SNI; serves the probe
                // hostname's certificate. cert-manager skips it (no hostname) with a warning event.
                name: "https-default",
                protocol: "HTTPS",
                port: 443,
                tls: { mode: "Terminate", certificateRefs: [certificateRef(args.probeHostname)] },
                allowedRoutes: sameNamespace,
            },
        ];

        this.gateway = new k8s.apiextensions.CustomResource(`${name}-gateway`, {
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
        }, { ...child, dependsOn: [this.release, envoyProxy] });

        // Plain HTTP only ever redirects.
        new k8s.apiextensions.CustomResource(`${name}-http-redirect`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: "http-to-https", namespace: gatewayNs.metadata.name },
            spec: {
                parentRefs: [{ ...gatewayRef, name: this.gateway.metadata.name, sectionName: "http" }],
                rules: [{
                    filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }],
                }],
            },
        }, afterCrds);

        // Traffic Manager's probe: answered by Envoy itself, so an endpoint is Online exactly when
        // its region's gateway and load balancer path work, independent of any app rollout.
        const healthFilter = new k8s.apiextensions.CustomResource(`${name}-health-response`, {
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
        }, afterCrds);

        new k8s.apiextensions.CustomResource(`${name}-health-route`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: "traffic-manager-probe", namespace: gatewayNs.metadata.name },
            spec: {
                parentRefs: [args.probeHostname, "https-default"].map(sectionName => ({
                    ...gatewayRef, name: this.gateway.metadata.name, sectionName,
                })),
                hostnames: [args.probeHostname],
                rules: [{
                    matches: [{ path: { type: "Exact", value: args.healthPath } }],
                    filters: [{
                        type: "ExtensionRef",
                        extensionRef: { group: "gateway.envoyproxy.io", kind: "HTTPRouteFilter", name: healthFilter.metadata.name },
                    }],
                }],
            },
        }, afterCrds);

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
}
