import { ModelError } from './provider.ts';
import type { CallOptions, ModelCallRecord, ModelProvider } from './provider.ts';
import { LruCache } from './lru-cache.ts';
import { sha256Hex } from '../shared/ids.ts';

/**
 * THE embedder type (knowledge, memories, the message embedder, turns, the plugin runtime): texts in,
 * one Float32Array per text out, in order. `model` names the vectors' space (stored with them in
 * events, so a change of embedder is visible).
 */
export interface Embedder {
  readonly model: string;
  readonly provider?: string;
  /** True for the one batching point (BatchingEmbedder): never batch it again. */
  readonly batched?: boolean;
  embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]>;
  close?(): Promise<void>;
}

export interface EmbedOptions extends CallOptions {
  /**
   * A caller off every reply's path (the message embedder): its texts wait up to the background
   * window (default 25 ms) for company, unless a foreground request flushes the batch sooner.
   */
  background?: boolean;
}

/** What BatchingEmbedder sends batches to: a provider, or any Embedder adapted (withBatching). */
export type EmbeddingSource = Pick<ModelProvider, 'name' | 'capabilities' | 'embed' | 'modelFor'>;

export interface BatchingEmbedderOptions {
  /** The model name recorded with the vectors (default: provider.modelFor('TEXT_EMBEDDING')). */
  model?: string;
  /** How long to collect requests before sending a batch (default 5 ms). */
  windowMs?: number;
  /** How long background requests wait for company (default 25 ms; see EmbedOptions.background). */
  backgroundWindowMs?: number;
  /** Most texts per provider call (default 32). */
  maxBatch?: number;
  /** Vectors kept in memory (default 10 000; 512 floats each ≈ 20 MB). */
  cacheSize?: number;
  /** Deadline of each batch call to the provider (default 60 s). */
  batchTimeoutMs?: number;
}

interface Pending {
  key: string;
  text: string;
  record?: (attempt: ModelCallRecord) => void;
  resolve: (v: Float32Array) => void;
  reject: (e: unknown) => void;
}

/**
 * THE one batching point with the one cache: collects embed requests for a few milliseconds (25 ms for
 * background callers) into batches, sends identical texts once, and keeps vectors in an LRU keyed by
 * sha256(model + text). A caller's signal/timeout ends only that caller's wait: the batch it shares
 * with others carries on (and its vectors are cached). A batch's provider attempts are recorded once,
 * by the first request in it that asked for records (`record`), so usage is never counted twice.
 */
export class BatchingEmbedder implements Embedder {
  readonly model: string;
  readonly provider: string;
  readonly batched = true;
  /** Calls made to the provider, for tests and benchmarks. */
  providerCalls = 0;
  private readonly cache: LruCache<string, Float32Array>;
  private readonly inflight = new Map<string, Promise<Float32Array>>();
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private readonly windowMs: number;
  private readonly backgroundWindowMs: number;
  private readonly maxBatch: number;
  private readonly batchTimeoutMs: number;

  constructor(
    private readonly source: EmbeddingSource,
    options: BatchingEmbedderOptions = {},
  ) {
    if (!source.capabilities.embeddings) throw new ModelError('unsupported', `${source.name} has no embeddings`, source.name, false);
    this.model = options.model ?? source.modelFor?.('TEXT_EMBEDDING') ?? source.name;
    this.provider = source.name;
    this.windowMs = options.windowMs ?? 5;
    this.backgroundWindowMs = Math.max(this.windowMs, options.backgroundWindowMs ?? 25);
    this.maxBatch = Math.max(1, options.maxBatch ?? 32);
    this.batchTimeoutMs = options.batchTimeoutMs ?? 60_000;
    this.cache = new LruCache(options.cacheSize ?? 10_000);
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    if (options.signal?.aborted) throw new ModelError('aborted', `${this.provider}: embed aborted`, this.provider, false);
    const all = Promise.all(texts.map((t) => this.one(t, options)));
    if (!options.signal && options.timeoutMs === undefined) return all;
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        cleanup();
        reject(new ModelError('aborted', `${this.provider}: embed aborted`, this.provider, false));
      };
      const timer =
        options.timeoutMs !== undefined
          ? setTimeout(() => {
              cleanup();
              reject(new ModelError('timeout', `${this.provider}: embed timed out after ${options.timeoutMs} ms`, this.provider, true));
            }, options.timeoutMs)
          : undefined;
      options.signal?.addEventListener('abort', onAbort, { once: true });
      all.then(
        (v) => {
          cleanup();
          resolve(v);
        },
        (e: unknown) => {
          cleanup();
          reject(e);
        },
      );
    });
  }

  private one(text: string, options: EmbedOptions): Promise<Float32Array> {
    const key = sha256Hex(`${this.model}\u0000${text}`);
    const hit = this.cache.get(key);
    if (hit) return Promise.resolve(hit);
    const running = this.inflight.get(key);
    if (running) return running;
    const p = new Promise<Float32Array>((resolve, reject) => this.queue.push({ key, text, record: options.record, resolve, reject }));
    this.inflight.set(key, p);
    // Callers that drop the promise (abort) must not see an unhandled rejection.
    p.catch(() => {});
    if (this.queue.length >= this.maxBatch) this.flush();
    else this.flushIn(options.background ? this.backgroundWindowMs : this.windowMs);
    return p;
  }

  /** Flush within ms: a foreground request brings a background batch's flush forward, never back. */
  private flushIn(ms: number): void {
    const due = performance.now() + ms;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.flush(), ms);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      void this.send(batch);
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    this.providerCalls += 1;
    try {
      const record = batch.find((p) => p.record)?.record;
      const { vectors } = await this.source.embed(
        batch.map((p) => p.text),
        { timeoutMs: this.batchTimeoutMs, ...(record ? { record } : {}) },
      );
      if (vectors.length !== batch.length)
        throw new ModelError('malformed', `${this.provider}: ${vectors.length} vectors for ${batch.length} texts`, this.provider, true);
      batch.forEach((p, i) => {
        this.cache.set(p.key, vectors[i]);
        this.inflight.delete(p.key);
        p.resolve(vectors[i]);
      });
    } catch (err) {
      for (const p of batch) {
        this.inflight.delete(p.key);
        p.reject(err);
      }
    }
  }

  async close(): Promise<void> {
    this.flush();
  }
}

/**
 * The embedder behind the one batching point: a BatchingEmbedder is returned as it is (batching and
 * caching apply once); any other Embedder (a test fake, a plugin's) gets one in front of it.
 */
export function withBatching(embedder: Embedder, options: BatchingEmbedderOptions = {}): Embedder {
  if (embedder.batched) return embedder;
  const name = embedder.provider ?? embedder.model;
  return new BatchingEmbedder(
    {
      name,
      capabilities: { text: false, embeddings: true },
      modelFor: () => embedder.model,
      embed: async (texts, o) => ({ vectors: await embedder.embed(texts, o), model: embedder.model }),
    },
    { model: embedder.model, ...options },
  );
}
