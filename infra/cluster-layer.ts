// The cluster layer: what runs inside each AKS cluster, wired to the Azure layer.
//
//   per cluster (in parallel, each through its own provider):
//     Gateway API CRDs, then Gatekeeper: when its webhook fails closed (prod), every other
//     Kubernetes object of the cluster waits for its release (admittedOptions); failing open
//     (dev), nothing does.
//     gateway ─┬─ cert-manager (needs the Gateway API CRDs)
//              ├─ ExternalDNS, Sealed Secrets, Gatekeeper, metrics scraping (independent)
//              └─ Argo CD (routes on the Gateway; its root app waits for Gatekeeper's constraints,
//                 so no application is admitted before the guard rails exist)
//   primary only:
//     Harbor (behind the Gateway) ─▶ Tekton platform ─▶ supply-chain pipeline (the only
//     component that receives registry credentials: the Harbor robot and the ACR identity)
import * as pulumi from "@pulumi/pulumi";
import { ArgoCd } from "../components/cluster/argocd";
import { CertManager } from "../components/cluster/cert-manager";
import { ExternalDns } from "../components/cluster/external-dns";
import { Gatekeeper, waitForAdmissionWebhook } from "../components/cluster/gatekeeper";
import { GatewayApiCrds, listenerName, PlatformGateway } from "../components/cluster/gateway";
import { Harbor, HARBOR_ADMIN_USER } from "../components/cluster/harbor";
import { MetricsScraping } from "../components/cluster/metrics-scraping";
import { SupplyChainPipeline } from "../components/cluster/pipeline";
import { SealedSecrets, SealingKey, SealingKeyGeneration, SEALED_SECRETS_CONTROLLER } from "../components/cluster/sealed-secrets";
import { TektonPlatform } from "../components/cluster/tekton";
import { TektonDashboardProxy } from "../components/cluster/tekton/dashboard-proxy";
import { HarborSso } from "../components/cluster/harbor/oidc";
import { ChainsSigningSecret, ImageVerification, SigningKey, SigningKeyGeneration } from "../components/cluster/image-verification";
import { CLUSTER_KEYS, ClusterKey, PlatformConfig } from "./config";
import { CLUSTER_ISSUERS, exemptNamespaces, NAMESPACES } from "../model/names";
import type { AzureFoundation } from "./azure-layer";

/** In-cluster services of one region. */
export interface RegionalServices {
    gateway: PlatformGateway;
    certManager: CertManager;
    externalDns: ExternalDns;
    sealedSecrets: SealedSecrets;
    gatekeeper: Gatekeeper;
    imageVerification: ImageVerification;
    argocd: ArgoCd;
}

export interface ClusterLayer {
    regions: Record<ClusterKey, RegionalServices>;
    sealingCertificate: pulumi.Output<string>;
    /** Image-signing keys, oldest first: the newest signs, all verify. */
    signingKeys: SigningKeyGeneration[];
    harbor: Harbor;
    pipeline: SupplyChainPipeline;
    tektonDashboard: TektonDashboardProxy;
}

/**
 * What a region's Gateway serves: one HTTPS listener per hostname and, for the platform UIs,
 * the only namespace allowed to attach routes to it (the app hostname takes routes from
 * labelled application namespaces). Harbor and the git webhook live on the primary only.
 */
export function servedHostnames(cfg: PlatformConfig, key: ClusterKey): { hostname: string; routesFrom?: string }[] {
    return [
        { hostname: cfg.dns.appHostname },
        { hostname: cfg.dns.argocdHostnames[key], routesFrom: NAMESPACES.argocd },
        ...(key === "primary"
            ? [
                  { hostname: cfg.dns.harborHostname, routesFrom: NAMESPACES.harbor },
                  { hostname: cfg.dns.hooksHostname, routesFrom: cfg.delivery.pipelineNamespace },
                  { hostname: cfg.dns.tektonHostname, routesFrom: NAMESPACES.tektonDashboardProxy },
              ]
            : []),
    ];
}

/**
 * Options for every component on a cluster other than Gatekeeper: with a fail-closed webhook
 * (gatekeeper.failurePolicy Fail, prod) their Kubernetes objects wait for the Gatekeeper release,
 * so none races the webhook's registration; failing open (dev) they don't pay that wait.
 */
function admittedOptions(cfg: PlatformConfig, gatekeeper: Gatekeeper): pulumi.ComponentResourceOptions {
    return cfg.gatekeeper.failurePolicy === "Fail" ? waitForAdmissionWebhook(gatekeeper.release) : {};
}

