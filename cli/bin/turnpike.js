#!/usr/bin/env node
"use strict";
// The turnpike command. Declarations are TypeScript, so TypeScript is loaded on the fly
// (tsx, esbuild underneath): no build step between editing stacks/ and running turnpike.
require("tsx/cjs/api").register();
require("../main.ts")
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
