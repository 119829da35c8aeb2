// Validates custom resources against vendored CRD schemas (test/vendor/crds) the way the
// Kubernetes API server treats a structural schema, with ajv doing the JSON-schema work.
//
// What the API server does, and how it is mapped here (k8s.io/apiextensions-apiserver, the
// version AKS 1.34 runs; docs: kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/
// custom-resource-definitions/ §"Specifying a structural schema", §"Field pruning",
// §"IntOrString", §"RawExtension", §"Defaulting and Nullable"):
// - Unknown fields: an object schema is closed unless it says `x-kubernetes-preserve-unknown-fields:
//   true` or declares `additionalProperties` (a map). The API server prunes an unknown field (or
//   rejects it with field validation Strict), so a field the stack sets that the schema does not
//   know never reaches the controller. Here: `additionalProperties: false`.
// - `required`, `enum`, `pattern`, `minimum`… are enforced as written (ajv).
// - `x-kubernetes-int-or-string: true`: an integer or a string, whatever `type` says.
// - `x-kubernetes-embedded-resource: true`: apiVersion, kind and metadata are allowed even if not
//   declared, and apiVersion and kind must be set (pkg/apiserver/schema/objectmeta/validation.go
//   validates embedded resources' TypeMeta).
// - `nullable: true`: null is allowed (otherwise null is dropped by pruning/defaulting; the stack
//   never sends null, so a null here is reported).
// - The root `metadata` is ObjectMeta whatever the CRD says (the server validates it as such);
//   `apiVersion`/`kind` must be the resource's group/version and kind.
// - Branches of allOf/anyOf/oneOf/not are value validations only (structural schemas may not
//   declare new fields in them), so they are not closed.
// - `x-kubernetes-validations` (CEL rules, celViolations below): each rule is evaluated with `self`
//   bound to the value at its node, after the schema's `default`s are applied (the server defaults
//   before it validates), with the standard CEL functions and cel-go's string extensions that
//   Kubernetes registers (@bufbuild/cel, as model/admission/evaluator.ts). Transition rules (`oldSelf`)
//   only run on updates and are skipped. A rule that is false or fails to evaluate is a violation.
// Not evaluated here: `format` (the server checks a few, e.g. int32/date-time; ajv knows none of
// Kubernetes' names) and CEL cost limits.
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { celEnv, CelEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import type { Schema } from "../tools/vendor-crds";

const VALUE_BRANCHES = ["allOf", "anyOf", "oneOf"];

/** A structural schema node → the JSON schema ajv checks. `patch`: drop `required` (a partial object). */
export function toJsonSchema(node: Schema, o: { patch?: boolean } = {}): Schema {
    const out: Schema = {};
    for (const [key, value] of Object.entries(node)) {
        if (key.startsWith("x-kubernetes-") || key === "nullable" || key === "format" || key === "default" || key === "example") continue;
        if (key === "required" && o.patch) continue;
        if (key === "properties") {
            out.properties = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, toJsonSchema(v, o)]));
        } else if (key === "items" && value && typeof value === "object" && !Array.isArray(value)) {
            out.items = toJsonSchema(value as Schema, o);
        } else if (key === "additionalProperties" && value && typeof value === "object") {
            out.additionalProperties = toJsonSchema(value as Schema, o);
        } else {
            out[key] = value;
        }
    }
    for (const key of VALUE_BRANCHES) if (Array.isArray(out[key])) out[key] = (out[key] as Schema[]).map(valueOnly);
    if (out.not && typeof out.not === "object") out.not = valueOnly(out.not as Schema);

    if (node["x-kubernetes-int-or-string"] === true) {
        delete out.type;
        const either = { anyOf: [{ type: "integer" }, { type: "string" }] };
        out.allOf = [...((out.allOf as Schema[] | undefined) ?? []), either];
    }
    if (node["x-kubernetes-embedded-resource"] === true) {
        out.properties = {
            apiVersion: { type: "string" },
            kind: { type: "string" },
            metadata: { type: "object" },
            ...(out.properties as Schema | undefined),
        };
        if (!o.patch) out.required = [...new Set([...((out.required as string[] | undefined) ?? []), "apiVersion", "kind"])];
    }
    const isObject = node.type === "object" || (node.type === undefined && node.properties !== undefined);
    if (isObject && node["x-kubernetes-preserve-unknown-fields"] !== true && node.additionalProperties === undefined) {
        out.additionalProperties = false;
    }
    if (node.nullable === true && typeof out.type === "string") out.type = [out.type, "null"];
    return out;
}

