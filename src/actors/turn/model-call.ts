import { withCallDefaults } from '../../models/call-defaults.ts';
import { ModelError, type GenerateTextParams, type GenerateTextResult, type ModelCallRecord, type ModelProvider } from '../../models/provider.ts';
import { withResilience } from '../../models/resilient.ts';

export class TurnAbortedError extends Error {
  override readonly name = 'TurnAbortedError';
}

export function asModelError(err: unknown, provider: string): ModelError {
  if (err instanceof ModelError) return err;
  if (err instanceof Error && err.name === 'ModelError') return err as ModelError;
  return new ModelError('unavailable', (err as Error)?.message ?? String(err), provider, true);
}

export interface TurnModelOptions {
  /** Attempts per call when the provider is not yet behind the model-call layer (test fakes, plugin handlers). */
  attempts: number;
  retryBaseMs: number;
  /** Each attempt's deadline. */
  attemptTimeoutMs: number;
  signal: AbortSignal;
  /** Every attempt of every call made through this provider: the turn appends them as model.called. */
  record(attempt: ModelCallRecord): void;
}

/**
 * The turn's model: the one model-call layer (src/models/resilient.ts) — applied here only when the
 * provider is not behind it already (the registry's are, so their retry policy applies once) — with
 * the turn's cancellation, deadline and recorder on every call, whoever makes it (the turn, a plugin's
 * useModel, the ElizaOS runtime bridge).
 */
export function turnModel(provider: ModelProvider, o: TurnModelOptions): ModelProvider {
  const resilient = withResilience(provider, { retries: Math.max(0, o.attempts - 1), baseDelayMs: o.retryBaseMs });
  return withCallDefaults(resilient, { signal: o.signal, attemptTimeoutMs: o.attemptTimeoutMs, record: o.record });
}

/** Reads a streamed reply through, handing each delta on; the result is the 'done' chunk's. */
export async function streamReply(provider: ModelProvider, params: GenerateTextParams, onDelta: (delta: string) => void): Promise<GenerateTextResult> {
  let result: GenerateTextResult | undefined;
  for await (const chunk of provider.streamText(params)) {
    if (chunk.type === 'delta') onDelta(chunk.text);
    else result = chunk.result;
  }
  if (!result) throw new ModelError('malformed', 'the stream ended without a final result', provider.name, true);
  return result;
}
