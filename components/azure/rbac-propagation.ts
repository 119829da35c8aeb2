// A propagation DELAY for a new Azure RBAC role assignment, as a Pulumi dynamic resource.
//
// AKS evaluates Azure RBAC for Kubernetes authorization from its own copy of the role
// assignments, and Microsoft documents that a new assignment can take up to five minutes to
// propagate and be picked up by the authorization server. On a from-scratch `pulumi up`, the
// deployer's "RBAC Cluster Admin" assignment is created seconds before the first Kubernetes
// object, which then fails with 403. Resources placed after this one wait a fixed time.
//
// This is honest about what it is: it sleeps; it does not check that the grant is effective
// (that would need a token for the deployer and a SubjectAccessReview against a cluster the
// provider cannot reach yet). The default covers the usual propagation time, not the worst
// case; if a first `up` still gets a 403, running `up` again continues where it stopped.
//
// Behaviour, so that it costs nothing after the first run:
//   - create: waits `seconds`, then records its inputs;
//   - diff: no change unless `roleAssignmentId` changes (a new assignment: replace, wait again);
//     changing `seconds` alone is no diff, so tuning the delay never triggers a wait;
//   - read (refresh) and delete: no wait, no call.
// The inputs are deterministic (an ARM id and a number): no timestamps, so no diff on re-runs.
//
// Dynamic providers are serialized into the state and run by the engine, so the provider uses
// only globals (setTimeout, Promise) and imports nothing at run time.
import * as pulumi from "@pulumi/pulumi";

/** Default delay: within the up-to-five-minutes Microsoft documents for AKS Azure RBAC. */
export const DEFAULT_RBAC_PROPAGATION_SECONDS = 180;
/** Upper bound on the delay (a typo of 3000 would otherwise stall an `up` for an hour). */
export const MAX_RBAC_PROPAGATION_SECONDS = 900;

export interface RbacPropagationState {
    /** ARM id of the role assignment waited for. */
    roleAssignmentId: string;
    /** How long create waits. */
    seconds: number;
}

const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: RbacPropagationState): Promise<pulumi.dynamic.CreateResult> {
        await new Promise<void>(resolve => setTimeout(resolve, inputs.seconds * 1000));
        return {
            id: `${inputs.roleAssignmentId}/propagation-delay`,
            outs: { roleAssignmentId: inputs.roleAssignmentId, seconds: inputs.seconds },
        };
    },
    async diff(_id: pulumi.ID, olds: RbacPropagationState, news: RbacPropagationState): Promise<pulumi.dynamic.DiffResult> {
        const replace = olds.roleAssignmentId !== news.roleAssignmentId;
        return { changes: replace, replaces: replace ? ["roleAssignmentId"] : [], deleteBeforeReplace: false };
    },
    async read(id: pulumi.ID, props?: RbacPropagationState): Promise<pulumi.dynamic.ReadResult> {
        return { id, props };
    },
    async delete(): Promise<void> {
        // Nothing to undo: the resource only ever waited.
    },
};

export interface RbacPropagationDelayArgs {
    /** The assignment to wait for; pass the RoleAssignment's `id` so this comes after it. */
    roleAssignmentId: pulumi.Input<string>;
    /** Seconds to wait on create; default DEFAULT_RBAC_PROPAGATION_SECONDS. */
    seconds?: number;
}

/** Waits on create so that dependants see a propagated Azure RBAC assignment; see the file comment. */
export class RbacPropagationDelay extends pulumi.dynamic.Resource {
    declare readonly roleAssignmentId: pulumi.Output<string>;
    declare readonly seconds: pulumi.Output<number>;

    constructor(name: string, args: RbacPropagationDelayArgs, opts?: pulumi.CustomResourceOptions) {
        const seconds = args.seconds ?? DEFAULT_RBAC_PROPAGATION_SECONDS;
        if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_RBAC_PROPAGATION_SECONDS) {
            throw new Error(`${name}: seconds must be an integer from 0 to ${MAX_RBAC_PROPAGATION_SECONDS}, got ${seconds}`);
        }
        super(provider, name, { roleAssignmentId: args.roleAssignmentId, seconds }, opts);
    }
}

/** The provider, for unit tests (create/diff/read with a stubbed setTimeout). */
export const rbacPropagationProvider = provider;
