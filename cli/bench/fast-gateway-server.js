"use strict";
// fast-gateway as a benchmark contender, in its default configuration: one process, one route.
// `node fast-gateway-server.js <upstream URL> <port>`; prints one JSON line when listening.
const [upstreamUrl, port] = process.argv.slice(2);
if (!upstreamUrl || !port) {
  process.stderr.write("usage: node fast-gateway-server.js <upstream URL> <port>\n");
  process.exit(2);
}
require("fast-gateway")({ routes: [{ prefix: "/bench", target: upstreamUrl }] })
  .start(Number(port), "127.0.0.1")
  .then(
    () => process.stdout.write(`${JSON.stringify({ msg: "fast-gateway listening", port: Number(port) })}\n`),
    (error) => {
      process.stderr.write(`${error.stack || error}\n`);
      process.exit(1);
    },
  );
process.once("SIGTERM", () => process.exit(0));
