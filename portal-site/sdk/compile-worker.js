/* The SDK generator's compile step, in a worker thread: openapi-typescript writes each
   contract's types, TypeScript compiles each client's index.ts to index.js and index.d.ts.
   A worker because both are large, CPU-bound and only needed here: the main thread never loads
   them, and they run under Node's own module loader (openapi-typescript needs require() of an
   ES module, parse-json, which test runners with their own module system cannot do).
   Input (workerData): [{ id, document, source }]; output: [{ id, schema, js, dts }] or
   { error } with the first failure. Plain JavaScript: a worker is not run through tsx. */
"use strict";
const { parentPort, workerData } = require("node:worker_threads");

async function compile(jobs) {
  const openapiTypescript = require("openapi-typescript");
  const ts = require("typescript");
  const openapiTS = openapiTypescript.default || openapiTypescript;
  const compilerOptions = { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 };
  const results = [];
  for (const job of jobs) {
    const ast = await openapiTS(job.document, { silent: true });
    const schema = openapiTypescript.astToString(ast);
    const js = ts.transpileModule(job.source, { compilerOptions, fileName: "index.ts", reportDiagnostics: true });
    // isolatedDeclarations: every export of index.ts has an explicit type, so no checker is needed.
    const dts = ts.transpileDeclaration(job.source, { compilerOptions: { ...compilerOptions, declaration: true, isolatedDeclarations: true }, fileName: "index.ts", reportDiagnostics: true });
    const problems = [...(js.diagnostics || []), ...(dts.diagnostics || [])].map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    if (problems.length > 0) throw new Error(`the generated client of ${job.id} does not compile: ${problems.join("; ")}`);
    results.push({ id: job.id, schema, js: js.outputText, dts: dts.outputText });
  }
  return results;
}

compile(workerData).then(
  (results) => parentPort.postMessage({ results }),
  (error) => parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) }),
);
