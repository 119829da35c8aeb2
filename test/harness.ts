// Shared test helpers: one engine run per stack (memoised; the runs are deterministic), plus
// lookups into the recorded registrations.
import { runStack, RunOptions, StackRun } from "../tools/engine";
import { loadConfig } from "../infra/config";
import { createAzureFoundation } from "../infra/azure-layer";

const cache = new Map<string, Promise<StackRun>>();

/** The full program for a committed stack (dev, prod), run once per test process. */
export function stackRun(stack: "dev" | "prod"): Promise<StackRun> {
    if (!cache.has(stack)) cache.set(stack, runStack({ stack }));
    return cache.get(stack)!;
}

/** The same as a from-scratch preview (`dryRun`), run once per test process. */
export function stackPreview(stack: "dev" | "prod"): Promise<StackRun> {
    const key = `${stack} preview`;
    if (!cache.has(key)) cache.set(key, runStack({ stack, dryRun: true }));
    return cache.get(key)!;
}

/** A fresh run with options (config overrides, dry run, a custom program); not memoised. */
export function freshRun(options: RunOptions): Promise<StackRun> {
    return runStack(options);
}

/**
 * The program up to its Azure layer (config validation, then createAzureFoundation: resource
 * groups, network, registry, DNS, identities, the clusters and their Kubernetes providers,
 * Traffic Manager), for tests about what a config setting does to Azure resources: a quarter of a
 * whole run. stackRun/freshRun run the whole program, the committed stacks in every process.
 */
export function azureLayerRun(options: Omit<RunOptions, "program">): Promise<StackRun> {
    return runStack({
        ...options,
        program: () => {
            createAzureFoundation(loadConfig());
        },
    });
}

/** Runs `fn` expecting it to reject; returns the error. */
export async function rejection(fn: () => Promise<unknown>): Promise<Error> {
    try {
        await fn();
    } catch (e) {
        return e as Error;
    }
    throw new Error("expected a rejection, but it resolved");
}

export * from "../tools/engine";
