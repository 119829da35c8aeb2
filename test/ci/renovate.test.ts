// The dependency-update configuration finds every pin it is meant to keep current: a refactor that
// moves a chart or image pin out of its managers' reach fails here instead of silently aging.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../tools/engine";
import { CHARTS } from "../../model/versions";
import { STEP_IMAGES } from "../../components/cluster/pipeline/images";

interface CustomManager {
    managerFilePatterns: string[];
    matchStrings: string[];
    datasourceTemplate: string;
}
const config = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8")) as {
    rangeStrategy: string;
    customManagers: CustomManager[];
};

/** What Renovate's regex manager extracts from the repository's files (JS regexes, global). */
function extract(): { file: string; depName: string; currentValue: string; currentDigest?: string }[] {
    const found = [];
    for (const manager of config.customManagers) {
        for (const pattern of manager.managerFilePatterns) {
            const file = /^\/\^(.*)\$\/$/.exec(pattern)![1].replace(/\\\./g, ".");
            const text = fs.readFileSync(path.join(ROOT, file), "utf8");
            for (const source of manager.matchStrings) {
                for (const m of text.matchAll(new RegExp(source, "g"))) {
                    found.push({
                        file,
                        depName: m.groups!.depName,
                        currentValue: m.groups!.currentValue,
                        currentDigest: m.groups!.currentDigest,
                    });
                }
            }
        }
    }
    return found;
}

describe("dependency updates (renovate.json)", () => {
    it("pins npm dependencies exactly", () => {
        assert.equal(config.rangeStrategy, "pin");
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        for (const section of ["dependencies", "devDependencies", "optionalDependencies"]) {
            for (const [name, version] of Object.entries(pkg[section] ?? {})) {
                assert.match(String(version), /^\d+\.\d+\.\d+$/, `package.json ${section}.${name} is not an exact version: ${version}`);
            }
        }
    });

    it("finds every chart pinned in model/versions.ts", () => {
        const found = extract().filter(d => d.file === "model/versions.ts");
        for (const [key, pin] of Object.entries(CHARTS)) {
            const name = pin.chart.replace(/^oci:\/\//, "");
            assert.ok(
                found.some(d => d.depName === name && d.currentValue === pin.version),
                `CHARTS.${key} (${pin.chart} ${pin.version}) is not found by any manager`,
            );
        }
    });

    it("finds every pipeline step image, with its digest where it is pinned", () => {
        const found = extract().filter(d => d.file === "components/cluster/pipeline/images.ts");
        for (const [key, image] of Object.entries(STEP_IMAGES)) {
            const tagIsLiteral = !Object.values(CHARTS).some(c => c.appVersion === image.tag);
            if (!tagIsLiteral) continue; // follows a chart pin (e.g. gator = Gatekeeper's appVersion): updated with the chart
            const hit = found.find(d => d.depName === image.repo && d.currentValue === image.tag);
            assert.ok(hit, `STEP_IMAGES.${key} (${image.repo}:${image.tag}) is not found by the step-image manager`);
            assert.equal(hit.currentDigest, "digest" in image ? image.digest : undefined, `STEP_IMAGES.${key}: digest`);
        }
    });
});
