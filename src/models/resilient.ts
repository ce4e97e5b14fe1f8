import { ModelError } from './provider.ts';
import type {
  CallOptions,
  EmbedResult,
  GenerateObjectParams,
  GenerateObjectResult,
  GenerateTextParams,
  GenerateTextResult,
  ModelCallRecord,
  ModelProvider,
  ModelType,
  TextStreamChunk,
  TokenUsage,
} from './provider.ts';
import { toModelError } from './errors.ts';
import { CallScope } from './call-scope.ts';
import { CircuitBreaker, CircuitOpenError, countsAgainstProvider } from './circuit-breaker.ts';
import type { CircuitBreakerOptions } from './circuit-breaker.ts';

export type { ModelCallRecord } from './provider.ts';

export interface ResilienceOptions {
  /** Further attempts after the first (default 3). */
  retries?: number;
  /** First backoff delay; doubles each attempt, with full jitter (default 250 ms). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A retry-after longer than this is not waited for: the error goes to the caller (default 30 s). */
  maxRetryAfterMs?: number;
  breaker?: CircuitBreakerOptions;
  /** Called once per call (not per attempt) with usage and latency: metrics, logs. */
  onCall?: (record: ModelCallRecord) => void;
  /** Called before each wait for another attempt. */
  onRetry?: (info: { provider: string; attempt: number; delayMs: number; error: ModelError }) => void;
  random?: () => number;
  now?: () => number;
}

type Kind = ModelCallRecord['kind'];

/**
 * THE model-call layer: every caller's call to any provider goes through it once (registry.ts wraps
 * what it builds; `withResilience` does not wrap twice). Retries (jittered exponential backoff,
 * honouring retry-after; 429, 5xx, network, timeout and malformed answers are retried, other 4xx are
 * not), one circuit breaker per provider, `timeoutMs` bounding the whole call and `attemptTimeoutMs`
 * each attempt — raced, so a provider that ignores its signal cannot hang the caller. It reports
 * twice over: `onCall` once per call (observers), and the call's own `record` once per attempt (the
 * caller appends those as `model.called` with the events it commits). Streams are retried until their
 * first delta, or later when the reader passes `onStreamRestart`.
 */
