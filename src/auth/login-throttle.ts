import { setMostRecent } from '../shared/recent-map.ts';

/**
 * Per-account login back-off. Keyed by the lower-cased username whether or not such an account
 * exists (so a 429 tells nothing about which names are real), and by nothing else: one account under
 * attack does not slow the rest of the IP or any other account.
 *
 * The first `freeFailures` wrong passwords cost nothing extra; after that each attempt must wait
 * base × 2^(failures − free), capped at `maxDelayMs`, and only one attempt at a time is let through
 * (attempts in flight count against the allowance, so a burst of parallel guesses cannot slip past the
 * count while the password hashes run). A correct password clears the account's record.
 *
 * In memory on purpose: a failed guess is not a fact worth keeping in the log (1,500 guesses would be
 * 1,500 events), so a restart forgets the back-off. Bounded to `maxEntries` accounts (oldest dropped).
 */
export interface LoginThrottleOptions {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxEntries: number;
  /** A record with no failure for this long is forgotten. */
  forgetAfterMs: number;
}

export const defaultLoginThrottle: LoginThrottleOptions = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  maxEntries: 10_000,
  forgetAfterMs: 24 * 3600_000,
};

interface Entry {
  failures: number;
  inFlight: number;
  /** No attempt before this time (ms). */
  until: number;
  lastFailure: number;
}

export type Admission = { ok: true; done(success: boolean): void } | { ok: false; retryAfterS: number };

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  constructor(
    private readonly options: LoginThrottleOptions = defaultLoginThrottle,
    private readonly now: () => number = Date.now,
  ) {}

  /** Asks to try a password for `username`; call done(true|false) with the outcome (exactly once). */
  admit(username: string): Admission {
    const key = username.toLowerCase();
    const now = this.now();
    let e = this.entries.get(key);
    if (e && e.inFlight === 0 && now - e.lastFailure > this.options.forgetAfterMs) {
      this.entries.delete(key);
      e = undefined;
    }
    if (e) {
      if (now < e.until) return { ok: false, retryAfterS: Math.max(1, Math.ceil((e.until - now) / 1000)) };
      if (e.failures + e.inFlight >= this.options.freeFailures && e.inFlight > 0) {
        return { ok: false, retryAfterS: Math.max(1, Math.ceil(this.delayAfter(e.failures + 1) / 1000)) };
      }
    } else {
      e = { failures: 0, inFlight: 0, until: 0, lastFailure: now };
      this.remember(key, e);
    }
    const entry = e;
    entry.inFlight += 1;
    let settled = false;
    return {
      ok: true,
      done: (success) => {
        if (settled) return;
        settled = true;
        entry.inFlight -= 1;
        if (success) {
          this.entries.delete(key);
          return;
        }
        entry.failures += 1;
        entry.lastFailure = this.now();
        entry.until = entry.failures >= this.options.freeFailures ? entry.lastFailure + this.delayAfter(entry.failures) : 0;
        this.remember(key, entry);
      },
    };
  }

  private delayAfter(failures: number): number {
    const over = Math.max(0, failures - this.options.freeFailures);
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over, 30));
  }

  /** Re-inserts at the end (most recent) and drops the oldest records past the bound. */
  private remember(key: string, e: Entry): void {
    setMostRecent(this.entries, key, e, this.options.maxEntries);
  }
}
