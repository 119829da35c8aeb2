import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { applyEnvironmentOverrides, ConfigError, parseConfig, SECRET_KEYS } from "../../infra/config";
import { cidrsOverlap, isBelowZone, isIpv4AddressOrCidr, isIpv4Cidr } from "../../model/validators";
import { ROOT } from "../../tools/engine";
import { freshRun, rejection, azureLayerRun } from "../harness";

/** The committed stack file as raw config values (what Pulumi hands the program, parsed). */
function stackValues(stack: string): Record<string, any> {
    const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8"));
    const raw: Record<string, any> = {};
    for (const [k, v] of Object.entries(doc.config as Record<string, unknown>)) {
        if (k.startsWith("platform:") && !(k.slice(9) in SECRET_KEYS)) raw[k.slice(9)] = structuredClone(v);
    }
    return raw;
}
const allSecrets = Object.keys(SECRET_KEYS);

/** parseConfig's problems for the dev config after `mutate`. */
function problemsAfter(mutate: (c: Record<string, any>) => void, secrets = allSecrets): string[] {
    const raw = stackValues("dev");
    mutate(raw);
    try {
        parseConfig(raw, secrets);
        return [];
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        return e.problems;
    }
}

function assertProblem(problems: string[], key: string, fragment: RegExp): void {
    assert.ok(
        problems.some(p => p.startsWith(`${key}: `) && fragment.test(p)),
        `expected a problem for ${key} matching ${fragment}, got:\n${problems.join("\n")}`,
    );
}

