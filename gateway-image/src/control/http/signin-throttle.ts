/**
 * A brake on password guessing: after {@link MAX_FAILURES} failed sign-ins for one e-mail from
 * one address within {@link WINDOW_MS}, further attempts are refused (429) until the window
 * ends. In memory, per process: enough to make online guessing slow, and the key (e-mail and
 * address together) keeps an attacker from locking a developer out from elsewhere.
 */

export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60 * 1000;
/** Entries kept at most; expired ones are swept when the map grows past this. */
const MAX_ENTRIES = 10_000;

interface Entry {
  failures: number;
  /** Epoch ms when the window of the first failure ends. */
  resetsAt: number;
}

export class SigninThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number) {}

  private key(email: string, address: string): string {
    return `${email.trim().toLowerCase()}\n${address}`;
  }

  /** Seconds to wait when this e-mail and address are throttled, else `null`. */
  blockedFor(email: string, address: string): number | null {
    const entry = this.entries.get(this.key(email, address));
    if (entry === undefined) return null;
    const left = entry.resetsAt - this.now();
    if (left <= 0) {
      this.entries.delete(this.key(email, address));
      return null;
    }
    return entry.failures >= MAX_FAILURES ? Math.ceil(left / 1000) : null;
  }

  recordFailure(email: string, address: string): void {
    const key = this.key(email, address);
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry === undefined || entry.resetsAt <= now) {
      if (this.entries.size >= MAX_ENTRIES) this.sweep(now);
      this.entries.set(key, { failures: 1, resetsAt: now + WINDOW_MS });
    } else {
      entry.failures++;
    }
  }

  recordSuccess(email: string, address: string): void {
    this.entries.delete(this.key(email, address));
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.resetsAt <= now) this.entries.delete(key);
    // Still full of live entries (a spray from many addresses): drop the oldest rather than grow without bound.
    while (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }
}