function regionalServices(
    cfg: PlatformConfig,
    azure: AzureFoundation,
    key: ClusterKey,
    sealingKeys: SealingKeyGeneration[],
    signingKeys: SigningKeyGeneration[],
): RegionalServices {
    const cluster = azure.clusters[key];
    const provider = cluster.provider;
    const dnsZone = { name: azure.dnsZone.name, resourceGroupName: azure.dnsZone.resourceGroupName };
    const exempt = exemptNamespaces(cfg.gatekeeper.extraExemptNamespaces);
    const argocdHost = cfg.dns.argocdHostnames[key];

    // First, because with a fail-closed webhook (prod) every other Kubernetes object of this
    // cluster waits for it (see waitForAdmissionWebhook); failing open (dev), nothing waits. The
    // Gateway API CRDs (a Pulumi-rendered chart that the waiting cannot reach) go before it.
    const failClosed = cfg.gatekeeper.failurePolicy === "Fail";
    const gatewayCrds = new GatewayApiCrds(`${key}-gateway-crds`, { provider });
    const gatekeeper = new Gatekeeper(`${key}-gatekeeper`, {
        provider,
        acrLoginServer: azure.registry.loginServer,
        pipelineNamespace: cfg.delivery.pipelineNamespace,
        exemptNamespaces: exempt,
        enforcementAction: cfg.gatekeeper.enforcementAction,
        failurePolicy: cfg.gatekeeper.failurePolicy,
        replicas: cfg.gatekeeper.replicas,
        installAfter: failClosed ? [gatewayCrds] : [],
    });
    const admitted = admittedOptions(cfg, gatekeeper);

    const served = servedHostnames(cfg, key);
    const gateway = new PlatformGateway(
        `${key}-gateway`,
        {
            provider,
            publicIp: cluster.gatewayIp,
            hostnames: served.map(s => s.hostname),
            probeHostname: cfg.dns.appHostname,
            healthPath: cfg.traffic.healthPath,
            // Per stack (dns.acmeIssuer): dev uses Let's Encrypt staging, so rebuilds spend no production rate limit.
            clusterIssuer: CLUSTER_ISSUERS[cfg.dns.acmeIssuer],
            routeNamespaces: Object.fromEntries(served.filter(s => s.routesFrom).map(s => [s.hostname, [s.routesFrom!]])),
            proxyReplicas: cfg.replicas.gatewayProxy,
            crds: gatewayCrds,
            acrLoginServer: azure.registry.knownLoginServer,
        },
        admitted,
    );

    const certManager = new CertManager(
        `${key}-cert-manager`,
        {
            provider,
            identityClientId: azure.identities.certManager.clientId,
            subscriptionId: azure.subscriptionId,
            dnsZone,
            acmeEmail: cfg.dns.acmeEmail,
            dependsOn: [gateway.crdsReady],
            replicas: cfg.replicas.certManager,
            acrLoginServer: azure.registry.knownLoginServer,
        },
        admitted,
    );

    const externalDns = new ExternalDns(
        `${key}-external-dns`,
        {
            provider,
            identityClientId: azure.identities.externalDns.clientId,
            tenantId: azure.tenantId,
            subscriptionId: azure.subscriptionId,
            dnsZone,
            // Distinct per cluster: each region's ExternalDNS only touches the records it created.
            txtOwnerId: `${cfg.namePrefix}-${key}`,
            policy: cfg.externalDnsPolicy,
            // Pulumi owns the shared app hostname's CNAME to Traffic Manager.
            excludeHostnames: [cfg.dns.appHostname],
            dependsOn: [gateway.crdsReady],
            acrLoginServer: azure.registry.knownLoginServer,
        },
        admitted,
    );

    const sealedSecrets = new SealedSecrets(
        `${key}-sealed-secrets`,
        { provider, sealingKeys, acrLoginServer: azure.registry.knownLoginServer },
        admitted,
    );

    // Signatures are checked in application namespaces only: system and platform namespaces run
    // upstream images (through the ACR cache), the pipeline namespace its tool images.
    const imageVerification = new ImageVerification(
        `${key}-image-verification`,
        {
            provider,
            gatekeeperNamespace: gatekeeper.namespace,
            dependsOn: [gatekeeper],
            acrLoginServer: azure.registry.knownLoginServer,
            trustedPublicKeys: signingKeys.map(k => k.publicKeyPem),
            kubeletClientId: cluster.kubeletClientId,
            tenantId: azure.tenantId,
            enforcementAction: cfg.imageVerification.enforcementAction,
            excludedNamespaces: [...exempt, cfg.delivery.pipelineNamespace],
            replicas: cfg.gatekeeper.replicas > 1 ? 2 : 1,
        },
        admitted,
    );

    new MetricsScraping(`${key}-metrics`, { provider }, admitted);

    const argocd = new ArgoCd(
        `${key}-argocd`,
        {
            provider,
            clusterKey: key,
            hostname: argocdHost,
            manifestsRepoUrl: cfg.delivery.manifestsRepoUrl,
            branch: cfg.delivery.branch,
            path: cfg.delivery.manifestsPaths[key],
            repoReadToken: cfg.secrets.gitReadToken,
            ha: cfg.delivery.argocdHa,
            syncWindows: cfg.delivery.syncWindows,
            // Applications may never deploy into system/platform namespaces or the pipeline's.
            exemptNamespaces: [...exempt, cfg.delivery.pipelineNamespace],
            gatewayListener: listenerName(argocdHost),
            // The UI/API answers only the networks that may reach the API servers (operators, CI).
            allowedClientCidrs: [...cfg.kubernetes.authorizedIpRanges],
            // Sign-in with Entra ID; RBAC from the same three groups as AKS.
            sso: { issuer: azure.sso.issuer, clientId: azure.sso.argocd.clientId, groups: azure.sso.groups },
            routeDependsOn: [gateway.crdsReady],
            // No application is synced before the guard rails exist.
            applicationsDependOn: [gatekeeper, imageVerification],
            acrLoginServer: azure.registry.knownLoginServer,
        },
        admitted,
    );

    return { gateway, certManager, externalDns, sealedSecrets, gatekeeper, imageVerification, argocd };
}

