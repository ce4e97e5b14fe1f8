import type { CallOptions, ModelCallRecord, ModelProvider } from './provider.ts';
import type { EmbedOptions, Embedder } from './embedder.ts';

/** What a caller (a turn, a plugin runtime) gives every call it makes, unless the call says otherwise. */
export interface CallDefaults {
  signal?: AbortSignal;
  attemptTimeoutMs?: number;
  record?: (attempt: ModelCallRecord) => void;
}

function merge<T extends CallOptions>(params: T, d: CallDefaults): T {
  const signal = params.signal && d.signal && params.signal !== d.signal ? AbortSignal.any([params.signal, d.signal]) : (params.signal ?? d.signal);
  const own = params.record;
  const record = own && d.record ? (r: ModelCallRecord) => (own(r), d.record!(r)) : (own ?? d.record);
  return { ...params, signal, attemptTimeoutMs: params.attemptTimeoutMs ?? d.attemptTimeoutMs, record };
}

/**
 * A provider seen by one caller: its cancellation, its per-attempt deadline and its `record` added to
 * every call — so whatever the caller hands the provider to (plugin useModel, the ElizaOS runtime
 * bridge, structured output) is recorded as model.called by the caller that commits.
 */
export function withCallDefaults(provider: ModelProvider, d: CallDefaults): ModelProvider {
  return {
    name: provider.name,
    capabilities: provider.capabilities,
    resilient: provider.resilient,
    modelFor: provider.modelFor?.bind(provider),
    generateText: (p) => provider.generateText(merge(p, d)),
    streamText: (p) => provider.streamText(merge(p, d)),
    generateObject: (p) => provider.generateObject(merge(p, d)),
    embed: (texts, o = {}) => provider.embed(texts, merge(o, d)),
    close: provider.close?.bind(provider),
  };
}

/** The same for an embedder: the caller's record and signal on each of its requests. */
export function embedderWithDefaults(embedder: Embedder, d: CallDefaults): Embedder {
  return {
    model: embedder.model,
    provider: embedder.provider,
    embed: (texts: string[], o: EmbedOptions = {}) => embedder.embed(texts, merge(o, d)),
  };
}
