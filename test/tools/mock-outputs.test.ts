// The offline engine's Azure mocks cover what the program creates, and nothing else: a mock for a
// type the program never registers (an azure-native v2 token such as network:Profile, since
// moved to trafficmanager:Profile) is dead code that reads as if the program still used it.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { stackRun } from "../harness";

describe("tools/mock-outputs.ts", () => {
    it("special-cases only azure-native types the dev or prod program registers", async () => {
        const src = fs.readFileSync(path.join(__dirname, "..", "..", "tools", "mock-outputs.ts"), "utf8");
        const mocked = new Set([
            ...[...src.matchAll(/^\s+"([a-z]+:[A-Za-z]+)": "Microsoft\./gm)].map(m => m[1]),
            ...[...src.matchAll(/case "([a-z]+:[A-Za-z]+)":/g)].map(m => m[1]),
        ]);
        assert.ok(mocked.size > 10, "found the mocked types");
        const registered = new Set<string>();
        for (const stack of ["dev", "prod"] as const) {
            for (const r of (await stackRun(stack)).resources)
                if (r.type.startsWith("azure-native:")) registered.add(r.type.slice("azure-native:".length));
        }
        assert.deepEqual([...mocked].filter(t => !registered.has(t)).sort(), []);
    });
});
