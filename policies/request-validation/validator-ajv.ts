/**
 * The Ajv instance a requestValidation handler compiles with: JSON Schema 2020-12 (OpenAPI
 * 3.1's dialect; 3.0 schemas are translated into it by contract-schemas.ts), OpenAPI's
 * formats added. Ajv never coerces: string parameters are converted by coercion.ts, strictly.
 */
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";

/** What Ajv may tell while compiling (unknown formats and keywords), not worth a warning each. */
export type AjvLog = (message: string) => void;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface AjvVariant {
  /**
   * Collect every error rather than stop at the first. Each error is an object: over a large
   * hostile body (a million wrong array items) that is a lot of memory, so bodies are first
   * validated without it.
   */
  readonly allErrors: boolean;
  /**
   * Compile `pattern`s without the `u` flag. JSON Schema intends unicode patterns, but some
   * that are common in contracts (`[\w-.]`) are only valid as legacy regular expressions: the
   * fallback for schemas the unicode variant rejects.
   */
  readonly legacyPatterns: boolean;
}

/** Ajv instances by variant, created on first use and shared by all of a handler's schemas. */
export type AjvProvider = (variant: AjvVariant) => Ajv2020;

export function ajvProvider(log: AjvLog): AjvProvider {
  const instances = new Map<string, Ajv2020>();
  return (variant) => {
    const key = `${variant.allErrors}/${variant.legacyPatterns}`;
    let ajv = instances.get(key);
    if (ajv === undefined) {
      ajv = createValidatorAjv(log, variant);
      instances.set(key, ajv);
    }
    return ajv;
  };
}

export function createValidatorAjv(log: AjvLog, variant: AjvVariant): Ajv2020 {
  const ajv = new Ajv2020({
    unicodeRegExp: !variant.legacyPatterns,
    // OpenAPI keywords (example, xml, discriminator, externalDocs, x-…) are not JSON Schema:
    // ignored, not fatal. An unknown format is ignored too (and told to `log`).
    strict: false,
    allErrors: variant.allErrors,
    // Reported messages never carry the data, only the schema's constraint.
    messages: true,
    logger: { log, warn: log, error: log },
  });
  addFormats(ajv);
  // OpenAPI's own formats (https://spec.openapis.org/registry/format/).
  ajv.addFormat("int32", { type: "number", validate: (value: number) => Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX });
  ajv.addFormat("int64", { type: "number", validate: (value: number) => Number.isInteger(value) });
  ajv.addFormat("float", { type: "number", validate: () => true });
  ajv.addFormat("double", { type: "number", validate: () => true });
  ajv.addFormat("byte", BASE64);
  ajv.addFormat("binary", true);
  ajv.addFormat("password", true);
  return ajv;
}
