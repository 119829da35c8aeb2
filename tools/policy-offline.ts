// Runs the policy pack's own policy objects (./policies) on an offline engine run, so `npm run
// plan` enforces exactly what `pulumi preview --policy-pack policy` enforces, without a cloud.
//
// The arguments are built from each RecordedResource the way the analyzer builds them from the
// engine's requests: props are the resource's inputs (there are no real outputs offline), with
// "[unknown]" standing for a value unknown at preview. Secrets are revealed to the policies (the
// real analyzer also sees them in plaintext — e.g. a Secret's data keys) but every violation
// message is scrubbed of secret values before it is returned, so nothing secret reaches the plan.
import type {
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import type { RecordedResource, StackRun } from "./engine";
import { policies as packPolicies } from "../policy/policies";

export type PolicyViolation = {
    policy: string;
    enforcementLevel: "mandatory" | "advisory";
    urn?: string;
    message: string;
};

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

const SECRET = "[secret]";

class NotApplicable extends Error {}

/** Per-policy config, as the engine would pass it: only the keys the policy's schema declares. */
function configFor(policy: AnyPolicy, options: { environment: string; pipelineNamespace?: string }): Record<string, unknown> {
    const declared = Object.keys(policy.configSchema?.properties ?? {});
    const all: Record<string, unknown> = { environment: options.environment };
    if (options.pipelineNamespace !== undefined) all.pipelineNamespace = options.pipelineNamespace;
    const out: Record<string, unknown> = {};
    for (const key of declared) {
        if (all[key] !== undefined) out[key] = all[key];
        else if (policy.configSchema?.properties[key]?.default !== undefined) out[key] = policy.configSchema.properties[key].default;
    }
    return out;
}

/** Secret leaf strings: where `inputs` says "[secret]", the revealed values in `rawInputs`. */
function secretStrings(redacted: unknown, raw: unknown, out: Set<string>): void {
    if (redacted === SECRET && raw !== SECRET) {
        const collect = (v: unknown): void => {
            if (typeof v === "string" && v.length >= 4) {
                out.add(v);
                // The same value as it appears inside a JSON-encoded message.
                out.add(JSON.stringify(v).slice(1, -1));
                // A JSON document (a docker config, a kubeconfig as JSON): its leaves are secret too.
                if (/^\s*[[{]/.test(v)) {
                    try {
                        collect(JSON.parse(v));
                    } catch {
                        /* not JSON */
                    }
                }
            } else if (typeof v === "number" && String(v).length >= 6) out.add(String(v));
            else if (Array.isArray(v)) v.forEach(collect);
            else if (v && typeof v === "object") Object.values(v).forEach(collect);
        };
        collect(raw);
        return;
    }
    if (Array.isArray(redacted) && Array.isArray(raw)) redacted.forEach((v, i) => secretStrings(v, raw[i], out));
    else if (redacted && typeof redacted === "object" && raw && typeof raw === "object") {
        for (const [k, v] of Object.entries(redacted)) secretStrings(v, (raw as Record<string, unknown>)[k], out);
    }
}

function scrub(message: string, secrets: ReadonlySet<string>): string {
    let out = message;
    // Longest first, so a secret containing another is replaced whole.
    for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(SECRET);
    return out;
}

function resourceOptions(r: RecordedResource): PolicyResourceOptions {
    return {
        protect: r.protect,
        ignoreChanges: r.ignoreChanges,
        deleteBeforeReplace: r.deleteBeforeReplace,
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: r.additionalSecretOutputs,
        parent: r.parent,
    };
}

/** Evaluates every policy of the pack on the run's registrations. Mandatory violations first. */
export function evaluatePolicies(run: StackRun, options: { environment: string; pipelineNamespace?: string }): PolicyViolation[] {
    return evaluate(run, options, packPolicies);
}

/** As evaluatePolicies, with an explicit policy list (tests). */
export function evaluate(
    run: StackRun,
    opts: { environment: string; pipelineNamespace?: string },
    policies: AnyPolicy[],
): PolicyViolation[] {
    const byUrn = new Map(run.resources.map(r => [r.urn, r]));
    const secrets = new Set<string>();
    for (const r of run.resources) secretStrings(r.inputs, r.rawInputs, secrets);

    const providerOf = (r: RecordedResource): PolicyProviderResource | undefined => {
        const p = r.provider ? byUrn.get(r.provider) : undefined;
        return p ? { type: p.type, props: p.rawInputs, urn: p.urn, name: p.name } : undefined;
    };
    const stackTags: ReadonlyMap<string, string> = new Map();
    const notApplicable = (reason?: string): never => {
        throw new NotApplicable(reason);
    };
    const violations: PolicyViolation[] = [];

    for (const policy of policies) {
        if (policy.enforcementLevel === "disabled") continue;
        const level: PolicyViolation["enforcementLevel"] = policy.enforcementLevel === "advisory" ? "advisory" : "mandatory";
        const config = configFor(policy, opts);
        const getConfig = <T extends object>() => ({ ...config }) as T;
        const push = (message: string, urn?: string, enforcementLevel = level) =>
            violations.push({ policy: policy.name, enforcementLevel, ...(urn ? { urn } : {}), message: scrub(message, secrets) });
        // A policy that throws is a failed guardrail, not a pass.
        const guarded = (urn: string | undefined, fn: () => unknown) => {
            try {
                const result = fn();
                if (result && typeof (result as Promise<void>).then === "function") {
                    throw new Error("asynchronous policies are not supported offline");
                }
            } catch (e) {
                if (e instanceof NotApplicable) return;
                push(`policy failed: ${(e as Error).message}`, urn, "mandatory");
            }
        };

        if ("validateStack" in policy) {
            const resources = new Map<string, PolicyResource>();
            for (const r of run.resources) {
                resources.set(r.urn, {
                    type: r.type,
                    props: r.rawInputs,
                    urn: r.urn,
                    name: r.name,
                    opts: resourceOptions(r),
                    provider: providerOf(r),
                    dependencies: [],
                    propertyDependencies: {},
                    isType: () => false,
                    asType: () => undefined,
                });
            }
            for (const r of run.resources) {
                const pr = resources.get(r.urn)!;
                pr.parent = r.parent ? resources.get(r.parent) : undefined;
                pr.dependencies = r.dependencies.map(d => resources.get(d)).filter((d): d is PolicyResource => !!d);
                pr.propertyDependencies = Object.fromEntries(
                    Object.entries(r.propertyDependencies ?? {}).map(([key, urns]) => [
                        key,
                        urns.map(u => resources.get(u)).filter((d): d is PolicyResource => !!d),
                    ]),
                );
            }
            const args: StackValidationArgs = { resources: [...resources.values()], stackTags, getConfig, notApplicable };
            guarded(undefined, () => policy.validateStack(args, (message, urn) => push(message, urn)));
            continue;
        }

        const validations =
            policy.validateResource === undefined
                ? []
                : Array.isArray(policy.validateResource)
                  ? policy.validateResource
                  : [policy.validateResource];
        for (const r of run.resources) {
            const args: ResourceValidationArgs = {
                type: r.type,
                props: r.rawInputs,
                urn: r.urn,
                name: r.name,
                opts: resourceOptions(r),
                provider: providerOf(r),
                stackTags,
                getConfig,
                notApplicable,
                isType: () => false,
                asType: () => undefined,
            };
            for (const validate of validations) guarded(r.urn, () => validate(args, message => push(message, r.urn)));
        }
    }
    const rank = (v: PolicyViolation) => (v.enforcementLevel === "mandatory" ? 0 : 1);
    return violations
        .map((v, i) => ({ v, i }))
        .sort((a, b) => rank(a.v) - rank(b.v) || a.i - b.i)
        .map(({ v }) => v);
}
