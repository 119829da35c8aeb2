import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import { MetricsScraping, MetricsScrapingArgs, scrapeAnnotations } from "../../components/cluster/metrics-scraping";
import { byType, freshRun, StackRun } from "../harness";

function run(args: Omit<MetricsScrapingArgs, "provider"> = {}): Promise<StackRun> {
    return freshRun({
        stack: "dev",
        program: () => {
            const provider = new k8s.Provider("primary", { kubeconfig: "{}" });
            new MetricsScraping("metrics", { provider, ...args });
        },
    });
}

/** Parses the one-line TOML `key = "value"` settings the add-on reads. */
function tomlString(text: string, key: string): string {
    const m = new RegExp(`^\\s*${key}\\s*=\\s*"([^"]*)"\\s*$`, "m").exec(text);
    assert.ok(m, `no ${key} in ${text}`);
    return m[1];
}

describe("MetricsScraping", () => {
    it("creates the ama-metrics settings ConfigMap in kube-system through the cluster's provider", async () => {
        const r = await run();
        const maps = byType(r, "kubernetes:core/v1:ConfigMap");
        assert.equal(maps.length, 1);
        const [cm] = maps;
        const metadata = cm.inputs.metadata as { name: string; namespace: string };
        assert.equal(metadata.name, "ama-metrics-settings-configmap");
        assert.equal(metadata.namespace, "kube-system");
        assert.match(cm.provider ?? "", /::primary$/);
        const [component] = byType(r, "platform:cluster:MetricsScraping");
        assert.equal(cm.parent, component.urn);
        const data = cm.inputs.data as Record<string, string>;
        assert.equal(data["schema-version"], "v1");
        assert.ok(data["config-version"].length <= 10);
    });

    it("scrapes annotated pods in exactly the cert-manager and argocd namespaces", async () => {
        const r = await run();
        const data = byType(r, "kubernetes:core/v1:ConfigMap")[0].inputs.data as Record<string, string>;
        const regex = new RegExp(`^(?:${tomlString(data["pod-annotation-based-scraping"], "podannotationnamespaceregex")})$`);
        for (const ns of ["cert-manager", "argocd"]) assert.ok(regex.test(ns), `${ns} is scraped`);
        for (const ns of ["kube-system", "default", "harbor", "argocd-apps", "my-cert-manager", "tekton-pipelines"]) {
            assert.ok(!regex.test(ns), `${ns} must not be scraped`);
        }
        // Default targets are left to the add-on.
        assert.deepEqual(Object.keys(data).sort(), ["config-version", "pod-annotation-based-scraping", "schema-version"]);
    });

    it("is deterministic in namespace order and rejects non-namespace names", async () => {
        const a = await run({ namespaces: ["argocd", "cert-manager"] });
        const b = await run({ namespaces: ["cert-manager", "argocd", "argocd"] });
        const data = (x: StackRun) => byType(x, "kubernetes:core/v1:ConfigMap")[0].inputs.data;
        assert.deepEqual(data(a), data(b));
        await assert.rejects(run({ namespaces: [".*"] }), /not a namespace name/);
        await assert.rejects(run({ namespaces: [] }), /at least one/);
    });

    it("offers the pod annotations the charts must set", () => {
        assert.deepEqual(scrapeAnnotations(8082), {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": "8082",
            "prometheus.io/path": "/metrics",
        });
    });
});
