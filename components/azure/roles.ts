// Azure role assignments, one way: well-known built-in role GUIDs in ONE table (./role-ids), full role
// definition ids built from the subscription, and deterministic assignment names.
//
// Naming: the assignment name is a GUID derived from (scope, role, principal). A second
// `pulumi up` computes the same name (no diff), and when the principal or scope changes the name
// changes with it, so Pulumi's create-before-delete replacement never collides with the old
// assignment (ARM refuses to re-point an existing assignment name at another principal).
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";

// The GUID table and the role groups live in ./role-ids (dependency-free: the policy pack reads
// them too); re-exported here for the stack's components and tests.
import { BUILT_IN_ROLES, BuiltInRole } from "../../model/role-ids";
export { BUILT_IN_ROLES, PRIVILEGED_ROLES, REGISTRY_WRITE_ROLES } from "../../model/role-ids";
export type { BuiltInRole } from "../../model/role-ids";

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
    return new authorization.RoleAssignment(
        name,
        {
            roleAssignmentName: pulumi
                .all([grant.scope, grant.principalId])
                .apply(([scope, principal]) => deterministicGuid(scope, BUILT_IN_ROLES[grant.role], principal)),
            roleDefinitionId: roleId,
            scope: grant.scope,
            principalId: grant.principalId,
            principalType: grant.principalType,
            description: grant.description,
        },
        opts,
    );
}
