/**
 * mtls at the gateway, end to end: the real gateway bundle serving TLS, clients presenting
 * certificates made at test time (a root CA, an issuing intermediate the clients send along,
 * a rogue CA). What a trusted certificate lets through and tells the upstream, and every way
 * a certificate is refused.
 */
import { X509Certificate } from "node:crypto";
import { Agent, request } from "undici";
import { Api, Consumer, Credential, OpenApi, Plan, Product, Secret, mtls } from "../../constructs/index";
import { type CertificateAuthority, type Issued, TestPki } from "../helpers/certificates";
import { itemsContract, testPlatform } from "../helpers/declaration";
import { writeFileSync } from "node:fs";
import { type RunningGateway, manifestOf, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

type Json = Record<string, unknown>;

let pki: TestPki;
let serverCa: CertificateAuthority;
let issuing: CertificateAuthority;
let upstream: TestUpstream;
let gateway: RunningGateway;
/** The declaration with mtls, compiled; a second gateway reloads into it. */
let withMtls: Awaited<ReturnType<typeof manifestOf>>;
let serverFiles: string[];
const clients: Record<string, Issued> = {};
const agents: Agent[] = [];

/** An HTTPS client trusting the gateway's certificate, presenting `client` (its certificate and intermediates) if given. */
function agentFor(client?: Issued): Agent {
  const agent = new Agent({ connect: { ca: serverCa.cert, ...(client ? { cert: client.chain, key: client.key } : {}) } });
  agents.push(agent);
  return agent;
}

async function call(agent: Agent, path: string, options: { headers?: Record<string, string>; reset?: boolean } = {}): Promise<{ status: number; body: Json }> {
  const response = await request(`${gateway.url}/items/v1${path}`, { dispatcher: agent, headers: options.headers, reset: options.reset });
  return { status: response.statusCode, body: (await response.body.json()) as Json };
}

beforeAll(async () => {
  pki = new TestPki();
  serverCa = pki.root("Gateway Server CA");
  const server = serverCa.issue({ subject: "/CN=localhost", extendedKeyUsage: "serverAuth", altNames: "IP:127.0.0.1,DNS:localhost" });
  const clientsRoot = pki.root("Clients Root CA");
  issuing = clientsRoot.intermediate("Clients Issuing CA");
  const rogue = pki.root("Rogue CA");
  clients.billing = issuing.issue({ subject: "/O=Acme/CN=billing" });
  clients.shop = issuing.issue({ subject: "/O=Acme/CN=shop" });
  clients.intruder = issuing.issue({ subject: "/O=Acme/CN=intruder" });
  clients.rogue = rogue.issue({ subject: "/O=Acme/CN=billing" });
  clients.expired = issuing.issue({ subject: "/O=Acme/CN=billing", notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
  clients.serverOnly = issuing.issue({ subject: "/O=Acme/CN=billing", extendedKeyUsage: "serverAuth" });
  // Only the root is trusted: clients send the issuing intermediate.
  const bundle = pki.write("clients-ca.pem", clientsRoot.cert);

  upstream = await startUpstream();
  const platform = testPlatform();
  const api = new Api(platform, "items", {
    version: "1.0.0",
    contract: OpenApi.fromDocument(
      itemsContract((doc) => {
        (doc.components as Json).securitySchemes = { ClientCert: { type: "mutualTLS", description: "Partner certificates." } };
        doc.security = [{ ClientCert: [] }];
      }),
    ),
    upstream: { targets: [{ url: upstream.url }] },
    policies: [mtls({ trustedCa: Secret.fromFile(bundle), allowedSubjects: ["CN=billing,O=Acme", "CN=shop,O=Acme"], forwardCertificate: true })],
  });
  const product = new Product(platform, "partners", { apis: [api], plans: [new Plan(platform, "gold")] });
  // Written in RFC 4514 order with a space; the certificate says O=Acme first.
  new Consumer(platform, "billing", { subscriptions: [{ product, plan: "gold" }], credentials: [Credential.mtls({ subject: "CN=billing, O=Acme" })] });
  withMtls = await manifestOf(platform);
  serverFiles = ["--tls-cert", server.certFile, "--tls-key", server.keyFile];
  gateway = await startGateway(withMtls, { tls: true, args: serverFiles });
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  await gateway?.stop();
  await upstream?.close();
  pki?.remove();
});

describe("a trusted client certificate", () => {
  it("goes through; the consumer is identified and the upstream gets the certificate in Client-Cert, not the client's own", async () => {
    const { status, body } = await call(agentFor(clients.billing), "/items", { headers: { "client-cert": ":Zm9yZ2Vk:", "x-request-id": "mtls-valid-1" } });
    expect(status).toBe(200);
    const der = new X509Certificate(clients.billing!.cert).raw.toString("base64");
    expect((body.headers as Json)["client-cert"]).toBe(`:${der}:`);
    const line = await gateway.waitForLog((entry) => entry.msg === "request" && entry.requestId === "mtls-valid-1");
    expect(line).toMatchObject({ status: 200, consumer: "billing", plan: "gold" });
  });

  it("keeps going through on new connections that resume the TLS session (the client's chain is not resent)", async () => {
    const agent = agentFor(clients.billing);
    for (let attempt = 0; attempt < 4; attempt++) expect((await call(agent, "/items", { reset: true })).status).toBe(200);
  });

  it("goes through on one kept-alive connection, request after request", async () => {
    const agent = agentFor(clients.billing);
    for (let attempt = 0; attempt < 3; attempt++) expect((await call(agent, "/items")).status).toBe(200);
  });

  it("of an allowed subject no consumer declares is authenticated without a consumer", async () => {
    const { status } = await call(agentFor(clients.shop), "/items", { headers: { "x-request-id": "mtls-shop-1" } });
    expect(status).toBe(200);
    const line = await gateway.waitForLog((entry) => entry.msg === "request" && entry.requestId === "mtls-shop-1");
    expect(line).toMatchObject({ status: 200, consumer: null });
  });

  it("is not needed on a public operation", async () => {
    expect((await call(agentFor(), "/health")).status).toBe(200);
  });
});

describe("refused", () => {
  it("without a client certificate: 401", async () => {
    const forwarded = upstream.requests.length;
    const { status, body } = await call(agentFor(), "/items");
    expect(status).toBe(401);
    expect(body).toMatchObject({ type: "https://turnpike.dev/problems/unauthorized", status: 401 });
    expect(upstream.requests.length).toBe(forwarded);
  });

  it("with a certificate another CA signed: 401", async () => {
    const { status, body } = await call(agentFor(clients.rogue), "/items");
    expect(status).toBe(401);
    expect(body.detail).toBe("the client certificate is not signed by a trusted certificate authority");
  });

  it("with an expired certificate: 401", async () => {
    const { status, body } = await call(agentFor(clients.expired), "/items");
    expect(status).toBe(401);
    expect(body.detail).toMatch(/has expired/);
  });

  it("with a certificate not meant for client authentication: 401", async () => {
    const { status, body } = await call(agentFor(clients.serverOnly), "/items");
    expect(status).toBe(401);
    expect(body.detail).toMatch(/not meant for client authentication/);
  });

  it("with a trusted certificate whose subject is not allowed: 403", async () => {
    const { status, body } = await call(agentFor(clients.intruder), "/items");
    expect(status).toBe(403);
    expect(body).toMatchObject({ type: "https://turnpike.dev/problems/forbidden", detail: "the client certificate's subject is not allowed to call this API" });
  });
});

describe("a reload that brings the first mtls policy", () => {
  it("turns on certificate requests for new connections of a TLS listener started without any", async () => {
    const plain = testPlatform();
    // The same API, public: no security scheme, no policy.
    const open = itemsContract((doc) => {
      delete doc.security;
      delete (doc.components as Json).securitySchemes;
    });
    const api = new Api(plain, "items", { version: "1.0.0", contract: OpenApi.fromDocument(open), upstream: { targets: [{ url: upstream.url }] } });
    new Product(plain, "partners", { apis: [api], plans: [new Plan(plain, "gold")] });
    const second = await startGateway(plain, { tls: true, args: serverFiles });
    try {
      const before = await request(`${second.url}/items/v1/items`, { dispatcher: agentFor(clients.billing) });
      await before.body.dump();
      expect(before.statusCode).toBe(200);

      writeFileSync(second.manifestFile, withMtls.json);
      await second.waitForLog((line) => line.msg === "manifest reloaded" && line.revision === withMtls.manifest.metadata.revision, 10_000);
      // A new connection: its handshake asks for the certificate, and the mtls policy reads it.
      const after = await request(`${second.url}/items/v1/items`, { dispatcher: agentFor(clients.billing), headers: { "x-request-id": "mtls-after-reload" } });
      await after.body.dump();
      expect(after.statusCode).toBe(200);
      const line = await second.waitForLog((entry) => entry.msg === "request" && entry.requestId === "mtls-after-reload");
      expect(line.consumer).toBe("billing");
      const without = await request(`${second.url}/items/v1/items`, { dispatcher: agentFor() });
      await without.body.dump();
      expect(without.statusCode).toBe(401);
    } finally {
      await second.stop();
    }
  }, 30_000);
});

describe("behind a proxy that terminates TLS (acceptFromTrustedProxy)", () => {
  /** RFC 9440: the DER certificate as an RFC 8941 byte sequence. */
  const byteSequence = (pem: string) => `:${new X509Certificate(pem).raw.toString("base64")}:`;
  /** Each PEM certificate of a bundle as a byte sequence, for Client-Cert-Chain. */
  const chainOf = (bundle: string) => (bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).slice(1).map(byteSequence).join(", ");
  let proxied: RunningGateway;
  let untrusting: RunningGateway;

  const declaration = (trustedProxies: string[]) => {
    const platform = testPlatform({ gateway: { trustedProxies } });
    const contract = itemsContract((doc) => {
      (doc.components as Json).securitySchemes = { ClientCert: { type: "mutualTLS", description: "Partner certificates." } };
      doc.security = [{ ClientCert: [] }];
    });
    const api = new Api(platform, "items", {
      version: "1.0.0",
      contract: OpenApi.fromDocument(contract),
      upstream: { targets: [{ url: upstream.url }] },
      policies: [mtls({ trustedCa: Secret.fromFile(`${pki.dir}/clients-ca.pem`), acceptFromTrustedProxy: true, forwardCertificate: true })],
    });
    const product = new Product(platform, "partners", { apis: [api], plans: [new Plan(platform, "gold")] });
    new Consumer(platform, "billing", { subscriptions: [{ product, plan: "gold" }], credentials: [Credential.mtls({ subject: "CN=billing, O=Acme" })] });
    return platform;
  };

  beforeAll(async () => {
    // Plain HTTP: the proxy in front terminated TLS. The test client is that proxy, on 127.0.0.1.
    [proxied, untrusting] = await Promise.all([startGateway(declaration(["127.0.0.1/32"])), startGateway(declaration(["10.0.0.0/8"]))]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([proxied?.stop(), untrusting?.stop()]);
  });

  const get = async (gateway: RunningGateway, headers: Record<string, string>) => {
    const response = await request(`${gateway.url}/items/v1/items`, { headers });
    return { status: response.statusCode, body: (await response.body.json()) as Json };
  };

  it("accepts a trusted certificate a trusted proxy passes on in Client-Cert, with its chain", async () => {
    const forwarded = upstream.requests.length;
    const { status } = await get(proxied, { "client-cert": byteSequence(clients.billing!.cert), "client-cert-chain": chainOf(clients.billing!.chain), "x-request-id": "mtls-proxied-1" });
    expect(status).toBe(200);
    const line = await proxied.waitForLog((entry) => entry.msg === "request" && entry.requestId === "mtls-proxied-1");
    expect(line.consumer).toBe("billing");
    // The upstream gets the verified certificate, as the gateway writes it.
    expect(upstream.requests[forwarded]!.headers["client-cert"]).toBe(byteSequence(clients.billing!.cert));
  });

  it("verifies it all the same: another CA's certificate, a malformed header and no certificate are refused", async () => {
    expect((await get(proxied, { "client-cert": byteSequence(clients.rogue!.cert) })).body.detail).toBe("the client certificate is not signed by a trusted certificate authority");
    expect((await get(proxied, { "client-cert": ":bm90IGEgY2VydGlmaWNhdGU=:" })).status).toBe(401);
    expect((await get(proxied, { "client-cert": "-----BEGIN CERTIFICATE-----" })).status).toBe(401);
    expect((await get(proxied, {})).status).toBe(401);
  });

  it("ignores the header from a peer that is not a trusted proxy", async () => {
    const { status } = await get(untrusting, { "client-cert": byteSequence(clients.billing!.cert), "client-cert-chain": chainOf(clients.billing!.chain) });
    expect(status).toBe(401);
  });
});
