// Step images: a real digest for every step, from a verified pin or the registry at preview/update;
// no placeholder digest anywhere (issue 8, finding 4: the gator and pluto steps were pinned to an
// all-zero digest, so every manifests check failed).
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import {
    imageReference,
    imagesLookedUp,
    registryLookupName,
    STEP_IMAGES,
    stepImage,
    StepImageName,
    stepImageThroughAcr,
} from "../../components/cluster/pipeline/images";
import { mockRegistryDigest } from "../../tools/mock-outputs";
import { freshRun, ROOT, StackRun, stackRun } from "../harness";

type Any = Record<string, any>;

/** A digest of one repeated hex digit (the all-zero placeholder and its kin). */
const PLACEHOLDER = /sha256:([0-9a-f])\1{63}(?![0-9a-f])/;

/** Every step image of every Tekton object in a run, with where it is. */
function stepImages(run: StackRun): { where: string; image: unknown }[] {
    const out: { where: string; image: unknown }[] = [];
    for (const r of run.resources.filter(x => x.type.startsWith("kubernetes:tekton.dev/"))) {
        const visit = (v: unknown, where: string): void => {
            if (Array.isArray(v)) return v.forEach((x, i) => visit(x, `${where}[${i}]`));
            if (!v || typeof v !== "object") return;
            const o = v as Any;
            if (Array.isArray(o.steps)) for (const s of o.steps) out.push({ where: `${where}.steps.${s.name}`, image: s.image });
            for (const [k, x] of Object.entries(o)) visit(x, `${where}.${k}`);
        };
        visit(r.rawInputs, r.name);
    }
    return out;
}

// Type-level (never called): a pinned image's reference is a string, a looked-up one an Output.
export function stepImageTypes(): string[] {
    const pinned: string = stepImage("git");
    // @ts-expect-error gator's digest is looked up at preview: an Output, not a string
    const lookedUp: string = stepImage("gator");
    return [pinned, lookedUp];
}

describe("step images", () => {
    it("no placeholder digest anywhere: not in a tracked file, not in the dev or prod plan", async () => {
        const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT }).toString().split("\0").filter(Boolean);
        assert.ok(tracked.length > 50);
        const inFiles = tracked.filter(
            f => fs.existsSync(path.join(ROOT, f)) && PLACEHOLDER.test(fs.readFileSync(path.join(ROOT, f), "latin1")),
        );
        assert.deepEqual(inFiles, []);
        for (const stack of ["dev", "prod"] as const) {
            const run = await stackRun(stack);
            const inPlan = run.resources.filter(r => PLACEHOLDER.test(JSON.stringify(r.rawInputs))).map(r => r.urn);
            assert.deepEqual(inPlan, [], stack);
        }
    });

    it("gator, pluto and the Azure CLI get the digest the registry reports for their tag; the others their verified pin", async () => {
        assert.deepEqual(imagesLookedUp(), ["azureCli", "gator", "pluto"]);
        const expected: Record<StepImageName, string> = {} as Record<StepImageName, string>;
        for (const name of Object.keys(STEP_IMAGES) as StepImageName[]) {
            const i = STEP_IMAGES[name];
            expected[name] = imageReference(i, i.source === "public-pin" ? i.digest : mockRegistryDigest(registryLookupName(i)));
        }
        // Spelled out: the lookup names the exact tag the table pins (gator follows the Gatekeeper chart).
        assert.equal(expected.gator, `docker.io/openpolicyagent/gator:v3.23.0@${mockRegistryDigest("openpolicyagent/gator:v3.23.0")}`);
        assert.equal(
            expected.pluto,
            `us-docker.pkg.dev/fairwinds-ops/oss/pluto:v5.24.4@${mockRegistryDigest("us-docker.pkg.dev/fairwinds-ops/oss/pluto:v5.24.4")}`,
        );
        const run = await stackRun("dev");
        const acr = (run.rawOutputs as Any).registry.loginServer;
        const images = stepImages(run);
        // Steps pull them through the ACR, by the same digest: <acr>/<host>/<path>@<digest>.
        for (const name of Object.keys(expected) as StepImageName[]) expected[name] = stepImageThroughAcr(acr, expected[name]);
        assert.equal(
            expected.gator,
            `${acr}/docker.io/openpolicyagent/gator:v3.23.0@${mockRegistryDigest("openpolicyagent/gator:v3.23.0")}`,
        );
        const all = new Set(Object.values(expected));
        for (const { where, image } of images) assert.ok(all.has(image as string), `${where}: ${String(image)}`);
        for (const name of imagesLookedUp())
            assert.ok(
                images.some(x => x.image === expected[name]),
                `${name} is used by some step`,
            );
    });

    it("Docker Hub images are looked up without `docker.io/` (the provider would query https://docker.io), others by full name", () => {
        assert.equal(registryLookupName(STEP_IMAGES.gator), "openpolicyagent/gator:v3.23.0");
        assert.equal(registryLookupName(STEP_IMAGES.pluto), "us-docker.pkg.dev/fairwinds-ops/oss/pluto:v5.24.4");
        assert.equal(registryLookupName(STEP_IMAGES.azureCli), "mcr.microsoft.com/azure-cli:2.80.0");
    });

    it("a preview already knows the looked-up digests (invokes run at preview), and one run looks each image up once", async () => {
        let same = false;
        const run = await freshRun({
            stack: "dev",
            dryRun: true,
            program: () => {
                same = stepImage("azureCli") === stepImage("azureCli");
                const provider = new k8s.Provider("primary", {});
                new k8s.apiextensions.CustomResource(
                    "probe",
                    {
                        apiVersion: "tekton.dev/v1",
                        kind: "Task",
                        metadata: { name: "probe" },
                        spec: { steps: [{ name: "gator", image: stepImage("gator") }] },
                    },
                    { provider },
                );
            },
        });
        assert.ok(same, "the same Output for every use of an image in one run");
        const task = run.resources.find(r => r.name === "probe")!;
        assert.equal(
            (task.inputs as Any).spec.steps[0].image,
            imageReference(STEP_IMAGES.gator, mockRegistryDigest("openpolicyagent/gator:v3.23.0")),
        );
    });
});
