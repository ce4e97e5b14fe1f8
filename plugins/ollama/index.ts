export { OllamaProvider } from './ollama-provider.ts';
export type { OllamaProviderOptions } from './ollama-provider.ts';
