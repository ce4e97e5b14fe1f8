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
    const now = this.now();
    const ratePerMs = this.perMinute / 60_000;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 100_000) this.prune(now, ratePerMs);
      b = { tokens: this.perMinute, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * ratePerMs);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / ratePerMs / 1000)) };
  }

  /** Forgets buckets that are full again (their owners have been quiet for a while). */
  private prune(now: number, ratePerMs: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) * ratePerMs >= this.perMinute) this.buckets.delete(k);
  }
}
