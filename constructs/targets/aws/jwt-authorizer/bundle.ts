/**
 * The JWT authorizer's code as one CommonJS file, bundled from ./handler.ts with esbuild when
 * the deployment is declared (jose included, nothing else), for a Lambda `AssetArchive`.
 */
import { join } from "node:path";
import { buildSync } from "esbuild";

/** Lambda runtime the bundle targets. */
export const JWT_AUTHORIZER_RUNTIME = "nodejs20.x";

let cached: string | undefined;

/** The bundle's source (`exports.handler`); built once per process. Deterministic: no source map, no timestamps. */
export function jwtAuthorizerBundle(): string {
  if (cached !== undefined) return cached;
  const result = buildSync({
    entryPoints: [join(__dirname, "handler.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: false,
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  cached = result.outputFiles[0]!.text;
  return cached;
}
