import { QuantizedVector } from '../../events/quantized-vector.ts';

/**
 * The int8 codes vec0 keeps of a vector: the log's own codes when it came quantized, else the same
 * deterministic quantization (so a rebuild writes the same bytes as the live projection did).
 */
export function int8Codes(v: Float32Array): Int8Array {
  return QuantizedVector.quantize(v).codes;
}

export function int8Bytes(v: Float32Array): Buffer {
  const codes = int8Codes(v);
  return Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength);
}

/** A vector as vec0 gives it back (its codes, unscaled): what an in-memory mirror holds, however it was filled. */
export function storedVector(v: Float32Array): Float32Array {
  return Float32Array.from(int8Codes(v));
}