/** A value-validation branch: only its Kubernetes extensions are translated, nothing is closed. */
function valueOnly(node: Schema): Schema {
    const out: Schema = {};
    for (const [key, value] of Object.entries(node)) {
        if (key.startsWith("x-kubernetes-") || key === "nullable" || key === "format" || key === "default") continue;
        if (key === "properties")
            out.properties = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, valueOnly(v)]));
        else if (key === "items" && value && typeof value === "object" && !Array.isArray(value)) out.items = valueOnly(value as Schema);
        else if (VALUE_BRANCHES.includes(key) && Array.isArray(value)) out[key] = value.map(v => valueOnly(v as Schema));
        else if (key === "not") out.not = valueOnly(value as Schema);
        else out[key] = value;
    }
    return out;
}

/** The schema of a whole custom resource of `apiVersion`/`kind` whose CRD declares `root`. */
export function resourceSchema(root: Schema, apiVersion: string, kind: string, o: { patch?: boolean } = {}): Schema {
    const converted = toJsonSchema(root, o);
    const properties = { ...(converted.properties as Record<string, Schema> | undefined) };
    properties.apiVersion = { const: apiVersion };
    properties.kind = { const: kind };
    // ObjectMeta: validated by the API server itself, not by the CRD; the stack's fields are these.
    properties.metadata = {
        type: "object",
        properties: {
            name: { type: "string", maxLength: 253 },
            generateName: { type: "string" },
            namespace: { type: "string" },
            labels: { type: "object", additionalProperties: { type: "string" } },
            annotations: { type: "object", additionalProperties: { type: "string" } },
            finalizers: { type: "array", items: { type: "string" } },
        },
        additionalProperties: false,
    };
    return {
        ...converted,
        properties,
        required: [
            ...new Set([...(((o.patch ? [] : converted.required) as string[] | undefined) ?? []), "apiVersion", "kind", "metadata"]),
        ],
    };
}

export class StructuralValidator {
    private readonly ajv = new Ajv({
        allErrors: true,
        strict: false,
        validateFormats: false,
        // Kubernetes patterns are Go RE2; without the `u` flag JS accepts the same escapes they use.
        unicodeRegExp: false,
        // Ajv's optimisation pass only simplifies the generated code (same verdicts) and was most
        // of the compile time of the large CRD schemas, each validated a handful of times.
        code: { optimize: false },
    });
    private readonly cache = new Map<string, ValidateFunction>();

    /** Errors of `object` against `schema` (compiled once per `key`), as `path: message` lines. */
    validate(key: string, schema: () => Schema, object: unknown): string[] {
        let fn = this.cache.get(key);
        if (!fn) {
            fn = this.ajv.compile(schema());
            this.cache.set(key, fn);
        }
        return fn(object) ? [] : (fn.errors ?? []).map(describe);
    }
}

function describe(e: ErrorObject): string {
    const where = e.instancePath || "/";
    if (e.keyword === "additionalProperties")
        return `${where}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}" (the API server prunes it)`;
    if (e.keyword === "required") return `${where}: missing required field "${(e.params as { missingProperty: string }).missingProperty}"`;
    return `${where}: ${e.message}${e.keyword === "enum" ? ` ${JSON.stringify((e.params as { allowedValues: unknown }).allowedValues)}` : ""}`;
}

// ---------------------------------------------------------------------------------------------
// Defaults and CEL rules
// ---------------------------------------------------------------------------------------------

/**
 * A copy of `value` with the schema's `default`s filled in where a field is absent and its
 * parent present, through properties, items and map values (structural defaulting).
 */
export function withDefaults(node: Schema, value: unknown): unknown {
    if (Array.isArray(value)) {
        const items = node.items as Schema | undefined;
        return items && !Array.isArray(items) ? value.map(v => withDefaults(items, v)) : value;
    }
    if (!value || typeof value !== "object") return value;
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) {
        if (out[key] === undefined && child.default !== undefined) out[key] = structuredClone(child.default);
        if (out[key] !== undefined) out[key] = withDefaults(child, out[key]);
    }
    const map = node.additionalProperties;
    if (map && typeof map === "object" && !node.properties) {
        for (const key of Object.keys(out)) out[key] = withDefaults(map as Schema, out[key]);
    }
    return out;
}

