// `npm run provider-text`: rewrites the committed dynamic-provider texts (tools/provider-text/,
// see tools/provider-cache.ts) from a real serialization of every stack's providers, so that a
// fresh clone's first plan serializes nothing. Run it when test/tools/provider-cache.test.ts says
// the committed set is stale (a provider's module or the toolchain changed), and commit the result.
import * as fs from "fs";
import * as path from "path";
import { listStacks, runStack } from "./engine";
import { COMMITTED_DIR, installProviderTextCache, providersSerialized } from "./provider-cache";

export async function main(): Promise<number> {
    if (process.env.PLATFORM_PROVIDER_CACHE === "off") {
        process.stderr.write("provider-text: PLATFORM_PROVIDER_CACHE=off; unset it to refresh the committed texts\n");
        return 2;
    }
    for (const file of fs.existsSync(COMMITTED_DIR) ? fs.readdirSync(COMMITTED_DIR) : []) fs.rmSync(path.join(COMMITTED_DIR, file));
    // Nothing read from any cache: every entry written here comes from the SDK's serializer.
    installProviderTextCache({ readDirs: [], writeDir: COMMITTED_DIR });
    for (const stack of listStacks()) await runStack({ stack });
    const keys = new Set(providersSerialized().map(p => p.key));
    process.stdout.write(`provider-text: ${keys.size} provider text(s) written to ${path.relative(process.cwd(), COMMITTED_DIR) || "."}\n`);
    return 0;
}

if (require.main === module) {
    main().then(
        code => {
            process.exitCode = code;
        },
        (e: Error) => {
            process.stderr.write(`provider-text: ${e.message}\n`);
            process.exitCode = 3;
        },
    );
}
