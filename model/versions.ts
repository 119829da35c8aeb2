// Every pinned chart and application version, in one table. Upgrades are a one-line change here
// and show up in `pulumi preview` / `npm run plan -- --diff` as a changed `version` input; the
// charts' CRDs upgrade with them (components/cluster/chart.ts). Two exceptions, held by tests:
// envoyGateway and envoyGatewayCrds move together, and a sealedSecrets bump also re-vendors the
// chart's CRD (components/cluster/sealed-secrets/index.ts SEALED_SECRETS_CRD).
//
// Chart versions match ../shared/reference/SOURCES.md (the values files the components were
// written against). cert-manager chart versions carry a leading `v`; Envoy Gateway is served
// from an OCI registry, so its `repo` is empty and `chart` is the full OCI reference.

export interface ChartPin {
    /** Helm repository URL; empty for OCI charts. */
    readonly repo: string;
    /** Chart name, or the full `oci://` reference for OCI charts. */
    readonly chart: string;
    readonly version: string;
    /** Application version the chart ships (the gator step image follows Gatekeeper's). */
    readonly appVersion: string;
}

export const CHARTS = {
    envoyGateway: { repo: "", chart: "oci://docker.io/envoyproxy/gateway-helm", version: "v1.9.0", appVersion: "v1.9.0" },
    // Envoy Gateway's and the Gateway API's CRDs, as templates (rendered by Pulumi, see chart.ts crdChart); same version as gateway-helm.
    envoyGatewayCrds: { repo: "", chart: "oci://docker.io/envoyproxy/gateway-crds-helm", version: "v1.9.0", appVersion: "v1.9.0" },
    certManager: { repo: "https://charts.jetstack.io", chart: "cert-manager", version: "v1.21.1", appVersion: "v1.21.1" },
    externalDns: {
        repo: "https://kubernetes-sigs.github.io/external-dns/",
        chart: "external-dns",
        version: "1.21.1",
        appVersion: "0.21.0",
    },
    sealedSecrets: {
        repo: "https://bitnami-labs.github.io/sealed-secrets",
        chart: "sealed-secrets",
        version: "2.18.5",
        appVersion: "0.36.6",
    },
    gatekeeper: {
        repo: "https://open-policy-agent.github.io/gatekeeper/charts",
        chart: "gatekeeper",
        version: "3.23.0",
        appVersion: "v3.23.0",
    },
    argocd: { repo: "https://argoproj.github.io/argo-helm", chart: "argo-cd", version: "10.1.1", appVersion: "v3.4.4" },
    harbor: { repo: "https://helm.goharbor.io", chart: "harbor", version: "1.19.1", appVersion: "2.15.1" },
    tektonOperator: { repo: "https://tektoncd.github.io/operator", chart: "tekton-operator", version: "0.81.1", appVersion: "v0.81.1" },
    // oauth2-proxy/manifests tag oauth2-proxy-10.7.0 (2a4bdf83bf5f86937c88a7f6b0580f37253c04bb); repo URL from its helm/oauth2-proxy/README.md.
    oauth2Proxy: { repo: "https://oauth2-proxy.github.io/manifests", chart: "oauth2-proxy", version: "10.7.0", appVersion: "7.15.3" },
    // Ratify (Gatekeeper external-data provider that verifies image signatures): ratify-project/ratify
    // tag v1.4.0 (f3f6229dee1051e4beb580ec17ad68b7a45f23af), charts/ratify/Chart.yaml version 1.15.0.
    // The project moved to the notaryproject organisation; its README there documents this repo URL.
    ratify: { repo: "https://notaryproject.github.io/ratify", chart: "ratify", version: "1.15.0", appVersion: "v1.4.0" },
} as const satisfies Record<string, ChartPin>;

export type ChartName = keyof typeof CHARTS;

/** The Tekton Operator at CHARTS.tektonOperator requires Kubernetes 1.34 or newer (config validation enforces it). */
export const MIN_KUBERNETES_MINOR = 34;

// Not pinned separately, because the charts above own them: the Gateway API CRDs (v1.6.1, bundled
// by the Envoy Gateway CRD chart) and the Tekton components the operator installs (pipelines
// v1.15.0, triggers v0.37.0, dashboard v0.71.0 with operator v0.81.1).
