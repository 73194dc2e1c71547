/**
 * Reads a secret the declaration references (never contains): an environment variable, a
 * file, or a key of a Kubernetes Secret. The Kubernetes target mounts every Secret the
 * manifest references as a volume at `<secrets dir>/<secret name>/<key>` (see
 * KUBERNETES_SECRETS_DIR), so in a cluster a `Secret.fromKubernetes(name, key)` is a file
 * read like any other; outside one there is nothing there and the reader says so.
 * AWS Secrets Manager references are resolved by the AWS target, not by this gateway.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KUBERNETES_SECRETS_MOUNT_DIR, type SecretRef } from "../../../constructs/secret";

/** Where the Kubernetes target mounts referenced Secrets (one directory per Secret, a file per key). */
export const KUBERNETES_SECRETS_DIR = KUBERNETES_SECRETS_MOUNT_DIR;

/** Where secrets come from; tests pass their own. */
export interface SecretSources {
  readonly env: NodeJS.ProcessEnv;
  readFile(path: string): string;
  /** Where mounted Kubernetes Secrets are. @default KUBERNETES_SECRETS_DIR, or TURNPIKE_KUBERNETES_SECRETS_DIR */
  readonly kubernetesSecretsDir?: string;
}

export const processSecretSources: SecretSources = {
  env: process.env,
  readFile: (path) => readFileSync(path, "utf8"),
  kubernetesSecretsDir: process.env.TURNPIKE_KUBERNETES_SECRETS_DIR || KUBERNETES_SECRETS_DIR,
};

/** A secret's value, or why it could not be read (never the value of anything). */
export type SecretResult = { readonly value: string } | { readonly problem: string };

/**
 * Reads a secret; never throws. A file's one trailing newline is dropped (`echo key > file`)
 * unless `keepTrailingNewline` (a PEM bundle keeps its text as is).
 */
export function readSecret(secret: SecretRef, sources: SecretSources, options: { keepTrailingNewline?: boolean } = {}): SecretResult {
  const fromFile = (path: string, what: string): SecretResult => {
    try {
      const text = sources.readFile(path);
      return { value: options.keepTrailingNewline ? text : text.replace(/\r?\n$/, "") };
    } catch (error) {
      return { problem: `${what} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})` };
    }
  };
  switch (secret.source) {
    case "env": {
      const value = sources.env[secret.name];
      return value === undefined || value === "" ? { problem: `environment variable ${secret.name} is not set` } : { value };
    }
    case "file":
      return fromFile(secret.path, `file ${secret.path}`);
    case "kubernetes": {
      const path = join(sources.kubernetesSecretsDir ?? KUBERNETES_SECRETS_DIR, secret.name, secret.key);
      return fromFile(path, `Kubernetes Secret ${secret.name}/${secret.key} (mounted at ${path} by the Kubernetes target)`);
    }
    case "aws-secrets-manager":
      return { problem: `AWS Secrets Manager secret ${secret.secretId} is resolved by the AWS target, not by this gateway` };
  }
}

/** What a reference points to, for messages (never the value). */
export function describeSecret(secret: SecretRef): string {
  switch (secret.source) {
    case "env":
      return `environment variable ${secret.name}`;
    case "file":
      return `file ${secret.path}`;
    case "kubernetes":
      return `Kubernetes Secret ${secret.name}/${secret.key}`;
    case "aws-secrets-manager":
      return `AWS Secrets Manager ${secret.secretId}`;
  }
}