describe("config: the committed stacks", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack} is valid`, () => {
            assert.deepEqual(
                problemsAfter(() => {
                    /* as committed */
                }, allSecrets).length,
                0,
            );
            const parsed = parseConfig(stackValues(stack), allSecrets);
            assert.equal(parsed.environment, stack);
        });
    }

    it("dev is cheap: no zones, Standard ACR without replication, fail-open webhook, nothing protected", () => {
        const dev = parseConfig(stackValues("dev"), allSecrets);
        assert.deepEqual(dev.kubernetes.availabilityZones, []);
        assert.equal(dev.registry.sku, "Standard");
        assert.equal(dev.registry.geoReplication, false);
        assert.equal(dev.gatekeeper.failurePolicy, "Ignore");
        assert.equal(dev.protectStatefulResources, false);
        assert.ok(dev.kubernetes.userPool.maxCount <= 3);
        assert.equal(dev.kubernetes.skuTier, "Free");
    });

    it("prod is production-grade: zones, autoscaling, replicated Premium ACR with retention and network rules, fail-closed, protected", () => {
        const prod = parseConfig(stackValues("prod"), allSecrets);
        assert.deepEqual([...prod.kubernetes.availabilityZones], ["1", "2", "3"]);
        assert.ok(prod.kubernetes.userPool.maxCount > prod.kubernetes.userPool.minCount);
        assert.equal(prod.registry.sku, "Premium");
        assert.equal(prod.registry.geoReplication, true);
        assert.ok(prod.registry.untaggedRetentionDays !== undefined);
        assert.ok((prod.registry.allowedIpRanges ?? []).length > 0);
        assert.equal(prod.gatekeeper.failurePolicy, "Fail");
        assert.equal(prod.externalDnsPolicy, "upsert-only");
        assert.equal(prod.protectStatefulResources, true);
        assert.notEqual(prod.kubernetes.skuTier, "Free", "prod control planes carry the uptime SLA");
        assert.ok(prod.replicas.gatewayProxy >= 3 && prod.replicas.certManager >= 2 && prod.gatekeeper.replicas >= 3);
        assert.equal(prod.delivery.argocdHa, true);
    });

    it("the parsed config is frozen (components cannot mutate shared settings)", () => {
        const dev = parseConfig(stackValues("dev"), allSecrets);
        assert.throws(() => {
            (dev.kubernetes as any).version = "1.99";
        });
    });
});

describe("config: validation names every problem and its key", () => {
    it("rejects the same region twice", () => {
        assertProblem(
            problemsAfter(c => {
                c.clusters.secondary.location = c.clusters.primary.location;
            }),
            "platform:clusters.secondary.location",
            /same region/,
        );
    });

    it("rejects an unknown region", () => {
        assertProblem(
            problemsAfter(c => {
                c.clusters.primary.location = "westeu";
            }),
            "platform:clusters.primary.location",
            /unknown Azure region/,
        );
    });

    it("rejects min > max nodes", () => {
        assertProblem(
            problemsAfter(c => {
                c.kubernetes.userPool.minCount = 5;
                c.kubernetes.userPool.maxCount = 2;
            }),
            "platform:kubernetes.userPool.minCount",
            /greater than maxCount/,
        );
    });

    it("rejects malformed and host-bit CIDRs, and overlapping VNets", () => {
        const problems = problemsAfter(c => {
            c.clusters.primary.vnetCidr = "10.10.0.0/33";
            c.kubernetes.podCidr = "192.168.0.1/16";
        });
        assertProblem(problems, "platform:clusters.primary.vnetCidr", /not an IPv4 CIDR/);
        assertProblem(problems, "platform:kubernetes.podCidr", /not an IPv4 CIDR/);
        assertProblem(
            problemsAfter(c => {
                c.clusters.secondary.vnetCidr = "10.10.128.0/17";
            }),
            "platform:clusters.secondary.vnetCidr",
            /overlaps/,
        );
    });

    it("rejects malformed authorized IP ranges and an empty list", () => {
        assertProblem(
            problemsAfter(c => {
                c.kubernetes.authorizedIpRanges = ["203.0.113.0/24", "300.1.1.1"];
            }),
            "platform:kubernetes.authorizedIpRanges[1]",
            /not an IPv4 address or CIDR/,
        );
        assertProblem(
            problemsAfter(c => {
                c.kubernetes.authorizedIpRanges = [];
            }),
            "platform:kubernetes.authorizedIpRanges",
            /at least one range/,
        );
    });

    it("rejects a patch version or garbage where a Kubernetes minor is expected, and minors below 1.34", () => {
        assertProblem(
            problemsAfter(c => {
                c.kubernetes.version = "1.34.2";
            }),
            "platform:kubernetes.version",
            /minor version/,
        );
        assertProblem(
            problemsAfter(c => {
                c.kubernetes.version = "latest";
            }),
            "platform:kubernetes.version",
            /minor version/,
        );
        assertProblem(
            problemsAfter(c => {
                c.kubernetes.version = "1.33";
            }),
            "platform:kubernetes.version",
            /below 1\.34/,
        );
    });

    it("rejects malformed hostnames, hostnames outside the zone, and the app hostname at the apex", () => {
        assertProblem(
            problemsAfter(c => {
                c.dns.harborHostname = "Harbor_.example.com";
            }),
            "platform:dns.harborHostname",
            /DNS name/,
        );
        assertProblem(
            problemsAfter(c => {
                c.dns.hooksHostname = "hooks.other.example.org";
            }),
            "platform:dns.hooksHostname",
            /outside the DNS zone/,
        );
        assertProblem(
            problemsAfter(c => {
                c.dns.appHostname = "evildev.platform.example.com";
            }),
            "platform:dns.appHostname",
            /outside the DNS zone/,
        );
        assertProblem(
            problemsAfter(c => {
                c.dns.appHostname = c.dns.zoneName;
            }),
            "platform:dns.appHostname",
            /apex.*CNAME/,
        );
    });

    it("rejects a missing required key and a missing secret, and unknown keys", () => {
        const problems = problemsAfter(
            c => {
                delete c.dns.acmeEmail;
                delete c.registry;
                c.registy = {};
            },
            ["gitReadToken", "webhookSecret"],
        );
        assertProblem(problems, "platform:dns.acmeEmail", /missing required key/);
        assertProblem(problems, "platform:registry", /missing required key/);
        assertProblem(problems, "platform:registy", /unknown config key/);
        assertProblem(problems, "platform:gitPushToken", /missing required secret.*pulumi config set --secret/);
        assertProblem(
            problemsAfter(c => {
                c.kubernetes.verison = "1.34";
            }),
            "platform:kubernetes",
            /unknown key verison/,
        );
    });

    it("the ACME issuer is a required per-stack choice: staging or production, nothing else", () => {
        assertProblem(
            problemsAfter(c => {
                delete c.dns.acmeIssuer;
            }),
            "platform:dns.acmeIssuer",
            /missing required key/,
        );
        assertProblem(
            problemsAfter(c => {
                c.dns.acmeIssuer = "letsencrypt-prod";
            }),
            "platform:dns.acmeIssuer",
            /'staging' or 'production'/,
        );
        // Dev is rebuilt often in two regions: it must not spend Let's Encrypt production rate limits.
        assert.equal(stackValues("dev").dns.acmeIssuer, "staging");
        assert.equal(stackValues("prod").dns.acmeIssuer, "production");
    });

    it("rejects Premium-only registry features on a lower SKU", () => {
        const problems = problemsAfter(c => {
            c.registry = {
                name: c.registry.name,
                sku: "Standard",
                geoReplication: true,
                untaggedRetentionDays: 7,
                allowedIpRanges: ["203.0.113.0/24"],
            };
        });
        assertProblem(problems, "platform:registry.geoReplication", /Premium/);
        assertProblem(problems, "platform:registry.untaggedRetentionDays", /Premium/);
        assertProblem(problems, "platform:registry.allowedIpRanges", /Premium/);
    });

    it("requires the settings of the chosen Traffic Manager routing method", () => {
        assertProblem(
            problemsAfter(c => {
                c.traffic.routingMethod = "Priority";
            }),
            "platform:traffic.priorities",
            /required/,
        );
        assertProblem(
            problemsAfter(c => {
                c.traffic.routingMethod = "Weighted";
            }),
            "platform:traffic.weights",
            /required/,
        );
        assertProblem(
            problemsAfter(c => {
                c.traffic.routingMethod = "Geographic";
            }),
            "platform:traffic.geoMappings",
            /required/,
        );
        assertProblem(
            problemsAfter(c => {
                c.traffic.routingMethod = "Roundrobin";
            }),
            "platform:traffic.routingMethod",
            /Performance/,
        );
    });

    it("rejects empty or overlapping geographic mappings", () => {
        assertProblem(
            problemsAfter(c => {
                c.traffic.routingMethod = "Geographic";
                c.traffic.geoMappings = { primary: ["GEO-EU"], secondary: [] };
            }),
            "platform:traffic.geoMappings.secondary",
            /empty/,
        );
        assertProblem(
            problemsAfter(c => {
                c.traffic.routingMethod = "Geographic";
                c.traffic.geoMappings = { primary: ["GEO-EU", "DE"], secondary: ["DE", "WORLD"] };
            }),
            "platform:traffic.geoMappings.secondary",
            /overlaps primary: DE/,
        );
        assert.deepEqual(
            problemsAfter(c => {
                c.traffic.routingMethod = "Geographic";
                c.traffic.geoMappings = { primary: ["GEO-EU"], secondary: ["WORLD"] };
            }),
            [],
        );
    });

    it("reports every problem at once, across sections", () => {
        const problems = problemsAfter(c => {
            c.clusters.primary.location = "mars";
            c.kubernetes.systemPool.minCount = 9;
            c.dns.appHostname = c.dns.zoneName;
            c.registry.geoReplication = true;
        });
        assert.equal(problems.length, 4, problems.join("\n"));
    });
});

describe("config: validation happens before any resource is registered", () => {
    it("a bad stack config fails the whole run with one ConfigError naming each key", async () => {
        const err = await rejection(() =>
            freshRun({
                stack: "dev",
                configOverrides: { "platform:kubernetes": { version: "1.34.1" }, "platform:gitPushToken": undefined },
            }),
        );
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, /platform:kubernetes\.version/);
        assert.match(err.message, /platform:gitPushToken: missing required secret/);
    });
});

describe("config validators", () => {
    it("CIDRs and ranges", () => {
        assert.ok(isIpv4Cidr("10.0.0.0/8"));
        assert.ok(!isIpv4Cidr("10.0.0.1/8"));
        assert.ok(!isIpv4Cidr("10.0.0.0"));
        assert.ok(isIpv4AddressOrCidr("203.0.113.7"));
        assert.ok(!isIpv4AddressOrCidr("203.0.113.256"));
        assert.ok(cidrsOverlap("10.0.0.0/16", "10.0.255.0/24"));
        assert.ok(!cidrsOverlap("10.0.0.0/16", "10.1.0.0/16"));
    });

    it("zone membership is by label, not by suffix", () => {
        assert.ok(isBelowZone("app.example.com", "example.com"));
        assert.ok(!isBelowZone("badexample.com", "example.com"));
        assert.ok(!isBelowZone("example.com", "example.com"));
    });
});

describe("config: sealing key generations", () => {
    it("must be a non-empty, strictly increasing list", () => {
        assertProblem(
            problemsAfter(c => {
                c.sealedSecrets.keyGenerations = [];
            }),
            "platform:sealedSecrets.keyGenerations",
            /at least one/,
        );
        assertProblem(
            problemsAfter(c => {
                c.sealedSecrets.keyGenerations = [2, 1];
            }),
            "platform:sealedSecrets.keyGenerations",
            /strictly increasing/,
        );
        assert.deepEqual(
            problemsAfter(c => {
                c.sealedSecrets.keyGenerations = [1, 2];
            }),
            [],
        );
    });
});

describe("config: operator write access", () => {
    it("is only for application namespaces", () => {
        const problems = problemsAfter(c => {
            c.kubernetes.operatorNamespaces = ["team-a", "ci", "argocd", "kube-system"];
        });
        assertProblem(problems, "platform:kubernetes.operatorNamespaces[1]", /pipeline namespace/);
        assertProblem(problems, "platform:kubernetes.operatorNamespaces[2]", /platform/);
        assertProblem(problems, "platform:kubernetes.operatorNamespaces[3]", /system/);
        assert.equal(problems.length, 3);
    });
});

describe("config: the kubelogin mode follows where `up` runs", () => {
    it("PLATFORM_KUBELOGIN_MODE overrides the stack's mode, and a bad value is named", () => {
        const raw = stackValues("dev");
        assert.deepEqual(applyEnvironmentOverrides(raw, { PLATFORM_KUBELOGIN_MODE: "workloadidentity" }), []);
        assert.equal(parseConfig(raw, allSecrets).kubernetes.kubeloginMode, "workloadidentity");
        assert.match(
            applyEnvironmentOverrides(stackValues("dev"), { PLATFORM_KUBELOGIN_MODE: "devicecode" })[0],
            /PLATFORM_KUBELOGIN_MODE: 'devicecode' is not a kubelogin mode/,
        );
        const untouched = stackValues("dev");
        assert.deepEqual(applyEnvironmentOverrides(untouched, {}), []);
        assert.equal(parseConfig(untouched, allSecrets).kubernetes.kubeloginMode, "azurecli");
    });

    it("the override reaches the providers' kubeconfigs (a full run in CI mode)", async () => {
        process.env.PLATFORM_KUBELOGIN_MODE = "workloadidentity";
        try {
            const run = await azureLayerRun({ stack: "dev" });
            const providers = run.resources.filter(r => r.type === "pulumi:providers:kubernetes");
            assert.equal(providers.length, 2);
            for (const p of providers) {
                const kubeconfig = String(p.rawInputs.kubeconfig);
                assert.match(kubeconfig, /- workloadidentity/);
                assert.doesNotMatch(kubeconfig, /devicecode|azurecli/);
            }
        } finally {
            delete process.env.PLATFORM_KUBELOGIN_MODE;
        }
    });
});

describe("config: environments", () => {
    it("are named freely (a staging stack is a copy of a stack file), but validated", () => {
        assert.deepEqual(
            problemsAfter(c => {
                c.environment = "staging";
            }),
            [],
        );
        assertProblem(
            problemsAfter(c => {
                c.environment = "Prod!";
            }),
            "platform:environment",
            /lower-case/,
        );
    });
});

describe("config: sign-in groups and hostnames", () => {
    it("the developers and operators groups are required, with a message naming the key and its purpose", () => {
        const problems = problemsAfter(c => {
            delete c.kubernetes.developersGroupObjectId;
            delete c.kubernetes.operatorsGroupObjectId;
        });
        for (const key of ["developersGroupObjectId", "operatorsGroupObjectId"]) {
            assertProblem(
                problems,
                `platform:kubernetes.${key}`,
                /missing required key: the object id of the Entra (developers|operators) group/,
            );
        }
    });

    it("group ids must be GUIDs", () => {
        const problems = problemsAfter(c => {
            c.kubernetes.developersGroupObjectId = "platform-developers";
            c.kubernetes.operatorsGroupObjectId = "1b2c3d4e-5f6a-4b7c-9d8e";
            c.kubernetes.adminGroupObjectIds = ["admins"];
        });
        assertProblem(problems, "platform:kubernetes.developersGroupObjectId", /not an Entra object id/);
        assertProblem(problems, "platform:kubernetes.operatorsGroupObjectId", /not an Entra object id/);
        assertProblem(problems, "platform:kubernetes.adminGroupObjectIds[0]", /not an Entra object id/);
    });

    it("exactly one admin group (Harbor's oidc_admin_group takes one)", () => {
        assertProblem(
            problemsAfter(c => {
                c.kubernetes.adminGroupObjectIds = [];
            }),
            "platform:kubernetes.adminGroupObjectIds",
            /at least one admin group/,
        );
        assertProblem(
            problemsAfter(c => {
                c.kubernetes.adminGroupObjectIds = ["6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7", "7a2b3c4d-5e6f-4a70-8b81-a2c3d4e5f607"];
            }),
            "platform:kubernetes.adminGroupObjectIds",
            /exactly one admin group.*oidc_admin_group/,
        );
    });

    it("the Tekton dashboard hostname is required, inside the zone, and not shared", () => {
        assertProblem(
            problemsAfter(c => {
                delete c.dns.tektonHostname;
            }),
            "platform:dns.tektonHostname",
            /missing required key/,
        );
        assertProblem(
            problemsAfter(c => {
                c.dns.tektonHostname = "tekton.example.org";
            }),
            "platform:dns.tektonHostname",
            /outside the DNS zone/,
        );
        assertProblem(
            problemsAfter(c => {
                c.dns.tektonHostname = c.dns.harborHostname;
            }),
            "platform:dns.tektonHostname",
            /already used by dns.harborHostname/,
        );
    });

    it("sso.harborClientSecretVersion defaults to 1 and must be a positive integer", () => {
        assert.equal(parseConfig(stackValues("dev"), allSecrets).sso.harborClientSecretVersion, 1);
        assertProblem(
            problemsAfter(c => {
                c.sso = { harborClientSecretVersion: 0 };
            }),
            "platform:sso.harborClientSecretVersion",
            /.+/,
        );
        assertProblem(
            problemsAfter(c => {
                c.sso = { harborSecret: 2 };
            }),
            "platform:sso",
            /unknown key harborSecret/,
        );
    });

    it("a stack without the groups fails before any resource is registered, naming the keys", async () => {
        const k8s = stackValues("dev").kubernetes;
        delete k8s.developersGroupObjectId;
        const err = await rejection(() => freshRun({ stack: "dev", configOverrides: { "platform:kubernetes": k8s } }));
        assert.match(err.message, /platform:kubernetes\.developersGroupObjectId: missing required key/);
    });
});
