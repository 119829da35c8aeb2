import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { EMAIL_PATTERN, isDnsName, isEmail } from "../../model/validators";

describe("model/validators: one home for the hostname and e-mail checks", () => {
    it("checks e-mail addresses with zod's own pattern (the one z.string().email() used), so a zod upgrade that moves it shows here", () => {
        assert.equal(EMAIL_PATTERN.source, z.regexes.email.source);
        for (const ok of ["platform@example.com", "a.b+c@sub.example.org"]) assert.ok(isEmail(ok), ok);
        for (const bad of ["nope", "a@b", "a@@example.com", ".a@example.com", "a b@example.com"]) assert.ok(!isEmail(bad), bad);
    });

    it("checks hostnames as DNS names: lower-case labels of 1-63 characters, at least two", () => {
        assert.ok(isDnsName("app.platform.example.com"));
        for (const bad of ["App.example.com", "localhost", `${"a".repeat(64)}.example.com`, "a-.example.com", "example.com."])
            assert.ok(!isDnsName(bad), bad);
    });
});

describe("one home per definition (a second copy fails here)", () => {
    const ROOT = path.resolve(__dirname, "..", "..");
    const sources = (): { file: string; text: string }[] =>
        ["components", "infra", "model", "policy", "tools"].flatMap(dir =>
            (fs.readdirSync(path.join(ROOT, dir), { recursive: true }) as string[])
                .filter(f => f.endsWith(".ts"))
                .map(f => ({ file: path.join(dir, f), text: fs.readFileSync(path.join(ROOT, dir, f), "utf8") })),
        );
    const homes = (pattern: RegExp) =>
        sources()
            .filter(s => pattern.test(s.text))
            .map(s => s.file)
            .sort();

    it("the severity scale lives in model/severity.ts only", () => {
        assert.deepEqual(homes(/"none",\s*"low",\s*"medium",\s*"high",\s*"critical"|"none"\s*\|\s*"low"\s*\|\s*"medium"/), [
            path.join("model", "severity.ts"),
        ]);
    });

    it("hostname and e-mail patterns live in model/validators.ts only", () => {
        // A DNS label pattern, or an ad-hoc e-mail pattern, outside the validators.
        assert.deepEqual(homes(/\[a-z0-9\]\(\[-?a-z0-9-?\]|\[\^@\\s\]\+@|\.email\(/), [path.join("model", "validators.ts")]);
    });
});
