/**
 * Bundles the gateway into one file with esbuild: what the image runs and what the
 * integration tests start. `npm run build:gateway` → dist/gateway/gateway.js.
 *
 * The control store's database drivers stay out of the bundle ({@link EXTERNAL_PACKAGES}):
 * better-sqlite3 is a native addon (a .node file esbuild cannot inline) and pg is only needed
 * for PostgreSQL. The gateway requires them only when `--control-store` names a store of their
 * kind, so the bundle still runs alone without one; the image ships them beside it (Dockerfile).
 */
import { build } from "esbuild";
import { readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export const GATEWAY_BUNDLE = join(__dirname, "..", "dist", "gateway", "gateway.js");

/** Packages required at run time from node_modules beside the bundle, not bundled. */
export const EXTERNAL_PACKAGES = ["better-sqlite3", "pg", "pg-native"] as const;

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
    external: [...EXTERNAL_PACKAGES],
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
