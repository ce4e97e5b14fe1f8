import { describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH } from '../../src/events/hash.ts';

const content = {
  seq: 7,
  id: 'ïd-é',
  stream: 'room-ü',
  version: 3,
  type: 'message.posted',
  dataJson: '{"text":"héllo 👋"}',
  metaJson: '{"timestamp":1,"schemaVersion":1}',
};

describe('chain hash', () => {
  it('is stable: existing logs keep verifying (pinned vector, multi-byte text included)', () => {
    expect(chainHash(GENESIS_HASH, content)).toBe('2fba709f2668e12946db8c5c226bd30726bc66def802f7d29644c08bf9306b18');
  });

  it('length prefixes keep text from shifting between fields unnoticed', () => {
    const a = chainHash(GENESIS_HASH, { ...content, id: 'ab', stream: 'c' });
    const b = chainHash(GENESIS_HASH, { ...content, id: 'a', stream: 'bc' });
    expect(a).not.toBe(b);
  });

  it('depends on the previous hash', () => {
    expect(chainHash('1'.repeat(64), content)).not.toBe(chainHash(GENESIS_HASH, content));
  });
});
