/**
 * Bundles the gateway into one file with esbuild: what the image runs and what the
 * integration tests start. `npm run build:gateway` → dist/gateway/gateway.js.
 *
 * The control store's database drivers stay out of the bundle ({@link EXTERNAL_PACKAGES}):
 * better-sqlite3 is a native addon (a .node file esbuild cannot inline) and pg is only needed
 * for PostgreSQL. The gateway requires them only when `--control-store` names a store of their
 * kind, so the bundle still runs alone without one; the image ships them beside it (Dockerfile).
 */
import { build, transformSync } from "esbuild";
import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export const GATEWAY_BUNDLE = join(__dirname, "..", "dist", "gateway", "gateway.js");

/**
 * How the image runs the bundle (the Dockerfile's ENTRYPOINT; the benchmarks run it so too):
 * stack traces name the TypeScript sources through the bundle's source map.
 */
export const GATEWAY_NODE_FLAGS = ["--enable-source-maps"] as const;

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
    // Positions only: with the sources' text (6.8 MB of map), each process under
    // --enable-source-maps held ~25 MB more heap (BENCHMARKS.md); the text is in the repository.
    sourcesContent: false,
    minify: false,
    legalComments: "linked",
    external: [...EXTERNAL_PACKAGES],
    logLevel: "warning",
  });
  const bundle = join(staging, basename(outfile));
  writeFileSync(bundle, asciiText(readFileSync(bundle, "utf8")));
  // The bundle last, so its map and legal notes are in place when it appears.
  const files = readdirSync(staging).sort((a, b) => Number(a === basename(outfile)) - Number(b === basename(outfile)));
  for (const file of files) renameSync(join(staging, file), join(dirname(outfile), file));
  rmSync(staging, { recursive: true, force: true });
  return outfile;
}

/**
 * The bundle with its non-ASCII characters written as `\u{…}`. esbuild escapes them in code
 * (its default charset) but copies the comments it keeps as they are, and a few (undici's
 * "response’s", a "§") made V8 hold the whole source as a two-byte string: 7.5 MB in each
 * process instead of 3.8. Checked, not assumed: with the comments dropped, the code must be
 * the same before and after (in a comment or a string literal the escape changes nothing; in a
 * regular expression without the u flag it would, and the build fails instead).
 */
export function asciiText(code: string): string {
  if (!/[^\x00-\x7f]/.test(code)) return code;
  const escaped = code.replace(/[^\x00-\x7f]/gu, (char) => `\\u{${char.codePointAt(0)!.toString(16)}}`);
  const withoutComments = (text: string) => transformSync(text, { loader: "js", minifyWhitespace: true, legalComments: "none", charset: "ascii" }).code;
  if (withoutComments(escaped) !== withoutComments(code)) throw new Error("escaping the non-ASCII characters of the bundle would change its code (one is in a regular expression or a template's raw text?)");
  return escaped;
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
