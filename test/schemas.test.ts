// Every custom resource the stack creates, in the dev and prod plans, validates against the
// upstream CRD schema at its pinned version (vendored in test/vendor/crds, see SOURCES.md there),
// with the API server's structural-schema semantics (test/schemas-structural.ts): an unknown
// field would be pruned, a missing required field rejected.
//
// Gatekeeper constraints have no CRD upstream: Gatekeeper generates one per ConstraintTemplate.
// Their schema is built here the way Gatekeeper v3.23.0 builds it — open-policy-agent/frameworks
// constraint/pkg/client/crds/schema.go CreateSchema (commit e1eaa1bf6d62, the version gatekeeper
// v3.23.0's go.mod pins): `spec.match` is Gatekeeper's match schema (pkg/target/match_schema.go,
// vendored as match.gatekeeper.sh/DummyCRD .embeddedMatch), `spec.enforcementAction` a string,
// `spec.scopedEnforcementActions`, and `spec.parameters` the template's own
// `spec.crd.spec.validation.openAPIV3Schema` (v1 templates default `legacySchema: false`, so it
// is used as declared: frameworks constraint/pkg/apis/templates/v1/conversion.go).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { stackRun, RecordedResource, StackRun } from "./harness";
import { execFileSync } from "child_process";
import {
    goConstString,
    readSources,
    readVendored,
    renderSourcesMd,
    Schema,
    stripDescriptions,
    VENDOR_DIR,
    VendoredCrd,
    vendorFile,
} from "../tools/vendor-crds";
import { celViolations, resourceSchema, resourceViolations, StructuralValidator, toJsonSchema, withDefaults } from "./schemas-structural";
import { tektonConfigSpec } from "../components/cluster/tekton";

type Any = Record<string, any>;

const vendored = readVendored();
const validator = new StructuralValidator();

/** API groups served by Kubernetes itself (no CRD); everything else must have a vendored schema. */
const BUILT_IN_GROUPS = new Set([
    "",
    "apps",
    "batch",
    "policy",
    "autoscaling",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
]);
const CONSTRAINTS_GROUP = "constraints.gatekeeper.sh";

function crd(group: string, kind: string): VendoredCrd {
    const found = vendored.get(`${group}/${kind}`);
    if (!found) throw new Error(`no vendored CRD ${group}/${kind}`);
    return found;
}

/** The constraint CRD's schema Gatekeeper generates from a template (CreateSchema, see above). */
export function constraintSchema(template: Any | undefined): Schema {
    const match = crd("match.gatekeeper.sh", "DummyCRD").versions.match.schema as Any;
    const parameters = template?.spec?.crd?.spec?.validation?.openAPIV3Schema;
    return {
        type: "object",
        properties: {
            metadata: { type: "object", properties: { name: { type: "string", maxLength: 63 } } },
            spec: {
                type: "object",
                properties: {
                    match: match.properties.embeddedMatch,
                    enforcementAction: { type: "string" },
                    scopedEnforcementActions: {
                        type: "array",
                        items: {
                            type: "object",
                            properties: {
                                action: { type: "string" },
                                enforcementPoints: { type: "array", items: { type: "object", properties: { name: { type: "string" } } } },
                            },
                        },
                    },
                    ...(parameters ? { parameters } : {}),
                },
            },
            status: { "x-kubernetes-preserve-unknown-fields": true },
        },
    };
}

interface Checked {
    urn: string;
    errors: string[];
}

/** Every custom resource of a run, checked against its schema; a kind without one is an error. */
export function checkRun(run: StackRun): Checked[] {
    const templates = run.resources
        .filter(r => r.type === "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate")
        .map(r => r.rawInputs as Any);
    const out: Checked[] = [];
    for (const r of run.resources) {
        const object = r.rawInputs as Any;
        if (!r.type.startsWith("kubernetes:") || typeof object.apiVersion !== "string" || typeof object.kind !== "string") continue;
        const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
        if (BUILT_IN_GROUPS.has(group)) continue;
        out.push({ urn: r.urn, errors: check(r, object, group, version, templates) });
        // A TriggerTemplate's resourcetemplates are created by the EventListener at run time
        // (Triggers' own CRDs preserve unknown fields, so nothing checks them at apply time).
        if (object.kind === "TriggerTemplate") {
            (object.spec?.resourcetemplates ?? []).forEach((t: Any, i: number) => {
                const [g, v] = String(t.apiVersion).split("/");
                out.push({
                    urn: `${r.urn} resourcetemplates[${i}]`,
                    errors: check({ ...r, type: `kubernetes:${t.apiVersion}:${t.kind}` }, t, g, v, templates),
                });
            });
        }
    }
    return out;
}

