// Components validate their Args with a zod schema before registering anything: every problem at
// once, in one error named after the component (`<Component> <name>: <problem>; <problem>`).
import { z } from "zod";

/** The schema's messages for `value`; empty when it is valid. */
export function problemsOf(schema: z.ZodType, value: unknown): string[] {
    const result = schema.safeParse(value);
    return result.success ? [] : result.error.issues.map(issue => issue.message);
}

/** Throws `<label>: <problem>; …` unless `value` satisfies `schema`. */
export function checkArgs(schema: z.ZodType, value: unknown, label: string): void {
    const problems = problemsOf(schema, value);
    if (problems.length) throw new Error(`${label}: ${problems.join("; ")}`);
}

/** A positive integer, with the components' message. */
export const positiveInteger = (what: string) =>
    z
        .number({ error: `${what} must be a positive integer` })
        .int(`${what} must be a positive integer`)
        .min(1, `${what} must be a positive integer`);
