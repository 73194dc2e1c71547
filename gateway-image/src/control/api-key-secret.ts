/**
 * Generation and verification of API keys and admin tokens: `tp_<prefix>_<secret>` (admin
 * tokens `tpa_…`). The prefix is the lookup id, stored in clear and shown in listings; the
 * store keeps a random salt and SHA-256(salt ‖ key), never the key.
 *
 * Why a fast hash and not scrypt/argon2: those exist to slow down guessing of low-entropy
 * passwords. A generated key carries 256 random bits, so guessing it from its hash is out of
 * reach however fast the hash is, while verification runs on the gateway's hot path (each
 * cache miss) and must stay cheap: one lookup by prefix and one SHA-256. The salt makes equal
 * keys hash differently and rules out precomputed tables for declared keys, whose entropy the
 * store does not choose.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789";

/** Length of the visible prefix: 10 of 36 characters, about 51 bits, so collisions are rare (and retried). */
export const PREFIX_LENGTH = 10;
/** 43 base-62 characters: about 256 bits. */
export const SECRET_LENGTH = 43;

export type KeyKind = "apiKey" | "adminToken";

const MARKER: Record<KeyKind, string> = { apiKey: "tp", adminToken: "tpa" };

/** A generated key: the plain text (shown once) and what is stored. */
export interface GeneratedKey {
  readonly plain: string;
  readonly prefix: string;
  readonly salt: string;
  readonly hash: string;
}

/** What the store keeps of a key. */
export interface StoredKeyHash {
  readonly salt: string;
  readonly hash: string;
}

function randomString(alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** SHA-256(salt ‖ key), hex. `salt` is hex. */
export function hashKey(salt: string, key: string): string {
  return createHash("sha256").update(Buffer.from(salt, "hex")).update(key, "utf8").digest("hex");
}

/** A random salt and the hash of `key` with it. */
export function saltAndHash(key: string): StoredKeyHash {
  const salt = randomBytes(16).toString("hex");
  return { salt, hash: hashKey(salt, key) };
}

/** A new random key of the kind. */
export function generateKey(kind: KeyKind): GeneratedKey {
  const prefix = randomString(LOWER_ALPHANUMERIC, PREFIX_LENGTH);
  const plain = `${MARKER[kind]}_${prefix}_${randomString(ALPHANUMERIC, SECRET_LENGTH)}`;
  return { plain, prefix, ...saltAndHash(plain) };
}

const FORMATS: Record<KeyKind, RegExp> = {
  apiKey: new RegExp(`^tp_([a-z0-9]{${PREFIX_LENGTH}})_[A-Za-z0-9]{${SECRET_LENGTH}}$`),
  adminToken: new RegExp(`^tpa_([a-z0-9]{${PREFIX_LENGTH}})_[A-Za-z0-9]{${SECRET_LENGTH}}$`),
};

/** The prefix of a key in this module's format, or `null`. */
export function parsePrefix(kind: KeyKind, key: string): string | null {
  return FORMATS[kind].exec(key)?.[1] ?? null;
}

/**
 * The lookup id of a declared API key (a value from an environment variable or a file, in any
 * format): its own prefix when it has this module's format, otherwise `d` and 15 hex digits
 * of SHA-256(key). Those 60 bits of an unsalted hash identify the key without revealing it
 * (the stored salted hash is what verifies it).
 */
export function lookupPrefix(key: string): string {
  return parsePrefix("apiKey", key) ?? `d${createHash("sha256").update(key, "utf8").digest("hex").slice(0, 15)}`;
}

/** Whether `key` hashes to `stored`; constant time in the hash comparison. */
export function verifyKey(key: string, stored: StoredKeyHash): boolean {
  const actual = Buffer.from(hashKey(stored.salt, key), "hex");
  const expected = Buffer.from(stored.hash, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** SHA-256 hex of a session token: high-entropy and looked up by value, so no salt. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A random URL-safe token of 32 bytes (session cookies, CSRF tokens). */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}
