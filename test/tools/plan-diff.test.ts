import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    diffPlans,
    diffValues,
    joinPath,
    parsePlanDocument,
    PlanDoc,
    PlanDocumentError,
    PlanResource,
    renderDiff,
    SecurityFinding,
} from "../../tools/plan-diff";
import { freshRun, planDocument, readStackConfig, stackRun, StackRun } from "../harness";

const FIXTURES = path.join(__dirname, "..", "fixtures", "plans");
const load = (f: string) => parsePlanDocument(fs.readFileSync(path.join(FIXTURES, f), "utf8"), f);

describe("plan diff", () => {
    const before = load("before.json");
    const after = load("after.json");
    const diff = diffPlans(before, after);
    const finding = (name: string, category: SecurityFinding["category"]) => {
        const f = diff.security.find(x => x.name === name && x.category === category);
        assert.ok(f, `expected a ${category} finding for ${name}; got ${diff.security.map(x => `${x.category}:${x.name}`).join(", ")}`);
        return f;
    };

    it("lists added, removed and changed resources by URN", () => {
        assert.deepEqual(
            diff.added.map(r => r.name),
            ["primary-v2", "primary-operators-writer", "gateway-lb", "platform-info"],
        );
        assert.deepEqual(
            diff.removed.map(r => r.name),
            ["rg-registry-lock", "harbor-robot", "ci-default-deny"],
        );
        assert.deepEqual(
            diff.changed.map(c => c.name),
            ["registry", "primary", "primary-kubelet-acrpull", "gatekeeper", "acr-only", "argocd", "apps"],
        );
        assert.equal(diff.unchanged, after.resources.length - diff.added.length - diff.changed.length);
    });

    it("names the changed input paths, with array indexes", () => {
        const cluster = diff.changed.find(c => c.type === "azure-native:containerservice:ManagedCluster")!;
        assert.deepEqual(cluster.changes, [
            { path: "inputs.apiServerAccessProfile.authorizedIPRanges[1]", before: "198.51.100.0/24", after: "0.0.0.0/0" },
        ]);
        const gk = diff.changed.find(c => c.name === "gatekeeper")!;
        assert.deepEqual(
            gk.changes.map(c => c.path),
            ["inputs.values.validatingWebhookFailurePolicy", "inputs.version"],
        );
    });

    it("reports protect, provider and dependency changes", () => {
        const registry = diff.changed.find(c => c.name === "registry")!;
        assert.deepEqual(
            registry.changes.find(c => c.path === "protect"),
            { path: "protect", before: true, after: false },
        );
        const ns = diff.changed.find(c => c.name === "apps")!;
        assert.deepEqual(
            ns.changes.map(c => c.path),
            ["provider", "dependencies"],
        );
        assert.match(String(ns.changes[1].after), /Release::gatekeeper$/);
        assert.equal(ns.changes[1].before, undefined);
    });

    it("calls out each security-relevant change with a reason", () => {
        assert.equal(finding("primary-operators-writer", "access").kind, "added");
        assert.deepEqual(
            finding("primary-kubelet-acrpull", "access").changes.map(c => c.path),
            ["inputs.roleDefinitionId"],
        );
        assert.deepEqual(
            finding("primary", "network").changes.map(c => c.path),
            ["inputs.apiServerAccessProfile.authorizedIPRanges[1]"],
        );
        assert.deepEqual(
            finding("registry", "network").changes.map(c => c.path),
            ["inputs.networkRuleSet.defaultAction", "inputs.publicNetworkAccess"],
        );
        assert.match(finding("gateway-lb", "network").reason, /LoadBalancer/);
        assert.equal(finding("ci-default-deny", "network").kind, "removed");
        assert.deepEqual(
            finding("gatekeeper", "policy").changes.map(c => c.path),
            ["inputs.values.validatingWebhookFailurePolicy"],
        );
        assert.match(finding("acr-only", "policy").reason, /enforcement/);
        assert.match(finding("registry", "protection").reason, /protect removed/);
        assert.equal(finding("rg-registry-lock", "protection").kind, "removed");
        assert.equal(finding("harbor-robot", "secrets").kind, "removed");
        assert.deepEqual(
            finding("argocd", "secrets").changes.map(c => c.path),
            ["inputs.values.configs.secret.argocdServerAdminPassword"],
        );
        assert.deepEqual(
            finding("outputs", "secrets").changes.map(c => c.path),
            ["outputs.kubeconfigs.primary"],
        );
    });

    it("does not flag changes without security impact", () => {
        const flagged = new Set(diff.security.map(f => f.name));
        for (const name of ["platform-info", "apps", "primary-v2"]) assert.ok(!flagged.has(name), `${name} flagged`);
        // The chart version bump is a change, but not a security finding.
        assert.ok(!diff.security.some(f => f.changes.some(c => c.path === "inputs.version")));
    });

    it("orders findings by category, and prints them before the full lists", () => {
        const order = ["access", "network", "policy", "protection", "secrets"];
        const idx = diff.security.map(f => order.indexOf(f.category));
        assert.deepEqual(
            idx,
            [...idx].sort((a, b) => a - b),
        );
        const text = renderDiff(diff, "before.json");
        const sec = text.indexOf("Security-relevant changes");
        assert.ok(sec > 0 && sec < text.indexOf("Added ("), text);
        assert.match(text, /inputs\.apiServerAccessProfile\.authorizedIPRanges\[1\]: "198\.51\.100\.0\/24" → "0\.0\.0\.0\/0"/);
        assert.match(text, /Changed \(7\):/);
    });

    it("a plan compared with itself has no changes", () => {
        const same = diffPlans(after, after);
        assert.deepEqual(
            [same.added.length, same.removed.length, same.changed.length, same.security.length, same.outputChanges.length],
            [0, 0, 0, 0, 0],
        );
    });

    it("flags a role assignment's scope change and a value leaving a secret in any input", () => {
        const ra: PlanResource = {
            urn: "urn:x::ra",
            type: "azure-native:authorization:RoleAssignment",
            name: "ra",
            parent: null,
            provider: null,
            dependencies: [],
            protect: false,
            inputs: { scope: "/a", principalId: "p", token: "[secret]" },
        };
        const doc = (r: PlanResource): PlanDoc => ({ stack: "s", resources: [r], outputs: {} });
        const d = diffPlans(doc(ra), doc({ ...ra, inputs: { scope: "/b", principalId: "p", token: "plain" } }));
        assert.deepEqual(
            d.security.map(f => `${f.category}:${f.changes.map(c => c.path).join(",")}`),
            ["access:inputs.scope", "secrets:inputs.token"],
        );
    });

    it("writes unambiguous paths for keys that are not identifiers", () => {
        assert.equal(
            joinPath(joinPath("inputs.metadata", "annotations"), "service.beta.kubernetes.io/azure-pip-name"),
            'inputs.metadata.annotations["service.beta.kubernetes.io/azure-pip-name"]',
        );
        assert.deepEqual(diffValues({ a: [1, 2] }, { a: [1] }, "inputs"), [{ path: "inputs.a[1]", before: 2, after: undefined }]);
    });

    it("rejects documents that are not plan documents, saying why", () => {
        assert.throws(
            () => parsePlanDocument("{", "old.json"),
            (e: Error) => e instanceof PlanDocumentError && /old\.json: not valid JSON/.test(e.message),
        );
        assert.throws(() => parsePlanDocument("[]", "old.json"), /old\.json: not a plan document/);
        assert.throws(
            () =>
                parsePlanDocument(
                    JSON.stringify({ stack: "dev", resources: [{ urn: "u", type: "t", name: "n" }], outputs: {} }),
                    "old.json",
                ),
            (e: Error) => /resources\[0\]\.dependencies/.test(e.message) && /resources\[0\]\.protect/.test(e.message),
        );
    });
});

