// The fair floor of `plan`: a plain node process that requires exactly the node_modules files a
// recorded `plan` loaded, in the order it loaded them, and does nothing else.
"use strict";
const list = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
for (const file of list) require(file);
