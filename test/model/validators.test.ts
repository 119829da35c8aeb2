import { strict as assert } from "assert";
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
        for (const bad of ["App.example.com", "localhost", `${"a".repeat(64)}.example.com`, "a-.example.com", "example.com."]) assert.ok(!isDnsName(bad), bad);
    });
});
