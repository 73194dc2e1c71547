/**
 * Bundles the gateway into one file with esbuild: what the image runs and what the
 * integration tests start. `npm run build:gateway` → dist/gateway/gateway.js.
 */
import { build } from "esbuild";
import { readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export const GATEWAY_BUNDLE = join(__dirname, "..", "dist", "gateway", "gateway.js");

export async function buildGateway(outfile = GATEWAY_BUNDLE): Promise<string> {
  // Written beside and renamed: a gateway being started meanwhile never reads half a file.
  const staging = join(dirname(outfile), `.staging-${process.pid}`);
  await build({
    entryPoints: [join(__dirname, "src", "main.ts")],
    outfile: join(staging, basename(outfile)),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: "linked",
    minify: false,
    legalComments: "linked",
    logLevel: "warning",
  });
  // The bundle last, so its map and legal notes are in place when it appears.
  const files = readdirSync(staging).sort((a, b) => Number(a === basename(outfile)) - Number(b === basename(outfile)));
  for (const file of files) renameSync(join(staging, file), join(dirname(outfile), file));
  rmSync(staging, { recursive: true, force: true });
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
