/**
 * The mtls policy's runtime pieces in isolation: distinguished names compared canonically,
 * client certificate path validation against real (openssl-made) certificates, and reading
 * the trusted CA bundle from its secret reference.
 */
import { X509Certificate } from "node:crypto";
import { Consumer, Credential, Secret } from "../../constructs/index";
import { ConsumerDirectory } from "../../gateway-image/src/identity/consumer-directory";
import { canonicalCertificateSubject, canonicalDistinguishedName, parseDistinguishedName } from "../../policies/mtls/distinguished-name";
import { loadTrustedCertificates } from "../../policies/mtls/trusted-ca";
import { verifyChain } from "../../policies/mtls/verify-chain";
import { type CertificateAuthority, TestPki } from "../helpers/certificates";
import { compileOk, itemsApi, testPlatform } from "../helpers/declaration";

describe("distinguished names", () => {
  it.each([
    ["O=Acme, CN=billing"],
    ["cn=Billing,o=ACME"],
    ["commonName=billing,organizationName=Acme"],
    ["2.5.4.3=billing,2.5.4.10=Acme"],
    ["CN=  billing ,O=Acme"],
  ])("%s is CN=billing,O=Acme", (name) => {
    expect(canonicalDistinguishedName(name)).toBe(canonicalDistinguishedName("CN=billing,O=Acme"));
  });

  it("reads RFC 4514 escapes and multi-valued RDNs", () => {
    expect(parseDistinguishedName("CN=caf\\C3\\A9+OU=a\\+b,O=Acme\\, Inc.")).toEqual([
      { type: "CN", value: "café" },
      { type: "OU", value: "a+b" },
      { type: "O", value: "Acme, Inc." },
    ]);
    expect(canonicalDistinguishedName("O=Acme\\, Inc.")).not.toBe(canonicalDistinguishedName("O=Acme,O=Inc."));
  });

  it("reads Node's certificate subjects (one RDN a line, RFC 2253 escapes)", () => {
    expect(canonicalCertificateSubject("C=DE\nO=Acme\\, Inc.\nOU=x + CN=bill\\+ing\nemailAddress=a@b.c")).toBe(
      canonicalDistinguishedName("E=a@b.c,CN=bill\\+ing+OU=x,O=Acme\\, Inc.,C=DE"),
    );
  });

  it.each(["billing", "=billing", "CN=billing,", "CN=a\\", "1CN=a"])("%j is not a distinguished name", (name) => {
    expect(canonicalDistinguishedName(name)).toBeNull();
  });
});

describe("client certificate paths", () => {
  let pki: TestPki;
  let root: CertificateAuthority;
  let issuing: CertificateAuthority;
  let anchors: X509Certificate[];
  /**
   * Taken once the CAs exist: a CA is valid from the second it was made, so a time taken
   * before (at module load, on a slow machine) can be before it (seen on CI).
   */
  let now: number;

  beforeAll(() => {
    pki = new TestPki();
    root = pki.root("Root");
    issuing = root.intermediate("Issuing");
    anchors = [new X509Certificate(root.cert)];
    now = Date.now();
  });

  afterAll(() => pki?.remove());

  const certificates = (pem: string) => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block));

  it("are trusted through the intermediate the client sends, with the path's validity window", () => {
    const client = issuing.issue({ subject: "/CN=billing" });
    const [leaf, ...chain] = certificates(client.chain);
    const verdict = verifyChain(leaf!, chain, anchors, now);
    // Compared by fingerprint: jest's deep equality walks X509Certificate's native internals,
    // which throws across realms ("Map.prototype.entries called on incompatible receiver").
    expect(verdict).toMatchObject({ trusted: true });
    if (verdict.trusted) expect(verdict.intermediates.map((certificate) => certificate.fingerprint256)).toEqual([chain[0]!.fingerprint256]);
    // The window is the intersection over the path: the certificates were made seconds apart,
    // so the intermediate may end a second before the leaf.
    const path = [leaf!, chain[0]!, ...anchors];
    if (verdict.trusted) {
      expect(verdict.notAfter).toBe(Math.min(...path.map((certificate) => Date.parse(certificate.validTo))));
      expect(verdict.notBefore).toBe(Math.max(...path.map((certificate) => Date.parse(certificate.validFrom))));
    }
  });

  it("are not trusted without the intermediate, unless the bundle holds it", () => {
    const leaf = new X509Certificate(issuing.issue({ subject: "/CN=billing" }).cert);
    expect(verifyChain(leaf, [], anchors, now)).toEqual({ trusted: false, reason: "the client certificate is not signed by a trusted certificate authority" });
    expect(verifyChain(leaf, [], [new X509Certificate(issuing.cert)], now)).toMatchObject({ trusted: true });
  });

  it("are not trusted when signed by another CA with the same name", () => {
    const impostor = pki.root("Root");
    const leaf = new X509Certificate(impostor.issue({ subject: "/CN=billing" }).cert);
    expect(verifyChain(leaf, [], anchors, now)).toMatchObject({ trusted: false });
  });

  it("are refused outside their validity dates", () => {
    const client = issuing.issue({ subject: "/CN=billing", notBefore: new Date(now + 3_600_000), notAfter: new Date(now + 7_200_000) });
    const [leaf, ...chain] = certificates(client.chain);
    expect(verifyChain(leaf!, chain, anchors, now)).toEqual({ trusted: false, reason: "the client certificate (or a certificate of its chain) is not valid yet" });
    expect(verifyChain(leaf!, chain, anchors, now + 10_800_000)).toMatchObject({ trusted: false, reason: expect.stringMatching(/expired/) });
  });

  it("are refused when the certificate is for servers only", () => {
    const [leaf, ...chain] = certificates(issuing.issue({ subject: "/CN=billing", extendedKeyUsage: "serverAuth" }).chain);
    expect(verifyChain(leaf!, chain, anchors, now)).toMatchObject({ trusted: false, reason: expect.stringMatching(/client authentication/) });
  });
});

