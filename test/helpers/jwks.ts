/**
 * A real identity provider for jwt tests: signing keys, a JWKS endpoint over HTTP whose keys
 * can be rotated or which can be made to fail, and tokens minted with jose.
 */
import { randomUUID } from "node:crypto";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, type JWK, type JWTPayload, SignJWT, exportJWK, generateKeyPair } from "jose";

export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  /** The public key as published in the JWKS. */
  readonly jwk: JWK;
}

/** A new key pair for `alg` (RS256, ES256, ...), published with `kid`. */
export async function signingKey(alg = "RS256", kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, jwk };
}

export interface JwksServer {
  /** The JWKS endpoint. */
  readonly url: string;
  /** When each fetch arrived (epoch ms), failed ones included. */
  readonly fetches: number[];
  /** Publishes these keys from now on (a rotation). */
  publish(keys: readonly SigningKey[]): void;
  /** While false, the endpoint answers 503. */
  setAvailable(available: boolean): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: readonly SigningKey[]): Promise<JwksServer> {
  let published = keys.map((key) => key.jwk);
  let available = true;
  const fetches: number[] = [];
  const server: Server = createServer((req, res) => {
    fetches.push(Date.now());
    if (req.url !== "/.well-known/jwks.json") {
      res.writeHead(404).end();
      return;
    }
    if (!available) {
      res.writeHead(503, { "content-type": "text/plain" }).end("down for maintenance");
      return;
    }
    res.writeHead(200, { "content-type": "application/jwk-set+json" }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches,
    publish: (next) => {
      published = next.map((key) => key.jwk);
    },
    setAvailable: (next) => {
      available = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface MintOptions {
  /** Claims; `iat` and `exp` (in 5 minutes) are added unless given (`exp: undefined` leaves it out). */
  readonly claims?: JWTPayload;
  /** Protected header fields besides `alg` and `kid` (or replacing them). */
  readonly header?: Record<string, unknown>;
}

/** A signed JWT (JWS compact serialization). */
export async function mintToken(key: SigningKey, options: MintOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = { iat: now, exp: now + 300, ...options.claims };
  for (const name of Object.keys(claims)) if (claims[name] === undefined) delete claims[name];
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...options.header }).sign(key.privateKey);
}

/** A JWT signed with HMAC (HS256) under a shared secret: what a key-confusion attack sends. */
export async function mintHmacToken(secret: Uint8Array, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, exp: now + 300, ...claims }).setProtectedHeader({ alg: "HS256", typ: "JWT", ...header }).sign(secret);
}

/** An unsigned token (`alg: none`). */
export function unsignedToken(claims: JWTPayload): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`;
}
