/** Loads the declaration module and returns its Platform. */
import { join, relative, resolve, sep } from "node:path";
import { Platform } from "../constructs/index";
import { type Project, UsageError } from "./project";

/**
 * Requires the app module from the project root (contract paths are relative to it) and
 * returns the Platform it exports by default, directly or from a (possibly async) function.
 */
export async function loadPlatform(project: Project): Promise<Platform> {
  const previous = process.cwd();
  process.chdir(project.root);
  try {
    let exported: unknown;
    try {
      exported = require(project.app);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" && (error as Error).message.includes(project.app)) {
        throw new UsageError(`the app module ${relative(project.root, project.app)} does not exist (set "app" in turnpike.json)`);
      }
      throw new DeclarationError(error as Error);
    }
    const module = exported as { default?: unknown; platform?: unknown };
    const candidate = module.default ?? module.platform ?? exported;
    let value: unknown = candidate;
    if (typeof candidate === "function" && !(candidate.prototype instanceof Platform)) {
      try {
        value = await (candidate as () => unknown)();
      } catch (error) {
        throw new DeclarationError(error as Error);
      }
    }
    if (!(value instanceof Platform)) {
      throw new UsageError(`${relative(project.root, project.app)} must export default a Platform, or a function returning one`);
    }
    return value;
  } finally {
    process.chdir(previous);
  }
}

/** Turnpike's own code: frames in it are not where the user's declaration went wrong. */
const TURNPIKE_DIRS = ["constructs", "policies", "cli"].map((dir) => join(resolve(__dirname, ".."), dir) + sep);

/**
 * The declaration code itself threw (e.g. two constructs with one id in the same scope,
 * which the constructs library refuses at once). Printed with the line of the declaration.
 */
export class DeclarationError extends Error {
  constructor(readonly original: Error) {
    super(original.message);
  }

  /** The first stack frame in the user's code (not in node_modules or Turnpike itself), relative to `root`. */
  location(root: string): string | undefined {
    for (const line of (this.original.stack ?? "").split("\n").slice(1)) {
      const match = /\(?((?:\/|[A-Za-z]:\\)[^():]+):(\d+):(\d+)\)?$/.exec(line.trim());
      if (!match) continue;
      const file = match[1]!;
      if (file.includes(`${sep}node_modules${sep}`) || TURNPIKE_DIRS.some((dir) => file.startsWith(dir))) continue;
      return `${relative(root, file)}:${match[2]}:${match[3]}`;
    }
    return undefined;
  }
}
