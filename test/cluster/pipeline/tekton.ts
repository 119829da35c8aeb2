// What Tekton Pipelines v1.15.0 does with a Task before a step runs, re-done here so the tests
// assert on (and execute) what the cluster would run, not on what the TypeScript wrote:
// - the stepTemplate merge (mergeStepWithTemplate),
// - variable substitution ($(params.*), $(workspaces.*.path|bound), $(results.*.path)),
// - the PipelineRun timeout rules (tasksTimeout, finallyTimeout, validateTimeouts).
// Each function names the upstream source it follows (tektoncd/pipeline at tag v1.15.0,
// commit 70f730815249a12aa725266fba7f3ff39653aaea).
type Obj = Record<string, any>;

// ---------------------------------------------------------------------------------------------
// stepTemplate merge
// ---------------------------------------------------------------------------------------------

/**
 * The corev1.Container list fields that carry `patchStrategy:"merge"` and their
 * `patchMergeKey` (k8s.io/api core/v1 types.go: Container.Ports containerPort, Env name,
 * VolumeMounts mountPath, VolumeDevices devicePath). Every other list is replaced whole.
 */
const CONTAINER_MERGE_KEYS: Record<string, string> = {
    ports: "containerPort",
    env: "name",
    volumeMounts: "mountPath",
    volumeDevices: "devicePath",
};

/** The Step fields that are not corev1.Container fields: Tekton passes them through unmerged. */
const STEP_ONLY_FIELDS = ["script", "onError", "timeout", "stdoutConfig", "stderrConfig", "results", "params", "ref", "when", "workspaces"];

function isMap(v: unknown): v is Obj {
    return !!v && typeof v === "object" && !Array.isArray(v);
}

function mergeMaps(current: Obj, modified: Obj, mergeKeys: Record<string, string>): Obj {
    const out: Obj = { ...current };
    for (const [k, v] of Object.entries(modified)) {
        if (v === undefined) continue;
        const cur = current[k];
        if (isMap(cur) && isMap(v)) out[k] = mergeMaps(cur, v, {});
        else if (Array.isArray(cur) && Array.isArray(v) && mergeKeys[k]) out[k] = mergeByKey(cur, v, mergeKeys[k]);
        else out[k] = v;
    }
    return out;
}

/**
 * A merge-strategy list: elements with the same key are merged as maps, the template's others
 * kept. Order as k8s.io/apimachinery strategicpatch (patch.go mergeSliceWithSpecialElements →
 * normalizeElementOrder → mergeSortedSlice): the step's elements in the step's order
 * ($setElementOrder), the template-only elements inserted by their position in the template.
 */
function mergeByKey(current: Obj[], modified: Obj[], key: string): Obj[] {
    const stepKeys = new Set(modified.map(e => e[key]));
    const left = current.filter(e => !stepKeys.has(e[key]));
    const right = modified.map(e => {
        const t = current.find(c => c[key] === e[key]);
        return t ? mergeMaps(t, e, {}) : e;
    });
    const serverIndex = (e: Obj) => current.findIndex(c => c[key] === e[key]);
    const out: Obj[] = [];
    let i = 0,
        j = 0;
    while (i < left.length || j < right.length) {
        if (i >= left.length) out.push(right[j++]);
        else if (j >= right.length) out.push(left[i++]);
        else {
            const li = serverIndex(left[i]),
                ri = serverIndex(right[j]);
            if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
            else out.push(right[j++]);
        }
    }
    return out;
}

/**
 * A step as Tekton runs it: pkg/apis/pipeline/v1/merge.go MergeStepsWithStepTemplate serialises
 * the template and the step as corev1.Container and applies
 * strategicpatch.CreateThreeWayMergePatch(original = empty, modified = step, current = template)
 * to the template. With an empty original nothing is deleted, so the result is the template with
 * every field the step sets laid over it: maps (securityContext, capabilities, resources…) merge
 * key by key, merge-strategy lists (env, volumeMounts, ports, volumeDevices) merge by their key,
 * other lists and scalars are the step's. Script and the other Step-only fields pass through.
 * A field the step leaves out is therefore the TEMPLATE's — the reason a restricted template
 * under a BuildKit step would leave it with capabilities dropped and no privilege escalation.
 */
export function mergeStepWithTemplate(template: Obj | undefined, step: Obj): Obj {
    if (!template) return step;
    const container: Obj = {};
    const passThrough: Obj = {};
    for (const [k, v] of Object.entries(step)) (STEP_ONLY_FIELDS.includes(k) ? passThrough : container)[k] = v;
    return { ...mergeMaps(template, container, CONTAINER_MERGE_KEYS), ...passThrough };
}

