import { ModelError, type CallOptions } from './provider.ts';
import type { Embedder } from './embedder.ts';

/**
 * An embedder for a background caller that makes one call at a time (the message embedder): each call
 * first waits `gatherMs`, so the messages posted meanwhile queue up and go in the caller's next batch.
 * Without it, one room answering quickly sent one embeddings request per message (438 requests for 621
 * replies in the benchmark) — an HTTP call, an append and a projection transaction each, on the same
 * event loop as the replies. Never use it on a reply's critical path: it only adds latency there.
 */
export function gatheringEmbedder(inner: Embedder, gatherMs: number): Embedder {
  return {
    model: inner.model,
    provider: inner.provider,
    async embed(texts: string[], options: CallOptions = {}): Promise<Float32Array[]> {
      if (gatherMs > 0) await wait(gatherMs, options.signal, inner.provider);
      return inner.embed(texts, options);
    },
  };
}

function wait(ms: number, signal: AbortSignal | undefined, provider: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => new ModelError('aborted', `${provider}: embed aborted`, provider, false);
    if (signal?.aborted) return reject(aborted());
    const onAbort = () => (clearTimeout(timer), reject(aborted()));
    const timer = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
