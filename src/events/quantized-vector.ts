/**
 * An embedding as the log keeps it: int8 codes with one float32 scale per vector (symmetric, scale =
 * max|x| / 127). 512 dimensions cost 516 bytes instead of 2,048 — ~0.7 KB of base64 in a payload
 * instead of ~2.7 KB — and bench/vectors-log-format.ts measured recall@10 against float32 on real
 * sentence embeddings (the numbers are in bench/RESULTS-vectors.md).
 *
 * It IS a Float32Array (its elements are the dequantized values, code × scale rounded to float32), so
 * every consumer — projections, vec0, similarity — reads it as before. The codec writes the codes and
 * the scale it was built from, never re-quantizes the floats, and decoding rebuilds the same floats
 * by the same arithmetic: what the live projection indexed and what a replay indexes are bit-identical.
 */
/** The most dimensions a vector in the log may have (the catalogue's rule; quantize enforces it too). */
export const MAX_VECTOR_DIMENSIONS = 8192;

export class QuantizedVector extends Float32Array {
  private constructor(
    readonly codes: Int8Array,
    readonly scale: number,
  ) {
    super(codes.length);
    for (let i = 0; i < codes.length; i++) this[i] = codes[i] * scale;
  }

  /**
   * Quantizes an embedding (a QuantizedVector is returned as it is). Refuses what the log would refuse
   * (no dimension, or more than MAX_VECTOR_DIMENSIONS): embedders' appends are trusted, not re-validated.
   */
  static quantize(vector: Float32Array): QuantizedVector {
    if (vector.length === 0 || vector.length > MAX_VECTOR_DIMENSIONS)
      throw new RangeError(`a vector must have 1..${MAX_VECTOR_DIMENSIONS} dimensions, got ${vector.length}`);
    if (vector instanceof QuantizedVector) return vector;
    let max = 0;
    for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs(vector[i]));
    const scale = Math.fround(max / 127);
    const codes = new Int8Array(vector.length);
    if (scale > 0) for (let i = 0; i < vector.length; i++) codes[i] = Math.max(-127, Math.min(127, Math.round(vector[i] / scale)));
    return new QuantizedVector(codes, scale);
  }

  /** The wire form: the scale as float32 (little-endian), then the codes. */
  toBytes(): Buffer {
    const out = Buffer.allocUnsafe(4 + this.codes.length);
    out.writeFloatLE(this.scale, 0);
    out.set(new Uint8Array(this.codes.buffer, this.codes.byteOffset, this.codes.length), 4);
    return out;
  }

  static fromBytes(bytes: Uint8Array): QuantizedVector {
    if (bytes.length < 5) throw new RangeError(`a quantized vector needs a scale and at least one code, got ${bytes.length} bytes`);
    const scale = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readFloatLE(0);
    if (!Number.isFinite(scale) || scale < 0) throw new RangeError(`a quantized vector's scale must be a finite number ≥ 0, got ${scale}`);
    return new QuantizedVector(new Int8Array(bytes.slice(4)), scale);
  }

  // Array methods that build a new array (map, slice, filter…) make plain Float32Arrays, not quantized ones.
  static get [Symbol.species]() {
    return Float32Array;
  }
}
