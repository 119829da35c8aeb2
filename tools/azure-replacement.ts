// What azure-native can only change by replacing a resource, for `plan --diff` (tools/plan-diff.ts),
// and the input that carries each resource type's Azure name (also used by the offline mocks).
//
// Sources (pulumi/pulumi-azure-native; the installed SDK is @pulumi/azure-native 3.28.0, whose
// npm package does not ship the provider schema):
//   - every URL path parameter of a resource (its resource group, its own name, its parent's
//     name) is `willReplaceOnChanges` in the generated schema
//     (provider/pkg/gen/__snapshots__/gen_managedcluster_test.snap: `resourceGroupName`,
//     `resourceName`, `location` … carry "willReplaceOnChanges": true);
//   - `location` of a tracked resource is create-only in ARM (x-ms-mutability [read, create]:
//     the ARM linter rule LocationMustHaveXmsMutability, "set once and non-updatable");
//   - per-type ForceNew properties: provider/pkg/gen/replacement.go (`forceNewMap`, commit
//     1b7112af33c62b247daed1028686bf279f4d5e69). For ManagedCluster's networkProfile it lists only
//     serviceCidr(s), dnsServiceIP, networkMode, networkPlugin(Mode), podCidr, networkDataplane,
//     networkPolicy and outboundType (pulumi-azure-native#4756); provider versions before that
//     fix replaced the cluster on ANY networkProfile change — `pulumi preview` is the authority.

/** Input property that carries an azure-native resource's name, per `module:Type`. */
export const AZURE_NAME_INPUT: Readonly<Record<string, string>> = {
    "resources:ResourceGroup": "resourceGroupName",
    "containerregistry:Registry": "registryName",
    "containerregistry:Replication": "replicationName",
    "containerservice:ManagedCluster": "resourceName",
    "containerservice:AgentPool": "agentPoolName",
    "containerservice:MaintenanceConfiguration": "configName",
    "managedidentity:UserAssignedIdentity": "resourceName",
    "managedidentity:FederatedIdentityCredential": "federatedIdentityCredentialResourceName",
    "network:VirtualNetwork": "virtualNetworkName",
    "network:Subnet": "subnetName",
    "network:PublicIPAddress": "publicIpAddressName",
    "network:Profile": "profileName",
    "network:Endpoint": "endpointName",
    // azure-native v3 serves Traffic Manager from its own `trafficmanager` module.
    "trafficmanager:Profile": "profileName",
    "trafficmanager:Endpoint": "endpointName",
    "dns:Zone": "zoneName",
    "dns:RecordSet": "relativeRecordSetName",
    "operationalinsights:Workspace": "workspaceName",
    "authorization:RoleAssignment": "roleAssignmentName",
    "authorization:ManagementLockAtResourceGroupLevel": "lockName",
    "authorization:ManagementLockByScope": "lockName",
    "storage:StorageAccount": "accountName",
    "storage:BlobContainer": "containerName",
    "storage:BlobServiceProperties": "blobServicesName",
    "insights:ActionGroup": "actionGroupName",
    "insights:MetricAlert": "ruleName",
    "insights:ScheduledQueryRule": "ruleName",
    "insights:DiagnosticSetting": "name",
    // azure-native v3 puts Azure Monitor under `monitor` (there is no `insights` module).
    "monitor:ActionGroup": "actionGroupName",
    "monitor:MetricAlert": "ruleName",
    "monitor:AzureMonitorWorkspace": "azureMonitorWorkspaceName",
    "monitor:DataCollectionEndpoint": "dataCollectionEndpointName",
    "monitor:DataCollectionRule": "dataCollectionRuleName",
    "monitor:DataCollectionRuleAssociation": "associationName",
    "monitor:DiagnosticSetting": "name",
    "alertsmanagement:PrometheusRuleGroup": "ruleGroupName",
};

/** Other URL path parameters (the parent's name, the scope), per `module:Type`. */
const PARENT_PATH_INPUTS: Readonly<Record<string, readonly string[]>> = {
    "containerregistry:Replication": ["registryName"],
    "containerservice:AgentPool": ["resourceName"],
    "containerservice:MaintenanceConfiguration": ["resourceName"],
    "managedidentity:FederatedIdentityCredential": ["resourceName"],
    "network:Subnet": ["virtualNetworkName"],
    "trafficmanager:Endpoint": ["profileName", "endpointType"],
    "dns:RecordSet": ["zoneName", "recordType"],
    "storage:BlobContainer": ["accountName"],
    "storage:BlobServiceProperties": ["accountName"],
    "authorization:ManagementLockByScope": ["scope"],
    "monitor:DiagnosticSetting": ["resourceUri"],
    "monitor:DataCollectionRuleAssociation": ["resourceUri"],
};

/** replacement.go's forceNewMap, for the types this stack uses (input paths below `inputs.`). */
const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
    "authorization:RoleAssignment": ["principalId", "scope"],
    "containerservice:ManagedCluster": [
        "diskEncryptionSetID",
        "dnsPrefix",
        "fqdnSubdomain",
        "linuxProfile",
        "nodeResourceGroup",
        "windowsProfile",
        ...[
            "serviceCidr",
            "serviceCidrs",
            "dnsServiceIP",
            "networkMode",
            "networkPlugin",
            "networkPluginMode",
            "podCidr",
            "networkDataplane",
            "networkPolicy",
            "outboundType",
        ].map(p => `networkProfile.${p}`),
    ],
    "containerservice:AgentPool": ["gpuInstanceProfile", "vmSize", "networkProfile.nodePublicIPTags"],
    "network:PublicIPAddress": ["publicIPAddressVersion", "publicIPPrefix", "sku"],
    "storage:StorageAccount": ["isHnsEnabled"],
};

/** `module:Type` of an azure-native type token, or undefined for other providers. */
export function azureModuleType(type: string): string | undefined {
    const m = /^azure-native:([^:]+):([^:]+)$/.exec(type);
    return m ? `${m[1]}:${m[2]}` : undefined;
}

/**
 * Why a change at `path` (`inputs.a.b[0]`, as plan-diff writes it) makes azure-native replace a
 * resource of `type`; undefined when it updates in place (or the type is not azure-native).
 */
export function replaceReason(type: string, path: string): string | undefined {
    const mod = azureModuleType(type);
    if (!mod || !path.startsWith("inputs.")) return undefined;
    const p = path.slice("inputs.".length);
    const under = (prop: string) => p === prop || p.startsWith(`${prop}.`) || p.startsWith(`${prop}[`);
    if (AZURE_NAME_INPUT[mod] && under(AZURE_NAME_INPUT[mod]))
        return `the resource's name (${AZURE_NAME_INPUT[mod]}) is part of its ARM id`;
    if (under("resourceGroupName")) return "its resource group is part of its ARM id";
    const parent = (PARENT_PATH_INPUTS[mod] ?? []).find(under);
    if (parent) return `${parent} is part of its ARM id`;
    if (under("location")) return "location is create-only in ARM";
    const forceNew = (FORCE_NEW[mod] ?? []).find(under);
    if (forceNew) return `${forceNew} is ForceNew in azure-native (replacement.go)`;
    return undefined;
}
