export { LocalProvider, RULES_MODEL } from './local-provider.ts';
export type { LocalProviderOptions } from './local-provider.ts';
export { LOCAL_EMBEDDING_MODEL, LOCAL_EMBEDDING_DIMS } from './local-embedder.ts';
export { composeReply } from './rules/generator.ts';
export type { RuleReply } from './rules/generator.ts';
export { elizaReply, reflect } from './rules/eliza.ts';
