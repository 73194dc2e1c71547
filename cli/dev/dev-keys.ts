/**
 * API keys for `turnpike dev`: declared consumers whose key comes from an environment
 * variable get a generated key when the variable is unset, kept in `<out>/dev-keys.json` so
 * the key (and a pasted curl) stays valid across restarts. Never used outside dev.
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
