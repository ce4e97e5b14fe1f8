import type { BuiltIns } from '../src/app/chronicle.ts';
import type { ProviderFactory } from '../src/models/registry.ts';
import type { ShippedPlugins } from '../src/plugin-host/loader.ts';
import { AnthropicProvider } from './anthropic/index.ts';
import { bootstrapPlugin } from './bootstrap/index.ts';
import { LocalProvider } from './local/index.ts';
import { OllamaProvider } from './ollama/index.ts';
import { createOpenRouterProvider, OpenAIProvider } from './openai/index.ts';

/**
 * The plugins and model providers that ship with Chronicle, picked in this one place and handed to the
 * core (src/ imports no plugin; the dependency check in `npm test` keeps it so). The program entry
 * (bin/main.ts) passes `builtIns` to the CLI; tests and benchmarks import what they need from here.
 */

/** The model providers by MODEL_PROVIDER / EMBEDDING_PROVIDER name, each built from the settings on first use. */
export const builtInProviders: Record<string, ProviderFactory> = {
  openai: (s) =>
    new OpenAIProvider({
      apiKey: s.openaiApiKey,
      baseURL: s.openaiBaseUrl,
      model: s.openaiModel,
      smallModel: s.openaiSmallModel,
      embeddingModel: s.openaiEmbeddingModel,
    }),
  openrouter: (s) => createOpenRouterProvider({ apiKey: s.openrouterApiKey, baseURL: s.openrouterBaseUrl }),
  anthropic: (s) => new AnthropicProvider({ apiKey: s.anthropicApiKey, baseURL: s.anthropicBaseUrl, model: s.anthropicModel }),
  ollama: (s) => new OllamaProvider({ host: s.ollamaHost, model: s.ollamaModel, embeddingModel: s.ollamaEmbeddingModel }),
  local: (s) => new LocalProvider({ modelPath: s.localModelPath, threads: s.localModelThreads, embedderIdleMs: s.localEmbedderIdleMs }),
};

export { bootstrapPlugin };

/** plugins/'s folders, imported through this module graph when a character names one (ShippedPlugins). */
export const shippedPlugins: ShippedPlugins = {
  anthropic: () => import('./anthropic/index.ts'),
  bootstrap: () => import('./bootstrap/index.ts'),
  local: () => import('./local/index.ts'),
  ollama: () => import('./ollama/index.ts'),
  openai: () => import('./openai/index.ts'),
  webhook: () => import('./webhook/index.ts'),
};

export const builtIns: BuiltIns = { bootstrap: bootstrapPlugin, shippedPlugins, providers: builtInProviders };
