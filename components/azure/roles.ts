// Azure role assignments, one way: well-known built-in role GUIDs in ONE table, full role
// definition ids built from the subscription, and deterministic assignment names.
//
// Naming: the assignment name is a GUID derived from (scope, role, principal). A second
// `pulumi up` computes the same name (no diff), and when the principal or scope changes the name
// changes with it, so Pulumi's create-before-delete replacement never collides with the old
// assignment (ARM refuses to re-point an existing assignment name at another principal).
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";

/** Built-in Azure role definition GUIDs (identical in every tenant). */
export const BUILT_IN_ROLES = {
    AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
    NetworkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
    DnsZoneContributor: "befefa01-2a29-4197-83a8-272ff33ce314",
    /** Read-only on ARM resources; ExternalDNS needs it on the DNS zone's group to list its zones. */
    Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    /** Lists the user kubeconfig (exec form, no secret): needed by people to `az aks get-credentials`. */
    AksClusterUser: "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
    AksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    AksRbacWriter: "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb",
    AksRbacReader: "7f6c6a51-bcf8-42ba-9220-52d62157d7db",
    /** Never assigned by this stack; listed so tests and policies can assert their absence. */
    Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    Owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
} as const;
export type BuiltInRole = keyof typeof BUILT_IN_ROLES;

/** Roles that can write to a registry; only the pipeline identity may hold one (AcrPush). */
export const REGISTRY_WRITE_ROLES: readonly BuiltInRole[] = ["AcrPush", "Contributor", "Owner"];

export type PrincipalType = "ServicePrincipal" | "Group" | "User";

/** `/subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<guid>`. */
export function roleDefinitionId(subscriptionId: string, role: BuiltInRole): string {
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLES[role]}`;
}

/** A UUID (v4 layout) derived from its parts: same parts, same name, on every run. */
export function deterministicGuid(...parts: string[]): string {
    const h = createHash("sha256").update(parts.join("|").toLowerCase()).digest("hex");
    const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Public client ids of first-party Microsoft tools a *user* signs in with (Azure CLI, Azure
 * PowerShell). When getClientConfig reports one of them, the deploying principal is a user;
 * otherwise it is a service principal or managed identity (CI).
 */
const USER_SIGN_IN_CLIENT_IDS = new Set([
    "04b07795-8ddb-461a-bbee-02f9e1bf7b46", // Azure CLI
    "1950a258-227b-4e31-a9cf-717495945fc2", // Azure PowerShell
]);

export function deployerPrincipalType(clientId: string): PrincipalType {
    return USER_SIGN_IN_CLIENT_IDS.has(clientId.toLowerCase()) ? "User" : "ServicePrincipal";
}

export interface RoleGrant {
    subscriptionId: pulumi.Input<string>;
    role: BuiltInRole;
    scope: pulumi.Input<string>;
    principalId: pulumi.Input<string>;
    principalType: pulumi.Input<PrincipalType>;
    description?: string;
}

/** One role assignment with a deterministic name; `opts` must carry the caller's `parent`. */
export function grantRole(name: string, grant: RoleGrant, opts: pulumi.CustomResourceOptions): authorization.RoleAssignment {
    const roleId = pulumi.output(grant.subscriptionId).apply(sub => roleDefinitionId(sub, grant.role));
    return new authorization.RoleAssignment(name, {
        roleAssignmentName: pulumi.all([grant.scope, grant.principalId])
            .apply(([scope, principal]) => deterministicGuid(scope, BUILT_IN_ROLES[grant.role], principal)),
        roleDefinitionId: roleId,
        scope: grant.scope,
        principalId: grant.principalId,
        principalType: grant.principalType,
        description: grant.description,
    }, opts);
}
