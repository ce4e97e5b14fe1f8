import type { Character } from '../characters/schema.ts';
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
} from './provider.ts';

/**
 * What a character may choose in its `settings` (ElizaOS keeps per-model knobs there too):
 *
 *   MODEL_PROVIDER (or modelProvider)            local | openai | anthropic | openrouter | ollama | a plugin's provider
 *   TEXT_LARGE_MODEL (or LARGE_MODEL, model)     model for TEXT_LARGE (and OBJECT_LARGE unless set)
 *   TEXT_SMALL_MODEL (or SMALL_MODEL)            model for TEXT_SMALL (and OBJECT_SMALL unless set)
 *   OBJECT_LARGE_MODEL, OBJECT_SMALL_MODEL       models for generateObject
 *   TEXT_LARGE_TEMPERATURE, TEXT_SMALL_TEMPERATURE, DEFAULT_TEMPERATURE
 *   TEXT_LARGE_MAX_TOKENS, TEXT_SMALL_MAX_TOKENS, DEFAULT_MAX_TOKENS
 *
 * Values given on a call win over the character's; the character's win over the provider's defaults.
 */
export interface CharacterModelSettings {
  provider?: string;
  models: Partial<Record<ModelType, string>>;
  temperature: Partial<Record<'TEXT_SMALL' | 'TEXT_LARGE', number>>;
  maxTokens: Partial<Record<'TEXT_SMALL' | 'TEXT_LARGE', number>>;
}

/** The model plugins ElizaOS characters name, and the provider each selects. */
const MODEL_PLUGIN_PROVIDERS: Record<string, string> = {
  '@elizaos/plugin-openai': 'openai',
  '@elizaos/plugin-anthropic': 'anthropic',
  '@elizaos/plugin-ollama': 'ollama',
  '@elizaos/plugin-openrouter': 'openrouter',
  '@elizaos/plugin-local-ai': 'local',
};

/**
 * As in ElizaOS, naming a model plugin selects its provider; the first one named wins (ElizaOS uses
 * the first registered handler of equal priority). settings.MODEL_PROVIDER, when set, wins over it.
 */
export function providerOfModelPlugins(plugins: readonly string[] | undefined): string | undefined {
  for (const name of plugins ?? []) if (MODEL_PLUGIN_PROVIDERS[name]) return MODEL_PLUGIN_PROVIDERS[name];
  return undefined;
}

export function characterModelSettings(character?: Character): CharacterModelSettings {
  const s = (character?.settings ?? {}) as Record<string, unknown>;
  const str = (...keys: string[]) => {
    for (const k of keys) if (typeof s[k] === 'string' && (s[k] as string).trim()) return (s[k] as string).trim();
    return undefined;
  };
  const num = (...keys: string[]) => {
    for (const k of keys) {
      const v = typeof s[k] === 'string' ? Number(s[k]) : s[k];
      if (typeof v === 'number' && Number.isFinite(v)) return v;
    }
    return undefined;
  };
  const large = str('TEXT_LARGE_MODEL', 'LARGE_MODEL', 'model');
  const small = str('TEXT_SMALL_MODEL', 'SMALL_MODEL');
  const models: Partial<Record<ModelType, string>> = {};
  if (large) models.TEXT_LARGE = large;
  if (small) models.TEXT_SMALL = small;
  const objLarge = str('OBJECT_LARGE_MODEL') ?? large;
  const objSmall = str('OBJECT_SMALL_MODEL') ?? small;
  if (objLarge) models.OBJECT_LARGE = objLarge;
  if (objSmall) models.OBJECT_SMALL = objSmall;
  const temperature: CharacterModelSettings['temperature'] = {};
  const maxTokens: CharacterModelSettings['maxTokens'] = {};
  for (const t of ['TEXT_LARGE', 'TEXT_SMALL'] as const) {
    const temp = num(`${t}_TEMPERATURE`, 'DEFAULT_TEMPERATURE');
    const max = num(`${t}_MAX_TOKENS`, 'DEFAULT_MAX_TOKENS');
    if (temp !== undefined) temperature[t] = temp;
    if (max !== undefined) maxTokens[t] = max;
  }
  return { provider: str('MODEL_PROVIDER', 'modelProvider')?.toLowerCase() ?? providerOfModelPlugins(character?.plugins), models, temperature, maxTokens };
}

/** A provider seen through one character's model choices. */
export class CharacterModels implements ModelProvider {
  readonly name: string;
  readonly capabilities: ModelProvider['capabilities'];
  /** As the provider seen through it: a character's view is not wrapped in the model-call layer again. */
  readonly resilient?: boolean;

  constructor(
    readonly inner: ModelProvider,
    readonly settings: CharacterModelSettings,
  ) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
    this.resilient = inner.resilient;
  }

  modelFor(type: ModelType): string {
    return this.settings.models[type] ?? this.inner.modelFor?.(type) ?? 'unknown';
  }

  private text(params: GenerateTextParams): GenerateTextParams {
    const type = params.modelType ?? 'TEXT_LARGE';
    return {
      ...params,
      model: params.model ?? this.settings.models[type],
      temperature: params.temperature ?? this.settings.temperature[type],
      maxTokens: params.maxTokens ?? this.settings.maxTokens[type],
    };
  }

  generateText(params: GenerateTextParams): Promise<GenerateTextResult> {
    return this.inner.generateText(this.text(params));
  }

  streamText(params: GenerateTextParams): AsyncIterable<TextStreamChunk> {
    return this.inner.streamText(this.text(params));
  }

  generateObject(params: GenerateObjectParams): Promise<GenerateObjectResult> {
    return this.inner.generateObject({ ...params, model: params.model ?? this.settings.models[params.modelType ?? 'OBJECT_LARGE'] });
  }

  embed(texts: string[], options?: CallOptions): Promise<EmbedResult> {
    return this.inner.embed(texts, options);
  }
}
