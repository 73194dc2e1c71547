/**
 * mtls (policies/mtls/schema.ts): client certificates signed by a trusted CA referenced as a
 * secret, the contract's mutualTLS schemes it implements, and the compile errors a user sees.
 */
import { OpenApi, Plan, type PolicyDeclaration, Secret, apiKey, mtls } from "../../constructs/index";
import { chainOf, compileErrors, compileOk, itemsApi, itemsContract, testPlatform, withCode } from "../helpers/declaration";
import { invalidPolicy, policyEntries, policyErrors } from "../helpers/policy";

type Json = Record<string, unknown>;

/** The items contract requiring a client certificate (ClientCert, mutualTLS) instead of the API key. */
const mtlsContract = () =>
  OpenApi.fromDocument(
    itemsContract((doc) => {
      (doc.components as Json).securitySchemes = { ClientCert: { type: "mutualTLS", description: "Partner certificates." } };
      doc.security = [{ ClientCert: [] }];
    }),
  );

const ca = Secret.fromFile("/etc/turnpike/clients-ca.pem");

/** The resolved mtls configuration on listItems, on the mutualTLS contract. */
const mtlsConfig = async (policies: PolicyDeclaration[]) => (await policyEntries("mtls", policies, { contract: mtlsContract() }))[0]?.config;

/** The mtls policy under test is declared alone, on the mutualTLS contract: errors point at policies[0]. */
const mtlsErrors = (policies: PolicyDeclaration[]) => policyErrors(policies, { contract: mtlsContract(), prependApiKey: false });
const invalid = (field: string | undefined, message: RegExp, more?: Json) => invalidPolicy(field, message, more, "acme/items/policies[0]");

describe("mtls", () => {
  describe("valid options", () => {
    it("fills in every default and implements the contract's mutualTLS scheme", async () => {
      expect(await mtlsConfig([mtls({ trustedCa: ca })])).toEqual({
        trustedCa: { source: "file", path: "/etc/turnpike/clients-ca.pem" },
        allowedSubjects: [],
        forwardCertificate: false,
        acceptFromTrustedProxy: false,
        securitySchemes: ["ClientCert"],
      });
    });

    it("resolves every option as written, de-duplicating and sorting the allowed subjects", async () => {
      expect(await mtlsConfig([mtls({ trustedCa: ca, allowedSubjects: ["CN=orders,O=Acme", "CN=billing,O=Acme", "CN=orders,O=Acme"], forwardCertificate: true, acceptFromTrustedProxy: true })])).toEqual({
        trustedCa: { source: "file", path: "/etc/turnpike/clients-ca.pem" },
        allowedSubjects: ["CN=billing,O=Acme", "CN=orders,O=Acme"],
        forwardCertificate: true,
        acceptFromTrustedProxy: true,
        securitySchemes: ["ClientCert"],
      });
    });

    it.each([
      ["an environment variable", Secret.fromEnv("CLIENTS_CA"), { source: "env", name: "CLIENTS_CA" }],
      ["a Kubernetes Secret", Secret.fromKubernetes("gateway-tls", "ca.pem"), { source: "kubernetes", name: "gateway-tls", key: "ca.pem" }],
      ["AWS Secrets Manager", Secret.fromAwsSecretsManager("prod/gateway/ca"), { source: "aws-secrets-manager", secretId: "prod/gateway/ca", jsonKey: null }],
    ])("takes the CA bundle from %s", async (_, trustedCa, resolved) => {
      expect(await mtlsConfig([mtls({ trustedCa })])).toMatchObject({ trustedCa: resolved });
    });

    it("implements no scheme of a contract without mutualTLS, so it leaves chains that require another scheme", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { policies: [apiKey(), mtls({ trustedCa: ca })] });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "getItem").map((entry) => entry.policy)).toEqual(["apiKey"]);
    });

    it("runs before the other authentication policies in the access phase", async () => {
      const platform = testPlatform();
      const contract = OpenApi.fromDocument(
        itemsContract((doc) => {
          (doc.components as { securitySchemes: Json }).securitySchemes.ClientCert = { type: "mutualTLS" };
          doc.security = [{ ClientCert: [], ApiKeyAuth: [] }];
        }),
      );
      itemsApi(platform, "items", { contract, policies: [apiKey(), mtls({ trustedCa: ca })] });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "getItem").map((entry) => entry.policy)).toEqual(["mtls", "apiKey"]);
    });
  });

  describe("invalid options", () => {
    it("refuses a CA bundle written inline, without echoing it back", async () => {
      // @ts-expect-error a secret is a reference, not its value
      const errors = await mtlsErrors([mtls({ trustedCa: "-----BEGIN CERTIFICATE-----\nMIIB..." })]);
      expect(errors).toEqual([
        invalid("trustedCa", /^mtls: a secret must be referenced, not written inline: the declaration is committed to git\. Use Secret\.fromEnv\("NAME"\) or Secret\.fromFile\(path\)$/, {
          expected: "object",
          received: "a string (not shown: it may be a secret)",
        }),
      ]);
    });

    it("refuses a missing CA and a malformed secret reference", async () => {
      // @ts-expect-error trustedCa is required
      const missing = await mtlsErrors([mtls({})]);
      expect(missing).toEqual([invalid("trustedCa", /expected object, received undefined/, { expected: "object", received: "nothing" })]);
      expect(await mtlsErrors([mtls({ trustedCa: Secret.fromEnv("1_CA") })])).toEqual([
        invalid("trustedCa.name", /an environment variable name is letters, digits and _, not starting with a digit/, { received: "a string (not shown: it may be a secret)" }),
      ]);
    });

    it("rejects empty subjects and wrong types", async () => {
      // @ts-expect-error forwardCertificate is a boolean
      const errors = await mtlsErrors([mtls({ trustedCa: ca, allowedSubjects: [""], forwardCertificate: "yes" })]);
      expect(errors).toEqual([
        invalid("allowedSubjects[0]", /Too small/, { expected: ">= 1 character(s)", received: '""' }),
        invalid("forwardCertificate", /expected boolean, received string/, { expected: "boolean", received: '"yes"' }),
      ]);
    });

    it("rejects an unknown property with a did-you-mean fix", async () => {
      // @ts-expect-error typo of allowedSubjects
      const errors = await mtlsErrors([mtls({ trustedCa: ca, allowedSubject: ["CN=billing"] })]);
      expect(errors).toEqual([
        invalid("allowedSubject", /^mtls: unknown property "allowedSubject"$/, {
          expected: 'one of "trustedCa", "allowedSubjects", "forwardCertificate" and "acceptFromTrustedProxy"',
          fix: 'did you mean "allowedSubjects"?',
        }),
      ]);
    });
  });

  describe("levels", () => {
    it("attaches to the platform", async () => {
      const platform = testPlatform({ policies: [mtls({ trustedCa: ca })] });
      itemsApi(platform, "items", { contract: mtlsContract(), policies: [] });
      const manifest = await compileOk(platform);
      expect(chainOf(manifest, "items-v1", "deleteItem").map((entry) => [entry.id, entry.level, entry.phases])).toEqual([["platform/mtls", "platform", ["access"]]]);
    });

    it("cannot be attached to a plan", async () => {
      const platform = testPlatform();
      new Plan(platform, "free", { policies: [mtls({ trustedCa: ca })] });
      itemsApi(platform);
      const [error, ...rest] = withCode(await compileErrors(platform), "policy-not-attachable");
      expect(rest).toEqual([]);
      expect(error).toMatchObject({ path: "acme/free/policies[0]", message: "mtls cannot be attached to a plan", expected: "attached to platform, api and operation" });
    });
  });
});
