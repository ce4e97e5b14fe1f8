import { ModelError, type GenerateTextParams, type GenerateTextResult, type ModelProvider } from '../../models/provider.ts';

/** One model attempt as it will be recorded (`model.called`). */
export interface AttemptRecord {
  provider: string;
  model: string;
  ok: boolean;
  usage?: { promptTokens: number; completionTokens: number };
  latencyMs: number;
  error?: string;
}

export class TurnAbortedError extends Error {
  override readonly name = 'TurnAbortedError';
}

export interface StreamOptions {
  attempts: number;
  timeoutMs: number;
  retryBaseMs: number;
  signal: AbortSignal;
  onDelta(delta: string): void;
  /** Called before a retry, so the visible stream can be restarted. */
  onRetry?(attempt: number, error: ModelError): void;
  now?: () => number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new TurnAbortedError('aborted'));
    const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    const onAbort = () => (clearTimeout(t), reject(new TurnAbortedError('aborted')));
    signal.addEventListener('abort', onAbort, { once: true });
  });

export function asModelError(err: unknown, provider: string): ModelError {
  if (err instanceof ModelError) return err;
  if (err instanceof Error && err.name === 'ModelError') return err as ModelError;
  return new ModelError('unavailable', (err as Error)?.message ?? String(err), provider, true);
}

/**
 * A streamed text call with a per-attempt timeout, retries with exponential backoff on retryable
 * errors, and cancellation. A hanging provider cannot hang the turn: the attempt's own abort signal
 * fires at the timeout and the loop gives up waiting for the stream even if the provider ignores it.
 */
export async function streamWithRetries(
  provider: ModelProvider,
  params: Omit<GenerateTextParams, 'signal' | 'timeoutMs'>,
  options: StreamOptions,
  attempts: AttemptRecord[],
): Promise<GenerateTextResult> {
  const now = options.now ?? (() => performance.now());
  let lastError: ModelError | undefined;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (options.signal.aborted) throw new TurnAbortedError('aborted');
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort(new TurnAbortedError('aborted'));
    options.signal.addEventListener('abort', onOuterAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const e = new ModelError('timeout', `the model did not finish within ${Math.round(options.timeoutMs / 1000)} s`, provider.name, true);
        controller.abort(e);
        reject(e);
      }, options.timeoutMs);
    });
    const aborted = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }));
    const started = now();
    try {
      const run = (async () => {
        let result: GenerateTextResult | undefined;
        for await (const chunk of provider.streamText({ ...params, signal: controller.signal, timeoutMs: options.timeoutMs })) {
          if (controller.signal.aborted) throw controller.signal.reason;
          if (chunk.type === 'delta') options.onDelta(chunk.text);
          else result = chunk.result;
        }
        if (!result) throw new ModelError('malformed', 'the stream ended without a final result', provider.name, true);
        return result;
      })();
      run.catch(() => {});
      timedOut.catch(() => {});
      aborted.catch(() => {});
      const result = await Promise.race([run, timedOut, aborted]);
      attempts.push({ provider: provider.name, model: result.model, ok: true, usage: result.usage, latencyMs: Math.max(0, now() - started) });
      return result;
    } catch (err) {
      if (err instanceof TurnAbortedError || options.signal.aborted) throw new TurnAbortedError('aborted');
      const me = asModelError(err, provider.name);
      attempts.push({ provider: provider.name, model: params.model ?? provider.modelFor?.(params.modelType ?? 'TEXT_LARGE') ?? 'unknown', ok: false, latencyMs: Math.max(0, now() - started), error: `${me.code}: ${me.message}` });
      lastError = me;
      if (!me.retryable || attempt === options.attempts) break;
      options.onRetry?.(attempt, me);
      await sleep(me.retryAfterMs ?? options.retryBaseMs * 2 ** (attempt - 1), options.signal);
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onOuterAbort);
    }
  }
  throw lastError ?? new ModelError('unavailable', 'no attempt was made', provider.name, false);
}

/** A non-streamed call with the same timeout and cancellation (should-respond, plugin useModel). */
export function generateWithTimeout(provider: ModelProvider, params: Omit<GenerateTextParams, 'signal' | 'timeoutMs'>, timeoutMs: number, signal: AbortSignal): Promise<GenerateTextResult> {
  return callWithTimeout(provider.name, timeoutMs, signal, (s) => provider.generateText({ ...params, signal: s, timeoutMs }));
}

/** Any one provider call with a deadline and the turn's cancellation (text, or an object for structured output). */
export async function callWithTimeout<T>(providerName: string, timeoutMs: number, signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(new TurnAbortedError('aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      call(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const e = new ModelError('timeout', `the model did not answer within ${Math.round(timeoutMs / 1000)} s`, providerName, true);
          controller.abort(e);
          reject(e);
        }, timeoutMs);
      }),
      new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })),
    ]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
