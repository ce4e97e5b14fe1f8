export { OpenAIProvider } from './openai-provider.ts';
export type { OpenAIProviderOptions } from './openai-provider.ts';
export { createOpenRouterProvider } from './openrouter.ts';
export type { OpenRouterProviderOptions } from './openrouter.ts';
