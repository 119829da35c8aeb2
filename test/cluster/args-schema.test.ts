// The components' Args schemas (zod, components/cluster/args-schema.ts): every problem in one
// error named after the component, with the messages the hand-written validators had; one
// hostname check (model/validators.ts isDnsName) for the Gateway and ExternalDNS.
import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import { CertManager } from "../../components/cluster/cert-manager";
import { ExternalDns } from "../../components/cluster/external-dns";
import { Gatekeeper } from "../../components/cluster/gatekeeper";
import { PlatformGateway, PlatformGatewayArgs } from "../../components/cluster/gateway";
import { MetricsScraping } from "../../components/cluster/metrics-scraping";
import { normaliseClientCidrs } from "../../components/cluster/argocd";
import { CLUSTER_ISSUERS } from "../../model/names";
import { freshRun, rejection } from "../harness";

/** The component's label and its problems, order-free. */
async function problems(build: (provider: k8s.Provider) => void): Promise<{ label: string; problems: string[] }> {
    const err = await rejection(() =>
        freshRun({
            stack: "dev",
            program: () => {
                build(new k8s.Provider("p", {}));
            },
        }),
    );
    const m = /^(?:[\s\S]*?)((?:PlatformGateway|ExternalDns|CertManager|MetricsScraping|Gatekeeper)[^:]*): ([\s\S]*)$/.exec(err.message);
    assert.ok(m, err.message);
    return {
        label: m[1],
        problems: m[2]
            .split("; ")
            .map(p => p.trim())
            .sort(),
    };
}

const LONG_LABEL = "a".repeat(64);
const gateway = (provider: k8s.Provider, o: Partial<PlatformGatewayArgs>): PlatformGateway =>
    new PlatformGateway("g", {
        provider,
        acrLoginServer: "acr.azurecr.io",
        publicIp: { name: "pip", resourceGroupName: "rg" },
        hostnames: ["app.example.com"],
        probeHostname: "app.example.com",
        healthPath: "/healthz",
        clusterIssuer: CLUSTER_ISSUERS.staging,
        ...o,
    });

describe("component Args schemas", () => {
    it("PlatformGateway: every problem, with the validator's messages", async () => {
        const got = await problems(p =>
            gateway(p, {
                hostnames: ["App.Example.com", "a.example.com", "a.example.com", "a-example.com"],
                probeHostname: "a.example-com",
                healthPath: "healthz",
                routeNamespaces: { "nope.example.com": ["x"] },
                proxyReplicas: 0,
            }),
        );
        assert.equal(got.label, "PlatformGateway g");
        assert.deepEqual(
            got.problems,
            [
                "'App.Example.com' is not a lowercase, fully qualified hostname",
                "hostnames contain duplicates",
                "healthPath 'healthz' must start with '/'",
                "proxyReplicas must be a positive integer",
                "routeNamespaces names 'nope.example.com', which has no listener",
                "two hostnames map to the same TLS secret name",
            ].sort(),
        );
        assert.deepEqual((await problems(p => gateway(p, { hostnames: [] }))).problems, ["at least one hostname is required"]);
    });

    it("PlatformGateway and ExternalDns use the one hostname check: no label over 63 characters", async () => {
        const host = `${LONG_LABEL}.example.com`;
        assert.deepEqual((await problems(p => gateway(p, { hostnames: [host], probeHostname: host }))).problems, [
            `'${host}' is not a lowercase, fully qualified hostname`,
            `'${host}' is not a lowercase, fully qualified hostname`,
        ]);
        assert.deepEqual(
            (
                await problems(
                    p =>
                        new ExternalDns("e", {
                            provider: p,
                            acrLoginServer: "acr.azurecr.io",
                            identityClientId: "c",
                            tenantId: "t",
                            subscriptionId: "s",
                            dnsZone: { name: "example.com", resourceGroupName: "rg" },
                            txtOwnerId: "dev-primary",
                            policy: "sync",
                            excludeHostnames: [host],
                        }),
                )
            ).problems,
            [`excludeHostnames entry '${host}' is not a hostname`],
        );
    });

    it("ExternalDns, CertManager, MetricsScraping, Gatekeeper: every problem, with the validators' messages", async () => {
        assert.deepEqual(
            await problems(
                p =>
                    new ExternalDns("e", {
                        provider: p,
                        acrLoginServer: "acr.azurecr.io",
                        identityClientId: "c",
                        tenantId: "t",
                        subscriptionId: "s",
                        dnsZone: { name: "example.com", resourceGroupName: "rg" },
                        txtOwnerId: "Prod Primary",
                        policy: "create-only" as never,
                        excludeHostnames: ["not a host"],
                    }),
            ),
            {
                label: "ExternalDns e",
                problems: [
                    "excludeHostnames entry 'not a host' is not a hostname",
                    "policy 'create-only' must be sync or upsert-only",
                    "txtOwnerId 'Prod Primary' must be lowercase alphanumerics and '-'",
                ],
            },
        );
        assert.deepEqual(
            await problems(
                p =>
                    new CertManager("c", {
                        provider: p,
                        acrLoginServer: "acr.azurecr.io",
                        identityClientId: "c",
                        subscriptionId: "s",
                        dnsZone: { name: "example.com", resourceGroupName: "rg" },
                        acmeEmail: "nope",
                        dependsOn: [],
                        replicas: 0,
                    }),
            ),
            {
                label: "CertManager c",
                problems: [
                    "acmeEmail 'nope' is not an e-mail address",
                    "dependsOn must include the Gateway API CRDs (the Envoy Gateway release)",
                    "replicas must be a positive integer",
                ],
            },
        );
        assert.deepEqual(await problems(p => new MetricsScraping("m", { provider: p, namespaces: [".*", "ok"] })), {
            label: "MetricsScraping m",
            problems: ["namespaces: '.*' is not a namespace name"],
        });
        assert.deepEqual((await problems(p => new MetricsScraping("m", { provider: p, namespaces: [] }))).problems, [
            "namespaces: at least one is required",
        ]);
        assert.deepEqual(
            await problems(
                p =>
                    new Gatekeeper("k", {
                        provider: p,
                        acrLoginServer: "acr.azurecr.io",
                        pipelineNamespace: "ci",
                        exemptNamespaces: ["ci"],
                        enforcementAction: "deny",
                        failurePolicy: "Fail",
                        replicas: 1.5,
                    }),
            ),
            {
                label: "Gatekeeper",
                problems: [
                    "pipeline namespace 'ci' must not be exempt: the credential constraints are what confine it",
                    "replicas must be a positive integer (got 1.5)",
                ],
            },
        );
    });

    it("Argo CD client CIDRs: a bare address becomes /32, duplicates collapse, every problem named", () => {
        assert.deepEqual(normaliseClientCidrs(["10.0.0.1", "10.0.0.1/32", "192.168.0.0/16"]), {
            cidrs: ["10.0.0.1/32", "192.168.0.0/16"],
            problems: [],
        });
        assert.deepEqual(normaliseClientCidrs(["10.0.0.1/8", "0.0.0.0/0", "10.0.0.0/8"]), {
            cidrs: ["10.0.0.0/8"],
            problems: [
                "allowedClientCidrs: '10.0.0.1/8' is not an IPv4 address or CIDR (without host bits)",
                "allowedClientCidrs: '0.0.0.0/0' allows every client",
            ],
        });
        assert.deepEqual(normaliseClientCidrs([]).problems, [
            "allowedClientCidrs is empty: the UI would be open to every client on the internet; list the operators' networks",
        ]);
    });
});
