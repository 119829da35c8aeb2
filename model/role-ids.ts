// Azure built-in role definition GUIDs: the ONE table. The stack's role assignments
// (components/azure/roles.ts) and the policy pack (policy/policies.ts) both read it, so the ids
// and the role groups the pack enforces cannot drift from what the stack grants.
//
// This module imports nothing: the policy pack loads it and must stay free of provider SDKs
// (@pulumi/azure-native, @pulumi/kubernetes), even transitively.
//
// GUIDs are identical in every tenant and were checked against Microsoft's built-in roles list
// (note Owner is 8e3af657-a8ff-443c-…, not -443e-).

/** Built-in Azure role definition GUIDs, by role. */
export const BUILT_IN_ROLES = {
    AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
    /** ABAC-mode registries: the repository-scoped equivalent of AcrPush. */
    ContainerRegistryRepositoryWriter: "2a1e307c-b015-4ebd-883e-5b7698a07328",
    /** ACR Tasks can read/write/delete images on the task's behalf. */
    ContainerRegistryTasksContributor: "fb382eab-e894-4461-af04-94435c366c3f",
    NetworkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
    /** Assign a user-assigned identity: AKS's control plane needs it on a pre-created kubelet identity. */
    ManagedIdentityOperator: "f1a07417-d97a-45cb-824c-7a7467783830",
    DnsZoneContributor: "befefa01-2a29-4197-83a8-272ff33ce314",
    /** Read-only on ARM resources; ExternalDNS needs it on the DNS zone's group to list its zones. */
    Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    /** Lists the user kubeconfig (exec form, no secret): needed by people to `az aks get-credentials`. */
    AksClusterUser: "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
    AksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    AksRbacWriter: "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb",
    AksRbacReader: "7f6c6a51-bcf8-42ba-9220-52d62157d7db",
    /** Reads Key Vault secret values: ACR cache credential sets read their upstream credentials. */
    KeyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
    // Never assigned by this stack; listed so tests and policies can assert their absence.
    Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    Owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    UserAccessAdministrator: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    RoleBasedAccessControlAdministrator: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
} as const;
export type BuiltInRole = keyof typeof BUILT_IN_ROLES;

/** Display names, as Azure shows them (used in policy messages). */
export const ROLE_DISPLAY_NAMES: Readonly<Record<BuiltInRole, string>> = {
    AcrPull: "AcrPull",
    AcrPush: "AcrPush",
    ContainerRegistryRepositoryWriter: "Container Registry Repository Writer",
    ContainerRegistryTasksContributor: "Container Registry Tasks Contributor",
    NetworkContributor: "Network Contributor",
    ManagedIdentityOperator: "Managed Identity Operator",
    DnsZoneContributor: "DNS Zone Contributor",
    Reader: "Reader",
    AksClusterUser: "Azure Kubernetes Service Cluster User Role",
    AksRbacClusterAdmin: "Azure Kubernetes Service RBAC Cluster Admin",
    AksRbacWriter: "Azure Kubernetes Service RBAC Writer",
    AksRbacReader: "Azure Kubernetes Service RBAC Reader",
    KeyVaultSecretsUser: "Key Vault Secrets User",
    Contributor: "Contributor",
    Owner: "Owner",
    UserAccessAdministrator: "User Access Administrator",
    RoleBasedAccessControlAdministrator: "Role Based Access Control Administrator",
};

/**
 * Roles that can write to a registry (at registry scope or any scope above it). Only the pipeline
 * identity may hold one, and the stack grants it AcrPush only.
 */
export const REGISTRY_WRITE_ROLES: readonly BuiltInRole[] = [
    "AcrPush",
    "ContainerRegistryRepositoryWriter",
    "ContainerRegistryTasksContributor",
    "Contributor",
    "Owner",
];

/** Roles the stack must never assign: full control, or the power to grant it. */
export const PRIVILEGED_ROLES: readonly BuiltInRole[] = [
    "Owner",
    "Contributor",
    "UserAccessAdministrator",
    "RoleBasedAccessControlAdministrator",
];

/** The built-in role a (lower-case or upper-case) GUID names, if it is in the table. */
export function builtInRoleOf(guid: string): BuiltInRole | undefined {
    const g = guid.toLowerCase();
    return (Object.keys(BUILT_IN_ROLES) as BuiltInRole[]).find(r => BUILT_IN_ROLES[r] === g);
}
