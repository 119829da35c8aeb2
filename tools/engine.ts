// The offline engine: runs the real program under Pulumi's mock monitor, with realistic outputs
// (tools/mock-outputs.ts), and records every registration with its parent, provider,
// dependencies, protect flag and inputs. `plan`, `admit`, the benchmarks and every test use it.
//
// Each run gets its own Pulumi runtime store (AsyncLocalStorage), so several stacks can be run,
// one after the other, in one process.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { mockCall, mockResource } from "./mock-outputs";
import { installProviderTextCache } from "./provider-cache";
import {
    Callback,
    MockMonitorBase,
    provproto,
    registerResourceResponse,
    resproto,
    SIG,
    skipPromiseLeakTracking,
    skipSourcePositions,
    structproto,
    waitForRPCs,
    withMockRuntime,
} from "./sdk-adapter";

export const ROOT = path.resolve(__dirname, "..");
export const SECRET = "[secret]";
export const UNKNOWN = "[unknown]";

const { key: SIG_KEY, secret: SECRET_SIG, resource: RESOURCE_SIG, asset: ASSET_SIG, archive: ARCHIVE_SIG, unknown: UNKNOWN_VALUE } = SIG;

/** One registration as the engine saw it. */
export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    /** Parent URN (the stack for top-level resources). */
    parent?: string;
    /** URN of the explicit provider, if any. */
    provider?: string;
    /** URNs this resource depends on (dependsOn and input dependencies). */
    dependencies: string[];
    /** Data dependencies per input property: the URNs whose outputs flow into that input. */
    propertyDependencies: Record<string, string[]>;
    protect: boolean;
    custom: boolean;
    /** Inputs with every secret replaced by "[secret]": safe to print or write. */
    inputs: Record<string, unknown>;
    /** Inputs with secrets revealed: for tests that compare secret values (never printed). */
    rawInputs: Record<string, unknown>;
    additionalSecretOutputs: string[];
    ignoreChanges: string[];
    deleteBeforeReplace: boolean;
    /** How many aliases the SDK sent (offline runs strip azure-native's version aliases). */
    aliasCount: number;
}

export interface StackRun {
    stack: string;
    resources: RecordedResource[];
    /** Stack outputs, secrets replaced by "[secret]". */
    outputs: Record<string, unknown>;
    /** Stack outputs with secrets revealed (tests only). */
    rawOutputs: Record<string, unknown>;
}

export interface RunOptions {
    stack: string;
    /** Replace (or, with `undefined`, remove) config keys, e.g. `{"platform:traffic": {...}}`. */
    configOverrides?: Record<string, unknown>;
    /** Run as `pulumi preview` (isDryRun true). Default false. */
    dryRun?: boolean;
    /** The program to run; defaults to the project's entry point (infra/index.ts). */
    program?: () => unknown;
    /** Directory holding Pulumi.<stack>.yaml; defaults to the project's stacks/. */
    stackConfigDir?: string;
    /**
     * Keep azure-native's API-version aliases (default false). Every azure-native resource
     * carries one alias per other API version of its type (113 on a ManagedCluster); the SDK
     * builds promise chains for each, about a fifth of a plan's time, and nothing offline reads
     * them. Offline only: the program itself never strips them (test/tools/engine.test.ts).
     */
    keepVersionAliases?: boolean;
}

/** A stack file that is missing or unreadable: a usage error (exit 2), never a stack trace. */
export class StackNotFoundError extends Error {}

// ---------------------------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------------------------

export function projectName(): string {
    const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    return project.name;
}

