import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import {
    DEFAULT_LISTENER_SECRET,
    PlatformGateway,
    PlatformGatewayArgs,
    GATEWAY_ROUTES_LABEL,
    tlsSecretName,
} from "../../components/cluster/gateway";
import { CertManager } from "../../components/cluster/cert-manager";
import { ExternalDns } from "../../components/cluster/external-dns";
import { SealedSecrets, SealingKey } from "../../components/cluster/sealed-secrets";
import { CLUSTER_ISSUERS, GATEWAY, NAMESPACES, WORKLOAD_IDENTITY_SERVICE_ACCOUNTS } from "../../model/names";
import { byName, byType, descendants, freshRun, planDocument, rejection, RecordedResource, StackRun } from "../harness";

const RELEASE = "kubernetes:helm.sh/v3:Release";

type Spec = Record<string, any>;
const spec = (r: RecordedResource): Spec => r.rawInputs.spec as Spec;
const values = (r: RecordedResource): Spec => r.rawInputs.values as Spec;

/** Resources of a type below one component instance. */
function under(run: StackRun, component: RecordedResource, type: string): RecordedResource[] {
    return descendants(run, component.urn).filter(r => r.type === type);
}
/** Custom resources register as `kubernetes:<apiVersion>:<kind>` (core kinds as `kubernetes:core/v1:<kind>`). */
function customResources(run: StackRun, component: RecordedResource): RecordedResource[] {
    return descendants(run, component.urn).filter(r => r.type === `kubernetes:${r.rawInputs.apiVersion}:${r.rawInputs.kind}`);
}
function crOfKind(run: StackRun, component: RecordedResource, kind: string): RecordedResource[] {
    return customResources(run, component).filter(r => r.rawInputs.kind === kind);
}
function one<T>(items: T[], what: string): T {
    assert.equal(items.length, 1, `expected one ${what}, found ${items.length}`);
    return items[0];
}

function dependsOnSecret(r: RecordedResource, secret: RecordedResource): boolean {
    return r.dependencies.includes(secret.urn);
}

const APP = "app.platform.example.com";
const ARGO = "argocd-primary.platform.example.com";

function gatewayArgs(provider: k8s.Provider, overrides: Partial<PlatformGatewayArgs> = {}): PlatformGatewayArgs {
    return {
        provider,
        acrLoginServer: "platformacr.azurecr.io",
        publicIp: { name: "pip-gw-primary", resourceGroupName: "rg-net-primary" },
        hostnames: [APP, ARGO],
        probeHostname: APP,
        healthPath: "/healthz",
        clusterIssuer: CLUSTER_ISSUERS.production,
        routeNamespaces: { [ARGO]: [NAMESPACES.argocd] },
        ...overrides,
    };
}

/**
 * Envoy Gateway v1.9.0's hostname overlap test (envoyproxy/gateway internal/gatewayapi/listener.go
 * areOverlappingHostnames / hostnameMatchesWithOther @ 39763b1c): a missing hostname overlaps
 * everything; a `*.` wildcard matches one label; otherwise only equal names.
 */
function egHostnamesOverlap(a: string | undefined, b: string | undefined): boolean {
    if (a === undefined || b === undefined) return true;
    const matches = (x: string, y: string) =>
        y.startsWith("*") && !x.startsWith("*") ? x.endsWith(y.slice(1)) && !x.slice(0, x.length - y.length + 1).includes(".") : x === y;
    return matches(a, b) || matches(b, a);
}

/**
 * Listeners Envoy Gateway v1.9.0 serves with ALPN forced to http/1.1: the HTTPS listeners whose
 * certificate SANs overlap another HTTPS listener's on the same port (listener.go
 * checkOverlappingCertificates sets TLSOverlaps; internal/xds/translator/listener.go then sets
 * ALPNProtocols ["http/1.1"] unless a ClientTrafficPolicy sets ALPN, which this stack does not).
 * `sansOf` gives the SANs of the certificate in a listener's secret.
 */
function egHttp1OnlyListeners(listeners: Spec[], sansOf: (secret: string) => string[]): string[] {
    const https = listeners.filter(l => l.protocol === "HTTPS");
    const sans = https.map(l => (l.tls.certificateRefs as Spec[]).flatMap(r => sansOf(r.name)));
    const forced = new Set<string>();
    for (let i = 0; i < https.length; i++) {
        for (let j = i + 1; j < https.length; j++) {
            if (https[i].port !== https[j].port) continue;
            if (sans[i].some(a => sans[j].some(b => egHostnamesOverlap(a, b)))) forced.add(https[i].name).add(https[j].name);
        }
    }
    return [...forced].sort();
}

