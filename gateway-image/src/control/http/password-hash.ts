/**
 * Developer passwords, hashed with scrypt (node:crypto): a random 16-byte salt per password and
 * a self-describing string, `scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64url), so the cost can
 * be raised later and old hashes still verify. The plain password is never stored or logged.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** Shortest password accepted at sign-up. Length beats composition rules (NIST SP 800-63B). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest: bounds the work an attacker can ask for per request. */
export const MAX_PASSWORD_LENGTH = 1024;

interface ScryptParams {
  /** log2 of N, the CPU/memory cost. */
  readonly ln: number;
  readonly r: number;
  readonly p: number;
}

/** N = 2^15, r = 8, p = 1: 32 MiB and some 50–100 ms per hash, OWASP's recommended minimum. */
const CURRENT: ScryptParams = { ln: 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const FORMAT = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{32,128})$/;

function derive(password: string, salt: Buffer, params: ScryptParams, keyLength: number): Promise<Buffer> {
  const N = 2 ** params.ln;
  return new Promise((resolve, reject) => {
    // scrypt needs 128·N·r bytes; Node's default limit (32 MiB) is exactly N=2^15, r=8, so allow twice that.
    scrypt(password, salt, keyLength, { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** The stored form of a new password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, CURRENT, KEY_LENGTH);
  return `scrypt$ln=${CURRENT.ln},r=${CURRENT.r},p=${CURRENT.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** A hash of a random password: checked against when there is no real hash, so a missing account costs the same time as a wrong password. */
let decoy: Promise<string> | undefined;

/**
 * Whether `password` matches `stored`. With no usable hash (unknown account, no password set,
 * a string in another format) it still runs one scrypt and answers `false`, so the time taken
 * does not tell which case it was. The comparison is constant-time.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const match = stored === null ? null : FORMAT.exec(stored);
  const params = match === null ? null : { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  // Parameters out of a sane range are treated as unusable: a tampered row must not make sign-in run for minutes.
  if (match === null || params === null || params.ln < 10 || params.ln > 20 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 4) {
    decoy ??= hashPassword(randomBytes(16).toString("hex"));
    await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), await decoy);
    return false;
  }
  const salt = Buffer.from(match[4]!, "base64url");
  const expected = Buffer.from(match[5]!, "base64url");
  const actual = await derive(password, salt, params, expected.length);
  return timingSafeEqual(actual, expected);
}
