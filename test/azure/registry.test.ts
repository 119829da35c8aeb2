import { strict as assert } from "assert";
import { byName, byType, freshRun, readStackConfig, rejection, stackRun, azureLayerRun } from "../harness";
import { publicIpAddressOf } from "./helpers";
import { UPSTREAM_REGISTRIES } from "../../model/image-sources";
import { acrLoginServerOf } from "../../components/azure/registry";
import { BUILT_IN_ROLES } from "../../model/role-ids";

const ACR = "azure-native:containerregistry:Registry";
const REPLICA = "azure-native:containerregistry:Replication";
const CACHE_RULE = "azure-native:containerregistry:CacheRule";
const CREDENTIAL_SET = "azure-native:containerregistry:CredentialSet";

/** Whether two ACR wildcard rules overlap (Microsoft Learn, "Wildcard support for artifact cache": overlapping wildcard rules are rejected). */
function overlaps(a: string, b: string): boolean {
    const prefix = (r: string) => r.replace(/\*$/, "");
    return prefix(a).startsWith(prefix(b)) || prefix(b).startsWith(prefix(a));
}

describe("registry (ACR)", () => {
    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: admin user and anonymous pull are off`, async () => {
            const run = await stackRun(stack);
            const acrs = byType(run, ACR);
            assert.equal(acrs.length, 1);
            assert.equal(acrs[0].inputs.adminUserEnabled, false);
            assert.equal(acrs[0].inputs.anonymousPullEnabled, false);
            assert.match(String(acrs[0].inputs.registryName), /^[a-z0-9]{5,50}$/);
        });
    }

    it("dev: Standard, none of the Premium-only features", async () => {
        const run = await stackRun("dev");
        const acr = byName(run, ACR, "registry-acr");
        assert.deepEqual(acr.inputs.sku, { name: "Standard" });
        for (const key of ["policies", "networkRuleSet"]) {
            assert.equal(acr.inputs[key], undefined, key);
        }
        assert.equal(acr.inputs.zoneRedundancy, "Disabled");
        assert.equal(byType(run, REPLICA).length, 0);
    });

    it("prod: Premium, zone-redundant, untagged retention, default-Deny network rules, replica in the secondary region", async () => {
        const run = await stackRun("prod");
        const acr = byName(run, ACR, "registry-acr");
        assert.deepEqual(acr.inputs.sku, { name: "Premium" });
        assert.equal(acr.inputs.zoneRedundancy, "Enabled");
        assert.deepEqual(acr.inputs.policies, { retentionPolicy: { status: "enabled", days: 7 } });
        const rules = acr.inputs.networkRuleSet as { defaultAction: string; ipRules: { iPAddressOrRange: string; action: string }[] };
        assert.equal(rules.defaultAction, "Deny");
        // The configured ranges plus each cluster's egress address (kubelets pull, the pipeline pushes).
        const expected = [
            "203.0.113.0/24",
            publicIpAddressOf(run, "primary-egress-ip"),
            publicIpAddressOf(run, "secondary-egress-ip"),
        ].sort();
        assert.deepEqual(
            rules.ipRules,
            expected.map(r => ({ iPAddressOrRange: r, action: "Allow" })),
        );
        const replicas = byType(run, REPLICA);
        assert.equal(replicas.length, 1);
        assert.equal(replicas[0].inputs.location, "northeurope");
        assert.equal(replicas[0].inputs.registryName, acr.inputs.registryName);
        assert.ok(replicas[0].dependencies.includes(acr.urn));
    });

    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: the login server image references are built from (known at preview) is the registry's`, async () => {
            const run = await stackRun(stack);
            const acr = byName(run, ACR, "registry-acr");
            assert.equal((run.rawOutputs as Record<string, any>).registry.loginServer, acrLoginServerOf(String(acr.inputs.registryName)));
        });

        it(`${stack}: one artifact-cache rule per upstream registry, <host>/* => <host>/*, valid names, no overlapping wildcards, credentials exactly where the upstream requires them`, async () => {
            const run = await stackRun(stack);
            const acr = byName(run, ACR, "registry-acr");
            const rules = byType(run, CACHE_RULE);
            assert.deepEqual(rules.map(r => r.inputs.sourceRepository).sort(), UPSTREAM_REGISTRIES.map(u => `${u.host}/*`).sort());
            for (const rule of rules) {
                assert.equal(rule.inputs.targetRepository, rule.inputs.sourceRepository);
                assert.equal(rule.inputs.registryName, acr.inputs.registryName);
                assert.ok(rule.dependencies.includes(acr.urn));
                // ACR cache rule names: 5-50 alphanumerics and '-'.
                assert.match(String(rule.inputs.cacheRuleName), /^[A-Za-z0-9-]{5,50}$/);
                // ACR repository names: lower-case path components separated by '.', '_', '-' or '/'.
                assert.match(String(rule.inputs.targetRepository), /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*\/\*$/);
                // Authenticated-only upstreams (Docker Hub) pull nothing without a credential set; the
                // committed stacks configure only those.
                const upstream = UPSTREAM_REGISTRIES.find(u => `${u.host}/*` === rule.inputs.sourceRepository)!;
                assert.equal(rule.inputs.credentialSetResourceId !== undefined, upstream.credentials === "required", upstream.host);
                for (const other of rules) {
                    if (other !== rule) assert.ok(!overlaps(String(rule.inputs.targetRepository), String(other.inputs.targetRepository)));
                }
            }
            assert.deepEqual(
                byType(run, CREDENTIAL_SET)
                    .map(c => c.inputs.loginServer)
                    .sort(),
                UPSTREAM_REGISTRIES.filter(u => u.credentials === "required")
                    .map(u => u.host)
                    .sort(),
            );
            // Each credential set's own identity may read its secrets (Key Vault Secrets User on the vault).
            const grants = byType(run, "azure-native:authorization:RoleAssignment").filter(r =>
                String(r.inputs.roleDefinitionId).endsWith(BUILT_IN_ROLES.KeyVaultSecretsUser),
            );
            for (const set of byType(run, CREDENTIAL_SET)) {
                const grant = grants.filter(g => g.dependencies.includes(set.urn));
                assert.equal(grant.length, 1, String(set.inputs.loginServer));
                assert.match(String(grant[0].inputs.scope), /\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/);
                assert.match(String(grant[0].inputs.principalId), /^[0-9a-f-]{36}$/);
            }
            assert.equal(new Set(grants.map(g => g.inputs.principalId)).size, grants.length);
        });
    }

    it("an upstream with credentials gets a credential set (Key Vault references) and its identity may read that vault's secrets", async () => {
        const registry = JSON.parse(readStackConfig("dev").config["platform:registry"]) as Record<string, unknown>;
        const vault =
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sec/providers/Microsoft.KeyVault/vaults/kv-platform";
        const run = await azureLayerRun({
            stack: "dev",
            configOverrides: {
                "platform:registry": {
                    ...registry,
                    cacheCredentials: {
                        ...(registry.cacheCredentials as Record<string, unknown>),
                        "docker.io": {
                            keyVaultId: vault,
                            usernameSecretId: "https://kv-platform.vault.azure.net/secrets/dockerhub-username",
                            passwordSecretId: "https://kv-platform.vault.azure.net/secrets/dockerhub-token",
                        },
                    },
                },
            },
        });
        const sets = byType(run, CREDENTIAL_SET).filter(c => c.inputs.loginServer === "docker.io");
        assert.equal(sets.length, 1);
        assert.equal(sets[0].inputs.loginServer, "docker.io");
        assert.deepEqual(sets[0].inputs.identity, { type: "SystemAssigned" });
        assert.deepEqual(sets[0].inputs.authCredentials, [
            {
                name: "Credential1",
                usernameSecretIdentifier: "https://kv-platform.vault.azure.net/secrets/dockerhub-username",
                passwordSecretIdentifier: "https://kv-platform.vault.azure.net/secrets/dockerhub-token",
            },
        ]);
        const docker = byType(run, CACHE_RULE).find(r => r.inputs.sourceRepository === "docker.io/*")!;
        assert.ok(docker.dependencies.includes(sets[0].urn), "the Docker Hub rule uses the credential set");
        assert.ok(docker.inputs.credentialSetResourceId);
        for (const other of byType(run, CACHE_RULE).filter(r => r !== docker))
            assert.ok(!other.dependencies.includes(sets[0].urn), `${other.name} does not use Docker Hub's credentials`);
        const grant = byType(run, "azure-native:authorization:RoleAssignment").find(r => r.inputs.scope === vault);
        assert.ok(grant, "a role assignment on the vault");
        assert.ok(String(grant.inputs.roleDefinitionId).endsWith(BUILT_IN_ROLES.KeyVaultSecretsUser));
        assert.ok(grant.dependencies.includes(sets[0].urn), "granted to the credential set's identity");
    });

    it("an upstream that serves the cache only authenticated (Docker Hub) must have credentials; one that serves it only anonymously (MCR) must not", async () => {
        const registry = JSON.parse(readStackConfig("dev").config["platform:registry"]) as Record<string, any>;
        const missing = await rejection(() =>
            freshRun({ stack: "dev", configOverrides: { "platform:registry": { ...registry, cacheCredentials: undefined } } }),
        );
        assert.match(
            missing.message,
            /platform:registry\.cacheCredentials\.docker\.io: missing required key: ACR's artifact cache pulls from docker\.io only with a credential set/,
        );
        const mcr = await rejection(() =>
            freshRun({
                stack: "dev",
                configOverrides: {
                    "platform:registry": {
                        ...registry,
                        cacheCredentials: { ...registry.cacheCredentials, "mcr.microsoft.com": registry.cacheCredentials["docker.io"] },
                    },
                },
            }),
        );
        assert.match(
            mcr.message,
            /platform:registry\.cacheCredentials\.mcr\.microsoft\.com: ACR's artifact cache pulls from mcr\.microsoft\.com only unauthenticated/,
        );
    });

    it("bad cache credentials are a config error naming the key", async () => {
        const registry = JSON.parse(readStackConfig("dev").config["platform:registry"]) as Record<string, unknown>;
        const err = await rejection(() =>
            freshRun({
                stack: "dev",
                configOverrides: {
                    "platform:registry": {
                        ...registry,
                        cacheCredentials: {
                            "docker.io": {
                                keyVaultId: "kv-platform",
                                usernameSecretId: "dockerhub-username",
                                passwordSecretId: "https://kv-platform.vault.azure.net/secrets/t",
                            },
                        },
                    },
                },
            }),
        );
        assert.match(err.message, /platform:registry\.cacheCredentials\.docker\.io\.keyVaultId: not a Key Vault resource id/);
        assert.match(err.message, /platform:registry\.cacheCredentials\.docker\.io\.usernameSecretId: not a Key Vault secret identifier/);
    });
});
