// What the command-line tools share: usage errors and argument parsing with a --stack.
import { parseArgs, ParseArgsConfig } from "util";

/** Bad invocation: the tools print it and exit 2, never with a stack trace. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `argv` strictly (unknown flags are usage errors) and requires `--stack`. The usage
 * text is appended to every error so the fix is on screen.
 */
export function parseStackArgs(argv: string[], options: Options, usage: string, allowPositionals = false) {
    let parsed;
    try {
        parsed = parseArgs({ args: argv, options: { stack: { type: "string", short: "s" }, ...options }, strict: true, allowPositionals });
    } catch (e) {
        throw new UsageError(`${(e as Error).message}\n${usage}`);
    }
    const values = parsed.values as Record<string, string | boolean | (string | boolean)[] | undefined>;
    const stack = values.stack;
    if (typeof stack !== "string" || !stack) throw new UsageError(`--stack is required\n${usage}`);
    return { stack, values, positionals: parsed.positionals };
}