type Program = (ctx: Record<string, unknown>) => unknown;
let env: CelEnv | undefined;
const programs = new Map<string, Program | Error>();

function program(rule: string): Program | Error {
    let p = programs.get(rule);
    if (!p) {
        try {
            env ??= celEnv({ funcs: strings });
            p = plan(env, parse(rule)) as Program;
        } catch (e) {
            p = e as Error;
        }
        programs.set(rule, p);
    }
    return p;
}

interface Rule {
    rule: string;
    message?: string;
}

// CEL reserved words; a schema property with such a name is `__<name>__` in rules
// (k8s.io/apiserver pkg/cel/escaping.go, e.g. Gateway API's `p1.__namespace__`).
const CEL_RESERVED = new Set([
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
]);

/** A declared property's name as CEL rules see it (escaping.go Escape). */
export function celPropertyName(name: string): string {
    if (CEL_RESERVED.has(name)) return `__${name}__`;
    return name.replace(/__/g, "__underscores__").replace(/\./g, "__dot__").replace(/-/g, "__dash__").replace(/\//g, "__slash__");
}

/**
 * `value` as a rule's `self`: declared properties under their escaped names (map keys as they
 * are), `integer` (and int-or-string numbers) as CEL int, `number` as double.
 */
export function celValue(node: Schema, value: unknown): unknown {
    if (Array.isArray(value)) {
        const items = node.items as Schema | undefined;
        return value.map(v => celValue(items && !Array.isArray(items) ? items : {}, v));
    }
    if (value && typeof value === "object") {
        const out: Record<string, unknown> = {};
        const props = (node.properties ?? {}) as Record<string, Schema>;
        const map =
            node.additionalProperties && typeof node.additionalProperties === "object" ? (node.additionalProperties as Schema) : undefined;
        for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
            if (v === null || v === undefined) continue;
            if (props[key]) out[celPropertyName(key)] = celValue(props[key], v);
            else out[key] = celValue(map ?? {}, v);
        }
        return out;
    }
    if (typeof value === "number" && Number.isSafeInteger(value) && node.type !== "number") return BigInt(value);
    return value;
}

/** Violations of the CEL rules (`x-kubernetes-validations`) of `node` and below, for `value`. */
export function celViolations(node: Schema, value: unknown, where = ""): string[] {
    if (value === undefined || value === null) return [];
    const out: string[] = [];
    for (const r of (node["x-kubernetes-validations"] ?? []) as Rule[]) {
        if (/\boldSelf\b/.test(r.rule)) continue;
        const p = program(r.rule);
        const result = p instanceof Error ? p : p({ self: celValue(node, value) });
        if (result === true) continue;
        const why =
            p instanceof Error || isCelError(result) ? ` (could not evaluate: ${String((result as Error).message).split("\n")[0]})` : "";
        out.push(`${where || "/"}: ${r.message ?? `failed rule: ${r.rule}`}${why}`);
    }
    if (Array.isArray(value)) {
        const items = node.items as Schema | undefined;
        if (items && !Array.isArray(items)) value.forEach((v, i) => out.push(...celViolations(items, v, `${where}/${i}`)));
    } else if (typeof value === "object") {
        const o = value as Record<string, unknown>;
        for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) {
            out.push(...celViolations(child, o[key], `${where}/${key}`));
        }
        const map = node.additionalProperties;
        if (map && typeof map === "object" && !node.properties) {
            for (const [key, v] of Object.entries(o)) out.push(...celViolations(map as Schema, v, `${where}/${key}`));
        }
    }
    return out;
}

/** Structural and CEL violations of a whole custom resource (`patch`: structure only, partial). */
export function resourceViolations(
    validator: StructuralValidator,
    key: string,
    root: Schema,
    object: Record<string, unknown>,
    o: { patch?: boolean } = {},
): string[] {
    const structural = validator.validate(key, () => resourceSchema(root, String(object.apiVersion), String(object.kind), o), object);
    if (o.patch) return structural;
    return [...structural, ...celViolations(root, withDefaults(root, object))];
}
