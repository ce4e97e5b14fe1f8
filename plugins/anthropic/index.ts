export { AnthropicProvider } from './anthropic-provider.ts';
export type { AnthropicProviderOptions } from './anthropic-provider.ts';

/**
 * ElizaOS-shaped descriptor, so that a character listing "@elizaos/plugin-anthropic" (or "anthropic") loads
 * unchanged. It contributes no handlers: the model registry (src/models/registry.ts) serves every
 * model type, and MODEL_PROVIDER or the character's settings.MODEL_PROVIDER choose this provider.
 */
const plugin = { name: 'anthropic', description: 'Anthropic Claude models (chat, streaming, JSON output) through @anthropic-ai/sdk' };
export default plugin;
