/** The project turnpike runs in: its root (where turnpike.json is) and settings. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";

export const PROJECT_FILE = "turnpike.json";

const projectSchema = z.strictObject({
  /** Module whose default export is a Platform, or a function returning one. */
  app: z.string().min(1),
  /** Directory synthesized artifacts are written to. */
  output: z.string().min(1).default("dist"),
});

export interface Project {
  readonly root: string;
  readonly app: string;
  readonly output: string;
}

/** Finds turnpike.json from `from` upwards; options given on the command line win. */
export function loadProject(from: string, overrides: { app?: string; output?: string } = {}): Project {
  let dir = resolve(from);
  while (!existsSync(join(dir, PROJECT_FILE)) && dirname(dir) !== dir) dir = dirname(dir);
  const file = join(dir, PROJECT_FILE);
  if (!existsSync(file)) {
    if (overrides.app === undefined) {
      throw new UsageError(`no ${PROJECT_FILE} found in ${resolve(from)} or above; create one with {"app": "stacks/platform.ts"} or pass --app`);
    }
    const root = resolve(from);
    return { root, app: resolve(root, overrides.app), output: resolve(root, overrides.output ?? "dist") };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = projectSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(`${file}: ${parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ")}`);
  }
  return {
    root: dir,
    app: resolve(dir, overrides.app ?? parsed.data.app),
    output: resolve(dir, overrides.output ?? parsed.data.output),
  };
}

/** A problem with how turnpike was invoked: printed without a stack trace. */
export class UsageError extends Error {}