function check(r: RecordedResource, object: Any, group: string, version: string, templates: Any[]): string[] {
    // `…Patch` resources are server-side-apply patches: partial objects, so `required` is not theirs to meet.
    const patch = r.type.endsWith(`:${object.kind}Patch`);
    const key = `${object.apiVersion}/${object.kind}${patch ? "/patch" : ""}`;
    if (group === CONSTRAINTS_GROUP) {
        const template = templates.find(t => t.spec?.crd?.spec?.names?.kind === object.kind);
        if (!template) return [`no ConstraintTemplate in the stack declares kind ${object.kind}`];
        // Gatekeeper serves v1beta1 and v1alpha1 (frameworks crds.go CreateCRD).
        if (!["v1beta1", "v1alpha1"].includes(version)) return [`constraints are served as v1beta1/v1alpha1, not ${version}`];
        return resourceViolations(validator, `${key}/${template.metadata.name}`, constraintSchema(template), object, { patch });
    }
    const definition = vendored.get(`${group}/${object.kind}`);
    if (!definition)
        return [
            `no vendored CRD for ${group}/${object.kind}: add its upstream file to test/vendor/crds/SOURCES.json and run tools/vendor-crds.ts`,
        ];
    const served = definition.versions[version];
    if (!served) return [`${group}/${object.kind} does not serve ${version} (served: ${Object.keys(definition.versions).join(", ")})`];
    return resourceViolations(validator, key, served.schema, object, { patch });
}

