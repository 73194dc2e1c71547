/** A reference to an API's OpenAPI contract (3.0 or 3.1, YAML or JSON, `$ref`s across files). */
import { resolve } from "node:path";

export class OpenApi {
  /**
   * A contract file. A relative path is resolved against the current working directory
   * when called (the project root when run through `turnpike`).
   */
  static fromFile(path: string): OpenApi {
    return new OpenApi(resolve(path), undefined);
  }

  /** A contract given as an object, e.g. generated in code. Its `$ref`s must be internal. */
  static fromDocument(document: Record<string, unknown>): OpenApi {
    return new OpenApi(undefined, structuredClone(document));
  }

  private constructor(
    /** Absolute path of the root file, for file contracts. */
    readonly file: string | undefined,
    /** The document, for inline contracts. */
    readonly document: Record<string, unknown> | undefined,
  ) {}

  toString(): string {
    return this.file ?? "inline OpenAPI document";
  }
}
