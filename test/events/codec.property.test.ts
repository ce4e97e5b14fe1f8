import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeData, encodeData } from '../../src/events/codec.ts';
import { QuantizedVector } from '../../src/events/quantized-vector.ts';

const vector = fc.array(fc.float({ noNaN: true }), { maxLength: 40 }).map((xs) => Float32Array.from(xs));
const embedding = fc
  .array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -4, max: 4 }), { minLength: 1, maxLength: 64 })
  .map((xs) => QuantizedVector.quantize(Float32Array.from(xs)));
// JSON-shaped payloads with vectors anywhere, including under awkward keys and the codec's own tags.
const key = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'vector', '$f32', '$i8', '$esc'));
const { payload } = fc.letrec((tie) => ({
  payload: fc.oneof(
    { depthSize: 'small' },
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), vector, embedding),
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

  it('an embedding appended quantized reads back as the same floats, bit for bit, and stays quantized when re-encoded', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }), { minLength: 1, maxLength: 600 }), (xs) => {
        const live = QuantizedVector.quantize(Float32Array.from(xs));
        const replayed = decodeData(encodeData({ vector: live })) as { vector: Float32Array };
        expect(replayed.vector).toBeInstanceOf(QuantizedVector);
        expect(Buffer.from(replayed.vector.buffer).equals(Buffer.from(live.buffer))).toBe(true);
        expect(encodeData(replayed)).toBe(encodeData({ vector: live }));
        // The error of int8 with a per-vector scale: at most half a step of max|x| / 127 per dimension.
        const max = Math.max(...xs.map(Math.abs));
        for (let i = 0; i < xs.length; i++) expect(Math.abs(live[i] - xs[i])).toBeLessThanOrEqual(max / 254 + 1e-6 * max + 1e-30);
      }),
      { numRuns: 200 },
    );
  });

  it('a 512-d embedding costs ~0.8 KB in a payload instead of ~2.8 KB', () => {
    const v = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i));
    expect(encodeData({ vector: QuantizedVector.quantize(v) }).length).toBeLessThan(encodeData({ vector: v }).length / 3);
  });

  it('a truncated or corrupt $i8 value is an error, not a short vector', () => {
    expect(() => decodeData('{"v":{"$i8":"AAA="}}')).toThrow(/quantized vector/);
    const badScale = Buffer.alloc(8);
    badScale.writeFloatLE(Number.NaN, 0);
    expect(() => decodeData(`{"v":{"$i8":"${badScale.toString('base64')}"}}`)).toThrow(/scale/);
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