describe("custom resources validate against the upstream CRD schemas at the pinned versions", () => {
    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: every custom resource of the plan`, async () => {
            const checked = checkRun(await stackRun(stack));
            // The plans hold every kind the stack creates (Tekton, Argo CD, Gateway API, Envoy
            // Gateway, cert-manager, Gatekeeper templates and constraints).
            assert.ok(checked.length >= 50, `only ${checked.length} custom resources found`);
            assert.ok(
                checked.some(c => c.urn.endsWith("resourcetemplates[0]")),
                "the PipelineRuns the triggers create are checked too",
            );
            assert.deepEqual(
                checked.filter(c => c.errors.length > 0),
                [],
            );
        });
    }

    it("TektonConfig: the spec the stack sends meets operator v0.81.1's required fields (no defaulting webhook needed)", () => {
        const schema = crd("operator.tekton.dev", "TektonConfig").versions.v1alpha1.schema;
        const object = {
            apiVersion: "operator.tekton.dev/v1alpha1",
            kind: "TektonConfig",
            metadata: { name: "config" },
            spec: tektonConfigSpec(50, "0 3 * * *", {
                pipeline: "sha256:p",
                triggers: "sha256:t",
                chains: "sha256:c",
                dashboard: "sha256:d",
            }),
        };
        assert.deepEqual(
            validator.validate("tektonconfig-direct", () => resourceSchema(schema, object.apiVersion, object.kind), object),
            [],
        );
    });
});

describe("the structural-schema validator", () => {
    const v = new StructuralValidator();
    const errors = (schema: Schema, value: unknown) => v.validate(JSON.stringify(schema), () => toJsonSchema(schema), value);

    it("closes objects that neither preserve unknown fields nor declare a map", () => {
        const s = { type: "object", properties: { a: { type: "string" } } };
        assert.deepEqual(errors(s, { a: "x" }), []);
        assert.deepEqual(errors(s, { a: "x", b: 1 }), ['/: unknown field "b" (the API server prunes it)']);
        assert.deepEqual(errors({ ...s, "x-kubernetes-preserve-unknown-fields": true }, { b: 1 }), []);
        assert.deepEqual(errors({ type: "object", additionalProperties: { type: "string" } }, { any: "x" }), []);
        assert.equal(errors({ type: "object", additionalProperties: { type: "string" } }, { any: 1 }).length, 1);
        // An object schema with no fields keeps none.
        assert.equal(errors({ type: "object" }, { a: 1 }).length, 1);
    });

    it("enforces required fields, but not for patches", () => {
        const s = { type: "object", properties: { a: { type: "string" }, b: { type: "boolean" } }, required: ["a", "b"] };
        assert.deepEqual(errors(s, { a: "x" }), ['/: missing required field "b"']);
        assert.deepEqual(
            v.validate("patch", () => toJsonSchema(s, { patch: true }), { a: "x" }),
            [],
        );
    });

    it("x-kubernetes-int-or-string takes an integer or a string, nothing else", () => {
        const s = {
            type: "object",
            properties: { port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] } },
        };
        assert.deepEqual(errors(s, { port: 8080 }), []);
        assert.deepEqual(errors(s, { port: "http" }), []);
        assert.ok(errors(s, { port: true }).length > 0);
    });

    it("embedded resources need apiVersion and kind and may carry metadata", () => {
        const s = { type: "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true };
        assert.deepEqual(errors(s, { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} }), []);
        assert.deepEqual(errors(s, { metadata: { name: "p" } }).sort(), [
            '/: missing required field "apiVersion"',
            '/: missing required field "kind"',
        ]);
    });

    it("allOf/anyOf/oneOf branches only validate values; they do not close the object", () => {
        const s = {
            type: "object",
            properties: { a: { type: "string" }, b: { type: "string" } },
            oneOf: [{ required: ["a"] }, { required: ["b"] }],
        };
        assert.deepEqual(errors(s, { a: "x" }), []);
        assert.ok(errors(s, { a: "x", b: "y" }).length > 0, "oneOf still applies");
    });

    it("evaluates the CRD's CEL rules with `self` at their node: Gateway API's HTTPRoute path rules", () => {
        const schema = crd("gateway.networking.k8s.io", "HTTPRoute").versions.v1.schema;
        const route = (value: string) => ({
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: "r", namespace: "apps" },
            spec: { rules: [{ matches: [{ path: { type: "PathPrefix", value } }] }] },
        });
        assert.deepEqual(celViolations(schema, withDefaults(schema, route("/api"))), []);
        assert.deepEqual(celViolations(schema, withDefaults(schema, route("api"))), [
            "/spec/rules/0/matches/0/path: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
        ]);
        assert.deepEqual(resourceViolations(v, "route", schema, route("/a//b")), [
            "/spec/rules/0/matches/0/path: must not contain '//' when type one of ['Exact', 'PathPrefix']",
        ]);
    });

    it("applies defaults before the rules, and escapes property names that are CEL keywords (`namespace` is `__namespace__`)", () => {
        const schema = crd("gateway.networking.k8s.io", "HTTPRoute").versions.v1.schema;
        // parentRefs[].group/kind default to gateway.networking.k8s.io/Gateway; the rule compares them.
        const ref = (namespace: string) => ({ name: "platform", namespace });
        const route = (...parentRefs: Any[]) => ({
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: "r" },
            spec: { parentRefs },
        });
        const defaulted = withDefaults(schema, route(ref("gateway"))) as Any;
        assert.equal(defaulted.spec.parentRefs[0].kind, "Gateway");
        // Two references to the same parent must differ in sectionName or port; in other namespaces they are other parents.
        assert.deepEqual(celViolations(schema, withDefaults(schema, route(ref("gateway"), ref("other")))), []);
        assert.ok(
            celViolations(schema, withDefaults(schema, route(ref("gateway"), ref("gateway")))).some(m =>
                m.startsWith("/spec/parentRefs: sectionName or port must be unique"),
            ),
        );
    });

    it("an upstream schema rejects what upstream rejects: TektonConfig without result.is_external_db, an unknown pipeline flag", () => {
        const schema = crd("operator.tekton.dev", "TektonConfig").versions.v1alpha1.schema;
        const tc = (spec: Any) => ({
            apiVersion: "operator.tekton.dev/v1alpha1",
            kind: "TektonConfig",
            metadata: { name: "config" },
            spec,
        });
        const check = (o: Any) => v.validate("tc", () => resourceSchema(schema, "operator.tekton.dev/v1alpha1", "TektonConfig"), o);
        assert.deepEqual(check(tc({ result: { disabled: true } })), ['/spec/result: missing required field "is_external_db"']);
        assert.deepEqual(check(tc({ pipeline: { "disable-creds-unit": true } })), [
            '/spec/pipeline: unknown field "disable-creds-unit" (the API server prunes it)',
        ]);
        assert.deepEqual(check({ ...tc({}), apiVersion: "operator.tekton.dev/v1" }).length, 1);
    });
});

describe("vendored CRD schemas", () => {
    it("hold exactly what SOURCES.json lists, with their origin, structure only", () => {
        const sources = readSources();
        for (const [key, c] of vendored) {
            const source = sources.find(s => s.repository === c.origin.repository && s.path === c.origin.path);
            assert.ok(source, `${key}: not listed in SOURCES.json`);
            assert.equal(c.origin.commit, source.commit, key);
            assert.equal(c.origin.ref, source.ref, key);
            assert.match(c.origin.blob, /^[0-9a-f]{40}$/, key);
            for (const [name, version] of Object.entries(c.versions)) {
                assert.ok(!hasSchemaDescription(version.schema), `${key} ${name}: descriptions must be stripped`);
            }
        }
        for (const s of sources) {
            const kinds = [...vendored.values()]
                .filter(c => c.origin.repository === s.repository && c.origin.path === s.path)
                .map(c => c.kind);
            assert.ok(
                kinds.length > 0 && (s.kinds ?? []).every(k => kinds.includes(k)),
                `${s.repository}:${s.path} is listed but not vendored`,
            );
        }
        assert.equal(
            fs.readFileSync(path.join(VENDOR_DIR, "SOURCES.md"), "utf8"),
            renderSourcesMd(vendored, sources),
            "SOURCES.md is stale: run tools/vendor-crds.ts",
        );
    });
});

describe("tools/vendor-crds.ts", () => {
    it("strips schema descriptions but keeps a field named `description`", () => {
        const s = {
            description: "doc",
            type: "object",
            properties: {
                description: { type: "string", description: "doc" },
                b: { type: "array", items: { description: "doc", type: "string" } },
            },
        };
        assert.deepEqual(stripDescriptions(s), {
            properties: { b: { items: { type: "string" }, type: "array" }, description: { type: "string" } },
            type: "object",
        });
    });

    it("reads controller-gen's Go constants, backticks spliced in as interpreted strings", () => {
        assert.equal(goConstString('package x\nconst matchYAML = `a: ` + "`" + `b`\n', "matchYAML"), "a: `b");
    });

    it("keeps served versions only and records the upstream file's git blob id", () => {
        const yaml = [
            "apiVersion: apiextensions.k8s.io/v1",
            "kind: CustomResourceDefinition",
            "metadata: {name: widgets.example.com}",
            "spec:",
            "  group: example.com",
            "  scope: Namespaced",
            "  names: {kind: Widget, plural: widgets}",
            "  versions:",
            "  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, description: doc}}}",
            "  - {name: v0, served: false, storage: false, schema: {openAPIV3Schema: {type: object}}}",
            "",
        ].join("\n");
        const [w] = vendorFile(
            { repository: "example/widgets", ref: "v1.0.0", commit: "0".repeat(40), path: "crd.yaml", why: "test" },
            Buffer.from(yaml),
        );
        assert.deepEqual(Object.keys(w.versions), ["v1"]);
        assert.deepEqual(w.versions.v1.schema, { type: "object" });
        assert.equal(w.origin.blob, execFileSync("git", ["hash-object", "--stdin"], { input: yaml }).toString().trim());
        assert.throws(
            () =>
                vendorFile(
                    { repository: "example/widgets", ref: "v1", commit: "0".repeat(40), path: "crd.yaml", kinds: ["Gadget"], why: "test" },
                    Buffer.from(yaml),
                ),
            /no CRD for Gadget/,
        );
    });
});

/** A schema node (not a property named "description") carrying a description. */
function hasSchemaDescription(node: unknown): boolean {
    if (!node || typeof node !== "object") return false;
    const o = node as Any;
    if (typeof o.description === "string") return true;
    const children: unknown[] = [
        ...Object.values(o.properties ?? {}),
        ...(Array.isArray(o.items) ? o.items : [o.items]),
        o.additionalProperties,
        o.not,
        ...(o.allOf ?? []),
        ...(o.anyOf ?? []),
        ...(o.oneOf ?? []),
    ];
    return children.some(hasSchemaDescription);
}