export function listStacks(dir = path.join(ROOT, "stacks")): string[] {
    return fs
        .readdirSync(dir)
        .map(f => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
        .sort();
}

/** Parses a stack file; a YAML error or a wrong shape names the file, line and problem. */
function parseStackFile(file: string): { config?: Record<string, unknown> } {
    const shown = path.relative(process.cwd(), file);
    const lineCounter = new YAML.LineCounter();
    const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"), { prettyErrors: false, lineCounter });
    const error = doc.errors[0];
    if (error) {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        const where = `:${line}:${col}`;
        throw new StackNotFoundError(`${shown}${where}: not valid YAML: ${error.message.split("\n")[0]}`);
    }
    const value = (doc.toJS() ?? {}) as unknown;
    const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
    if (!isMap(value) || (value.config !== undefined && !isMap(value.config))) {
        throw new StackNotFoundError(`${shown}: expected a mapping with a 'config:' mapping (Pulumi stack file)`);
    }
    return value as { config?: Record<string, unknown> };
}

/**
 * Reads a stack's config file the way Pulumi hands it to the program: every value as a string
 * (objects as JSON). `secure:` values cannot be decrypted offline and become placeholder secrets.
 */
export function readStackConfig(
    stack: string,
    dir = path.join(ROOT, "stacks"),
    overrides: Record<string, unknown> = {},
): { config: Record<string, string>; secretKeys: string[] } {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        throw new StackNotFoundError(
            `no config for stack '${stack}': ${path.relative(process.cwd(), file)} does not exist (stacks: ${listStacks(dir).join(", ")})`,
        );
    }
    const doc = parseStackFile(file);
    const values: Record<string, unknown> = { ...(doc.config ?? {}) };
    for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) delete values[k];
        else values[k] = v;
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(values)) {
        const fullKey = key.includes(":") ? key : `${projectName()}:${key}`;
        if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) {
            config[fullKey] = `offline-placeholder-for-${fullKey}`;
            secretKeys.push(fullKey);
        } else {
            config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { config, secretKeys };
}

// ---------------------------------------------------------------------------------------------
// Serialized-property helpers
// ---------------------------------------------------------------------------------------------

/** Converts a serialized property tree to plain data, either revealing or redacting secrets. */
function plain(value: unknown, reveal: boolean): unknown {
    if (value === UNKNOWN_VALUE) return UNKNOWN;
    if (Array.isArray(value)) return value.map(v => plain(v, reveal));
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        switch (obj[SIG_KEY]) {
            // SDK ≥ 3.25x wraps an unknown that depends on a secret as a secret: still unknown, and
            // saying so reveals nothing.
            case SECRET_SIG:
                return obj.value === UNKNOWN_VALUE ? UNKNOWN : reveal ? plain(obj.value, reveal) : SECRET;
            case RESOURCE_SIG:
                return obj.urn;
            case ASSET_SIG:
                return { asset: obj.path ?? obj.uri ?? obj.text };
            case ARCHIVE_SIG:
                return { archive: obj.path ?? obj.uri ?? Object.keys((obj.assets as object) ?? {}) };
        }
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(obj)) out[k] = plain(v, reveal);
        return out;
    }
    return value;
}

/** Names of top-level properties that arrived as secrets. */
function secretKeysOf(obj: Record<string, unknown>): string[] {
    return Object.entries(obj)
        .filter(([, v]) => v && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG)
        .map(([k]) => k);
}

function wrapSecret(value: unknown): unknown {
    return { [SIG_KEY]: SECRET_SIG, value };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return !!value && typeof value === "object" && !Array.isArray(value);
}

/**
 * Inputs with every output nested in them that the provider computes marked unknown: a key the
 * post-create state has and the input object lacks (`oidcIssuerProfile.issuerURL`,
 * `identity.principalId`, `dnsConfig.fqdn`...). azure-native's preview does the same (its
 * PreviewOutputs maps the inputs onto the output shape and marks the rest computed); echoing the
 * input object alone would make such an output known and `undefined`. Signature objects (secrets,
 * resource references, assets) and arrays are leaves.
 */
function withNestedUnknowns(input: unknown, created: unknown): unknown {
    if (!isPlainObject(input) || SIG_KEY in input || !isPlainObject(created)) return input;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input)) out[key] = withNestedUnknowns(value, created[key]);
    for (const [key, value] of Object.entries(created)) if (!(key in input) && value !== undefined) out[key] = UNKNOWN_VALUE;
    return out;
}

/**
 * The outputs a provider reports at preview for a resource it would create: the inputs, nested
 * computed outputs unknown, top-level computed outputs absent (the SDK resolves those as unknown).
 * The Kubernetes provider names an object (and a Helm release) that has no name in Check, before
 * the preview, so that name is known.
 */