export class ResilientProvider implements ModelProvider {
  readonly name: string;
  readonly capabilities: ModelProvider['capabilities'];
  readonly resilient = true;
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
    return this.call(
      'text',
      model,
      params,
      (o) => this.inner.generateText({ ...params, ...o }),
      (r) => r.usage,
    );
  }

  generateObject(params: GenerateObjectParams): Promise<GenerateObjectResult> {
    const model = params.model ?? this.modelFor(params.modelType ?? 'OBJECT_LARGE');
    return this.call(
      'object',
      model,
      params,
      (o) => this.inner.generateObject({ ...params, ...o }),
      (r) => r.usage,
    );
  }

  embed(texts: string[], options: CallOptions = {}): Promise<EmbedResult> {
    return this.call(
      'embedding',
      this.modelFor('TEXT_EMBEDDING'),
      options,
      (o) => this.inner.embed(texts, o),
      (r) => r.usage,
    );
  }

  async *streamText(params: GenerateTextParams): AsyncIterable<TextStreamChunk> {
    const started = this.now();
    const model = params.model ?? this.modelFor(params.modelType ?? 'TEXT_LARGE');
    const deadline = this.deadline(params);
    let settled = false;
    for (let attempts = 1; ; attempts++) {
      const attemptStarted = this.now();
      const scope = this.attemptScope(params, deadline);
      let iterator: AsyncIterator<TextStreamChunk> | undefined;
      let delivered = false;
      let retrying = false;
      try {
        this.breaker.acquire();
        iterator = this.inner.streamText({ ...params, signal: scope.signal, timeoutMs: scope.timeoutMs })[Symbol.asyncIterator]();
        for (;;) {
          const step = await scope.race(iterator.next());
          if (step.done) throw new ModelError('malformed', `${this.name}: the stream ended without a final result`, this.name, true);
          const chunk = step.value;
          if (chunk.type === 'delta') {
            delivered = true;
            yield chunk;
            continue;
          }
          settled = true;
          this.breaker.success();
          const usage = chunk.result.usage;
          this.report(params, { kind: 'text', model: chunk.result.model, ok: true, usage }, attempts, attemptStarted, started);
          yield { type: 'done', result: { ...chunk.result, latencyMs: this.now() - started } };
          return;
        }
      } catch (err) {
        const me = this.settleFailure(err, scope);
        this.recordAttempt(params, { kind: 'text', model, ok: false, error: me }, attempts, attemptStarted);
        // After deltas the reader has seen text: only a reader that can start over gets a retry.
        const delay = !delivered || params.onStreamRestart ? this.retryDelay(me, attempts, deadline, params) : undefined;
        if (delay === undefined) {
          settled = true;
          this.observe({ kind: 'text', model, ok: false, error: me }, attempts, started);
          throw me;
        }
        retrying = true;
        this.options.onRetry?.({ provider: this.name, attempt: attempts, delayMs: delay, error: me });
        if (delivered) params.onStreamRestart?.(attempts, me);
        await this.pause(delay, params, 'text', model, attempts, started).catch((e: unknown) => {
          settled = true;
          throw e;
        });
      } finally {
        scope.dispose();
        // Not awaited: a provider stuck in its own await would hold the caller here.
        iterator?.return?.()?.catch(() => {});
        // The reader stopped before 'done' (break/return): still one call to account for.
        if (!settled && !retrying) {
          settled = true;
          this.observe(
            { kind: 'text', model, ok: false, error: new ModelError('aborted', `${this.name}: stream abandoned by its reader`, this.name, false) },
            attempts,
            started,
          );
        }
      }
    }
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private async call<T extends { model: string; latencyMs?: number }>(
    kind: Kind,
    model: string,
    options: CallOptions,
    attempt: (o: CallOptions) => Promise<T>,
    usageOf: (r: T) => TokenUsage | undefined,
  ): Promise<T> {
    const started = this.now();
    const deadline = this.deadline(options);
    for (let attempts = 1; ; attempts++) {
      const attemptStarted = this.now();
      const scope = this.attemptScope(options, deadline);
      try {
        this.breaker.acquire();
        const result = await scope.race(attempt({ signal: scope.signal, timeoutMs: scope.timeoutMs }));
        this.breaker.success();
        this.report(options, { kind, model: result.model, ok: true, usage: usageOf(result) }, attempts, attemptStarted, started);
        return { ...result, latencyMs: this.now() - started };
      } catch (err) {
        const me = this.settleFailure(err, scope);
        this.recordAttempt(options, { kind, model, ok: false, error: me }, attempts, attemptStarted);
        const delay = this.retryDelay(me, attempts, deadline, options);
        if (delay === undefined) {
          this.observe({ kind, model, ok: false, error: me }, attempts, started);
          throw me;
        }
        this.options.onRetry?.({ provider: this.name, attempt: attempts, delayMs: delay, error: me });
        await this.pause(delay, options, kind, model, attempts, started);
      } finally {
        scope.dispose();
      }
    }
  }

  private deadline(options: CallOptions): number | undefined {
    return options.timeoutMs !== undefined ? this.now() + options.timeoutMs : undefined;
  }

  /** One attempt's cancellation: the caller's signal, and the nearer of the call's and the attempt's deadlines. */
  private attemptScope(options: CallOptions, deadline: number | undefined): CallScope & { timeoutMs?: number } {
    const left = deadline !== undefined ? Math.max(1, deadline - this.now()) : undefined;
    const timeoutMs =
      left !== undefined && options.attemptTimeoutMs !== undefined ? Math.min(left, options.attemptTimeoutMs) : (left ?? options.attemptTimeoutMs);
    const scope = new CallScope(this.name, { signal: options.signal, timeoutMs }, Number.POSITIVE_INFINITY) as CallScope & { timeoutMs?: number };
    scope.timeoutMs = timeoutMs;
    return scope;
  }

  private settleFailure(err: unknown, scope: CallScope): ModelError {
    // A circuit-open refusal is not a new failure of the provider.
    if (err instanceof CircuitOpenError) return err;
    const me = err instanceof ModelError && !scope.timedOut && !scope.aborted ? err : scope.error(err);
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

  private async pause(delay: number, options: CallOptions, kind: Kind, model: string, attempts: number, started: number): Promise<void> {
    await sleep(delay, options.signal).catch((e: unknown) => {
      const aborted = toModelError(this.name, e, { aborted: true, timedOut: false });
      this.observe({ kind, model, ok: false, error: aborted }, attempts, started);
      throw aborted;
    });
  }

  private report(options: CallOptions, r: Outcome, attempts: number, attemptStarted: number, started: number): void {
    this.recordAttempt(options, r, attempts, attemptStarted);
    this.observe(r, attempts, started);
  }

  /** The caller's own record of this attempt (what it appends as model.called). */
  private recordAttempt(options: CallOptions, r: Outcome, attempt: number, attemptStarted: number): void {
    if (options.record) safely(() => options.record!({ provider: this.name, ...r, latencyMs: this.now() - attemptStarted, attempts: attempt }));
  }

  /** The observers' record of the whole call. */
  private observe(r: Outcome, attempts: number, started: number): void {
    if (this.options.onCall) safely(() => this.options.onCall!({ provider: this.name, ...r, latencyMs: this.now() - started, attempts }));
  }
}

type Outcome = { kind: Kind; model: string; ok: boolean; usage?: TokenUsage; error?: ModelError };

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // a faulty observer must not fail the model call
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

/** The provider behind the one model-call layer: wrapped once, never twice (a retry policy applies once). */
export function withResilience(provider: ModelProvider, options?: ResilienceOptions): ModelProvider {
  return provider.resilient ? provider : new ResilientProvider(provider, options);
}