describe("the trusted CA bundle", () => {
  let pki: TestPki;
  let bundle: string;

  beforeAll(() => {
    pki = new TestPki();
    bundle = pki.root("One").cert + pki.root("Two").cert;
  });

  afterAll(() => pki?.remove());

  const sources = (env: Record<string, string>, files: Record<string, string> = {}) => ({
    env,
    readFile: (path: string) => {
      if (!(path in files)) throw Object.assign(new Error("missing"), { code: "ENOENT" });
      return files[path]!;
    },
  });

  it("is read from an environment variable or a file", () => {
    expect(loadTrustedCertificates(Secret.fromEnv("CA"), sources({ CA: bundle }))).toHaveLength(2);
    expect(loadTrustedCertificates(Secret.fromFile("/ca.pem"), sources({}, { "/ca.pem": bundle }))).toHaveLength(2);
  });

  it.each([
    [Secret.fromEnv("CA"), sources({}), "trustedCa: environment variable CA is not set"],
    [Secret.fromFile("/ca.pem"), sources({}), "trustedCa: file /ca.pem cannot be read (ENOENT)"],
    [Secret.fromEnv("CA"), sources({ CA: "not a certificate" }), "trustedCa (environment variable CA) holds no PEM certificate"],
    [Secret.fromKubernetes("tls", "ca.pem"), sources({}), "trustedCa: Kubernetes Secret tls/ca.pem (mounted at /var/run/secrets/turnpike/tls/ca.pem by the Kubernetes target) cannot be read (ENOENT)"],
  ])("cannot be used: %j", (ref, secretSources, message) => {
    expect(() => loadTrustedCertificates(ref, secretSources)).toThrow(message);
  });
});

describe("consumers by certificate subject", () => {
  it("are found by the canonical subject, whatever the order and spacing they were declared in", async () => {
    const platform = testPlatform();
    itemsApi(platform);
    new Consumer(platform, "billing", { credentials: [Credential.mtls({ subject: "CN=billing, O=Acme" })] });
    new Consumer(platform, "broken", { credentials: [Credential.mtls({ subject: "billing" })] });
    const directory = new ConsumerDirectory(await compileOk(platform), { env: {}, readFile: () => "" });
    expect(directory.findByCertificateSubject(canonicalCertificateSubject("O=Acme\nCN=billing")!)?.name).toBe("billing");
    expect(directory.warnings).toEqual([{ consumer: "broken", message: 'mTLS subject "billing" is not a distinguished name (e.g. CN=billing,O=Acme); not loaded' }]);
  });
});
