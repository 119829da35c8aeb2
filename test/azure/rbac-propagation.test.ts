import { strict as assert } from "assert";
import {
    DEFAULT_RBAC_PROPAGATION_SECONDS, RbacPropagationDelay, RbacPropagationState, rbacPropagationProvider as provider,
} from "../../components/azure/rbac-propagation";

const ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks/providers/Microsoft.Authorization/roleAssignments/a";
const state = (over: Partial<RbacPropagationState> = {}): RbacPropagationState => ({ roleAssignmentId: ID, seconds: 180, ...over });

/** Replaces setTimeout for the duration of `fn`, firing timers at once and recording their delays. */
async function withRecordedTimers<T>(fn: () => Promise<T>): Promise<{ result: T; delays: number[] }> {
    const original = globalThis.setTimeout;
    const delays: number[] = [];
    (globalThis as any).setTimeout = (cb: () => void, ms?: number) => { delays.push(ms ?? 0); cb(); return 0; };
    try {
        return { result: await fn(), delays };
    } finally {
        globalThis.setTimeout = original;
    }
}

describe("RBAC propagation delay (dynamic provider)", () => {
    it("create waits the configured seconds once, then records exactly its inputs", async () => {
        const { result, delays } = await withRecordedTimers(() => provider.create!(state()));
        assert.deepEqual(delays, [180_000]);
        assert.deepEqual(result.outs, { roleAssignmentId: ID, seconds: 180 });
        assert.equal(result.id, `${ID}/propagation-delay`);
    });

    it("diff: no change for the same assignment, even if the delay was retuned; replace for a new assignment", async () => {
        const { result: same, delays } = await withRecordedTimers(() => provider.diff!("x", state(), state({ seconds: 60 })));
        assert.equal(same.changes, false);
        assert.deepEqual(same.replaces, []);
        assert.deepEqual(delays, []);
        const other = await provider.diff!("x", state(), state({ roleAssignmentId: `${ID}b` }));
        assert.equal(other.changes, true);
        assert.deepEqual(other.replaces, ["roleAssignmentId"]);
    });

    it("read (refresh) and delete do not wait", async () => {
        const { result, delays } = await withRecordedTimers(async () => {
            await provider.delete!("x", state());
            return provider.read!("x", state());
        });
        assert.deepEqual(delays, []);
        assert.deepEqual(result, { id: "x", props: state() });
    });

    it("has no update: a diff never asks for an in-place change", () => {
        assert.equal(provider.update, undefined);
    });

    it("rejects a non-integer, negative or excessive delay before registering", () => {
        assert.equal(DEFAULT_RBAC_PROPAGATION_SECONDS, 180);
        for (const seconds of [-1, 1.5, 3600]) {
            assert.throws(() => new RbacPropagationDelay("d", { roleAssignmentId: ID, seconds }), /seconds must be an integer from 0 to 900/);
        }
    });
});