describe("PlatformGateway", () => {
    let run: StackRun;
    let component: RecordedResource;
    before(async () => {
        run = await freshRun({
            stack: "dev",
            program: () => {
                new PlatformGateway("primary", gatewayArgs(new k8s.Provider("primary", {})));
            },
        });
        component = byName(run, "platform:cluster:PlatformGateway", "primary");
    });

    it("installs Envoy Gateway from the pinned chart into its own namespace, its CRDs from the separate CRD chart", () => {
        const release = one(under(run, component, RELEASE), "release");
        assert.equal(release.rawInputs.chart, "oci://docker.io/envoyproxy/gateway-helm");
        assert.equal(release.rawInputs.namespace, NAMESPACES.envoyGateway);
        assert.equal(values(release).crds.enabled, false, "gateway-helm's crds/ copy (never upgraded by Helm) is off");
        const crds = one(under(run, component, "kubernetes:helm.sh/v4:Chart"), "CRD chart");
        assert.ok(release.dependencies.includes(crds.urn), "the controller starts after its CRDs");
        const ns = byName(run, "kubernetes:core/v1:Namespace", "primary-envoy-gateway-ns");
        assert.ok(release.dependencies.includes(ns.urn), "release waits for its namespace");
        assert.equal(ns.parent, component.urn);
    });

    it("puts the region's static public IP on the generated LoadBalancer Service via the Gateway's EnvoyProxy", () => {
        const proxy = one(crOfKind(run, component, "EnvoyProxy"), "EnvoyProxy");
        assert.equal(proxy.rawInputs.apiVersion, "gateway.envoyproxy.io/v1alpha1");
        const service = spec(proxy).provider.kubernetes.envoyService;
        assert.equal(spec(proxy).provider.type, "Kubernetes");
        assert.equal(service.type, "LoadBalancer");
        assert.equal(service.externalTrafficPolicy, "Local");
        assert.deepEqual(service.annotations, {
            "service.beta.kubernetes.io/azure-pip-name": "pip-gw-primary",
            "service.beta.kubernetes.io/azure-load-balancer-resource-group": "rg-net-primary",
        });
        const gateway = one(crOfKind(run, component, "Gateway"), "Gateway");
        assert.deepEqual(spec(gateway).infrastructure.parametersRef, {
            group: "gateway.envoyproxy.io",
            kind: "EnvoyProxy",
            name: (proxy.rawInputs.metadata as Spec).name,
        });
        assert.equal((proxy.rawInputs.metadata as Spec).namespace, GATEWAY.namespace, "Gateway-level parametersRef is same-namespace");
        assert.ok(gateway.dependencies.includes(proxy.urn), "EnvoyProxy exists before the Gateway references it");
    });

    it("creates the GatewayClass for Envoy Gateway's controller and the one shared Gateway", () => {
        const gc = one(crOfKind(run, component, "GatewayClass"), "GatewayClass");
        assert.equal((gc.rawInputs.metadata as Spec).name, GATEWAY.className);
        assert.equal(spec(gc).controllerName, "gateway.envoyproxy.io/gatewayclass-controller");
        assert.ok(String(spec(gc).description).length <= 64, "GatewayClass description is limited to 64 characters");
        const gateway = one(crOfKind(run, component, "Gateway"), "Gateway");
        assert.equal(gateway.rawInputs.apiVersion, "gateway.networking.k8s.io/v1");
        assert.deepEqual(
            { name: (gateway.rawInputs.metadata as Spec).name, namespace: (gateway.rawInputs.metadata as Spec).namespace },
            { name: GATEWAY.name, namespace: GATEWAY.namespace },
        );
        assert.equal(spec(gateway).gatewayClassName, GATEWAY.className);
    });

    it("terminates TLS per hostname with cert-manager certificates from the configured ClusterIssuer", () => {
        const gateway = one(crOfKind(run, component, "Gateway"), "Gateway");
        assert.equal((gateway.rawInputs.metadata as Spec).annotations["cert-manager.io/cluster-issuer"], CLUSTER_ISSUERS.production);
        const https = (spec(gateway).listeners as Spec[]).filter(l => l.protocol === "HTTPS" && l.hostname);
        assert.deepEqual(
            https.map(l => l.hostname),
            [APP, ARGO],
        );
        for (const l of https) {
            assert.equal(l.port, 443);
            // The gateway-shim requires an explicit mode and a same-namespace core Secret ref.
            assert.deepEqual(l.tls, {
                mode: "Terminate",
                certificateRefs: [{ group: "", kind: "Secret", name: tlsSecretName(l.hostname) }],
            });
        }
        assert.equal(new Set(https.map(l => l.tls.certificateRefs[0].name)).size, https.length, "one secret (Certificate) per hostname");
    });

    it("gives the default (no-SNI) listener its own self-signed certificate, so no listener loses HTTP/2", () => {
        const gateway = one(crOfKind(run, component, "Gateway"), "Gateway");
        const listeners = spec(gateway).listeners as Spec[];
        const fallback = one(
            listeners.filter(l => l.name === "https-default"),
            "https-default listener",
        );
        assert.equal(fallback.hostname, undefined, "the default filter chain matches every SNI (and none)");
        assert.deepEqual(fallback.tls.certificateRefs, [{ group: "", kind: "Secret", name: DEFAULT_LISTENER_SECRET }]);

        // The stack makes that Secret from its own self-signed certificate; the key stays a secret.
        const secret = one(under(run, component, "kubernetes:core/v1:Secret"), "default listener Secret");
        assert.equal((secret.rawInputs.metadata as Spec).name, DEFAULT_LISTENER_SECRET);
        assert.equal((secret.rawInputs.metadata as Spec).namespace, GATEWAY.namespace);
        assert.equal(secret.rawInputs.type, "kubernetes.io/tls");
        const cert = one(under(run, component, "tls:index/selfSignedCert:SelfSignedCert"), "self-signed certificate");
        assert.ok(secret.dependencies.includes(cert.urn), "the Secret holds that certificate");
        assert.ok(JSON.stringify(planDocument(run)).includes("[secret]"));
        assert.ok(!JSON.stringify(planDocument(run)).includes("PRIVATE KEY"), "the key never shows in the plan");
        assert.ok(dependsOnSecret(gateway, secret), "the Gateway is created after the certificate it references");

        // What Envoy Gateway does with these certificates: cert-manager issues each hostname's
        // secret for that listener's hostname (cert-manager pkg/controller/certificate-shim/sync.go
        // @ v1.21.1, 24e33194: tlsHosts[secretRef] gets the listener's hostname), the default one
        // carries the SANs the stack gave it.
        const selfSignedSans = cert.rawInputs.dnsNames as string[];
        const sansOf = (secretName: string) =>
            secretName === DEFAULT_LISTENER_SECRET
                ? selfSignedSans
                : listeners.filter(l => l.hostname && tlsSecretName(l.hostname) === secretName).map(l => l.hostname as string);
        assert.deepEqual(egHttp1OnlyListeners(listeners, sansOf), [], "no listener is forced to ALPN http/1.1");
    });

    it("restricts which namespaces may attach routes to each hostname", () => {
        const listeners = spec(one(crOfKind(run, component, "Gateway"), "Gateway")).listeners as Spec[];
        const byHost = (h: string) => listeners.find(l => l.hostname === h)!;
        assert.deepEqual(byHost(APP).allowedRoutes.namespaces, {
            from: "Selector",
            selector: { matchLabels: { [GATEWAY_ROUTES_LABEL]: "true" } },
        });
        assert.deepEqual(byHost(ARGO).allowedRoutes.namespaces.selector.matchExpressions, [
            { key: "kubernetes.io/metadata.name", operator: "In", values: [NAMESPACES.argocd, GATEWAY.namespace].sort() },
        ]);
        for (const l of listeners.filter(l => !l.hostname)) {
            assert.deepEqual(l.allowedRoutes, { namespaces: { from: "Same" } }, `${l.name} admits only the gateway namespace`);
        }
        const gwNs = byName(run, "kubernetes:core/v1:Namespace", "primary-gateway-ns");
        assert.equal((gwNs.rawInputs.metadata as Spec).labels[GATEWAY_ROUTES_LABEL], "true");
    });

    it("redirects plain HTTP to HTTPS", () => {
        const listeners = spec(one(crOfKind(run, component, "Gateway"), "Gateway")).listeners as Spec[];
        assert.deepEqual(
            listeners.find(l => l.name === "http"),
            { name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "Same" } } },
        );
        const redirect = crOfKind(run, component, "HTTPRoute").find(r => (r.rawInputs.metadata as Spec).name === "http-to-https")!;
        assert.deepEqual(
            spec(redirect).parentRefs.map((p: Spec) => p.sectionName),
            ["http"],
        );
        assert.deepEqual(spec(redirect).rules, [
            { filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
        ]);
        assert.equal(spec(redirect).rules[0].backendRefs, undefined);
    });

    it("answers the Traffic Manager probe (path + Host) with a direct 200 from Envoy, no backend", () => {
        const route = crOfKind(run, component, "HTTPRoute").find(r => (r.rawInputs.metadata as Spec).name === "traffic-manager-probe")!;
        assert.deepEqual(spec(route).hostnames, [APP]);
        const [rule] = spec(route).rules as Spec[];
        assert.deepEqual(rule.matches, [{ path: { type: "Exact", value: "/healthz" } }]);
        assert.equal(rule.backendRefs, undefined);
        const filter = one(crOfKind(run, component, "HTTPRouteFilter"), "HTTPRouteFilter");
        assert.deepEqual(rule.filters, [
            {
                type: "ExtensionRef",
                extensionRef: { group: "gateway.envoyproxy.io", kind: "HTTPRouteFilter", name: (filter.rawInputs.metadata as Spec).name },
            },
        ]);
        assert.equal(spec(filter).directResponse.statusCode, 200);
        assert.deepEqual(spec(filter).directResponse.body, { type: "Inline", inline: "ok\n" });
        // Attached to the probe hostname's listener and to the SNI-less default listener.
        assert.deepEqual(
            spec(route).parentRefs.map((p: Spec) => p.sectionName),
            [APP, "https-default"],
        );
        const listeners = spec(one(crOfKind(run, component, "Gateway"), "Gateway")).listeners as Spec[];
        const fallback = listeners.find(l => l.name === "https-default")!;
        assert.equal(fallback.hostname, undefined);
        assert.equal(fallback.tls.certificateRefs[0].name, DEFAULT_LISTENER_SECRET);
    });

    it("orders every Gateway API / Envoy Gateway object after the chart that installs their CRDs", () => {
        const release = one(under(run, component, RELEASE), "release");
        const crs = customResources(run, component);
        assert.equal(crs.length, 6);
        for (const cr of crs) {
            assert.ok(cr.dependencies.includes(release.urn), `${cr.rawInputs.kind} ${cr.name} depends on the release`);
            assert.equal(cr.provider, byName(run, "pulumi:providers:kubernetes", "primary").urn);
        }
    });

    it("adds a listener for a probe hostname that is not among the hostnames", async () => {
        const r = await freshRun({
            stack: "dev",
            program: () => {
                new PlatformGateway(
                    "g",
                    gatewayArgs(new k8s.Provider("p", {}), { probeHostname: "probe.platform.example.com", routeNamespaces: {} }),
                );
            },
        });
        const gateway = byType(r, "kubernetes:gateway.networking.k8s.io/v1:Gateway")[0];
        assert.deepEqual(
            (spec(gateway).listeners as Spec[]).filter(l => l.hostname).map(l => l.hostname),
            [APP, ARGO, "probe.platform.example.com"],
        );
    });

    it("rejects bad hostnames, paths and routeNamespaces with one message", async () => {
        const err = await rejection(() =>
            freshRun({
                stack: "dev",
                program: () => {
                    new PlatformGateway(
                        "g",
                        gatewayArgs(new k8s.Provider("p", {}), {
                            hostnames: ["App.Example.com"],
                            healthPath: "healthz",
                            routeNamespaces: { "nope.example.com": ["x"] },
                        }),
                    );
                },
            }),
        );
        assert.match(err.message, /App\.Example\.com/);
        assert.match(err.message, /healthPath/);
        assert.match(err.message, /nope\.example\.com/);
    });
});

