import { describe, expect, it } from 'vitest';
import { derivedId, newId, sha256Hex } from '../../src/shared/ids.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId', () => {
  it('is a UUIDv7 carrying the current millisecond', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(id).toMatch(UUID_V7);
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });

  it('sorts by creation time across milliseconds and never repeats', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(newId());
      await new Promise((r) => setTimeout(r, 2));
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 10_000 }, newId)).size).toBe(10_000);
  });
});

describe('derivedId', () => {
  it('is the same for the same parts and differs when a part moves between positions', () => {
    expect(derivedId('agent-a', 'message-m', 'reply')).toBe(derivedId('agent-a', 'message-m', 'reply'));
    expect(derivedId('ab', 'c')).not.toBe(derivedId('a', 'bc'));
    expect(derivedId('a', 'm', 'reply')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('never changes: ids already in logs are found again after an upgrade (exactly-once across restarts)', () => {
    // Computed once from sha256("agent-a\0message-m\0reply") with a Hash object.
    expect(derivedId('agent-a', 'message-m', 'reply')).toBe('0e0b56e8-c0ea-5a89-8cb7-a2ee0ac90cb3');
    expect(sha256Hex('héllo')).toBe('3c48591d8d098a4538f5e013dfcf406e948eac4d3277b10bf614e295d6068179');
    expect(sha256Hex(new TextEncoder().encode('héllo'))).toBe(sha256Hex('héllo'));
  });
});
