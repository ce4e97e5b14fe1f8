import { ModelError } from './provider.ts';
import type {
  CallOptions,
  EmbedResult,
  GenerateObjectParams,
  GenerateObjectResult,
  GenerateTextParams,
  GenerateTextResult,
  ModelProvider,
  ModelType,
  TextStreamChunk,
  TokenUsage,
} from './provider.ts';
import { toModelError } from './errors.ts';
import { CircuitBreaker, CircuitOpenError, countsAgainstProvider } from './circuit-breaker.ts';
import type { CircuitBreakerOptions } from './circuit-breaker.ts';

/** What one call cost: the agent appends it as a `model.called` event (catalogue.ts). */
export interface ModelCallRecord {
  provider: string;
  model: string;
  kind: 'text' | 'object' | 'embedding';
  ok: boolean;
  usage?: TokenUsage;
  latencyMs: number;
  attempts: number;
  error?: ModelError;
}

export interface ResilienceOptions {
  /** Further attempts after the first (default 3). */
  retries?: number;
  /** First backoff delay; doubles each attempt, with full jitter (default 250 ms). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A retry-after longer than this is not waited for: the error goes to the caller (default 30 s). */
  maxRetryAfterMs?: number;
  breaker?: CircuitBreakerOptions;
  /** Called once per call (not per attempt) with usage and latency. */
  onCall?: (record: ModelCallRecord) => void;
  /** Called before each wait for another attempt. */
  onRetry?: (info: { provider: string; attempt: number; delayMs: number; error: ModelError }) => void;
  random?: () => number;
  now?: () => number;
}

/**
 * Wraps any provider with retries (jittered exponential backoff, honouring retry-after; 429, 5xx,
 * network, timeout and malformed answers are retried, other 4xx are not), one circuit breaker, and a
 * per-call record of usage and latency. `timeoutMs` bounds the whole call, retries included.
 * Streaming is retried only until the first delta: after that the caller has seen text.
 */
