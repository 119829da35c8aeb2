// The one place the offline engine touches @pulumi/pulumi internals (marked @internal, absent from
// the typings, free to move in any release). Written for the SDK version below;
// test/tools/sdk-adapter.test.ts fails with a clear message when the installed SDK differs or one
// of these entry points has moved, so an upgrade re-checks this file first.
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";

export { structproto, resproto, provproto };

/** The @pulumi/pulumi version this adapter was written and checked against. */
export const SDK_VERSION_WRITTEN_FOR = "3.276.0";

interface RuntimeStore {
    settings: { options: Record<string, unknown> };
    [flag: string]: unknown;
}

/* eslint-disable @typescript-eslint/no-require-imports -- internal modules have no typings */
// runtime/state.js: each run gets its own AsyncLocalStorage store, so runs don't share globals.
const sdkState = require("@pulumi/pulumi/runtime/state") as {
    withLocalStorage<T>(fn: () => T): T;
    getStore(): RuntimeStore;
};
// runtime/settings.js: resolves once every outstanding RPC of the run has answered.
const sdkSettings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
// runtime/closure/serializeClosure.js: dynamic/index.js (serializeFunctionMaybeSecret) looks
// `serializeFunction` up on this module's exports at each call, once per provider object per
// process, with `() => provider` and `{ allowSecrets: true }`.
const sdkClosure = require("@pulumi/pulumi/runtime/closure/serializeClosure") as { serializeFunction: SerializeFunction };
// runtime/debuggable.js: every other runtime module calls `debuggable_1.debuggablePromise(...)`,
// looking it up on this module's exports at each call.
const sdkDebuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T> };
/* eslint-enable @typescript-eslint/no-require-imports */

/** Names of the internal entry points, for the adapter test. */
export const INTERNAL_ENTRY_POINTS = {
    "runtime/state.withLocalStorage": () => sdkState.withLocalStorage,
    "runtime/state.getStore": () => sdkState.getStore,
    "runtime/settings.waitForRPCs": () => sdkSettings.waitForRPCs,
    "runtime/closure/serializeClosure.serializeFunction": () => sdkClosure.serializeFunction,
    "runtime/debuggable.debuggablePromise": () => sdkDebuggable.debuggablePromise,
    "resource.Resource.callsites": () => (pulumi.Resource as unknown as ResourceStatics).callsites,
    "runtime/mocks.MockMonitor.prototype.registerResourceOutputs": () =>
        (MockMonitor.prototype as unknown as Record<string, unknown>).registerResourceOutputs,
    "runtime/mocks.MockMonitor.prototype.newUrn": () => (MockMonitor.prototype as unknown as Record<string, unknown>).newUrn,
} as const;

export type Callback<T> = (err: Error | null, resp?: T) => void;

/** MockMonitor with the members the recording monitor overrides or reads (private in the typings). */
export const MockMonitorBase = MockMonitor as unknown as new (mocks: pulumi.runtime.Mocks) => {
    resources: Map<string, { urn: string; id: string | null; state: unknown }>;
    invoke(req: provproto.InvokeRequest, callback: Callback<provproto.InvokeResponse>): Promise<void>;
    registerResourceOutputs(req: resproto.RegisterResourceOutputsRequest, callback: Callback<object>): void;
};

/**
 * Runs `fn` in a fresh runtime store wired to `monitor`, with the capabilities the real engine
 * announces (secrets, resource references, deleted-with, alias specs; no output values), each
 * dynamic provider serialized once per run as the real engine's process does.
 */
export function withMockRuntime<T>(
    monitor: object,
    project: string,
    stack: string,
    dryRun: boolean,
    config: Record<string, string>,
    secretKeys: string[],
    fn: () => Promise<T>,
): Promise<T> {
    return sdkState.withLocalStorage(async () => {
        pulumi.runtime.setMockOptions(monitor as MockMonitor, project, stack, dryRun);
        const store = sdkState.getStore();
        store.settings.options.cacheDynamicProviders = true;
        store.supportsSecrets = true;
        store.supportsResourceReferences = true;
        store.supportsOutputValues = false;
        store.supportsDeletedWith = true;
        store.supportsAliasSpecs = true;
        pulumi.runtime.setAllConfig(config, secretKeys);
        return fn();
    });
}

/** What the SDK's closure serializer returns (runtime/closure/serializeClosure.d.ts). */
export interface SerializedFunction {
    text: string;
    exportName: string;
    containsSecrets: boolean;
}
export type SerializeFunction = (func: () => unknown, args?: Record<string, unknown>) => Promise<SerializedFunction>;

/** The SDK's own closure serializer, as installed (before any replacement). */
export const sdkSerializeFunction: SerializeFunction = sdkClosure.serializeFunction;

/**
 * Replaces the closure serializer the SDK's dynamic resources call (process-wide; the offline
 * engine's processes only — the program never loads tools/).
 */
export function replaceSerializeFunction(serialize: SerializeFunction): void {
    sdkClosure.serializeFunction = serialize;
}

/**
 * Stops the SDK's promise-leak bookkeeping (runtime/debuggable.js debuggablePromise): for every
 * internal promise — hundreds of thousands per run — it defines three properties (one a captured
 * `new Error().stack`), chains `.then/.catch` and tracks the promise in a set, so that a process
 * exiting with promises still pending can list them. The offline engine awaits every RPC of a run
 * itself (waitForRPCs), and a run that never settles fails the process at exit (tools/engine.ts);
 * about a fifth of a run's CPU. Process-wide; the offline engine's processes only.
 */
export function skipPromiseLeakTracking(): void {
    sdkDebuggable.debuggablePromise = p => p;
}

interface ResourceStatics {
    callsites(): { file?: string; line?: number; column?: number }[];
}

/**
 * Stops the SDK from capturing each resource's call stack (resource.js Resource.callsites: it
 * raises Error.stackTraceLimit to Infinity and parses `new Error().stack` for every resource, to
 * send the real engine a source position for its diagnostics). The offline monitor never reads
 * them. Process-wide; the offline engine's processes only.
 */
export function skipSourcePositions(): void {
    (pulumi.Resource as unknown as ResourceStatics).callsites = () => [];
}

/**
 * The monitor's answer to a registration. The SDK reads the outputs only as
 * `getObject().toJavaScript()` (runtime/resource.js registerResource → resolveOutputs →
 * runtime/rpc.js deserializeProperties), so they are handed over as the plain JSON value they
 * already are instead of being converted to a protobuf Struct and straight back (a tenth of an
 * offline run). `state` must be JSON data (what a Struct round-trip would give).
 */
export function registerResourceResponse(urn: string, id: string, state: Record<string, unknown>): resproto.RegisterResourceResponse {
    const response = new resproto.RegisterResourceResponse();
    response.setUrn(urn);
    response.setId(id);
    const object = { toJavaScript: () => state } as unknown as structproto.Struct;
    response.getObject = () => object;
    return response;
}

/** Waits until every RPC the program started has been answered. */
export function waitForRPCs(): Promise<void> {
    return sdkSettings.waitForRPCs();
}

/** The serialization sentinels the monitor sees (public, but one home with the rest). */
export const SIG = {
    key: pulumi.runtime.specialSigKey,
    secret: pulumi.runtime.specialSecretSig,
    resource: pulumi.runtime.specialResourceSig,
    asset: pulumi.runtime.specialAssetSig,
    archive: pulumi.runtime.specialArchiveSig,
    unknown: pulumi.runtime.unknownValue,
} as const;
