/**
 * References to secrets kept outside the declaration. A declaration is committed to git, so it
 * names where a secret lives (an environment variable, a file, a Kubernetes Secret, AWS
 * Secrets Manager), never the secret itself.
 */
import { z } from "zod";

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name is letters, digits and _, not starting with a digit");
const kubernetesName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "a Kubernetes object name is lower-case letters, digits, - and .")
  .max(253);

export const secretRefSchema = z.discriminatedUnion(
  "source",
  [
    z.strictObject({ source: z.literal("env"), name: envName }),
    z.strictObject({ source: z.literal("file"), path: z.string().min(1) }),
    z.strictObject({ source: z.literal("kubernetes"), name: kubernetesName, key: z.string().min(1) }),
    z.strictObject({ source: z.literal("aws-secrets-manager"), secretId: z.string().min(1), jsonKey: z.string().min(1).nullable() }),
  ],
  {
    error: (issue) =>
      typeof issue.input === "string"
        ? "a secret must be referenced, not written inline: the declaration is committed to git. Use Secret.fromEnv(\"NAME\") or Secret.fromFile(path)"
        : undefined,
  },
);

/** Where a secret lives. Create one with the {@link Secret} factories. */
export type SecretRef = z.output<typeof secretRefSchema>;

/**
 * Where the Kubernetes target mounts every Secret the manifest references, and where the
 * gateway reads `Secret.fromKubernetes(name, key)`: `<dir>/<name>/<key>`. Not under the
 * manifest's /etc/turnpike: a mount point cannot be made inside a read-only ConfigMap volume.
 */
export const KUBERNETES_SECRETS_MOUNT_DIR = "/var/run/secrets/turnpike";

/** Factories for {@link SecretRef}s. */
export class Secret {
  /** The value of an environment variable of the gateway process (or of `npm start`). */
  static fromEnv(name: string): SecretRef {
    return { source: "env", name };
  }

  /** The contents of a file readable by the gateway process (trailing newline removed). */
  static fromFile(path: string): SecretRef {
    return { source: "file", path };
  }

  /**
   * A key of a Kubernetes Secret in the gateway's namespace. The Kubernetes target mounts it
   * read-only into the gateway's pods at `/var/run/secrets/turnpike/<name>/<key>`, where the
   * gateway reads it (`TURNPIKE_KUBERNETES_SECRETS_DIR` moves that directory elsewhere).
   */
  static fromKubernetes(name: string, key: string): SecretRef {
    return { source: "kubernetes", name, key };
  }

  /** An AWS Secrets Manager secret, or one key of it when the secret is a JSON object. */
  static fromAwsSecretsManager(secretId: string, jsonKey?: string): SecretRef {
    return { source: "aws-secrets-manager", secretId, jsonKey: jsonKey ?? null };
  }
}