/** Every step of a Task after the merge. */
export function mergedSteps(task: Obj): Obj[] {
    return (task.spec.steps as Obj[]).map(s => mergeStepWithTemplate(task.spec.stepTemplate, s));
}

// ---------------------------------------------------------------------------------------------
// Variable substitution
// ---------------------------------------------------------------------------------------------

export type ParamValue = string | string[];

export interface Substitutions {
    params: Record<string, ParamValue>;
    /** Workspace name → its path in the container, or undefined when an optional workspace is unbound. */
    workspaces: Record<string, string | undefined>;
    /** Result name → its file. */
    results: Record<string, string>;
}

const REF = /\$\((params|workspaces|results)(?:\.([A-Za-z0-9_-]+)|\[['"]([^'"]+)['"]\])(?:\.(path|bound))?(\[\*\])?\)/g;

/**
 * Tekton's string substitution in a Task (pkg/reconciler/taskrun/resources/apply.go
 * ApplyParameters / ApplyWorkspaces / ApplyResults): `$(params.<name>)` (also the bracket
 * forms), `$(workspaces.<name>.path|bound)` (an unbound optional workspace has path "" and
 * bound "false"), `$(results.<name>.path)` = /tekton/results/<name>. An unknown reference is a
 * test error here (Tekton's validation would reject it).
 */
export function substitute(value: string, s: Substitutions): string {
    return value.replace(REF, (whole, kind: string, dotted?: string, bracketed?: string, attr?: string, star?: string) => {
        const name = (dotted ?? bracketed)!;
        if (kind === "params") {
            if (!(name in s.params)) throw new Error(`${whole}: no param ${name}`);
            const v = s.params[name];
            if (Array.isArray(v)) throw new Error(`${whole}: array param outside a list element${star ? "" : " (needs [*])"}`);
            return v;
        }
        if (kind === "workspaces") {
            if (!(name in s.workspaces)) throw new Error(`${whole}: no workspace ${name}`);
            const path = s.workspaces[name];
            if (attr === "bound") return path === undefined ? "false" : "true";
            if (attr === "path") return path ?? "";
            throw new Error(`${whole}: unsupported workspace attribute`);
        }
        if (!(name in s.results)) throw new Error(`${whole}: no result ${name}`);
        return s.results[name];
    });
}

/** A list (args, command) with `$(params.x[*])` elements expanded in place, then substituted. */
export function substituteList(values: string[], s: Substitutions): string[] {
    return values.flatMap(v => {
        const m = /^\$\(params\.([A-Za-z0-9_-]+)\[\*\]\)$/.exec(v);
        if (m) {
            const p = s.params[m[1]];
            if (!Array.isArray(p)) throw new Error(`${v}: not an array param`);
            return p;
        }
        return [substitute(v, s)];
    });
}

/** The Task's params with their defaults applied; a missing required param is an error (as in Tekton). */
export function taskParams(task: Obj, given: Record<string, ParamValue>): Record<string, ParamValue> {
    const out: Record<string, ParamValue> = {};
    for (const p of (task.spec.params ?? []) as Obj[]) {
        if (p.name in given) out[p.name] = given[p.name];
        else if ("default" in p) out[p.name] = p.default;
        else throw new Error(`${task.metadata.name}: missing param ${p.name}`);
    }
    for (const k of Object.keys(given)) if (!(k in out)) throw new Error(`${task.metadata.name}: unknown param ${k}`);
    return out;
}

/**
 * Resolves a Pipeline task's param values against the PipelineRun's params and earlier task
 * results (`$(params.x)`, `$(tasks.<t>.results.<r>)`), as the PipelineRun reconciler does
 * (pkg/reconciler/pipelinerun/resources/apply.go ApplyParameters / ApplyTaskResults).
 */