export class ResilientProvider implements ModelProvider {
  readonly name: string;
  readonly capabilities: ModelProvider['capabilities'];
  readonly breaker: CircuitBreaker;
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(
    readonly inner: ModelProvider,
    private readonly options: ResilienceOptions = {},
  ) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
    this.breaker = new CircuitBreaker(inner.name, options.breaker);
    this.retries = options.retries ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 8_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => performance.now());
  }

  modelFor(type: ModelType): string {
    return this.inner.modelFor?.(type) ?? 'unknown';
  }

  generateText(params: GenerateTextParams): Promise<GenerateTextResult> {
    const model = params.model ?? this.modelFor(params.modelType ?? 'TEXT_LARGE');
    return this.call('text', model, params, (o) => this.inner.generateText({ ...params, ...o }), (r) => r.usage);
  }

  generateObject(params: GenerateObjectParams): Promise<GenerateObjectResult> {
    const model = params.model ?? this.modelFor(params.modelType ?? 'OBJECT_LARGE');
    return this.call('object', model, params, (o) => this.inner.generateObject({ ...params, ...o }), (r) => r.usage);
  }

  embed(texts: string[], options: CallOptions = {}): Promise<EmbedResult> {
    return this.call('embedding', this.modelFor('TEXT_EMBEDDING'), options, (o) => this.inner.embed(texts, o), (r) => r.usage);
  }

  async *streamText(params: GenerateTextParams): AsyncIterable<TextStreamChunk> {
    const started = this.now();
    const model = params.model ?? this.modelFor(params.modelType ?? 'TEXT_LARGE');
    const deadline = this.deadline(params);
    let attempts = 0;
    let iterator: AsyncIterator<TextStreamChunk> | undefined;
    let first: IteratorResult<TextStreamChunk> | undefined;
    // Phase 1: open the stream and read its first chunk, retrying like any other call.
    for (;;) {
      attempts += 1;
      try {
        this.checkBreaker();
        iterator = this.inner.streamText({ ...params, ...this.attemptOptions(params, deadline) })[Symbol.asyncIterator]();
        first = await iterator.next();
        break;
      } catch (err) {
        const me = this.settleFailure(err, params);
        const delay = this.retryDelay(me, attempts, deadline, params);
        if (delay === undefined) {
          this.record({ kind: 'text', model, ok: false, attempts, started, error: me });
          throw me;
        }
        this.options.onRetry?.({ provider: this.name, attempt: attempts, delayMs: delay, error: me });
        await sleep(delay, params.signal).catch((e: unknown) => {
          const aborted = toModelError(this.name, e, { aborted: true, timedOut: false });
          this.record({ kind: 'text', model, ok: false, attempts, started, error: aborted });
          throw aborted;
        });
      }
    }
    // Phase 2: text has reached the caller; a failure now ends the stream with the mapped error.
    let settled = false;
    try {
      for (let step = first; !step.done; step = await iterator.next()) {
        const chunk = step.value;
        if (chunk.type === 'done') {
          settled = true;
          this.breaker.success();
          const latencyMs = this.now() - started;
          this.record({ kind: 'text', model: chunk.result.model, ok: true, attempts, started, usage: chunk.result.usage });
          yield { type: 'done', result: { ...chunk.result, latencyMs } };
        } else yield chunk;
      }
    } catch (err) {
      settled = true;
      const me = this.settleFailure(err, params);
      this.record({ kind: 'text', model, ok: false, attempts, started, error: me });
      throw me;
    } finally {
      // The consumer stopped reading before 'done' (break/return): still one call to account for.
      if (!settled) this.record({ kind: 'text', model, ok: false, attempts, started, error: new ModelError('aborted', `${this.name}: stream abandoned by its reader`, this.name, false) });
      await iterator.return?.();
    }
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private async call<T extends { model: string; latencyMs?: number }>(
    kind: ModelCallRecord['kind'],
    model: string,
    options: CallOptions,
    attempt: (o: CallOptions) => Promise<T>,
    usageOf: (r: T) => TokenUsage | undefined,
  ): Promise<T> {
    const started = this.now();
    const deadline = this.deadline(options);
    for (let attempts = 1; ; attempts++) {
      try {
        this.checkBreaker();
        const result = await attempt(this.attemptOptions(options, deadline));
        this.breaker.success();
        const latencyMs = this.now() - started;
        this.record({ kind, model: result.model, ok: true, attempts, started, usage: usageOf(result) });
        return { ...result, latencyMs };
      } catch (err) {
        const me = this.settleFailure(err, options);
        const delay = this.retryDelay(me, attempts, deadline, options);
        if (delay === undefined) {
          this.record({ kind, model, ok: false, attempts, started, error: me });
          throw me;
        }
        this.options.onRetry?.({ provider: this.name, attempt: attempts, delayMs: delay, error: me });
        await sleep(delay, options.signal).catch((e: unknown) => {
          const aborted = toModelError(this.name, e, { aborted: true, timedOut: false });
          this.record({ kind, model, ok: false, attempts, started, error: aborted });
          throw aborted;
        });
      }
    }
  }

  private deadline(options: CallOptions): number | undefined {
    return options.timeoutMs !== undefined ? this.now() + options.timeoutMs : undefined;
  }

  private attemptOptions(options: CallOptions, deadline: number | undefined): CallOptions {
    const o: CallOptions = { signal: options.signal };
    if (deadline !== undefined) o.timeoutMs = Math.max(1, deadline - this.now());
    return o;
  }

  private checkBreaker(): void {
    this.breaker.acquire();
  }

  private settleFailure(err: unknown, options: CallOptions): ModelError {
    const me = toModelError(this.name, err, { aborted: options.signal?.aborted === true, timedOut: false });
    // A circuit-open refusal is not a new failure of the provider.
    if (me instanceof CircuitOpenError) return me;
    if (countsAgainstProvider(me)) this.breaker.failure();
    else this.breaker.neutral();
    return me;
  }

  /** The wait before the next attempt, or undefined when the error goes to the caller. */
  private retryDelay(err: ModelError, attempts: number, deadline: number | undefined, options: CallOptions): number | undefined {
    if (!err.retryable || attempts > this.retries || options.signal?.aborted) return undefined;
    if (err.code === 'timeout' && deadline !== undefined && this.now() >= deadline - 1) return undefined;
    let delay: number;
    if (err.retryAfterMs !== undefined) {
      if (err.retryAfterMs > this.maxRetryAfterMs) return undefined;
      delay = err.retryAfterMs;
    } else {
      // Full jitter: spreads retries of many agents hitting the same limit.
      const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempts - 1));
      delay = this.random() * cap;
    }
    if (deadline !== undefined && this.now() + delay >= deadline) return undefined;
    return delay;
  }

  private record(r: { kind: ModelCallRecord['kind']; model: string; ok: boolean; attempts: number; started: number; usage?: TokenUsage; error?: ModelError }): void {
    if (!this.options.onCall) return;
    try {
      this.options.onCall({ provider: this.name, model: r.model, kind: r.kind, ok: r.ok, usage: r.usage, latencyMs: this.now() - r.started, attempts: r.attempts, error: r.error });
    } catch {
      // a faulty observer must not fail the model call
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function withResilience(provider: ModelProvider, options?: ResilienceOptions): ResilientProvider {
  return new ResilientProvider(provider, options);
}