/** Builds the cluster layer on top of the Azure layer. */
export function createClusterLayer(cfg: PlatformConfig, azure: AzureFoundation): ClusterLayer {
    // The same sealing keys in both regions: a SealedSecret in git decrypts in either cluster.
    const sealingKeys: SealingKeyGeneration[] = cfg.sealedSecrets.keyGenerations.map(generation => {
        const key = new SealingKey(`sealing-key-g${generation}`);
        return { generation, certificatePem: key.certificatePem, privateKeyPem: key.privateKeyPem };
    });
    // One image-signing key per generation, for the stack: Chains signs with the newest, both
    // regions' admission trusts them all.
    const signingKeys: SigningKeyGeneration[] = cfg.imageVerification.keyGenerations.map(generation => {
        const key = new SigningKey(`image-signing-key-g${generation}`);
        return { generation, publicKeyPem: key.publicKeyPem, privateKeyPem: key.privateKeyPem };
    });
    const regions = Object.fromEntries(
        CLUSTER_KEYS.map(key => [key, regionalServices(cfg, azure, key, sealingKeys, signingKeys)]),
    ) as Record<ClusterKey, RegionalServices>;

    const primary = azure.clusters.primary;
    const primaryServices = regions.primary;
    const admitted = admittedOptions(cfg, primaryServices.gatekeeper);

    const harbor = new Harbor(
        "harbor",
        {
            provider: primary.provider,
            acrLoginServer: azure.registry.knownLoginServer,
            hostname: cfg.dns.harborHostname,
            storage: azure.harborStorage,
            staging: {
                blockSeverity: cfg.delivery.blockSeverity,
                cveAllowlist: cfg.delivery.cveAllowlist,
                retainTags: cfg.delivery.retainTags,
                gcSchedule: cfg.delivery.gcSchedule,
            },
            robotSecretVersion: cfg.delivery.robotSecretVersion,
            gatewayListener: listenerName(cfg.dns.harborHostname),
            routeDependsOn: [primaryServices.gateway.crdsReady],
            // Harbor's API is configured through its public hostname: the Gateway (listener and
            // certificate), cert-manager (issuer) and DNS first. The chart installs meanwhile.
            apiDependsOn: [primaryServices.gateway, primaryServices.certManager, primaryServices.externalDns],
        },
        admitted,
    );

    // People sign in to Harbor with Entra ID; the admin password stays for the API providers.
    new HarborSso("harbor-sso", {
        connection: { apiUrl: harbor.url, username: HARBOR_ADMIN_USER, password: harbor.adminPassword },
        issuer: azure.sso.issuer,
        clientId: azure.sso.harbor.clientId,
        clientSecret: azure.sso.harbor.clientSecret,
        groups: azure.sso.groups,
        stagingProject: harbor.stagingProject,
        dependsOn: [harbor.release, harbor.route, primaryServices.gateway, primaryServices.certManager, primaryServices.externalDns],
    });

    const tekton = new TektonPlatform("tekton", { provider: primary.provider, acrLoginServer: azure.registry.knownLoginServer }, admitted);

    // The read-only dashboard, only behind oauth2-proxy (Entra sign-in, the three groups).
    const tektonDashboard = new TektonDashboardProxy(
        "tekton-dashboard",
        {
            provider: primary.provider,
            hostname: cfg.dns.tektonHostname,
            issuer: azure.sso.issuer,
            clientId: azure.sso.tektonDashboard.clientId,
            allowedGroups: Object.values(azure.sso.groups),
            allowedClientCidrs: [...cfg.kubernetes.authorizedIpRanges],
            gatewayListener: listenerName(cfg.dns.tektonHostname),
            routeDependsOn: [primaryServices.gateway.crdsReady],
            dashboardDependsOn: [tekton],
            acrLoginServer: azure.registry.knownLoginServer,
        },
        admitted,
    );
    new ChainsSigningSecret(
        "chains-signing",
        {
            provider: primary.provider,
            privateKeyPem: signingKeys[signingKeys.length - 1].privateKeyPem,
            // The operator creates Chains' namespace (and its empty signing-secrets) while reconciling.
            dependsOn: [tekton.config],
        },
        admitted,
    );

    // The only component that receives registry credentials (the Harbor robot and the ACR push identity).
    const pipeline = new SupplyChainPipeline(
        "supply-chain",
        {
            provider: primary.provider,
            namespace: cfg.delivery.pipelineNamespace,
            pipelineIdentityClientId: azure.identities.pipeline.clientId,
            checkIdentityClientId: azure.identities.manifestsCheck.clientId,
            // The manifests-PR check accepts what admission accepts: every key generation.
            signingPublicKeys: signingKeys.map(k => ({ generation: k.generation, publicKeyPem: k.publicKeyPem })),
            // Known at preview, so the policy pack can check the step images (<acr>/<host>/…) then.
            acrLoginServer: azure.registry.knownLoginServer,
            harbor: {
                host: harbor.registryHost,
                project: harbor.stagingProject,
                robotName: harbor.robot.name,
                robotSecret: harbor.robot.secret,
            },
            sourceRepoUrl: cfg.delivery.sourceRepoUrl,
            manifestsRepoUrl: cfg.delivery.manifestsRepoUrl,
            branch: cfg.delivery.branch,
            manifestsPathByRegion: cfg.delivery.manifestsPaths,
            botName: cfg.delivery.botName,
            botEmail: cfg.delivery.botEmail,
            blockSeverity: cfg.delivery.blockSeverity,
            cveAllowlist: cfg.delivery.cveAllowlist,
            gitPushToken: cfg.secrets.gitPushToken,
            gitReadToken: cfg.secrets.gitReadToken,
            webhookSecret: cfg.secrets.webhookSecret,
            hooksHostname: cfg.dns.hooksHostname,
            // The same templates and constraints the primary's Gatekeeper enforces.
            policyBundleYaml: primaryServices.gatekeeper.policyBundleYaml,
            kubernetesVersion: cfg.kubernetes.version,
            tektonDependsOn: [tekton],
            routeDependsOn: [primaryServices.gateway.crdsReady],
        },
        admitted,
    );

    // kubeseal seals with what the controllers seal with: the newest generation (same in both regions).
    return { regions, sealingCertificate: regions.primary.sealedSecrets.certificatePem, signingKeys, harbor, pipeline, tektonDashboard };
}

/** The cluster layer's part of the output contract. */
export function clusterOutputs(layer: ClusterLayer) {
    return {
        sealedSecretsCertificate: layer.sealingCertificate,
        sealedSecretsController: pulumi.output({ name: SEALED_SECRETS_CONTROLLER.name, namespace: SEALED_SECRETS_CONTROLLER.namespace }),
        harborUrl: pulumi.output(layer.harbor.url),
        argocdUrls: pulumi.output({ primary: layer.regions.primary.argocd.url, secondary: layer.regions.secondary.argocd.url }),
        webhookUrl: pulumi.output(layer.pipeline.webhookUrl),
        tektonDashboardUrl: pulumi.output(layer.tektonDashboard.url),
        signInUrls: pulumi.output({
            argocd: { primary: layer.regions.primary.argocd.url, secondary: layer.regions.secondary.argocd.url },
            harbor: layer.harbor.url,
            tektonDashboard: layer.tektonDashboard.url,
        }),
        imageSigning: pulumi.output({
            publicKeyPem: layer.signingKeys[layer.signingKeys.length - 1].publicKeyPem,
            trustedPublicKeys: pulumi.all(layer.signingKeys.map(k => k.publicKeyPem)),
        }),
    };
}
