/**
 * API keys for `turnpike dev`: declared consumers whose key comes from an environment
 * variable get a generated key when the variable is unset, kept in `<out>/dev-keys.json` so
 * the key (and a pasted curl) stays valid across restarts. The control plane's bootstrap admin
 * token (TURNPIKE_ADMIN_TOKEN) is kept there the same way ({@link devAdminToken}). Never used
 * outside dev.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { GatewayConfig } from "../../constructs/index";
import { writeFileAtomic } from "../write-artifacts";

export interface DevKey {
  readonly consumer: string;
  /** The environment variable the declaration reads the key from. */
  readonly variable: string;
  readonly key: string;
  /** Whether the key came from the environment (not generated). */
  readonly fromEnvironment: boolean;
}

/** The variable the gateway reads its bootstrap admin token from, and its entry in dev-keys.json. */
export const ADMIN_TOKEN_VARIABLE = "TURNPIKE_ADMIN_TOKEN";

/** The admin token for dev's control API: TURNPIKE_ADMIN_TOKEN when set, else one generated once and kept in dev-keys.json. */
export function devAdminToken(outputDir: string, environment: NodeJS.ProcessEnv = process.env): DevKey {
  const fromEnvironment = environment[ADMIN_TOKEN_VARIABLE] !== undefined && environment[ADMIN_TOKEN_VARIABLE] !== "";
  if (fromEnvironment) return { consumer: "", variable: ADMIN_TOKEN_VARIABLE, key: environment[ADMIN_TOKEN_VARIABLE]!, fromEnvironment };
  const file = join(outputDir, "dev-keys.json");
  const stored: Record<string, string> = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
  let key = stored[ADMIN_TOKEN_VARIABLE];
  if (key === undefined) {
    key = `tpa_dev_${randomBytes(24).toString("base64url")}`;
    stored[ADMIN_TOKEN_VARIABLE] = key;
    writeFileAtomic(file, `${JSON.stringify(stored, null, 2)}\n`);
  }
  return { consumer: "", variable: ADMIN_TOKEN_VARIABLE, key, fromEnvironment };
}

export function devKeys(manifest: GatewayConfig, outputDir: string, environment: NodeJS.ProcessEnv = process.env): DevKey[] {
  const file = join(outputDir, "dev-keys.json");
  const stored: Record<string, string> = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
  const keys: DevKey[] = [];
  let changed = false;
  for (const consumer of manifest.spec.consumers) {
    for (const credential of consumer.credentials) {
      if (credential.type !== "apiKey" || credential.secret.source !== "env") continue;
      const variable = credential.secret.name;
      const fromEnvironment = environment[variable] !== undefined && environment[variable] !== "";
      let key = environment[variable] ?? "";
      if (!fromEnvironment) {
        key = stored[variable] ?? `tp_dev_${randomBytes(18).toString("base64url")}`;
        changed ||= stored[variable] !== key;
        stored[variable] = key;
      }
      keys.push({ consumer: consumer.name, variable, key, fromEnvironment });
    }
  }
  if (changed) writeFileAtomic(file, `${JSON.stringify(stored, null, 2)}\n`);
  return keys;
}
