import { OpenAIProvider } from './openai-provider.ts';

export interface OpenRouterProviderOptions {
  apiKey?: string;
  /** Default https://openrouter.ai/api/v1. */
  baseURL?: string;
  model?: string;
  smallModel?: string;
  /** OpenRouter's attribution headers (HTTP-Referer, X-Title). */
  referer?: string;
  title?: string;
  timeoutMs?: number;
}

/** OpenRouter speaks OpenAI's wire format; it has no embeddings endpoint we rely on. */
export function createOpenRouterProvider(options: OpenRouterProviderOptions = {}): OpenAIProvider {
  return new OpenAIProvider({
    name: 'openrouter',
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? 'https://openrouter.ai/api/v1',
    model: options.model ?? 'openai/gpt-4o',
    smallModel: options.smallModel ?? 'openai/gpt-4o-mini',
    embeddingModel: null,
    defaultHeaders: { 'HTTP-Referer': options.referer ?? 'https://github.com/chronicle', 'X-Title': options.title ?? 'Chronicle' },
    timeoutMs: options.timeoutMs,
  });
}
