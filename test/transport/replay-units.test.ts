import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/transport/rate-limit.ts';
import { ReplayScheduler } from '../../src/transport/replay-scheduler.ts';

describe('RateLimiter as a budget (available / spend)', () => {
  it('grants up to what is left, refills over time, and forgets a key', () => {
    let now = 0;
    const budget = new RateLimiter(600, () => now); // 10 a second
    expect(budget.available('k', 100)).toBe(100);
    budget.spend('k', 550);
    expect(budget.available('k', 100)).toBe(50);
    budget.spend('k', 50);
    expect(budget.available('k', 100)).toBe(0);
    now += 3000;
    expect(budget.available('k', 100)).toBe(30);
    budget.forget('k');
    expect(budget.available('k', 1000)).toBe(600);
    expect(new RateLimiter(0).available('k', 12345)).toBe(12345); // 0 = no limit
  });
});

describe('ReplayScheduler', () => {
  it('runs steps round-robin and yields to the event loop between slices', async () => {
    const scheduler = new ReplayScheduler(2, (err) => {
      throw err;
    });
    const order: string[] = [];
    let timersRan = 0;
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const replay = (name: string, steps: number) =>
      new Promise<void>((done) => {
        const step = (left: number) => () => {
          order.push(name);
          busy(1);
          if (left > 1) scheduler.enqueue(step(left - 1));
          else done();
        };
        scheduler.enqueue(step(steps));
      });
    const ticker = setInterval(() => timersRan++, 1);
    await Promise.all([replay('a', 20), replay('b', 20)]);
    clearInterval(ticker);
    // Interleaved, not one replay after the other.
    expect(order.slice(0, 6)).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    // 40 ms of work in slices of ~2 ms: timers got to run in between.
    expect(timersRan).toBeGreaterThan(5);
  });
});
