/**
 * Bundles the gateway into one file with esbuild: what the image runs and what the
 * integration tests start. `npm run build:gateway` → dist/gateway/gateway.js.
 */
import { build } from "esbuild";
import { join } from "node:path";

export const GATEWAY_BUNDLE = join(__dirname, "..", "dist", "gateway", "gateway.js");

export async function buildGateway(outfile = GATEWAY_BUNDLE): Promise<string> {
  await build({
    entryPoints: [join(__dirname, "src", "main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: "linked",
    minify: false,
    legalComments: "linked",
    logLevel: "warning",
  });
  return outfile;
}

if (require.main === module) {
  buildGateway().then(
    (file) => process.stdout.write(`wrote ${file}\n`),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
