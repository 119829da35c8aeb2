// The dashboard proxy component on its own: refuses to be built open (no groups, no client
// networks), and everything it creates goes through the given (primary) provider.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import * as k8s from "@pulumi/kubernetes";
import { byType, descendants, freshRun, rejection, ROOT } from "../harness";
import { TektonDashboardProxy } from "../../components/cluster/tekton/dashboard-proxy";

const GROUPS = ["6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7", "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"];

function proxyRun(allowedGroups: string[], allowedClientCidrs: string[]) {
    return freshRun({
        stack: "dev",
        program: () => {
            const provider = new k8s.Provider("primary", {});
            new TektonDashboardProxy("tekton-dashboard", {
                provider,
                hostname: "tekton.dev.platform.example.com",
                acrLoginServer: "scdev379b30.azurecr.io",
                issuer: "https://login.microsoftonline.com/72f988bf-0000-4000-8000-00000000d011/v2.0",
                clientId: "5d0b1c2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
                allowedGroups,
                allowedClientCidrs,
            });
        },
    });
}

describe("TektonDashboardProxy", () => {
    it("refuses an empty group list or client allowlist before registering anything", async () => {
        const noGroups = await rejection(() => proxyRun([], ["203.0.113.0/24"]));
        assert.match(noGroups.message, /allowedGroups is empty: nobody could sign in/);
        const open = await rejection(() => proxyRun(GROUPS, []));
        assert.match(open.message, /allowedClientCidrs is empty: the UI would be open to every client/);
        const everyone = await rejection(() => proxyRun(GROUPS, ["0.0.0.0/0"]));
        assert.match(everyone.message, /allows every client/);
    });

    it("creates everything through the given provider, the Secret before the chart", async () => {
        const run = await proxyRun(GROUPS, ["203.0.113.7"]);
        const comp = byType(run, "platform:cluster:TektonDashboardProxy")[0];
        const k8sChildren = descendants(run, comp.urn).filter(r => r.type.startsWith("kubernetes:"));
        assert.ok(k8sChildren.length >= 6);
        for (const c of k8sChildren) assert.match(c.provider ?? "", /::primary$/, c.name);
        const secret = byType(run, "kubernetes:core/v1:Secret")[0];
        const release = byType(run, "kubernetes:helm.sh/v3:Release")[0];
        assert.ok(release.dependencies.includes(secret.urn));
        const policy = byType(run, "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy")[0];
        assert.deepEqual((policy.rawInputs as any).spec.authorization.rules[0].principal.clientCIDRs, ["203.0.113.7/32"]);
    });
});

describe("oauth2-proxy availability (chart 10.7.0)", () => {
    it("runs more than one replica, so the chart renders its PodDisruptionBudget and a drain leaves sign-in up", async () => {
        const run = await proxyRun(GROUPS, ["203.0.113.7"]);
        const release = byType(run, "kubernetes:helm.sh/v3:Release").find(r => (r.rawInputs as any).chart === "oauth2-proxy")!;
        const ours = (release.rawInputs as any).values;
        const defaults = YAML.parse(fs.readFileSync(path.join(ROOT, "test/vendor/charts/oauth2-proxy/values.yaml"), "utf8"));
        for (const key of ["replicaCount", "podDisruptionBudget"]) assert.ok(key in defaults, `${key} is a chart value`);
        const values = { ...defaults, ...ours, podDisruptionBudget: { ...defaults.podDisruptionBudget, ...ours.podDisruptionBudget } };
        // templates/poddisruptionbudget.yaml L1-5 (oauth2-proxy/manifests 2a4bdf83): rendered only
        // when enabled and replicaCount (autoscaling off) is above 1.
        assert.equal(values.autoscaling.enabled, false);
        const replicas = Number(values.replicaCount ?? 1);
        assert.ok(values.podDisruptionBudget.enabled && replicas > 1, "the chart renders no PodDisruptionBudget");
        // A drain may evict one replica at a time, never the last one.
        assert.ok(values.podDisruptionBudget.minAvailable >= 1 && values.podDisruptionBudget.minAvailable < replicas);
    });
});
