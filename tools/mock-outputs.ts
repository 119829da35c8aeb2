// Realistic, deterministic outputs for the resources and functions the program uses, so that the
// offline engine exercises the same wiring a real deployment would. Every id, principal id,
// client id and issuer is derived from the resource's URN: unique per resource (a test that wires
// the wrong identity fails) and identical across runs (plans are byte-identical).
import { createHash } from "crypto";
import { AZURE_NAME_INPUT, azureModuleType } from "./azure-replacement";

export const MOCK_SUBSCRIPTION_ID = "00000000-1111-4222-8333-444444444444";
export const MOCK_TENANT_ID = "72f988bf-0000-4000-8000-00000000d011";
/** Object id of the principal running `pulumi up` (getClientConfig). */
export const MOCK_DEPLOYER_OBJECT_ID = "9d2f7c1e-3a4b-4c5d-8e6f-7a8b9c0d1e2f";
export const MOCK_DEPLOYER_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/** AKS AAD server application id that kubelogin requests tokens for (fixed by Azure). */
export const AKS_AAD_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";
/** Azure CLI public client id that AKS writes into user kubeconfigs. */
export const AKS_AAD_CLIENT_ID = "80faf920-1908-4b52-b5ef-a8e7bedfc67a";

export function hash(...parts: string[]): string {
    return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

/** A UUID-shaped (v4 layout) id derived from the given parts. */
export function uuidFrom(...parts: string[]): string {
    const h = hash(...parts);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

type Props = Record<string, any>;

/** ARM resource type path per azure-native type, for realistic ids. */
const ARM_TYPE: Record<string, string> = {
    "containerregistry:Registry": "Microsoft.ContainerRegistry/registries",
    "containerservice:ManagedCluster": "Microsoft.ContainerService/managedClusters",
    "managedidentity:UserAssignedIdentity": "Microsoft.ManagedIdentity/userAssignedIdentities",
    "network:VirtualNetwork": "Microsoft.Network/virtualNetworks",
    "network:PublicIPAddress": "Microsoft.Network/publicIPAddresses",
    "trafficmanager:Profile": "Microsoft.Network/trafficmanagerprofiles",
    "dns:Zone": "Microsoft.Network/dnsZones",
    "operationalinsights:Workspace": "Microsoft.OperationalInsights/workspaces",
    "storage:StorageAccount": "Microsoft.Storage/storageAccounts",
    "containerservice:AgentPool": "Microsoft.ContainerService/managedClusters/agentPools",
    "monitor:ActionGroup": "Microsoft.Insights/actionGroups",
    "monitor:MetricAlert": "Microsoft.Insights/metricAlerts",
    "monitor:AzureMonitorWorkspace": "Microsoft.Monitor/accounts",
    "monitor:DataCollectionEndpoint": "Microsoft.Insights/dataCollectionEndpoints",
    "monitor:DataCollectionRule": "Microsoft.Insights/dataCollectionRules",
    "alertsmanagement:PrometheusRuleGroup": "Microsoft.AlertsManagement/prometheusRuleGroups",
};

export interface MockContext {
    urn: string;
    type: string;
    name: string;
    inputs: Props;
    /** Clusters registered so far, keyed `resourceGroup/name`, for kubeconfig invokes. */
    clusters: Map<string, Props>;
}

function rgId(rg: string): string {
    return `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${rg}`;
}

/** Deterministic public IPv4 address in a Microsoft-owned range (a PublicIPAddress's, from its URN). */
export function publicIp(seed: string): string {
    const h = hash(seed);
    return `20.${parseInt(h.slice(0, 2), 16)}.${parseInt(h.slice(2, 4), 16)}.${1 + (parseInt(h.slice(4, 6), 16) % 254)}`;
}

/** The OIDC issuer URL a ManagedCluster gets (from its URN). */
export function oidcIssuerUrl(location: string, clusterUrn: string): string {
    return `https://${location}.oic.prod-aks.azure.com/${MOCK_TENANT_ID}/${uuidFrom(clusterUrn, "issuer")}/`;
}

export function clusterFqdn(resourceGroup: string, name: string, location: string): string {
    return `${name}-${hash(resourceGroup, name).slice(0, 8)}.hcp.${location}.azmk8s.io`;
}

/** The outputs (state) a resource would have after creation, and its id. */
export function mockResource(ctx: MockContext): { id: string; state: Props } {
    const { urn, type, name, inputs } = ctx;
    const state: Props = { ...inputs };
    const mod = azureModuleType(type);
    if (mod) return mockAzure(ctx, mod, state);

    switch (type) {
        case "random:index/randomPassword:RandomPassword":
        case "random:index/randomString:RandomString": {
            const len = Number(inputs.length ?? 32);
            state.result = `mockpw-${hash(urn, "result")}`.slice(0, Math.max(len, 16));
            if (type.endsWith("RandomPassword")) state.bcryptHash = `$2a$10$${hash(urn, "bcrypt").slice(0, 53)}`;
            return { id: hash(urn).slice(0, 16), state };
        }
        case "tls:index/privateKey:PrivateKey": {
            const body = Buffer.from(`mock-private-key:${hash(urn, "key")}`).toString("base64");
            state.privateKeyPem = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----\n`;
            state.privateKeyPemPkcs8 = `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
            state.privateKeyOpenssh = `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
            state.publicKeyPem = `-----BEGIN PUBLIC KEY-----\n${Buffer.from(`mock-public-key:${hash(urn, "pub")}`).toString("base64")}\n-----END PUBLIC KEY-----\n`;
            state.publicKeyFingerprintSha256 = `SHA256:${hash(urn, "fp").slice(0, 43)}`;
            return { id: hash(urn).slice(0, 40), state };
        }
        case "tls:index/selfSignedCert:SelfSignedCert": {
            state.certPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(`mock-cert:${hash(urn, "cert")}`).toString("base64")}\n-----END CERTIFICATE-----\n`;
            state.validityStartTime = "2026-01-01T00:00:00Z";
            state.validityEndTime = "2036-01-01T00:00:00Z";
            return { id: hash(urn).slice(0, 38), state };
        }
    }
    if (type.startsWith("azuread:")) return mockAzureAd(ctx, state);
    if (type === "pulumi-nodejs:dynamic:Resource") return mockDynamic(ctx, state);
    if (type.startsWith("kubernetes:")) {
        // Kubernetes objects echo their inputs, with the name the provider would choose.
        const metadata: Props = { ...(inputs.metadata ?? {}) };
        if (!metadata.name) metadata.name = `${name}-${hash(urn).slice(0, 8)}`;
        state.metadata = metadata;
        if (type === "kubernetes:helm.sh/v3:Release") {
            state.name = inputs.name ?? `${name}-${hash(urn).slice(0, 8)}`;
            state.status = { status: "deployed", namespace: inputs.namespace ?? "default", version: inputs.version };
            return { id: `${inputs.namespace ?? "default"}/${state.name}`, state };
        }
        const ns = metadata.namespace;
        return { id: ns ? `${ns}/${metadata.name}` : metadata.name, state };
    }
    return { id: `${name}-${hash(urn).slice(0, 8)}`, state };
}

/**
 * Entra ID (azuread v6) objects: Graph assigns object ids and client ids (GUIDs, here from the
 * URN); resource ids follow the provider's formats (`/applications/<objectId>`, and credentials
 * below their application).
 */
function mockAzureAd(ctx: MockContext, state: Props): { id: string; state: Props } {
    const { urn, type, inputs } = ctx;
    switch (type) {
        case "azuread:index/application:Application": {
            state.objectId = uuidFrom(urn, "object");
            state.clientId = uuidFrom(urn, "client");
            state.publisherDomain = "example.onmicrosoft.com";
            return { id: `/applications/${state.objectId}`, state };
        }
        case "azuread:index/servicePrincipal:ServicePrincipal":
            state.objectId = uuidFrom(urn, "object");
            state.applicationTenantId = MOCK_TENANT_ID;
            state.type = "Application";
            return { id: `/servicePrincipals/${state.objectId}`, state };
        case "azuread:index/appRoleAssignment:AppRoleAssignment":
            state.principalType = "Group";
            return { id: `/servicePrincipals/${inputs.resourceObjectId}/appRoleAssignedTo/${hash(urn).slice(0, 43)}`, state };
        case "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential":
            state.credentialId = uuidFrom(urn, "credential");
            return { id: `${inputs.applicationId}/federatedIdentityCredential/${state.credentialId}`, state };
        case "azuread:index/applicationPassword:ApplicationPassword":
            state.keyId = uuidFrom(urn, "key");
            // Entra client secrets are 40 characters with a `~` at position 4.
            state.value = `${hash(urn, "v").slice(0, 3)}8Q~${hash(urn, "secret").slice(0, 34)}`;
            state.startDate = "2026-01-01T00:00:00Z";
            state.endDate = "2028-01-01T00:00:00Z";
            return { id: `${inputs.applicationId}/password/${state.keyId}`, state };
    }
    throw new Error(`offline engine: no mock for ${type}; add one to tools/mock-outputs.ts`);
}

/**
 * Dynamic resources echo their inputs; the ones whose outputs the program reads get them here
 * (components/cluster/harbor/api.ts: Harbor assigns project ids and generates robot secrets).
 */
function mockDynamic(ctx: MockContext, state: Props): { id: string; state: Props } {
    const { urn, inputs } = ctx;
    const numericId = parseInt(hash(urn).slice(0, 6), 16);
    if (inputs.secretVersion !== undefined && inputs.fullName !== undefined) {
        state.robotId = numericId;
        state.secret = `mockrobot-${hash(urn, "secret").slice(0, 32)}`;
        return { id: String(numericId), state };
    }
    if (inputs.autoScan !== undefined && inputs.preventVul !== undefined) {
        state.projectId = numericId;
        return { id: String(numericId), state };
    }
    return { id: hash(urn).slice(0, 16), state };
}

function mockAzure(ctx: MockContext, mod: string, state: Props): { id: string; state: Props } {
    const { urn, name: logical, inputs } = ctx;
    const nameKey = AZURE_NAME_INPUT[mod];
    // azure-native auto-names with a random suffix when the name input is omitted.
    const name: string = (nameKey && inputs[nameKey]) || `${logical}${hash(urn).slice(0, 7)}`;
    if (nameKey) state[nameKey] = name;
    state.name = name;
    const rg: string = inputs.resourceGroupName ?? "";
    const armType = ARM_TYPE[mod];
    let id = armType ? `${rgId(rg)}/providers/${armType}/${name}` : `${rgId(rg)}/providers/${mod.replace(":", "/")}/${name}`;

    switch (mod) {
        case "resources:ResourceGroup":
            id = rgId(name);
            state.properties = { provisioningState: "Succeeded" };
            break;
        case "containerregistry:Registry":
            state.loginServer = `${name.toLowerCase()}.azurecr.io`;
            state.provisioningState = "Succeeded";
            break;
        case "containerregistry:CredentialSet":
            // A system-assigned identity gets its own principal, as ARM returns it.
            state.identity = { ...(inputs.identity ?? {}), principalId: uuidFrom(urn, "principal"), tenantId: MOCK_TENANT_ID };
            break;
        case "containerregistry:Replication":
            id = `${rgId(rg)}/providers/Microsoft.ContainerRegistry/registries/${inputs.registryName}/replications/${name}`;
            break;
        case "containerservice:ManagedCluster": {
            const location = inputs.location ?? "westeurope";
            state.fqdn = clusterFqdn(rg, name, location);
            state.azurePortalFQDN = state.fqdn.replace(".hcp.", ".portal.hcp.");
            state.currentKubernetesVersion = `${inputs.kubernetesVersion ?? "1.34"}.2`;
            state.nodeResourceGroup = inputs.nodeResourceGroup ?? `MC_${rg}_${name}_${location}`;
            state.identity = { ...(inputs.identity ?? {}), principalId: uuidFrom(urn, "controlplane"), tenantId: MOCK_TENANT_ID };
            const kubeletName = `${name}-agentpool`;
            // A pre-created kubelet identity is returned as given; otherwise AKS makes one in the node group.
            state.identityProfile = inputs.identityProfile?.kubeletidentity
                ? inputs.identityProfile
                : {
                      kubeletidentity: {
                          clientId: uuidFrom(urn, "kubelet-client"),
                          objectId: uuidFrom(urn, "kubelet-object"),
                          resourceId: `${rgId(state.nodeResourceGroup)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${kubeletName}`,
                      },
                  };
            state.oidcIssuerProfile = {
                ...(inputs.oidcIssuerProfile ?? {}),
                issuerURL: oidcIssuerUrl(location, urn),
            };
            state.provisioningState = "Succeeded";
            ctx.clusters.set(`${rg}/${name}`, { location, fqdn: state.fqdn });
            break;
        }
        case "managedidentity:UserAssignedIdentity":
            state.principalId = uuidFrom(urn, "principal");
            state.clientId = uuidFrom(urn, "client");
            state.tenantId = MOCK_TENANT_ID;
            break;
        case "managedidentity:FederatedIdentityCredential":
            id = `${rgId(rg)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${inputs.resourceName}/federatedIdentityCredentials/${name}`;
            break;
        case "network:PublicIPAddress":
            state.ipAddress = publicIp(urn);
            if (inputs.dnsSettings?.domainNameLabel) {
                state.dnsSettings = {
                    ...inputs.dnsSettings,
                    fqdn: `${inputs.dnsSettings.domainNameLabel}.${inputs.location ?? "westeurope"}.cloudapp.azure.com`,
                };
            }
            break;
        case "trafficmanager:Profile":
            state.dnsConfig = { ...(inputs.dnsConfig ?? {}), fqdn: `${inputs.dnsConfig?.relativeName ?? name}.trafficmanager.net` };
            break;
        case "trafficmanager:Endpoint":
            id = `${rgId(rg)}/providers/Microsoft.Network/trafficmanagerprofiles/${inputs.profileName}/${inputs.endpointType ?? "AzureEndpoints"}/${name}`;
            state.endpointMonitorStatus = "Online";
            break;
        case "dns:Zone":
            state.nameServers = [1, 2, 3, 4].map(
                i => `ns${i}-0${(parseInt(hash(urn).slice(i, i + 1), 16) % 9) + 1}.azure-dns.${["com", "net", "org", "info"][i - 1]}.`,
            );
            break;
        case "dns:RecordSet":
            id = `${rgId(rg)}/providers/Microsoft.Network/dnsZones/${inputs.zoneName}/${inputs.recordType}/${name}`;
            state.fqdn = `${name}.${inputs.zoneName}.`;
            break;
        case "operationalinsights:Workspace":
            state.customerId = uuidFrom(urn, "workspace");
            break;
        case "monitor:DiagnosticSetting":
            id = `${inputs.resourceUri}/providers/Microsoft.Insights/diagnosticSettings/${name}`;
            break;
        case "authorization:RoleAssignment":
            id = `${inputs.scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
            break;
        case "authorization:ManagementLockAtResourceGroupLevel":
            id = `${rgId(rg)}/providers/Microsoft.Authorization/locks/${name}`;
            break;
        case "storage:StorageAccount":
            state.primaryEndpoints = { blob: `https://${name}.blob.core.windows.net/` };
            break;
        case "containerservice:AgentPool":
            id = `${rgId(rg)}/providers/Microsoft.ContainerService/managedClusters/${inputs.resourceName}/agentPools/${name}`;
            break;
        case "storage:BlobServiceProperties":
            id = `${rgId(rg)}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}/blobServices/${name}`;
            break;
        case "storage:BlobContainer":
            id = `${rgId(rg)}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}/blobServices/default/containers/${name}`;
            break;
        case "monitor:AzureMonitorWorkspace": {
            const location = inputs.location ?? "westeurope";
            state.accountId = uuidFrom(urn, "amw");
            state.metrics = {
                internalId: `mac_${state.accountId}`,
                prometheusQueryEndpoint: `https://${name}-${hash(urn).slice(0, 10)}.${location}.prometheus.monitor.azure.com`,
            };
            state.provisioningState = "Succeeded";
            break;
        }
        case "monitor:DataCollectionEndpoint":
            state.immutableId = `dce-${hash(urn, "immutable").slice(0, 32)}`;
            state.metricsIngestion = {
                endpoint: `https://${name.toLowerCase()}-${hash(urn).slice(0, 4)}.${inputs.location ?? "westeurope"}-1.metrics.ingest.monitor.azure.com`,
            };
            break;
        case "monitor:DataCollectionRule":
            state.immutableId = `dcr-${hash(urn, "immutable").slice(0, 32)}`;
            break;
        case "monitor:DataCollectionRuleAssociation":
            // An extension resource: its id hangs off the associated resource, not a resource group.
            id = `${inputs.resourceUri}/providers/Microsoft.Insights/dataCollectionRuleAssociations/${name}`;
            break;
    }
    return { id, state };
}

/** Kubeconfig as AKS returns it for `listManagedClusterUserCredentials`: exec form, devicecode login. */
export function userKubeconfig(resourceGroup: string, name: string, location: string): string {
    const server = `https://${clusterFqdn(resourceGroup, name, location)}:443`;
    const ca = Buffer.from(`mock-ca:${hash(resourceGroup, name, "ca")}`).toString("base64");
    return [
        "apiVersion: v1",
        "clusters:",
        "- cluster:",
        `    certificate-authority-data: ${ca}`,
        `    server: ${server}`,
        `  name: ${name}`,
        "contexts:",
        "- context:",
        `    cluster: ${name}`,
        `    user: clusterUser_${resourceGroup}_${name}`,
        `  name: ${name}`,
        `current-context: ${name}`,
        "kind: Config",
        "preferences: {}",
        "users:",
        `- name: clusterUser_${resourceGroup}_${name}`,
        "  user:",
        "    exec:",
        "      apiVersion: client.authentication.k8s.io/v1beta1",
        "      args:",
        "      - get-token",
        "      - --environment",
        "      - AzurePublicCloud",
        "      - --server-id",
        `      - ${AKS_AAD_SERVER_ID}`,
        "      - --client-id",
        `      - ${AKS_AAD_CLIENT_ID}`,
        "      - --tenant-id",
        `      - ${MOCK_TENANT_ID}`,
        "      - --login",
        "      - devicecode",
        "      command: kubelogin",
        "      env: null",
        "      installHint: |2",
        "",
        "        kubelogin is not installed which is required to connect to AAD enabled cluster.",
        "      interactiveMode: IfAvailable",
        "      provideClusterInfo: false",
        "",
    ].join("\n");
}

/**
 * The digest the offline registry reports for an image name (`getRegistryImage`): derived from
 * the name, so it is deterministic, differs per image and tag, and is visibly not a real one to
 * whoever looks it up (no registry is reachable offline).
 */
export function mockRegistryDigest(name: string): string {
    return `sha256:${hash("offline-registry-digest", name)}`;
}

/** Results of provider functions (invokes) the program calls. */
export function mockCall(token: string, args: Props, clusters: Map<string, Props>): Props {
    switch (token) {
        case "azure-native:authorization:getClientConfig":
            return {
                clientId: MOCK_DEPLOYER_CLIENT_ID,
                objectId: MOCK_DEPLOYER_OBJECT_ID,
                subscriptionId: MOCK_SUBSCRIPTION_ID,
                tenantId: MOCK_TENANT_ID,
            };
        case "azure-native:containerservice:listManagedClusterUserCredentials": {
            const cluster = clusters.get(`${args.resourceGroupName}/${args.resourceName}`);
            if (!cluster)
                throw new Error(`listManagedClusterUserCredentials: no cluster ${args.resourceGroupName}/${args.resourceName} registered`);
            const kubeconfig = userKubeconfig(args.resourceGroupName, args.resourceName, cluster.location);
            return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }] };
        }
        case "docker:index/getRegistryImage:getRegistryImage": {
            // As the provider answers: the id is the digest (terraform-provider-docker v4.5.0
            // data_source_docker_registry_image.go). A name that already carries a digest is
            // looked up by that digest, as upstream does; none of the program's do.
            const at = String(args.name).indexOf("@sha256:");
            const digest = at >= 0 ? String(args.name).slice(at + 1) : mockRegistryDigest(String(args.name));
            return { id: digest, name: args.name, sha256Digest: digest, insecureSkipVerify: args.insecureSkipVerify ?? false };
        }
        case "azure-native:storage:listStorageAccountKeys":
            // Two full-permission keys, base64 like the real ones, derived from the account.
            return {
                keys: ["key1", "key2"].map(keyName => ({
                    keyName,
                    permissions: "FULL",
                    value: Buffer.from(hash(args.resourceGroupName, args.accountName, keyName)).toString("base64"),
                })),
            };
    }
    throw new Error(`offline engine: no mock for function ${token}; add one to tools/mock-outputs.ts`);
}
