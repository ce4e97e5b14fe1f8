export { OpenAIProvider } from './openai-provider.ts';
export type { OpenAIProviderOptions } from './openai-provider.ts';
export { createOpenRouterProvider } from './openrouter.ts';
export type { OpenRouterProviderOptions } from './openrouter.ts';

/**
 * ElizaOS-shaped descriptor, so that a character listing "@elizaos/plugin-openai" (or "openai") loads
 * unchanged. It contributes no handlers: the model registry (src/models/registry.ts) serves every
 * model type, and MODEL_PROVIDER or the character's settings.MODEL_PROVIDER choose this provider.
 */
const plugin = { name: 'openai', description: 'OpenAI and OpenRouter models (chat, streaming, JSON output, embeddings) on the official openai SDK' };
export default plugin;