export function pipelineTaskParams(
    pipelineTask: Obj,
    runParams: Record<string, ParamValue>,
    taskResults: Record<string, Record<string, string>> = {},
    /** Other pipeline-level values, e.g. `{ "tasks.status": "Failed" }` for a finally task (apply.go ApplyPipelineTaskStateContext). */
    context: Record<string, string> = {},
): Record<string, ParamValue> {
    const one = (v: string): string =>
        v
            .replace(/\$\((tasks\.status|context\.[A-Za-z.]+)\)/g, (w, k) => {
                if (!(k in context)) throw new Error(`${w}: not given`);
                return context[k];
            })
            .replace(/\$\(params\.([A-Za-z0-9_-]+)\)/g, (w, n) => {
                const x = runParams[n];
                if (typeof x !== "string") throw new Error(`${w}: no string param`);
                return x;
            })
            .replace(/\$\(tasks\.([A-Za-z0-9_-]+)\.results\.([A-Za-z0-9_-]+)\)/g, (w, t, r) => {
                const x = taskResults[t]?.[r];
                if (x === undefined) throw new Error(`${w}: no such result yet`);
                return x;
            });
    return Object.fromEntries(
        ((pipelineTask.params ?? []) as Obj[]).map(p => [p.name, Array.isArray(p.value) ? p.value.map(one) : one(p.value)]),
    );
}

// ---------------------------------------------------------------------------------------------
// PipelineRun timeouts
// ---------------------------------------------------------------------------------------------

/** A Go time.Duration string as metav1.Duration accepts it (h, m, s, ms), in milliseconds. */
export function durationMs(d: string): number {
    const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
    const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
    let total = 0,
        consumed = 0;
    for (const m of d.matchAll(re)) {
        total += Number(m[1]) * unit[m[2]];
        consumed += m[0].length;
    }
    if (consumed !== d.length || d.length === 0) throw new Error(`not a duration: ${d}`);
    return total;
}

export interface Timeouts {
    pipeline?: string;
    tasks?: string;
    finally?: string;
}

/** pkg/apis/pipeline/v1/pipelinerun_types.go TasksTimeout: explicit, else pipeline − finally, else none. */
export function tasksTimeout(t: Timeouts): number | undefined {
    if (t.tasks !== undefined) return durationMs(t.tasks);
    if (t.pipeline !== undefined && t.finally !== undefined) {
        if (durationMs(t.pipeline) === 0 || durationMs(t.finally) === 0) return undefined;
        return durationMs(t.pipeline) - durationMs(t.finally);
    }
    return undefined;
}

/** pipelinerun_types.go FinallyTimeout: explicit, else pipeline − tasks, else none. */
export function finallyTimeout(t: Timeouts): number | undefined {
    if (t.finally !== undefined) return durationMs(t.finally);
    if (t.pipeline !== undefined && t.tasks !== undefined) {
        if (durationMs(t.pipeline) === 0 || durationMs(t.tasks) === 0) return undefined;
        return durationMs(t.pipeline) - durationMs(t.tasks);
    }
    return undefined;
}

/** pipelinerun_validation.go validatePipelineTimeout (a 0 duration means "no timeout"). */
export function validateTimeouts(t: Timeouts): string[] {
    const errors: string[] = [];
    const pipeline = durationMs(t.pipeline ?? "1h0m0s"); // config default-timeout-minutes: 60
    for (const field of ["tasks", "finally"] as const) {
        const v = t[field];
        if (v === undefined) continue;
        const d = durationMs(v);
        if ((d > pipeline && pipeline !== 0) || (d === 0 && pipeline !== 0))
            errors.push(`timeouts.${field}: ${v} should be <= pipeline duration`);
    }
    if (t.tasks !== undefined && t.finally !== undefined && durationMs(t.tasks) + durationMs(t.finally) > pipeline) {
        errors.push(`timeouts.tasks + timeouts.finally: ${t.tasks} + ${t.finally} should be <= pipeline duration`);
    }
    return errors;
}

/**
 * What the reconciler does when the tasks have run for `elapsedMs` and are still going:
 * pkg/reconciler/pipelinerun/pipelinerun.go reconcile — HaveTasksTimedOut (a tasks timeout,
 * explicit or pipeline − finally) times out only the running non-finally tasks, and
 * pkg/reconciler/pipelinerun/resources/pipelinerunstate.go keeps the run going while finally
 * tasks are pending; HasTimedOut (the pipeline timeout) times out the whole run
 * (timeoutPipelineRun), finally tasks included.
 */
export function onTasksStillRunning(
    t: Timeouts,
    elapsedMs: number,
): "running" | "tasks-timed-out-finally-runs" | "run-timed-out-finally-cancelled" {
    const tasks = tasksTimeout(t);
    const pipeline = durationMs(t.pipeline ?? "1h0m0s");
    if (tasks !== undefined && elapsedMs > tasks && (pipeline === 0 || elapsedMs <= pipeline)) return "tasks-timed-out-finally-runs";
    if (pipeline !== 0 && elapsedMs > pipeline) return "run-timed-out-finally-cancelled";
    return "running";
}
