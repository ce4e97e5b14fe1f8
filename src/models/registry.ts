import type { Settings } from '../settings/settings.ts';
import type { Character } from '../characters/schema.ts';
import type { Logger } from '../shared/logger.ts';
import { silentLogger } from '../shared/logger.ts';
import { ModelError } from './provider.ts';
import type { ChatMessage, ModelProvider, ModelType } from './provider.ts';
import { ResilientProvider } from './resilient.ts';
import type { ModelCallRecord, ResilienceOptions } from './resilient.ts';
import { BatchingEmbedder } from './embedder.ts';
import type { BatchingEmbedderOptions, Embedder } from './embedder.ts';
import { CharacterModels, characterModelSettings } from './character-models.ts';

/** Builds a provider from the settings; the registry calls it on the provider's first use. */
export type ProviderFactory = (settings: Settings) => ModelProvider;

export interface ModelRegistryOptions {
  /**
   * The providers by name (lower case). The core knows none of its own: the composition root hands in
   * the built-in ones (plugins/built-in.ts: openai, openrouter, anthropic, ollama, local), tests their fakes.
   * Each is built lazily and wrapped with retries and its breaker.
   */
  factories: Record<string, ProviderFactory>;
  logger?: Logger;
  /** Every call of every provider, once per call (retries included): usage, latency, outcome. */
  onCall?: (record: ModelCallRecord) => void;
  /** Retry and breaker settings for every provider (default: 2 retries, breaker at 5 failures / 30 s). */
  resilience?: Omit<ResilienceOptions, 'onCall'>;
  embedding?: BatchingEmbedderOptions;
}

/** ElizaOS's `runtime.useModel` parameters, as far as Chronicle routes them. */
export interface UseModelParams {
  prompt?: string;
  system?: string;
  messages?: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  stopSequences?: string[];
  schema?: Record<string, unknown>;
  /** TEXT_EMBEDDING: the text to embed. */
  text?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ModelRegistry {
  /** The character's provider (settings.MODEL_PROVIDER, else MODEL_PROVIDER) with its model choices applied. */
  forCharacter(character?: Character): ModelProvider;
  /** A provider by name, wrapped with retries and its circuit breaker. Throws for an unknown name. */
  provider(name: string): ModelProvider;
  /** EMBEDDING_PROVIDER, else the model provider when it embeds, else local; batched and cached. */
  embedder(): Embedder;
  /**
   * ElizaOS's useModel: TEXT_SMALL/TEXT_LARGE → string, OBJECT_SMALL/OBJECT_LARGE → object,
   * TEXT_EMBEDDING → number[] (ElizaOS's shape).
   */
  useModel(type: ModelType, params: UseModelParams | string, character?: Character): Promise<unknown>;
  close(): Promise<void>;
}

const KEY_SETTING: Record<string, keyof Settings> = { openai: 'openaiApiKey', anthropic: 'anthropicApiKey', openrouter: 'openrouterApiKey' };

export function createModelRegistry(settings: Settings, options: ModelRegistryOptions): ModelRegistry {
  const logger = options.logger ?? silentLogger;
  const { factories } = options;
  const providers = new Map<string, ResilientProvider>();
  let embedder: BatchingEmbedder | undefined;

  const provider = (name: string): ResilientProvider => {
    const key = name.toLowerCase();
    let p = providers.get(key);
    if (p) return p;
    const factory = factories[key];
    if (!factory) throw new ModelError('bad_request', `unknown model provider "${name}" (known: ${Object.keys(factories).join(', ')})`, name, false);
    const keySetting = KEY_SETTING[key];
    if (keySetting && !settings[keySetting] && !(key === 'openai' && settings.openaiBaseUrl)) {
      logger.warn('model provider has no API key; its calls will fail with auth errors', { provider: key });
    }
    p = new ResilientProvider(factory(settings), {
      retries: 2,
      ...options.resilience,
      onCall: options.onCall,
      onRetry: (info) =>
        logger.debug('model call retry', { provider: info.provider, attempt: info.attempt, delayMs: Math.round(info.delayMs), code: info.error.code }),
    });
    providers.set(key, p);
    logger.info('model provider ready', { provider: key, large: p.modelFor('TEXT_LARGE'), embeddings: p.capabilities.embeddings });
    return p;
  };

  const forCharacter = (character?: Character): ModelProvider => {
    const cs = characterModelSettings(character);
    return new CharacterModels(provider(cs.provider ?? settings.modelProvider), cs);
  };

  const getEmbedder = (): Embedder => {
    if (embedder) return embedder;
    let source: ResilientProvider;
    if (settings.embeddingProvider) {
      source = provider(settings.embeddingProvider);
      if (!source.capabilities.embeddings)
        throw new ModelError('unsupported', `EMBEDDING_PROVIDER=${settings.embeddingProvider} has no embeddings`, source.name, false);
    } else {
      const main = provider(settings.modelProvider);
      source = main.capabilities.embeddings ? main : provider('local');
    }
    embedder = new BatchingEmbedder(source, options.embedding);
    logger.info('embedder ready', { provider: source.name, model: embedder.model });
    return embedder;
  };

  return {
    forCharacter,
    provider,
    embedder: getEmbedder,
    async useModel(type, raw, character) {
      const params: UseModelParams = typeof raw === 'string' ? { prompt: raw, text: raw } : raw;
      const call = { signal: params.signal, timeoutMs: params.timeoutMs };
      if (type === 'TEXT_EMBEDDING') {
        const [v] = await getEmbedder().embed([params.text ?? params.prompt ?? ''], call);
        return Array.from(v);
      }
      const messages: ChatMessage[] = params.messages ?? [
        ...(params.system ? [{ role: 'system' as const, content: params.system }] : []),
        { role: 'user' as const, content: params.prompt ?? '' },
      ];
      const p = forCharacter(character);
      if (type === 'OBJECT_SMALL' || type === 'OBJECT_LARGE') {
        return (await p.generateObject({ ...call, modelType: type, messages, schema: params.schema ?? { type: 'object' } })).object;
      }
      return (
        await p.generateText({
          ...call,
          modelType: type,
          messages,
          maxTokens: params.maxTokens,
          temperature: params.temperature,
          stopSequences: params.stopSequences,
        })
      ).text;
    },
    async close() {
      await embedder?.close();
      await Promise.allSettled([...providers.values()].map((p) => p.close()));
      providers.clear();
      embedder = undefined;
    },
  };
}

export type { Embedder } from './embedder.ts';
export type { ModelCallRecord } from './resilient.ts';
