import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeData, encodeData } from '../../src/events/codec.ts';

const vector = fc.array(fc.float({ noNaN: true }), { maxLength: 40 }).map((xs) => Float32Array.from(xs));
// JSON-shaped payloads with vectors anywhere, including under awkward keys and the codec's own tags.
const key = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'vector', '$f32', '$esc'));
const { payload } = fc.letrec((tie) => ({
  payload: fc.oneof(
    { depthSize: 'small' },
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), vector),
    fc.array(tie('payload'), { maxLength: 4 }),
    fc.dictionary(key, tie('payload'), { maxKeys: 4 }),
  ),
}));

describe('event payload codec', () => {
  it('decodes what it encodes: vectors come back as Float32Arrays, everything else as JSON, own keys stay own', () => {
    fc.assert(
      fc.property(payload, (data) => {
        const back = decodeData(encodeData(data));
        expect(encodeData(back)).toBe(encodeData(data));
        expect(back).toEqual(data);
      }),
      { numRuns: 300 },
    );
  });

  it('a payload object shaped like a tag reads back as itself, not as a vector', () => {
    const tricky = { settings: { $f32: 'AAAAAA==' }, nested: [{ $esc: { $f32: 'x' } }], vector: Float32Array.of(1.5) };
    expect(decodeData(encodeData(tricky))).toEqual(tricky);
  });

  it('a vector under "__proto__" stays an own property and does not become the prototype', () => {
    const back = decodeData(encodeData(JSON.parse('{"__proto__": {"a": 1}}'))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    const withVector = decodeData(`{"__proto__":{"$f32":"${Buffer.from(Float32Array.of(1, 2).buffer).toString('base64')}"}}`) as Record<string, unknown>;
    expect(Object.getPrototypeOf(withVector)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(withVector, '__proto__')?.value).toEqual(Float32Array.of(1, 2));
  });
});
