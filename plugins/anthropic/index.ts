export { AnthropicProvider } from './anthropic-provider.ts';
export type { AnthropicProviderOptions } from './anthropic-provider.ts';
