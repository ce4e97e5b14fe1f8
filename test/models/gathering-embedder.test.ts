import { afterEach, describe, expect, it, vi } from 'vitest';
import { gatheringEmbedder } from '../../src/models/gathering-embedder.ts';
import type { Embedder } from '../../src/models/embedder.ts';

function recordingEmbedder() {
  const calls: string[][] = [];
  const inner: Embedder = { model: 'm', provider: 'p', embed: async (texts) => (calls.push(texts), texts.map((t) => new Float32Array([t.length]))) };
  return { inner, calls };
}

afterEach(() => vi.useRealTimers());

describe('gatheringEmbedder', () => {
  it('waits its gathering time before passing the call through unchanged', async () => {
    vi.useFakeTimers();
    const { inner, calls } = recordingEmbedder();
    const e = gatheringEmbedder(inner, 25);
    expect([e.model, e.provider]).toEqual(['m', 'p']);
    const result = e.embed(['ab', 'c']);
    await vi.advanceTimersByTimeAsync(24);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect((await result).map((v) => v[0])).toEqual([2, 1]);
    expect(calls).toEqual([['ab', 'c']]);
  });

  it('an abort during the wait rejects at once and never calls the provider', async () => {
    vi.useFakeTimers();
    const { inner, calls } = recordingEmbedder();
    const controller = new AbortController();
    const result = gatheringEmbedder(inner, 1000).embed(['x'], { signal: controller.signal });
    controller.abort();
    await expect(result).rejects.toMatchObject({ code: 'aborted' });
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toEqual([]);
    await expect(gatheringEmbedder(inner, 10).embed(['x'], { signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
  });
});
