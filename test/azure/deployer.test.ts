// Issue 9 item 6: the deploying principal gets a standing Cluster Admin grant, so the committed
// stacks name a group or the CI identity, and prod refuses a user (or no deployer at all, which
// would grant whoever runs `up`).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ConfigError, parseConfig, SECRET_KEYS } from "../../infra/config";
import { ROOT } from "../../tools/engine";
import { byType, freshRun, rejection, stackRun } from "../harness";

function stackValues(stack: string): Record<string, any> {
    const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8"));
    return Object.fromEntries(
        Object.entries(doc.config as Record<string, unknown>)
            .filter(([k]) => k.startsWith("platform:") && !(k.slice(9) in SECRET_KEYS))
            .map(([k, v]) => [k.slice(9), structuredClone(v)]),
    );
}

function problems(stack: string, mutate: (c: Record<string, any>) => void): string[] {
    const raw = stackValues(stack);
    mutate(raw);
    try {
        parseConfig(raw, Object.keys(SECRET_KEYS));
        return [];
    } catch (e) {
        assert.ok(e instanceof ConfigError);
        return e.problems;
    }
}

describe("deploying principal (kubernetes.deployer)", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: the committed stack names a group or the CI identity, and the Cluster Admin grant goes to it`, async () => {
            const deployer = stackValues(stack).kubernetes.deployer;
            assert.ok(deployer, "kubernetes.deployer is set");
            assert.ok(["Group", "ServicePrincipal"].includes(deployer.principalType), deployer.principalType);
            const run = await stackRun(stack as "dev" | "prod");
            const admins = byType(run, "azure-native:authorization:RoleAssignment").filter(a => a.name.endsWith("-deployer-cluster-admin"));
            assert.equal(admins.length, 2);
            for (const a of admins)
                assert.deepEqual([a.rawInputs.principalId, a.rawInputs.principalType], [deployer.objectId, deployer.principalType]);
        });
    }

    it("prod: a User deployer fails validation, naming the key", () => {
        const p = problems("prod", c => {
            c.kubernetes.deployer.principalType = "User";
        });
        assert.ok(
            p.some(x => /^platform:kubernetes\.deployer\.principalType: is User; in prod/.test(x)),
            p.join("\n"),
        );
    });

    it("prod: no deployer (whoever runs up) fails validation; dev may still omit it", () => {
        const p = problems("prod", c => {
            delete c.kubernetes.deployer;
        });
        assert.ok(
            p.some(x => /^platform:kubernetes\.deployer: required in prod/.test(x)),
            p.join("\n"),
        );
        assert.deepEqual(
            problems("dev", c => {
                delete c.kubernetes.deployer;
            }),
            [],
        );
        assert.deepEqual(
            problems("dev", c => {
                c.kubernetes.deployer.principalType = "User";
            }),
            [],
        );
    });

    it("prod: the error stops the program before any resource is registered", async () => {
        const k8s = stackValues("prod").kubernetes;
        const err = await rejection(() =>
            freshRun({
                stack: "prod",
                configOverrides: { "platform:kubernetes": { ...k8s, deployer: { ...k8s.deployer, principalType: "User" } } },
            }),
        );
        assert.match(err.message, /platform:kubernetes\.deployer\.principalType/);
    });
});
