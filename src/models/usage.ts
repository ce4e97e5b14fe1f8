import type { ChatMessage, TokenUsage } from './provider.ts';

/** Rough token count (≈4 characters a token) for providers or servers that report no usage. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

export function estimateUsage(messages: ChatMessage[], completion: string): TokenUsage {
  return { promptTokens: messages.reduce((n, m) => n + estimateTokens(m.content) + 4, 0), completionTokens: estimateTokens(completion) };
}
