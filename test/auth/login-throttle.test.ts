import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/auth/login-throttle.ts';

const options = { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 60_000, maxEntries: 3, forgetAfterMs: 3600_000 };

function clocked() {
  let now = 1_000_000;
  const throttle = new LoginThrottle(options, () => now);
  return { throttle, advance: (ms: number) => (now += ms) };
}

/** One attempt that fails (or succeeds); returns the retry-after when refused. */
function attempt(t: LoginThrottle, user: string, success = false): number | 'ok' {
  const a = t.admit(user);
  if (!a.ok) return a.retryAfterS;
  a.done(success);
  return 'ok';
}

describe('per-account login back-off', () => {
  it('five free failures, then exponential waits (1 s, 2 s, 4 s …) capped; a success clears it', () => {
    const { throttle, advance } = clocked();
    for (let i = 0; i < 5; i++) expect(attempt(throttle, 'Ann')).toBe('ok');
    expect(attempt(throttle, 'ann')).toBe(1); // case-insensitive key
    advance(1000);
    expect(attempt(throttle, 'ann')).toBe('ok'); // 6th failure → 2 s
    expect(attempt(throttle, 'ann')).toBe(2);
    advance(2000);
    expect(attempt(throttle, 'ann')).toBe('ok'); // 7th → 4 s
    expect(attempt(throttle, 'ann')).toBe(4);
    for (let i = 0; i < 20; i++) {
      advance(60_000);
      attempt(throttle, 'ann');
    }
    expect(attempt(throttle, 'ann')).toBe(60); // capped
    advance(60_000);
    expect(attempt(throttle, 'ann', true)).toBe('ok');
    expect(attempt(throttle, 'ann')).toBe('ok'); // back to free attempts
  });

  it('one account backing off leaves the others alone', () => {
    const { throttle } = clocked();
    for (let i = 0; i < 6; i++) attempt(throttle, 'target');
    expect(attempt(throttle, 'target')).toBeGreaterThan(0);
    expect(attempt(throttle, 'someone-else', true)).toBe('ok');
  });

  it('parallel guesses cannot slip past the count: attempts in flight count, one at a time once over', () => {
    const { throttle } = clocked();
    const inFlight = Array.from({ length: 50 }, () => throttle.admit('burst'));
    expect(inFlight.filter((a) => a.ok)).toHaveLength(5);
    for (const a of inFlight) if (a.ok) a.done(false);
    expect(throttle.admit('burst').ok).toBe(false);
  });

  it('keeps at most maxEntries accounts (oldest forgotten)', () => {
    const { throttle } = clocked();
    for (const u of ['a', 'b', 'c', 'd']) for (let i = 0; i < 6; i++) attempt(throttle, u);
    expect(attempt(throttle, 'a')).toBe('ok'); // 'a' was dropped to keep the bound
    expect(attempt(throttle, 'd')).toBeGreaterThan(0);
  });
});
