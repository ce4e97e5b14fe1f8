export { LocalProvider, RULES_MODEL } from './local-provider.ts';
export type { LocalProviderOptions } from './local-provider.ts';
export { LOCAL_EMBEDDING_MODEL, LOCAL_EMBEDDING_DIMS } from './local-embedder.ts';
export { composeReply } from './rules/generator.ts';
export type { RuleReply } from './rules/generator.ts';
export { elizaReply, reflect } from './rules/eliza.ts';

/**
 * ElizaOS-shaped descriptor, so that a character listing "@elizaos/plugin-local" (or "local") loads
 * unchanged. It contributes no handlers: the model registry (src/models/registry.ts) serves every
 * model type, and MODEL_PROVIDER or the character's settings.MODEL_PROVIDER choose this provider.
 */
const plugin = { name: 'local', description: 'The embedded default: USE lite embeddings, a retrieval-and-rules generator, or a GGUF model via node-llama-cpp' };
export default plugin;
