import { createHash } from 'node:crypto';
import type { Embedder } from '../../src/knowledge/ingest.ts';

/**
 * A deterministic embedder for tests: hashed bag of words into `dims` dimensions, L2-normalised, so
 * texts sharing words have a high cosine similarity and unrelated texts a low one. Counts its calls.
 */
export class FakeEmbedder implements Embedder {
  readonly model: string;
  calls = 0;
  textsEmbedded = 0;
  constructor(
    readonly dims = 64,
    model?: string,
  ) {
    this.model = model ?? `fake-bow-${dims}`;
  }

  async embed(texts: string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]> {
    options?.signal?.throwIfAborted();
    this.calls++;
    this.textsEmbedded += texts.length;
    return texts.map((t) => fakeVector(t, this.dims));
  }
}

export function fakeVector(text: string, dims = 64): Float32Array<ArrayBuffer> {
  const v = new Float32Array(dims);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const h = createHash('sha256').update(word).digest();
    v[h.readUInt32LE(0) % dims] += h[4] & 1 ? 1 : -1;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm === 0) v[0] = 1;
  else for (let i = 0; i < dims; i++) v[i] /= norm;
  return v;
}
