// `npm run admit -- --stack <name> [--namespace <ns>] <manifest.yaml|dir|->…`
//
// Evaluates the stack's own Gatekeeper policy — the ConstraintTemplates' CEL and the constraints'
// parameters and match rules, exactly as the offline run registers them — against manifests.
// One line per object on stdout: `ALLOW kind/namespace/name` or
// `DENY kind/namespace/name: [constraint] message; …` (`-` when the object names no namespace);
// warn/dryrun violations go to stderr as `WARN …` lines.
// Exit 0 all allowed, 1 any denied, 2 bad usage, bad config, unreadable or malformed input, or a
// stack without Gatekeeper templates (nothing to check is not a pass).
// Image signatures are not checked here (that needs the registry): the stack's signature
// constraint (Ratify, external data) is left out, and a NOTE on stderr says the cluster checks it.
import { parseStackArgs, UsageError } from "./cli";
import {
    Admission,
    formatReview,
    formatWarnings,
    ManifestError,
    PolicyError,
    PolicySet,
    policySetsFromRun,
    readManifests,
    Review,
} from "../model/admission/evaluator";
import type { StackRun } from "./engine";
import { VERIFICATION_CONSTRAINT, VERIFICATION_KIND } from "../components/cluster/image-verification/names";

export const EXIT = { allowed: 0, denied: 1, error: 2 } as const;

const USAGE = "usage: npm run admit -- --stack <name> [--namespace <ns>] <manifest.yaml|directory|->...";

export interface AdmitArgs {
    stack: string;
    namespace?: string;
    files: string[];
}

export { UsageError };

export function parseAdmitArgs(argv: string[]): AdmitArgs {
    const { stack, values, positionals } = parseStackArgs(argv, { namespace: { type: "string", short: "n" } }, USAGE, true);
    if (positionals.length === 0) throw new UsageError(`no manifest files given\n${USAGE}`);
    return { stack, namespace: values.namespace as string | undefined, files: positionals };
}

export interface AdmitDeps {
    /** A finished run to take the policy from (tests); otherwise the stack is run offline. */
    run?: StackRun;
    out?: NodeJS.WritableStream;
    err?: NodeJS.WritableStream;
}

export async function main(argv: string[], deps: AdmitDeps = {}): Promise<number> {
    const out = deps.out ?? process.stdout;
    const err = deps.err ?? process.stderr;
    const fail = (message: string): number => {
        err.write(`admit: ${message}\n`);
        return EXIT.error;
    };
    try {
        let args: AdmitArgs;
        try {
            args = parseAdmitArgs(argv);
        } catch (e) {
            if (e instanceof UsageError) return fail(e.message);
            throw e;
        }

        // Read the input first: a typo in a path should not cost a stack run.
        let objects;
        try {
            objects = readManifests(args.files);
        } catch (e) {
            if (e instanceof ManifestError) return fail(`unreadable or malformed input:\n${e.message}`);
            throw e;
        }

        let run = deps.run;
        if (!run) {
            // Loaded only when needed: the Pulumi SDK is slow to load, and usage or input errors
            // should come back at once. `require`, not `import()`: the launcher (tools/launch.cjs)
            // compiles TypeScript for CommonJS loading only.
            /* eslint-disable @typescript-eslint/no-require-imports */
            const { runStack, StackNotFoundError } = require("./engine") as typeof import("./engine");
            const { ConfigError } = require("../infra/config") as typeof import("../infra/config");
            /* eslint-enable @typescript-eslint/no-require-imports */
            try {
                run = await runStack({ stack: args.stack });
            } catch (e) {
                if (e instanceof ConfigError || e instanceof StackNotFoundError) return fail(`stack '${args.stack}': ${e.message}`);
                throw e;
            }
        }

        const { sets, signatureNote } = withoutSignatureCheck(policySetsFromRun(run));
        if (!sets.some(s => s.templates.length > 0 && s.constraints.length > 0)) {
            return fail(`stack '${run.stack}' registers no Gatekeeper ConstraintTemplates and constraints; nothing to evaluate`);
        }
        let admission: Admission;
        try {
            admission = new Admission(sets);
        } catch (e) {
            if (e instanceof PolicyError) return fail(`stack '${run.stack}': ${e.message}`);
            throw e;
        }

        if (signatureNote) err.write(`${signatureNote}\n`);
        const reviews: Review[] = admission.reviewAll(objects, { defaultNamespace: args.namespace });
        for (const r of reviews) {
            out.write(`${formatReview(r)}\n`);
            for (const w of formatWarnings(r)) err.write(`${w}\n`);
        }
        return reviews.every(r => r.allowed) ? EXIT.allowed : EXIT.denied;
    } catch (e) {
        // Never a stack trace: the message is enough to report, and nothing was admitted.
        return fail(`internal error: ${(e as Error)?.message ?? String(e)}`);
    }
}

/**
 * The policy sets minus the signature-verification template and constraint (Rego calling Ratify:
 * only the cluster can evaluate it), and the note that says so — with the enforcement action the
 * stack's constraint carries, so a dev (`dryrun`) and a prod (`deny`) run read differently.
 */
export function withoutSignatureCheck(sets: PolicySet[]): { sets: PolicySet[]; signatureNote?: string } {
    let action: string | undefined;
    const kept = sets.map(set => {
        const found = set.constraints.find(c => c.kind === VERIFICATION_KIND);
        if (found) action = found.spec?.enforcementAction ?? "deny";
        return {
            templates: set.templates.filter(t => t.spec?.crd?.spec?.names?.kind !== VERIFICATION_KIND),
            constraints: set.constraints.filter(c => c.kind !== VERIFICATION_KIND),
        };
    });
    if (!action) return { sets: kept };
    const effect =
        action === "deny"
            ? "an image without a valid signature by the pipeline's key is denied"
            : `an image without a valid signature by the pipeline's key is reported (${action}), not denied`;
    return {
        sets: kept,
        signatureNote:
            `NOTE: image signatures are not checked here (admit cannot reach a registry); they are checked at admission ` +
            `by the cluster (Ratify, constraint ${VERIFICATION_CONSTRAINT}): in application namespaces ${effect}.`,
    };
}

if (require.main === module) {
    main(process.argv.slice(2)).then(code => {
        process.exitCode = code;
    });
}
