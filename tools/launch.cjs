// The project's TypeScript launcher (`node --require ./tools/launch.cjs <file.ts>`: npm scripts
// and mocha). It is tsx's CommonJS hook (tsx/cjs: esbuild, with tsx's compile cache) limited to
// the project's own files. tsx hooks every `require` and every `.js` file it loads, and lexes
// each `.js` file with es-module-lexer to find ES module syntax (tsx 4.23.15
// dist/register-*.cjs, its Module._extensions[".js"] and Module._resolveFilename hooks) — for
// the ~1,100 dependency files a run loads, ~0.4 s of a plan, and only to hand them back to
// Node's own loader, which on Node 24 loads CommonJS and (require(esm)) ES modules itself.
// So files under node_modules, and the requires they make, go straight to Node's loader;
// everything else goes through tsx as before.
"use strict";
const Module = require("module");
const path = require("path");

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
const nodeJs = Module._extensions[".js"];
const nodeResolve = Module._resolveFilename;

require("tsx/cjs");

const tsxJs = Module._extensions[".js"];
const tsxResolve = Module._resolveFilename;

Module._extensions[".js"] = function (module, filename) {
    return (filename.includes(NODE_MODULES) ? nodeJs : tsxJs).call(this, module, filename);
};
Module._resolveFilename = function (request, parent, ...rest) {
    const fromDependency = parent && typeof parent.filename === "string" && parent.filename.includes(NODE_MODULES);
    return (fromDependency ? nodeResolve : tsxResolve).call(this, request, parent, ...rest);
};