describe("plan diff: sign-in changes are security-relevant", () => {
    it("a changed operators group shows up as who may sign in and what Argo CD/Harbor grant", async () => {
        const k8s = JSON.parse(readStackConfig("dev").config["platform:kubernetes"]);
        const before = planDocument(await stackRun("dev")) as unknown as PlanDoc;
        const after = planDocument(
            await freshRun({
                stack: "dev",
                configOverrides: {
                    "platform:kubernetes": { ...k8s, operatorsGroupObjectId: "44444444-4444-4444-8444-444444444444" },
                    "platform:sso": { harborClientSecretVersion: 2 },
                },
            }),
        ) as unknown as PlanDoc;
        const d = diffPlans(before, after);
        const reasons = (name: string) => d.security.filter(f => f.name === name).flatMap(f => f.reasons);
        for (const app of ["sso-argocd", "sso-harbor", "sso-tekton-dashboard"]) {
            assert.ok(
                reasons(`${app}-operators`).some(r => /assigned to or removed from/.test(r)),
                app,
            );
        }
        assert.ok(reasons("primary-argocd-release").some(r => /Argo CD sign-in or RBAC/.test(r)));
        assert.ok(reasons("harbor-sso-staging-operators").some(r => /Harbor authentication or group role/.test(r)));
        assert.ok(reasons("sso-harbor").some(r => /client secret/.test(r)));
        assert.ok(renderDiff(d, "before").includes("Argo CD sign-in or RBAC"));
    });
});

