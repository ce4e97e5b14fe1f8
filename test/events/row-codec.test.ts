import Database from 'better-sqlite3';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeData } from '../../src/events/codec.ts';
import { QuantizedVector } from '../../src/events/quantized-vector.ts';
import { decodeHash, decodeId, decodeText, encodeHash, encodeId, encodeText } from '../../src/events/sqlite/row-codec.ts';
import { openRowFormat } from '../../src/events/sqlite/row-format.ts';
import { RowTokens } from '../../src/events/sqlite/row-tokens.ts';
import { SqliteEventStore } from '../../src/events/index.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import { started } from './support/events.ts';

function freshTokens(): { db: Database.Database; tokens: RowTokens } {
  const db = new Database(':memory:');
  openRowFormat(db, true);
  return { db, tokens: new RowTokens(db, true) };
}

const roundTrip = (text: string, tokens: RowTokens) => decodeText(encodeText(text, tokens), tokens);

/** Strings that look like what the codec shortens, mixed with anything at all. */
const uuid = fc.uuid();
const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const base64 = fc.uint8Array({ minLength: 40, maxLength: 600 }).map((b) => Buffer.from(b).toString('base64'));
const nearMisses = fc.oneof(
  uuid.map((u) => u.toUpperCase()),
  hex64.map((h) => `${h.slice(0, 63)}G`),
  base64.map((b) => `${b.slice(0, -4)}A===`),
  fc.constantFrom('agentId', 'a', '$', 'x.y-z@w/v', 'é', ''),
);
const tricky = fc.oneof(uuid, hex64, base64, nearMisses, fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    tricky,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(tricky, fc.constantFrom('agentId', 'roomId', '__proto__')), tie('value'), { maxKeys: 5 }),
  ),
})).value;

