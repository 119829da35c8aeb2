// Cross-layer wiring on the full stacks: the values one layer produces are the values the other
// layer consumes. Component tests prove each piece; these prove the pieces are connected. The
// engine derives every id from its resource's URN, so wiring the wrong identity, IP or cluster
// makes these fail.
import { strict as assert } from "assert";
import {
    byType,
    dependencyClosure,
    descendants,
    freshRun,
    planDocument,
    readStackConfig,
    RecordedResource,
    stackRun,
    StackRun,
    stackPreview,
} from "../harness";
import { CLUSTER_KEYS } from "../../infra/config";
import { MOCK_DEPLOYER_OBJECT_ID } from "../../tools/mock-outputs";
import { CLUSTER_ISSUERS, PIPELINE_SERVICE_ACCOUNT, serviceAccountSubject, WORKLOAD_IDENTITY_SERVICE_ACCOUNTS } from "../../model/names";
import { ACME_SERVERS } from "../../components/cluster/cert-manager";

type Any = Record<string, any>;
const CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id";

/** Every value stored under `key` anywhere in `value`. */
function valuesAt(value: unknown, key: string, found: unknown[] = []): unknown[] {
    if (Array.isArray(value)) value.forEach(v => valuesAt(v, key, found));
    else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            if (k === key) found.push(v);
            valuesAt(v, key, found);
        }
    }
    return found;
}

function component(run: StackRun, type: string, name: string): RecordedResource {
    const c = run.resources.find(r => r.type === type && r.name === name);
    assert.ok(c, `no ${type} named ${name}`);
    return c;
}

function releaseIn(run: StackRun, componentType: string, componentName: string): RecordedResource {
    const releases = descendants(run, component(run, componentType, componentName).urn).filter(
        r => r.type === "kubernetes:helm.sh/v3:Release",
    );
    assert.equal(releases.length, 1, `${componentName} has one chart`);
    return releases[0];
}

function providerOf(run: StackRun, key: string): string {
    return byType(run, "pulumi:providers:kubernetes").find(p => p.name === `${key}-k8s`)!.urn;
}

