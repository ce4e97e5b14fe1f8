export { OllamaProvider } from './ollama-provider.ts';
export type { OllamaProviderOptions } from './ollama-provider.ts';

/**
 * ElizaOS-shaped descriptor, so that a character listing "@elizaos/plugin-ollama" (or "ollama") loads
 * unchanged. It contributes no handlers: the model registry (src/models/registry.ts) serves every
 * model type, and MODEL_PROVIDER or the character's settings.MODEL_PROVIDER choose this provider.
 */
const plugin = { name: 'ollama', description: 'Models served by Ollama (/api/chat, /api/embed) through the ollama package' };
export default plugin;
