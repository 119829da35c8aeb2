// Preloaded (NODE_OPTIONS=--require) into the processes of one recording run of `npm run plan` by
// tools/bench.ts: at exit, each process writes its argv, peak memory and the files it loaded from
// node_modules, in load order (require.cache keeps insertion order), to BENCH_PROBE_DIR.
"use strict";
const fs = require("fs");
const path = require("path");
const dir = process.env.BENCH_PROBE_DIR;
if (dir) {
    process.on("exit", () => {
        const modules = Object.keys(require.cache).filter(f => f.includes(`${path.sep}node_modules${path.sep}`) && f !== __filename);
        const record = { argv: process.argv, maxRssKb: process.resourceUsage().maxRSS, modules };
        fs.writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(record));
    });
}