function previewState(type: string, inputs: Record<string, unknown>, created: Record<string, unknown>): Record<string, unknown> {
    const state: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(inputs)) state[key] = withNestedUnknowns(value, created[key]);
    if (type.startsWith("kubernetes:")) {
        const createdName = isPlainObject(created.metadata) ? created.metadata.name : undefined;
        if (
            typeof createdName === "string" &&
            (inputs.metadata === undefined ||
                (isPlainObject(inputs.metadata) && !(SIG_KEY in inputs.metadata) && !("name" in inputs.metadata)))
        ) {
            state.metadata = { ...(isPlainObject(state.metadata) ? state.metadata : {}), name: createdName };
        }
        if (type === "kubernetes:helm.sh/v3:Release" && inputs.name === undefined && typeof created.name === "string")
            state.name = created.name;
    }
    return state;
}

/** The SDK reads a failed RPC's message from gRPC's `details` field. */
function asGrpcError(err: unknown): Error {
    const e = err instanceof Error ? err : new Error(String(err));
    return Object.assign(e, { details: e.message });
}

/** A provider reference is `<urn>::<id>`; the URN itself contains `::`. */
function providerUrn(ref: string): string | undefined {
    if (!ref) return undefined;
    const i = ref.lastIndexOf("::");
    return i > 0 ? ref.slice(0, i) : ref;
}

// ---------------------------------------------------------------------------------------------
// The monitor
// ---------------------------------------------------------------------------------------------

class RecordingMonitor extends MockMonitorBase {
    readonly recorded: RecordedResource[] = [];
    readonly clusters = new Map<string, Record<string, any>>();
    /** Failed registrations and invokes: the real engine fails the deployment on any of them. */
    readonly failures: Error[] = [];
    stackOutputs?: Record<string, unknown>;

    /** `dryRun`: answer as a preview of a from-scratch stack (inputs only, no ids, no outputs). */
    constructor(private readonly dryRun: boolean) {
        super({
            newResource: () => {
                throw new Error("unreachable: RecordingMonitor handles registrations itself");
            },
            call: () => {
                throw new Error("unreachable: RecordingMonitor handles invokes itself");
            },
        });
    }