describe('the row codec of log format 2', () => {
  it('gives back every JSON text exactly, whatever it holds (property)', () => {
    const { tokens } = freshTokens();
    fc.assert(
      fc.property(json, fc.integer({ min: 0, max: 2 }), (value, indent) => {
        const text = JSON.stringify(value, null, indent) ?? 'null';
        expect(roundTrip(text, tokens)).toBe(text);
        // Twice: the second time, values seen once have become tokens.
        expect(roundTrip(text, tokens)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('gives back any string at all exactly, JSON or not: control bytes, lone surrogates, unterminated strings (property)', () => {
    const { tokens } = freshTokens();
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii' }), fc.string()), (text) => {
        expect(roundTrip(text, tokens)).toBe(text);
      }),
      { numRuns: 500 },
    );
    for (const text of ['"\uD800"', 'ab\u0001"agentId":', '{"agentId', '"agentId"', '"agentId":', '"\u0000"', '{"a":"b\\"c"}']) {
      expect(roundTrip(text, tokens)).toBe(text);
    }
  });

  it('a key at the very end of a text does not borrow a colon left in the scratch buffer by a longer text', () => {
    const { tokens } = freshTokens();
    expect(roundTrip('"agentId":"a"', tokens)).toBe('"agentId":"a"');
    // A text that ends just before where the earlier one had its colon.
    expect(roundTrip('"agentId"', tokens)).toBe('"agentId"');
  });

  it('shortens what events are made of: keys, repeated values, UUIDs, hashes and vectors', () => {
    const { tokens } = freshTokens();
    const id = randomUUID();
    const vector = encodeData({ vector: QuantizedVector.quantize(Float32Array.from({ length: 512 }, (_, i) => Math.sin(i))) });
    const event = JSON.stringify({ agentId: id, roomId: id, kind: 'agent', sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
    encodeText(event, tokens); // first sight of the value "agent"
    const encoded = encodeText(event, tokens);
    expect(encoded.length).toBeLessThan(event.length * 0.5);
    expect(decodeText(encoded, tokens)).toBe(event);
    const codedVector = encodeText(vector, tokens);
    expect(codedVector.length).toBeLessThan(vector.length * 0.8); // base64 text → its bytes
    expect(decodeText(codedVector, tokens)).toBe(vector);
  });

  it('a value becomes a token on its second sighting, a key on its first; both are in the file', () => {
    const { db, tokens } = freshTokens();
    encodeText('{"mood":"calm"}', tokens);
    expect(db.prepare('SELECT text FROM row_tokens ORDER BY token').pluck().all()).toEqual(['mood']);
    encodeText('{"mood":"calm"}', tokens);
    expect(db.prepare('SELECT text FROM row_tokens ORDER BY token').pluck().all()).toEqual(['mood', 'calm']);
  });

  it('tokens added by a rolled-back transaction are forgotten, so no row is written with a number the file lacks', () => {
    const { db, tokens } = freshTokens();
    db.exec('BEGIN');
    encodeText('{"lost":1}', tokens);
    db.exec('ROLLBACK');
    tokens.reload();
    const text = '{"kept":1,"lost":2}';
    const encoded = encodeText(text, tokens);
    // A second reader that knows only the file decodes it.
    expect(decodeText(encoded, new RowTokens(db, false))).toBe(text);
    expect(db.prepare('SELECT token, text FROM row_tokens ORDER BY token').raw().all()).toEqual([
      [0, 'kept'],
      [1, 'lost'],
    ]);
  });

  it('a reader meets tokens the writer added after it opened', () => {
    const { db, tokens } = freshTokens();
    const reader = new RowTokens(db, false);
    const text = '{"later":true}';
    expect(decodeText(encodeText(text, tokens), reader)).toBe(text);
  });

  it('a reader never adds tokens', () => {
    const { db } = freshTokens();
    const reader = new RowTokens(db, false);
    expect(decodeText(encodeText('{"x":"y"}', reader), reader)).toBe('{"x":"y"}');
    expect(db.prepare('SELECT count(*) FROM row_tokens').pluck().get()).toBe(0);
  });

  it('bytes that are cut short or name unknown tokens are refused with a reason, never misread', () => {
    const { tokens } = freshTokens();
    expect(() => decodeText(Buffer.from([1, 0x7b, 1, 0x7f]), tokens)).toThrow(/token 127 is not in the log's token table/);
    expect(() => decodeText(Buffer.from([1, 3, 1, 2]), tokens)).toThrow(/UUID is cut short/);
    expect(() => decodeText(Buffer.from([1, 1, 0x80]), tokens)).toThrow(/cut short/);
    expect(() => decodeText(Buffer.from([9]), tokens)).toThrow(/unknown row format 9/);
  });

  it('every kind of id comes back from a format-2 log through every read path', async () => {
    const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
    const ids = [randomUUID(), randomUUID().toUpperCase(), 'e1', '~tilde', '0123456789abcdef0123456789abcdef', 'ünï €'];
    for (const [i, id] of ids.entries()) await store.append('room-a', [started(id, i)]);
    expect((await store.readAll()).map((e) => e.id)).toEqual(ids);
    expect((await store.readStream('room-a')).map((e) => e.id)).toEqual(ids);
    for (const id of ids) expect((await store.getById(id))?.id).toBe(id);
    expect((await store.readRaw(0, 100)).map((r) => r.id)).toEqual(ids);
    expect(await store.verify()).toEqual({ ok: true, checked: ids.length });
    await store.close();
  });

  it('ids and hashes: lowercase UUIDs and SHA-256 digests as bytes, anything else as the text it was', () => {
    const uuid = randomUUID();
    expect(encodeId(uuid)).toHaveLength(16);
    expect(decodeId(encodeId(uuid))).toBe(uuid);
    for (const id of [randomUUID().toUpperCase(), 'e1', '~tilde', '', 'ünï €']) expect(encodeId(id)).toBe(id);
    const hash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(encodeHash(hash)).toHaveLength(32);
    expect(decodeHash(encodeHash(hash))).toBe(hash);
    expect(decodeHash(encodeHash('a'.repeat(63)))).toBe('a'.repeat(63));
  });
});