describe("plan diff: changes Azure can only make by replacement (issue 9 item 3)", function () {
    this.timeout(300_000);
    const prodConfig = (key: string) => JSON.parse(readStackConfig("prod").config[`platform:${key}`]);
    const docOf = (run: StackRun) => parsePlanDocument(JSON.stringify(planDocument(run)), "plan");
    let base: PlanDoc;
    before(async () => {
        base = docOf(await stackRun("prod"));
    });

    it("an AKS network setting (podCidr) is a REPLACE, listed first, that cannot succeed: fixed name and protected", async () => {
        const k8s = prodConfig("kubernetes");
        const changed = docOf(
            await freshRun({ stack: "prod", configOverrides: { "platform:kubernetes": { ...k8s, podCidr: "192.169.0.0/16" } } }),
        );
        const d = diffPlans(base, changed);
        assert.deepEqual(d.replacements.map(r => r.name).sort(), ["primary-aks", "secondary-aks"]);
        for (const r of d.replacements) {
            assert.equal(r.type, "azure-native:containerservice:ManagedCluster");
            assert.deepEqual(
                r.causes.map(c => c.change.path),
                ["inputs.networkProfile.podCidr"],
            );
            assert.match(r.causes[0].reason, /ForceNew/);
            assert.ok(
                r.blockers.some(b => /fixed name 'aks-scprod-(primary|secondary)'.*already exists/.test(b)),
                r.blockers.join("; "),
            );
            assert.ok(
                r.blockers.some(b => /protected/.test(b)),
                r.blockers.join("; "),
            );
        }
        const text = renderDiff(d, "prod.json");
        const replace = text.indexOf("REPLACE azure-native:containerservice:ManagedCluster  primary-aks  — CANNOT SUCCEED");
        assert.ok(replace > 0, text);
        assert.ok(replace < text.indexOf("Security-relevant changes"), "replacements come before everything else");
        assert.match(text, /Replacements \(2, 2 CANNOT SUCCEED\)/);
        assert.match(
            text,
            /inputs\.networkProfile\.podCidr: "192\.168\.0\.0\/16" → "192\.169\.0\.0\/16"  \(networkProfile\.podCidr is ForceNew/,
        );
    });

    it("in-place changes are not replacements: user pool range, authorized IP ranges", async () => {
        const k8s = prodConfig("kubernetes");
        const changed = docOf(
            await freshRun({
                stack: "prod",
                configOverrides: {
                    "platform:kubernetes": {
                        ...k8s,
                        userPool: { ...k8s.userPool, maxCount: 20 },
                        authorizedIpRanges: [...k8s.authorizedIpRanges, "192.0.2.0/24"],
                    },
                },
            }),
        );
        const d = diffPlans(base, changed);
        assert.ok(d.changed.some(c => c.type === "azure-native:containerservice:AgentPool"));
        assert.deepEqual(d.replacements, []);
    });

    it("a new DNS zone leaves the registry alone; Traffic Manager's renamed replacement can succeed", async () => {
        const zone = "platform.example.org";
        const dns = {
            ...prodConfig("dns"),
            zoneName: zone,
            appHostname: `app.${zone}`,
            harborHostname: `harbor.${zone}`,
            hooksHostname: `hooks.${zone}`,
            tektonHostname: `tekton.${zone}`,
            argocdHostnames: { primary: `argocd-weu.${zone}`, secondary: `argocd-neu.${zone}` },
        };
        const d = diffPlans(base, docOf(await freshRun({ stack: "prod", configOverrides: { "platform:dns": dns } })));
        assert.ok(
            !d.changed.some(c => c.type === "azure-native:containerregistry:Registry"),
            "the registry's name does not come from the zone",
        );
        const tm = d.replacements.find(r => r.type === "azure-native:trafficmanager:Profile")!;
        assert.ok(tm, "the profile's name comes from the zone: replaced");
        assert.deepEqual(tm.blockers, [], "a new name: create-before-delete succeeds");
        const zoneReplacement = d.replacements.find(r => r.type === "azure-native:dns:Zone")!;
        assert.ok(zoneReplacement.blockers.some(b => /protected/.test(b)));
        assert.ok(
            zoneReplacement.blockers.some(b => /SOA\/@ is locked \(CanNotDelete\)/.test(b)),
            zoneReplacement.blockers.join("; "),
        );
    });

    it("a role assignment re-pointed inside the locked registry group cannot succeed: the lock blocks deleting the old one", () => {
        const lock: PlanResource = {
            urn: "urn:lock",
            type: "azure-native:authorization:ManagementLockAtResourceGroupLevel",
            name: "rg-registry-lock",
            parent: null,
            provider: null,
            dependencies: [],
            protect: false,
            inputs: { resourceGroupName: "rg-scprod-registry", level: "CanNotDelete", lockName: "do-not-delete" },
        };
        const scope = "/subscriptions/s/resourceGroups/rg-scprod-registry/providers/Microsoft.ContainerRegistry/registries/acr";
        const ra: PlanResource = {
            urn: "urn:ra",
            type: "azure-native:authorization:RoleAssignment",
            name: "primary-kubelet-acrpull",
            parent: null,
            provider: null,
            dependencies: [],
            protect: false,
            inputs: { scope, principalId: "old", roleAssignmentName: "guid-old" },
        };
        const doc = (r: PlanResource): PlanDoc => ({ stack: "prod", resources: [lock, r], outputs: {} });
        const d = diffPlans(doc(ra), doc({ ...ra, inputs: { scope, principalId: "new", roleAssignmentName: "guid-new" } }));
        assert.equal(d.replacements.length, 1);
        assert.deepEqual(d.replacements[0].blockers, [
            "resource group rg-scprod-registry is locked (CanNotDelete): ARM will not delete the old one",
        ]);
    });
});
