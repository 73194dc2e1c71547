/** Secrets by reference: environment variables, files, and Kubernetes Secrets mounted by the Kubernetes target. */
import { Secret } from "../../constructs/index";
import { type SecretSources, describeSecret, readSecret } from "../../gateway-image/src/identity/secret-reader";

function sources(env: Record<string, string>, files: Record<string, string>, kubernetesSecretsDir?: string): SecretSources {
  return {
    env,
    kubernetesSecretsDir,
    readFile: (path) => {
      if (!(path in files)) throw Object.assign(new Error("missing"), { code: "ENOENT" });
      return files[path]!;
    },
  };
}

describe("readSecret", () => {
  it("reads an environment variable, a file (one trailing newline dropped) and a mounted Kubernetes Secret key", () => {
    const from = sources({ KEY: "k1" }, { "/run/key": "k2\n", "/var/run/secrets/turnpike/shop/key": "k3\n", "/mnt/s/shop/key": "k4" });
    expect(readSecret(Secret.fromEnv("KEY"), from)).toEqual({ value: "k1" });
    expect(readSecret(Secret.fromFile("/run/key"), from)).toEqual({ value: "k2" });
    expect(readSecret(Secret.fromKubernetes("shop", "key"), from)).toEqual({ value: "k3" });
    expect(readSecret(Secret.fromKubernetes("shop", "key"), sources({}, { "/mnt/s/shop/key": "k4" }, "/mnt/s"))).toEqual({ value: "k4" });
    expect(readSecret(Secret.fromFile("/run/key"), from, { keepTrailingNewline: true })).toEqual({ value: "k2\n" });
  });

  it("says why it cannot, naming the reference and never a value", () => {
    const none = sources({ EMPTY: "" }, {});
    expect(readSecret(Secret.fromEnv("EMPTY"), none)).toEqual({ problem: "environment variable EMPTY is not set" });
    expect(readSecret(Secret.fromFile("/nope"), none)).toEqual({ problem: "file /nope cannot be read (ENOENT)" });
    expect(readSecret(Secret.fromKubernetes("shop", "key"), none)).toEqual({
      problem: "Kubernetes Secret shop/key (mounted at /var/run/secrets/turnpike/shop/key by the Kubernetes target) cannot be read (ENOENT)",
    });
    expect(readSecret(Secret.fromAwsSecretsManager("acme/key", "apiKey"), none)).toEqual({ problem: "AWS Secrets Manager secret acme/key is resolved by the AWS target, not by this gateway" });
    expect(describeSecret(Secret.fromKubernetes("shop", "key"))).toBe("Kubernetes Secret shop/key");
  });
});