    /** URNs as the real engine forms them: children of the root stack carry no `Stack$` prefix. */
    newUrn(parent: string, type: string, name: string): string {
        const parentType = parent ? parent.split("::")[2] : "";
        const qualified = parent && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
        return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${qualified}::${name}`;
    }

    async registerResource(req: resproto.RegisterResourceRequest, callback: Callback<resproto.RegisterResourceResponse>): Promise<void> {
        try {
            const type = req.getType();
            const name = req.getName();
            const serializedInputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
            const rawInputs = plain(serializedInputs, true) as Record<string, unknown>;
            const urn = this.newUrn(req.getParent(), type, name);
            // The real engine refuses a second resource with the same URN; so does this one
            // (e.g. two clusters' components giving their children the same fixed names).
            if (this.resources.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
            const propertyDependencies: Record<string, string[]> = {};
            for (const [key, deps] of [...req.getPropertydependenciesMap().entries()].sort(([a], [b]) =>
                String(a).localeCompare(String(b)),
            )) {
                const urns = [...new Set((deps as resproto.RegisterResourceRequest.PropertyDependencies).getUrnsList())].sort();
                if (urns.length > 0) propertyDependencies[String(key)] = urns;
            }
            const dependencies = [...new Set([...req.getDependenciesList(), ...Object.values(propertyDependencies).flat()])].sort();
            const additionalSecretOutputs = req.getAdditionalsecretoutputsList();

            this.recorded.push({
                urn,
                type,
                name,
                parent: req.getParent() || undefined,
                provider: providerUrn(req.getProvider()),
                dependencies,
                propertyDependencies,
                protect: req.getProtect() === true,
                custom: req.getCustom(),
                inputs: plain(serializedInputs, false) as Record<string, unknown>,
                rawInputs,
                additionalSecretOutputs,
                ignoreChanges: req.getIgnorechangesList(),
                deleteBeforeReplace: req.getDeletebeforereplace(),
                aliasCount: req.getAliasesList().length + req.getAliasurnsList().length,
            });

            let id = "";
            let state: Record<string, unknown> = {};
            if (req.getCustom() && this.dryRun) {
                // A preview of a stack created from scratch: the engine knows only the inputs. It
                // echoes them (unknown ones stay the unknown sentinel, secret ones stay secret) and
                // sends no id and no computed output; the SDK resolves every output missing from
                // the response, and the id, as unknown (runtime/rpc.js resolveProperties, resource.js
                // resolveOutputs: under isDryRun it does not fill outputs in from the inputs).
                // Computed outputs nested in an echoed input object are sent as the unknown
                // sentinel (see previewState). The mock's post-create state only tells which
                // outputs the provider computes; its clusters map is a throwaway, so no invoke can
                // see a cluster that does not exist yet.
                const created = mockResource({ urn, type, name, inputs: rawInputs, clusters: new Map() }).state;
                // JSON data, as a protobuf Struct would carry it (registerResourceResponse).
                state = previewState(type, JSON.parse(JSON.stringify(serializedInputs)), created);
                for (const key of additionalSecretOutputs) {
                    if (key in state && !secretKeysOf(state).includes(key)) state[key] = wrapSecret(state[key]);
                }
            } else if (req.getCustom()) {
                const result = mockResource({ urn, type, name, inputs: rawInputs, clusters: this.clusters });
                id = result.id;
                // Protobuf structs cannot carry `undefined`: drop absent fields as the wire would.
                state = JSON.parse(JSON.stringify(result.state));
                // The SDK does not apply additionalSecretOutputs under mocks, and a real engine
                // keeps outputs of secret inputs secret: honour both here.
                for (const key of new Set([...additionalSecretOutputs, ...secretKeysOf(serializedInputs)])) {
                    if (key in state) state[key] = wrapSecret(state[key]);
                }
            }
            this.resources.set(urn, { urn, id, state });
            callback(null, registerResourceResponse(urn, id, state));
        } catch (err) {
            this.failures.push(err as Error);
            callback(asGrpcError(err), undefined);
        }
    }

    async invoke(req: provproto.InvokeRequest, callback: Callback<provproto.InvokeResponse>): Promise<void> {
        try {
            const tok = req.getTok();
            if (tok === "pulumi:pulumi:getResource") return super.invoke(req, callback);
            const args = plain(req.getArgs()?.toJavaScript() ?? {}, true) as Record<string, any>;
            const result = mockCall(tok, args, this.clusters);
            const response = new provproto.InvokeResponse();
            response.setReturn(structproto.Struct.fromJavaScript(result));
            callback(null, response);
        } catch (err) {
            this.failures.push(err as Error);
            callback(asGrpcError(err), undefined);
        }
    }

    registerResourceOutputs(req: resproto.RegisterResourceOutputsRequest, callback: Callback<object>): void {
        const urn = req.getUrn();
        if (urn.includes("::pulumi:pulumi:Stack::")) {
            this.stackOutputs = (req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>;
        }
        super.registerResourceOutputs(req, callback);
    }
}

// ---------------------------------------------------------------------------------------------
// Running a stack
// ---------------------------------------------------------------------------------------------

function defaultProgram(): unknown {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const entry = require(path.join(ROOT, "infra", "index.ts"));
    const main = entry.default ?? entry;
    return typeof main === "function" ? main() : main;
}

/**
 * Runs the program for one stack under the mock monitor and returns what it registered.
 * Rejects with the program's own error (e.g. a ConfigError) if it fails.
 */
export async function runStack(options: RunOptions): Promise<StackRun> {
    const { config, secretKeys } = readStackConfig(options.stack, options.stackConfigDir, options.configOverrides);
    const program = options.program ?? defaultProgram;
    const monitor = new RecordingMonitor(options.dryRun ?? false);
    // Dynamic providers' text from the content-addressed cache (tools/provider-cache.ts).
    installProviderTextCache();

    // The SDK captures a stack trace for every resource (its source position, for the real
    // engine's diagnostics); mapping those through source maps dominated offline runs. Errors
    // still carry stack traces, with transpiled positions, while the program runs.
    // The SDK also records `new Error().stack` on every internal promise (runtime/debuggable.js
    // debuggablePromise), printed only under PULUMI_DEBUG_PROMISE_LEAKS: offline, no stack is
    // captured at all unless PLATFORM_ENGINE_STACK_TRACES is set (errors keep their messages).
    // The per-resource source positions themselves are not captured either (skipSourcePositions).
    // The SDK's promise-leak bookkeeping goes too (skipPromiseLeakTracking); a run that never
    // settles is reported by the exit guard below instead.
    if (!process.env.PLATFORM_ENGINE_STACK_TRACES) {
        skipSourcePositions();
        skipPromiseLeakTracking();
    }
    const sourceMaps = process.sourceMapsEnabled;
    const stackTraceLimit = Error.stackTraceLimit;
    process.setSourceMapsEnabled(false);
    if (!process.env.PLATFORM_ENGINE_STACK_TRACES) Error.stackTraceLimit = 0;
    runsInFlight++;
    try {
        return await runWithMocks(options, program, monitor, config, secretKeys);
    } finally {
        runsInFlight--;
        process.setSourceMapsEnabled(sourceMaps);
        Error.stackTraceLimit = stackTraceLimit;
    }
}

/**
 * Runs started and not yet settled. A program that awaits a value which never settles (a promise
 * or Output nobody resolves) leaves Node's event loop empty with the run still pending: the
 * process would exit 0 having printed nothing, and a CI step would pass without a plan.
 */
let runsInFlight = 0;
process.on("exit", code => {
    if (runsInFlight === 0 || code !== 0) return;
    process.stderr.write(
        `offline engine: the program never finished (${runsInFlight} run(s) pending at exit): it awaits a promise or Output that never settles; no plan was produced\n`,
    );
    process.exitCode = 1;
});

/** An azure-native alias that names only another API version of the same type. */
function isVersionAlias(alias: unknown): boolean {
    if (!alias || typeof alias !== "object" || pulumi.Output.isInstance(alias)) return false;
    const keys = Object.keys(alias);
    const type = (alias as { type?: unknown }).type;
    return keys.length === 1 && typeof type === "string" && type.startsWith("azure-native:");
}

/** Offline-only stack transformation: drops azure-native's API-version aliases (see RunOptions). */
function withoutVersionAliases(args: pulumi.ResourceTransformationArgs): pulumi.ResourceTransformationResult | undefined {
    if (!args.type.startsWith("azure-native:") || !args.opts.aliases?.length) return undefined;
    return { props: args.props, opts: { ...args.opts, aliases: args.opts.aliases.filter(a => !isVersionAlias(a)) } };
}

function runWithMocks(
    options: RunOptions,
    program: () => unknown,
    monitor: RecordingMonitor,
    config: Record<string, string>,
    secretKeys: string[],
): Promise<StackRun> {
    return withMockRuntime(monitor, projectName(), options.stack, options.dryRun ?? false, config, secretKeys, async () => {
        // The program's own error (e.g. ConfigError) is caught inside the stack and rethrown
        // after the run, so it surfaces as itself rather than as an unhandled rejection.
        let programError: unknown;
        await pulumi.runtime.runInPulumiStack(async () => {
            if (!options.keepVersionAliases) pulumi.runtime.registerStackTransformation(withoutVersionAliases);
            try {
                return await program();
            } catch (e) {
                programError = e;
                return {};
            }
        });
        await waitForRPCs();
        if (programError !== undefined) throw programError;
        if (monitor.failures.length > 0) {
            throw new Error(`the deployment would fail:\n${monitor.failures.map(f => `  - ${f.message}`).join("\n")}`);
        }
        const rawOutputs = (plain(monitor.stackOutputs ?? {}, true) ?? {}) as Record<string, unknown>;
        const outputs = (plain(monitor.stackOutputs ?? {}, false) ?? {}) as Record<string, unknown>;
        return { stack: options.stack, resources: monitor.recorded, outputs, rawOutputs };
    });
}

// ---------------------------------------------------------------------------------------------
// Queries used by tools and tests
// ---------------------------------------------------------------------------------------------

export function byType(run: StackRun, type: string): RecordedResource[] {
    return run.resources.filter(r => r.type === type);
}

export function byName(run: StackRun, type: string, name: string): RecordedResource {
    const found = run.resources.filter(r => r.type === type && r.name === name);
    if (found.length !== 1) {
        throw new Error(
            `expected one ${type} named ${name}, found ${found.length} (names: ${byType(run, type)
                .map(r => r.name)
                .join(", ")})`,
        );
    }
    return found[0];
}

/** Every resource below `ancestorUrn` in the parent tree. */
export function descendants(run: StackRun, ancestorUrn: string): RecordedResource[] {
    const byUrn = new Map(run.resources.map(r => [r.urn, r]));
    return run.resources.filter(r => {
        for (let p = r.parent; p; p = byUrn.get(p)?.parent) if (p === ancestorUrn) return true;
        return false;
    });
}

/**
 * Every URN `resource` waits for, directly or through others: its dependencies, transitively,
 * and with `viaProviders` also the providers it (or anything it waits for) is created through.
 */
export function dependencyClosure(run: StackRun, resource: RecordedResource, options: { viaProviders?: boolean } = {}): Set<string> {
    const byUrn = new Map(run.resources.map(r => [r.urn, r]));
    const next = (r: RecordedResource) => [...r.dependencies, ...(options.viaProviders && r.provider ? [r.provider] : [])];
    const seen = new Set<string>();
    const pending = next(resource);
    while (pending.length) {
        const urn = pending.pop()!;
        if (seen.has(urn)) continue;
        seen.add(urn);
        const r = byUrn.get(urn);
        if (r) pending.push(...next(r));
    }
    return seen;
}

/**
 * The resources in plan order: each after its parent, its provider and every resource it depends
 * on (an order the engine could have registered them in); among those that are ready, by URN.
 * Registration order itself is not stable: it follows how many promise turns each input takes to
 * resolve (a dynamic provider's serialized text resolves at once from the provider cache and
 * after thousands of turns without it, and only once per process), so the plan document does
 * not use it.
 */
export function planOrder(resources: RecordedResource[]): RecordedResource[] {
    const known = new Set(resources.map(r => r.urn));
    const waitsFor = new Map(
        resources.map(r => [
            r.urn,
            new Set([r.parent, r.provider, ...r.dependencies].filter((u): u is string => !!u && u !== r.urn && known.has(u))),
        ]),
    );
    const dependents = new Map<string, string[]>();
    for (const [urn, deps] of waitsFor) for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), urn]);
    const byUrn = new Map(resources.map(r => [r.urn, r]));
    const ready = resources.filter(r => waitsFor.get(r.urn)!.size === 0).map(r => r.urn);
    const ordered: RecordedResource[] = [];
    while (ready.length > 0) {
        ready.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
        const urn = ready.pop()!;
        ordered.push(byUrn.get(urn)!);
        for (const d of dependents.get(urn) ?? []) {
            const deps = waitsFor.get(d)!;
            deps.delete(urn);
            if (deps.size === 0) ready.push(d);
        }
    }
    if (ordered.length !== resources.length) throw new Error("planOrder: the resources' dependencies form a cycle");
    return ordered;
}

/**
 * The plan document `plan --json` writes: DESIGN.md's contract, keys sorted, secrets redacted;
 * resources in plan order (see planOrder).
 */
export function planDocument(run: StackRun): { stack: string; resources: unknown[]; outputs: unknown } {
    return sortKeys({
        stack: run.stack,
        resources: planOrder(run.resources).map(r => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            parent: r.parent ?? null,
            provider: r.provider ?? null,
            dependencies: r.dependencies,
            protect: r.protect,
            inputs: r.inputs,
        })),
        outputs: run.outputs,
    }) as { stack: string; resources: unknown[]; outputs: unknown };
}

export function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map(k => [k, sortKeys((value as Record<string, unknown>)[k])]),
        );
    }
    return value;
}
