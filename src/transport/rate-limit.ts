/**
 * Token buckets per key ("ip:1.2.3.4", "acct:<id>"): `perMinute` requests a minute, refilled
 * continuously, a burst of up to `perMinute`. 0 turns limiting off. Only requests from outside are
 * counted — agents' replies and other internal work never pass through here (ElizaOS's limiter
 * famously throttled its own agents).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.perMinute > 0;
  }

  /** Takes one token; when none is left, says how many seconds until one is. */
  take(key: string): { ok: true } | { ok: false; retryAfterS: number } {
    if (this.perMinute <= 0) return { ok: true };
    const b = this.bucket(key);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / this.ratePerMs / 1000)) };
  }

  /** How many of `wanted` tokens could be taken now (whole tokens; all of them when limiting is off). */
  available(key: string, wanted: number): number {
    if (this.perMinute <= 0) return wanted;
    return Math.max(0, Math.min(wanted, Math.floor(this.bucket(key).tokens)));
  }

  /** Takes `n` tokens (after `available` said they are there). */
  spend(key: string, n: number): void {
    if (this.perMinute <= 0 || n <= 0) return;
    const b = this.bucket(key);
    b.tokens = Math.max(0, b.tokens - n);
  }

  /** Drops a key's bucket (its owner is gone: a closed socket). */
  forget(key: string): void {
    this.buckets.delete(key);
  }

  private get ratePerMs(): number {
    return this.perMinute / 60_000;
  }

  /** The key's bucket, refilled up to now. */
  private bucket(key: string): { tokens: number; at: number } {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 100_000) this.prune(now, this.ratePerMs);
      b = { tokens: this.perMinute, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * this.ratePerMs);
      b.at = now;
    }
    return b;
  }

  /** Forgets buckets that are full again (their owners have been quiet for a while). */
  private prune(now: number, ratePerMs: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) * ratePerMs >= this.perMinute) this.buckets.delete(k);
  }
}