for (const stack of ["dev", "prod"] as const) {
    describe(`wiring (${stack})`, () => {
        let run: StackRun;
        let out: Any;
        before(async () => {
            run = await stackRun(stack);
            out = run.rawOutputs as Any;
        });

        it("every Kubernetes object goes through an explicit cluster provider, never an ambient kubeconfig", () => {
            const clusterProviders = new Set(CLUSTER_KEYS.map(k => providerOf(run, k)));
            const k8sObjects = run.resources.filter(r => r.type.startsWith("kubernetes:"));
            assert.ok(k8sObjects.length > 50);
            for (const r of k8sObjects)
                assert.ok(r.provider && clusterProviders.has(r.provider), `${r.type} ${r.name} has provider ${r.provider}`);
        });

        it("cert-manager and ExternalDNS run as the DNS identities federated to their ServiceAccounts on each cluster's issuer", () => {
            const federated = byType(run, "azure-native:managedidentity:FederatedIdentityCredential");
            for (const key of CLUSTER_KEYS) {
                for (const [component_, identity, type] of [
                    ["certManager", out.identities.certManager, "platform:cluster:CertManager"],
                    ["externalDns", out.identities.externalDns, "platform:cluster:ExternalDns"],
                ] as const) {
                    const name = `${key}-${component_ === "certManager" ? "cert-manager" : "external-dns"}`;
                    const inCluster = [
                        ...valuesAt(releaseIn(run, type, name).rawInputs, CLIENT_ID_ANNOTATION),
                        ...descendants(run, component(run, type, name).urn).flatMap(r => valuesAt(r.rawInputs, CLIENT_ID_ANNOTATION)),
                    ];
                    assert.ok(inCluster.length > 0, `${name} carries a client-id annotation`);
                    for (const v of inCluster) assert.equal(v, identity.clientId, `${name} uses its own identity`);

                    const sa = WORKLOAD_IDENTITY_SERVICE_ACCOUNTS[component_];
                    const creds = federated.filter(
                        f =>
                            f.rawInputs.subject === serviceAccountSubject(sa.namespace, sa.name) &&
                            f.rawInputs.issuer === out.clusters[key].oidcIssuerUrl,
                    );
                    assert.equal(creds.length, 1, `${component_} is federated on the ${key} issuer`);
                }
            }
        });

        it("the pipeline ServiceAccount, its federated subject and the AcrPush identity agree, on the primary only", () => {
            const pipelineNs = out.pipelineNamespace;
            const sas = byType(run, "kubernetes:core/v1:ServiceAccount").filter(
                r => (r.rawInputs as Any).metadata?.name === PIPELINE_SERVICE_ACCOUNT,
            );
            assert.equal(sas.length, 1);
            assert.equal((sas[0].rawInputs as Any).metadata.namespace, pipelineNs);
            assert.equal((sas[0].rawInputs as Any).metadata.annotations[CLIENT_ID_ANNOTATION], out.identities.pipeline.clientId);
            assert.equal(sas[0].provider, providerOf(run, "primary"));

            const creds = byType(run, "azure-native:managedidentity:FederatedIdentityCredential").filter(
                f => f.rawInputs.subject === serviceAccountSubject(pipelineNs, PIPELINE_SERVICE_ACCOUNT),
            );
            assert.equal(creds.length, 1);
            assert.equal(creds[0].rawInputs.issuer, out.clusters.primary.oidcIssuerUrl);
            const push = byType(run, "azure-native:authorization:RoleAssignment").filter(a =>
                String(a.rawInputs.roleDefinitionId).endsWith("8311e382-0749-4cb8-b61a-304f252e45ec"),
            );
            assert.deepEqual(
                push.map(a => a.rawInputs.principalId),
                [out.identities.pipeline.principalId],
            );
        });

        it("each region's Gateway Service takes that region's static public IP", () => {
            for (const key of CLUSTER_KEYS) {
                const proxies = descendants(run, component(run, "platform:cluster:PlatformGateway", `${key}-gateway`).urn).filter(r =>
                    r.type.endsWith(":EnvoyProxy"),
                );
                assert.equal(proxies.length, 1);
                const annotations = valuesAt(proxies[0].rawInputs, "annotations")[0] as Any;
                assert.equal(annotations["service.beta.kubernetes.io/azure-pip-name"], out.clusters[key].gatewayIp.name);
                assert.equal(
                    annotations["service.beta.kubernetes.io/azure-load-balancer-resource-group"],
                    out.clusters[key].gatewayIp.resourceGroupName,
                );
                assert.equal(proxies[0].provider, providerOf(run, key));
            }
        });

        it("Gatekeeper in both clusters admits only images under this stack's ACR login server", () => {
            const constraints = run.resources.filter(
                r => r.type === "kubernetes:constraints.gatekeeper.sh/v1beta1:PlatformAllowedRegistries",
            );
            assert.equal(constraints.length, 2);
            for (const c of constraints)
                assert.deepEqual((c.rawInputs as Any).spec.parameters.registries, [`${out.registry.loginServer}/`]);
        });

        it("one sealing key, installed identically in both clusters, whose certificate is the stack output", () => {
            const keys = byType(run, "kubernetes:core/v1:Secret").filter(
                s =>
                    (s.rawInputs as Any).type === "kubernetes.io/tls" &&
                    (s.rawInputs as Any).metadata?.labels?.["sealedsecrets.bitnami.com/sealed-secrets-key"] === "active",
            );
            assert.equal(keys.length, 2);
            assert.notEqual(keys[0].provider, keys[1].provider);
            const data = keys.map(k => JSON.stringify((k.rawInputs as Any).stringData ?? (k.rawInputs as Any).data));
            assert.equal(data[0], data[1]);
            assert.ok(
                data[0].includes(JSON.stringify(out.sealedSecretsCertificate).slice(1, 40)),
                "the installed certificate is the published one",
            );
        });

        it("ExternalDNS owner ids differ per cluster and neither touches the Pulumi-owned app hostname", () => {
            const values = CLUSTER_KEYS.map(
                k => releaseIn(run, "platform:cluster:ExternalDns", `${k}-external-dns`).rawInputs.values as Any,
            );
            assert.notEqual(values[0].txtOwnerId, values[1].txtOwnerId);
            for (const v of values) assert.ok(JSON.stringify(v).includes(out.appHostname), "app hostname excluded");
        });

        it("the Harbor robot's secret reaches only the pipeline namespace, and never the plan in clear", () => {
            const robot = byType(run, "pulumi-nodejs:dynamic:Resource").find(
                r => r.rawInputs.fullName !== undefined && r.rawInputs.secretVersion !== undefined,
            );
            assert.ok(robot, "a Harbor robot account");
            const holders = run.resources.filter(r => r !== robot && JSON.stringify(r.rawInputs).includes("mockrobot-"));
            assert.ok(holders.length > 0, "the robot secret is wired to the pipeline");
            for (const h of holders) {
                assert.equal(h.type, "kubernetes:core/v1:Secret", `${h.type} ${h.name} holds the robot secret`);
                assert.equal((h.rawInputs as Any).metadata.namespace, out.pipelineNamespace);
            }
            assert.ok(!JSON.stringify(planDocument(run)).includes("mockrobot-"));
        });

        it("each Argo CD and the Tekton dashboard answer only the networks authorized for the API servers", () => {
            const ranges = JSON.parse(readStackConfig(stack).config["platform:kubernetes"]).authorizedIpRanges as string[];
            const policies = run.resources.filter(r => r.type === "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy");
            assert.deepEqual(policies.map(p => (p.rawInputs as Any).metadata.namespace).sort(), [
                "argocd",
                "argocd",
                "tekton-dashboard-proxy",
            ]);
            for (const p of policies) {
                const spec = (p.rawInputs as Any).spec;
                assert.equal(spec.authorization.defaultAction, "Deny");
                assert.deepEqual(spec.authorization.rules.flatMap((r: Any) => r.principal.clientCIDRs).sort(), [...ranges].sort());
            }
        });

        it("Harbor, Tekton and the pipeline live on the primary cluster only", () => {
            const primary = providerOf(run, "primary");
            for (const [type, name] of [
                ["platform:cluster:Harbor", "harbor"],
                ["platform:cluster:TektonPlatform", "tekton"],
                ["platform:cluster:SupplyChainPipeline", "supply-chain"],
            ]) {
                const objects = descendants(run, component(run, type, name).urn).filter(r => r.type.startsWith("kubernetes:"));
                assert.ok(objects.length > 0, name);
                for (const o of objects) assert.equal(o.provider, primary, `${o.type} ${o.name}`);
            }
        });

        it("each Gateway's certificates come from the stack's ACME issuer (dev: Let's Encrypt staging)", () => {
            const issuer = JSON.parse(readStackConfig(stack).config["platform:dns"]).acmeIssuer as "staging" | "production";
            assert.equal(issuer, stack === "dev" ? "staging" : "production");
            const gateways = byType(run, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
            assert.equal(gateways.length, 2);
            for (const g of gateways)
                assert.equal((g.rawInputs as Any).metadata.annotations["cert-manager.io/cluster-issuer"], CLUSTER_ISSUERS[issuer]);
            // The issuer the annotation names exists on that cluster, pointing at the matching ACME directory.
            const issuers = byType(run, "kubernetes:cert-manager.io/v1:ClusterIssuer").filter(
                i => (i.rawInputs as Any).metadata.name === CLUSTER_ISSUERS[issuer],
            );
            assert.equal(issuers.length, 2);
            for (const i of issuers) assert.equal((i.rawInputs as Any).spec.acme.server, ACME_SERVERS[issuer]);
        });

        it("applications arrive only after the guard rails: each root Application waits for that cluster's constraints", () => {
            for (const key of CLUSTER_KEYS) {
                const argocd = component(run, "platform:cluster:ArgoCd", `${key}-argocd`);
                const root = descendants(run, argocd.urn).find(r => r.type === "kubernetes:argoproj.io/v1alpha1:Application");
                assert.ok(root, `${key}: root Application`);
                const gatekeeper = component(run, "platform:cluster:Gatekeeper", `${key}-gatekeeper`);
                const constraints = descendants(run, gatekeeper.urn).filter(r =>
                    r.type.startsWith("kubernetes:constraints.gatekeeper.sh/"),
                );
                assert.equal(constraints.length, 6); // one per template, pod-security baseline + restricted included
                const before = dependencyClosure(run, root);
                for (const c of constraints) assert.ok(before.has(c.urn), `${key}: root Application waits for ${c.name}`);
            }
        });
    });
}

describe("environment differences come from the stack files", () => {
    it("AKS tier and platform replicas follow config, not the environment's name", async () => {
        const run = await freshRun({
            stack: "dev",
            configOverrides: { "platform:replicas": { gatewayProxy: 4, certManager: 3 } },
        });
        const clusters = byType(run, "azure-native:containerservice:ManagedCluster");
        for (const c of clusters) assert.equal((c.rawInputs as Any).sku.tier, "Free");
        const prodClusters = byType(await stackRun("prod"), "azure-native:containerservice:ManagedCluster");
        for (const c of prodClusters) assert.equal((c.rawInputs as Any).sku.tier, "Standard");
        const certManager = run.resources.filter(
            r => r.type === "kubernetes:helm.sh/v3:Release" && (r.rawInputs as Any).chart === "cert-manager",
        );
        assert.equal(certManager.length, 2);
        for (const r of certManager) assert.equal((r.rawInputs as Any).values.replicaCount, 3);
        const proxies = run.resources.filter(r => r.type.endsWith(":EnvoyProxy"));
        for (const p of proxies) assert.equal(valuesAt(p.rawInputs, "replicas")[0], 4);
    });
});

describe("ordering across components", () => {
    it("every Tekton object of the pipeline waits for the operator's TektonConfig (which waits for Ready)", async () => {
        const run = await stackRun("dev");
        const config = run.resources.find(r => r.type === "kubernetes:operator.tekton.dev/v1alpha1:TektonConfig")!;
        const tektonObjects = run.resources.filter(r => /^kubernetes:(triggers\.)?tekton\.dev\//.test(r.type));
        assert.ok(tektonObjects.length >= 8);
        for (const o of tektonObjects) assert.ok(dependencyClosure(run, o).has(config.urn), `${o.type} ${o.name}`);
    });
});

describe("install order against Gatekeeper's webhook", () => {
    const gatekeeperRelease = (run: StackRun, key: string) =>
        descendants(run, component(run, "platform:cluster:Gatekeeper", `${key}-gatekeeper`).urn).find(
            r => r.type === "kubernetes:helm.sh/v3:Release",
        )!;
    /** Kubernetes objects of one cluster that wait for that cluster's Gatekeeper release, and those that don't. */
    function split(run: StackRun, key: string) {
        const release = gatekeeperRelease(run, key);
        const before = dependencyClosure(run, release);
        const gatekeeper = new Set(
            descendants(run, component(run, "platform:cluster:Gatekeeper", `${key}-gatekeeper`).urn).map(r => r.urn),
        );
        const others = run.resources.filter(
            r => r.type.startsWith("kubernetes:") && r.provider === providerOf(run, key) && !gatekeeper.has(r.urn) && !before.has(r.urn),
        );
        const waiting = others.filter(r => dependencyClosure(run, r).has(release.urn));
        return { others, waiting, notWaiting: others.filter(r => !waiting.includes(r)) };
    }

    it("prod (webhook fails closed): every other Kubernetes object on a cluster waits for the Gatekeeper release", async () => {
        const run = await stackRun("prod");
        assert.equal(JSON.parse(readStackConfig("prod").config["platform:gatekeeper"]).failurePolicy, "Fail");
        for (const key of CLUSTER_KEYS) {
            const { others, notWaiting } = split(run, key);
            assert.ok(others.length > 30, `${key}: ${others.length} objects`);
            assert.deepEqual(
                notWaiting.map(r => `${r.type} ${r.name}`),
                [],
                `${key}: objects that race the webhook`,
            );
            // The one thing no dependsOn of ours reaches, the objects a helm.v4.Chart's provider
            // creates (the Gateway API CRDs), is installed before Gatekeeper instead.
            const crdChart = run.resources.find(r => r.type === "kubernetes:helm.sh/v4:Chart" && r.provider === providerOf(run, key))!;
            assert.ok(
                dependencyClosure(run, gatekeeperRelease(run, key)).has(crdChart.urn),
                `${key}: Gatekeeper installs after the CRD chart`,
            );
        }
    });

    it("dev (webhook fails open): nothing waits for Gatekeeper but the root Applications (which wait for the constraints) and Ratify (Gatekeeper's external-data provider)", async () => {
        const run = await stackRun("dev");
        assert.equal(JSON.parse(readStackConfig("dev").config["platform:gatekeeper"]).failurePolicy, "Ignore");
        for (const key of CLUSTER_KEYS) {
            const ratify = new Set(
                descendants(run, component(run, "platform:cluster:ImageVerification", `${key}-image-verification`).urn).map(r => r.urn),
            );
            const { waiting } = split(run, key);
            assert.deepEqual(
                waiting.filter(r => !ratify.has(r.urn)).map(r => r.type),
                ["kubernetes:argoproj.io/v1alpha1:Application"],
                key,
            );
            assert.deepEqual(
                [...dependencyClosure(run, gatekeeperRelease(run, key))].filter(u => u.includes("helm.sh/v4:Chart")),
                [],
                `${key}: Gatekeeper does not wait for the CRDs either`,
            );
        }
    });
});

describe("deploy path: no needless ordering", () => {
    let run: StackRun;
    const closure = (r: RecordedResource) => dependencyClosure(run, r, { viaProviders: true });
    before(async () => {
        run = await stackRun("prod");
    });

    it("the two regions deploy in parallel: nothing in one cluster waits for the other", () => {
        const providers = Object.fromEntries(
            CLUSTER_KEYS.map(k => [k, byType(run, "pulumi:providers:kubernetes").find(p => p.name === `${k}-k8s`)!.urn]),
        );
        const aks = Object.fromEntries(
            CLUSTER_KEYS.map(k => [k, byType(run, "azure-native:containerservice:ManagedCluster").find(c => c.name === `${k}-aks`)!.urn]),
        );
        for (const [key, other] of [
            ["primary", "secondary"],
            ["secondary", "primary"],
        ]) {
            for (const r of run.resources.filter(x => x.provider === providers[key])) {
                const deps = closure(r);
                assert.ok(
                    !deps.has(providers[other]) && !deps.has(aks[other]),
                    `${r.type} ${r.name} (${key}) waits for the ${other} cluster`,
                );
            }
        }
    });

    for (const stack of ["dev", "prod"] as const)
        it(`${stack}: charts wait only for the charts they need (cert-manager, ExternalDNS and Envoy Gateway for the Gateway API CRDs; in prod, Gatekeeper's fail-closed webhook)`, async () => {
            const run = await stackRun(stack);
            const closure = (r: RecordedResource) => dependencyClosure(run, r, { viaProviders: true });
            const releases = byType(run, "kubernetes:helm.sh/v3:Release");
            // Charts: Helm releases and the Pulumi-rendered CRD charts (helm.v4.Chart).
            const charts = [...releases, ...byType(run, "kubernetes:helm.sh/v4:Chart")];
            const chartOf = (urn: string) => (charts.find(r => r.urn === urn)?.rawInputs as Any | undefined)?.chart as string | undefined;
            const waits: Record<string, string[]> = {};
            for (const r of releases) {
                const before = [...closure(r)].map(chartOf).filter((c): c is string => !!c);
                const key = `${r.provider!.split("::").pop()}:${(r.rawInputs as Any).chart}`;
                waits[key] = [...new Set(before.map(c => c.split("/").pop()!))].sort();
            }
            for (const [key, before] of Object.entries(waits)) {
                const chart = key.split(":").slice(1).join(":").split("/").pop()!;
                const needs = ["cert-manager", "external-dns", "gateway-helm"].includes(chart) ? ["gateway-crds-helm"] : [];
                // Ratify registers Gatekeeper's external-data Provider: it needs Gatekeeper's CRDs.
                const ratify = chart === "ratify" ? ["gatekeeper"] : [];
                // Prod: Gatekeeper after the Gateway API CRDs, everything else after Gatekeeper.
                const admission =
                    stack !== "prod" || chart === "gateway-crds-helm"
                        ? []
                        : chart === "gatekeeper"
                          ? ["gateway-crds-helm"]
                          : ["gatekeeper", "gateway-crds-helm"];
                assert.deepEqual(before, [...new Set([...needs, ...ratify, ...admission])].sort(), `${key} waits for ${before.join(", ")}`);
            }
        });
});

describe("secret rotation knobs", () => {
    it("delivery.robotSecretVersion reaches the Harbor robot (bumping it rotates the secret in place)", async () => {
        const raw = JSON.parse(readStackConfig("dev").config["platform:delivery"]);
        const run = await freshRun({ stack: "dev", configOverrides: { "platform:delivery": { ...raw, robotSecretVersion: 3 } } });
        const robots = byType(run, "pulumi-nodejs:dynamic:Resource").filter(
            r => r.rawInputs.fullName !== undefined && r.rawInputs.secretVersion !== undefined,
        );
        assert.equal(robots.length, 1);
        assert.equal(robots[0].rawInputs.secretVersion, 3);
    });
});

describe("Harbor configuration wiring", () => {
    it("the retention policy targets the staging project Harbor assigned (its projectId flows in)", async () => {
        const run = await stackRun("dev");
        const dynamic = byType(run, "pulumi-nodejs:dynamic:Resource");
        const project = dynamic.find(r => r.rawInputs.autoScan !== undefined)!;
        const retention = dynamic.find(r => r.rawInputs.retainTags !== undefined)!;
        assert.ok(project && retention);
        assert.ok(Number.isInteger(retention.rawInputs.projectId) && (retention.rawInputs.projectId as number) > 0, "projectId present");
        assert.deepEqual(retention.propertyDependencies.projectId, [project.urn]);
    });
});

describe("deploying principal", () => {
    const clusterAdmin = (run: StackRun) =>
        byType(run, "azure-native:authorization:RoleAssignment").filter(a => a.name.endsWith("-deployer-cluster-admin"));

    it("defaults to whoever runs up (dev without kubernetes.deployer)", async () => {
        const { deployer: _, ...k8s } = JSON.parse(readStackConfig("dev").config["platform:kubernetes"]);
        const run = await freshRun({ stack: "dev", configOverrides: { "platform:kubernetes": k8s } });
        assert.deepEqual(
            clusterAdmin(run).map(a => a.rawInputs.principalId),
            [MOCK_DEPLOYER_OBJECT_ID, MOCK_DEPLOYER_OBJECT_ID],
        );
    });

    it("is a stable, configured principal when set (runs by CI and people do not swap the grant)", async () => {
        const k8s = JSON.parse(readStackConfig("dev").config["platform:kubernetes"]);
        const deployer = { objectId: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", principalType: "Group" };
        const run = await freshRun({ stack: "dev", configOverrides: { "platform:kubernetes": { ...k8s, deployer } } });
        for (const a of clusterAdmin(run)) {
            assert.equal(a.rawInputs.principalId, deployer.objectId);
            assert.equal(a.rawInputs.principalType, "Group");
        }
    });
});

describe("exposure", () => {
    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: only the Gateway is exposed; routes reach only the intended backends (never the Tekton dashboard)`, async () => {
            const run = await stackRun(stack);
            assert.equal(byType(run, "kubernetes:networking.k8s.io/v1:Ingress").length, 0, "no Ingress objects");
            const lbServices = byType(run, "kubernetes:core/v1:Service").filter(s => (s.rawInputs as Any).spec?.type === "LoadBalancer");
            assert.deepEqual(
                lbServices.map(s => s.name),
                [],
                "no LoadBalancer Service besides the Gateway's (Envoy Gateway creates that one)",
            );
            const backends = byType(run, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
                .flatMap(r => valuesAt((r.rawInputs as Any).spec, "backendRefs").flat() as Any[])
                .map(b => `${b.name}:${b.port}`);
            const expected = ["argocd-server:80", "argocd-server:80", "harbor:80", "el-supply-chain:8080", "oauth2-proxy:80"];
            assert.deepEqual([...backends].sort(), [...expected].sort());
        });
    }
});

describe("a from-scratch preview stays reviewable", () => {
    it("Gatekeeper constraints show their match rules and enforcement; only the ACR prefix is unknown", async () => {
        const run = await stackPreview("dev");
        // The signature constraint (RatifyVerification) is fully known too: dryrun in dev, no parameters.
        const signature = run.resources.filter(r => r.type.endsWith(":RatifyVerification"));
        assert.equal(signature.length, 2);
        for (const c of signature) assert.equal((c.inputs.spec as Any).enforcementAction, "dryrun");
        const constraints = run.resources.filter(
            r => r.type.startsWith("kubernetes:constraints.gatekeeper.sh/") && !r.type.endsWith(":RatifyVerification"),
        );
        assert.equal(constraints.length, 12);
        for (const c of constraints) {
            const spec = c.inputs.spec as Any;
            assert.equal(spec.enforcementAction, "deny", c.name);
            assert.ok(Array.isArray(spec.match.kinds) && Array.isArray(spec.match.excludedNamespaces), c.name);
        }
        const registries = constraints.filter(c => c.type.endsWith(":PlatformAllowedRegistries"));
        for (const c of registries) assert.equal((c.inputs.spec as Any).parameters, "[unknown]");
    });
});