// ---------------------------------------------------------------------------------------------
// The cluster base as the integrator will wire it: both clusters, one provider each.
// ---------------------------------------------------------------------------------------------

const ZONE = { name: "platform.example.com", resourceGroupName: "rg-dns" };
const CLUSTERS = {
    primary: {
        ip: "pip-gw-primary",
        ipRg: "rg-primary",
        dnsClientId: "11111111-1111-4111-8111-111111111111",
        hostnames: [APP, ARGO, "harbor.platform.example.com"],
    },
    secondary: {
        ip: "pip-gw-secondary",
        ipRg: "rg-secondary",
        dnsClientId: "22222222-2222-4222-8222-222222222222",
        hostnames: [APP, "argocd-secondary.platform.example.com"],
    },
} as const;

export function twoClusterProgram(): Record<string, unknown> {
    const key = new SealingKey("sealing");
    for (const [cluster, c] of Object.entries(CLUSTERS)) {
        const provider = new k8s.Provider(cluster, {});
        const gateway = new PlatformGateway(cluster, {
            provider,
            acrLoginServer: "platformacr.azurecr.io",
            publicIp: { name: c.ip, resourceGroupName: c.ipRg },
            hostnames: [...c.hostnames],
            probeHostname: APP,
            healthPath: "/healthz",
            clusterIssuer: CLUSTER_ISSUERS.production,
        });
        new CertManager(cluster, {
            provider,
            acrLoginServer: "platformacr.azurecr.io",
            identityClientId: c.dnsClientId,
            subscriptionId: "sub-123",
            dnsZone: ZONE,
            acmeEmail: "platform@example.com",
            dependsOn: [gateway.crdsReady],
        });
        new ExternalDns(cluster, {
            provider,
            acrLoginServer: "platformacr.azurecr.io",
            identityClientId: c.dnsClientId,
            tenantId: "tenant-1",
            subscriptionId: "sub-123",
            dnsZone: ZONE,
            txtOwnerId: `dev-${cluster}`,
            policy: "sync",
            excludeHostnames: [APP],
            dependsOn: [gateway.crdsReady],
        });
        new SealedSecrets(cluster, { provider, acrLoginServer: "platformacr.azurecr.io", sealingKeys: [{ generation: 1, ...key }] });
    }
    return { sealingCertificate: key.certificatePem };
}

describe("cluster base in two clusters (primary, secondary)", () => {
    let run: StackRun;
    const component = (type: string, cluster: string) => byName(run, `platform:cluster:${type}`, cluster);
    const release = (type: string, cluster: string) => one(under(run, component(type, cluster), RELEASE), `${type} release`);
    before(async () => {
        run = await freshRun({ stack: "dev", program: twoClusterProgram });
    });

    it("registers unique URNs (children are named after their component, so two clusters cannot collide)", () => {
        const urns = run.resources.map(r => r.urn);
        assert.equal(new Set(urns).size, urns.length, urns.filter((u, i) => urns.indexOf(u) !== i).join("\n"));
    });

    it("gives each cluster's gateway Service its own region's public IP", () => {
        for (const [cluster, c] of Object.entries(CLUSTERS)) {
            const proxy = one(crOfKind(run, component("PlatformGateway", cluster), "EnvoyProxy"), "EnvoyProxy");
            const annotations = spec(proxy).provider.kubernetes.envoyService.annotations;
            assert.equal(annotations["service.beta.kubernetes.io/azure-pip-name"], c.ip);
            assert.equal(annotations["service.beta.kubernetes.io/azure-load-balancer-resource-group"], c.ipRg);
        }
    });

    it("routes every cluster resource through that cluster's provider", () => {
        for (const cluster of Object.keys(CLUSTERS)) {
            const providerUrn = byName(run, "pulumi:providers:kubernetes", cluster).urn;
            for (const type of ["PlatformGateway", "CertManager", "ExternalDns", "SealedSecrets"]) {
                // Kubernetes objects (the gateway's self-signed key and certificate are local tls resources).
                const custom = descendants(run, component(type, cluster).urn).filter(r => r.custom && r.type.startsWith("kubernetes:"));
                assert.ok(custom.length > 0);
                for (const r of custom) assert.equal(r.provider, providerUrn, `${type}/${r.name} in ${cluster}`);
            }
        }
    });

    it("installs cert-manager only after the Gateway API CRDs (the Envoy Gateway CRD chart) of the same cluster", () => {
        const crdChart = (cluster: string) =>
            one(under(run, component("PlatformGateway", cluster), "kubernetes:helm.sh/v4:Chart"), "CRD chart");
        for (const cluster of Object.keys(CLUSTERS)) {
            const deps = release("CertManager", cluster).dependencies;
            assert.ok(deps.includes(crdChart(cluster).urn), cluster);
            const other = cluster === "primary" ? "secondary" : "primary";
            assert.ok(!deps.includes(crdChart(other).urn), "no cross-cluster ordering");
        }
    });

    it("puts each cluster's DNS identity client id on the right ServiceAccounts, with the pod label", () => {
        for (const [cluster, c] of Object.entries(CLUSTERS)) {
            for (const [type, sa] of [
                ["CertManager", WORKLOAD_IDENTITY_SERVICE_ACCOUNTS.certManager],
                ["ExternalDns", WORKLOAD_IDENTITY_SERVICE_ACCOUNTS.externalDns],
            ] as const) {
                const r = release(type, cluster);
                assert.equal(r.rawInputs.namespace, sa.namespace);
                assert.deepEqual(values(r).serviceAccount, {
                    create: true,
                    name: sa.name,
                    annotations: { "azure.workload.identity/client-id": c.dnsClientId },
                });
                assert.deepEqual(values(r).podLabels, { "azure.workload.identity/use": "true" });
            }
        }
    });

    it("creates staging and production DNS-01 ClusterIssuers after the cert-manager release", () => {
        for (const [cluster, c] of Object.entries(CLUSTERS)) {
            const issuers = crOfKind(run, component("CertManager", cluster), "ClusterIssuer");
            assert.deepEqual(
                issuers.map(i => (i.rawInputs.metadata as Spec).name).sort(),
                [CLUSTER_ISSUERS.production, CLUSTER_ISSUERS.staging].sort(),
            );
            for (const i of issuers) {
                assert.ok(i.dependencies.includes(release("CertManager", cluster).urn));
                const azureDNS = spec(i).acme.solvers[0].dns01.azureDNS;
                assert.deepEqual(azureDNS.managedIdentity, { clientID: c.dnsClientId });
                assert.equal(azureDNS.hostedZoneName, ZONE.name);
                assert.equal(azureDNS.resourceGroupName, ZONE.resourceGroupName);
            }
        }
    });

    it("gives each ExternalDNS a distinct txtOwnerId and keeps it off the Pulumi-owned app hostname", () => {
        const owners = Object.keys(CLUSTERS).map(cluster => values(release("ExternalDns", cluster)).txtOwnerId);
        assert.equal(new Set(owners).size, owners.length);
        for (const cluster of Object.keys(CLUSTERS)) {
            assert.deepEqual(values(release("ExternalDns", cluster)).excludeDomains, [APP]);
        }
    });

    it("installs the SAME sealing key in both clusters, before each controller starts, with renewal off", () => {
        const secrets = Object.keys(CLUSTERS).map(cluster =>
            one(under(run, component("SealedSecrets", cluster), "kubernetes:core/v1:Secret"), "key secret"),
        );
        assert.deepEqual(secrets[0].rawInputs.stringData, secrets[1].rawInputs.stringData);
        assert.match(JSON.stringify(secrets[0].rawInputs.stringData), /BEGIN RSA PRIVATE KEY/);
        // (The other keys are the Gateways' ECDSA default-listener keys, one per cluster.)
        assert.equal(
            byType(run, "tls:index/privateKey:PrivateKey").filter(k => k.rawInputs.algorithm === "RSA").length,
            1,
            "one sealing key per stack",
        );
        for (const [i, cluster] of Object.keys(CLUSTERS).entries()) {
            const chart = release("SealedSecrets", cluster);
            assert.ok(chart.dependencies.includes(secrets[i].urn), `${cluster}: key Secret exists before the controller`);
            assert.equal(values(chart).keyrenewperiod, "0");
        }
    });

    it("never shows the sealing private key in the plan, and publishes the certificate", () => {
        const json = JSON.stringify(planDocument(run));
        assert.ok(!json.includes("PRIVATE KEY"), "plan JSON leaks the sealing key");
        assert.ok(!json.includes("mock-private-key"), "plan JSON leaks the sealing key body");
        assert.match(String(run.outputs.sealingCertificate), /BEGIN CERTIFICATE/);
    });
});
