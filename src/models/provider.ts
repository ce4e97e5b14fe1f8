/**
 * The one interface between agents and models. OpenAI, OpenRouter, Anthropic, Ollama and the local
 * default (plugins/<name>) implement it; test/models/contract.ts is the suite every one of them runs.
 */

/** ElizaOS model types (shared/ELIZAOS-REFERENCE.md §4) that Chronicle routes. */
export type ModelType = 'TEXT_SMALL' | 'TEXT_LARGE' | 'TEXT_EMBEDDING' | 'OBJECT_SMALL' | 'OBJECT_LARGE';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Milliseconds before the call is abandoned with a timeout error (default per provider). */
  timeoutMs?: number;
  /** Bounds each attempt of the resilient layer separately (timeoutMs still bounds the whole call). */
  attemptTimeoutMs?: number;
  /**
   * Told of every attempt that went out (resilient.ts), so the caller can append it as `model.called`
   * with the events it commits. Providers themselves ignore it.
   */
  record?: (attempt: ModelCallRecord) => void;
}

/** One model call or attempt: what the `model.called` event records (src/events/catalogue.ts). */
export interface ModelCallRecord {
  provider: string;
  model: string;
  kind: 'text' | 'object' | 'embedding';
  ok: boolean;
  usage?: TokenUsage;
  latencyMs: number;
  /** For a whole call: attempts made; for one attempt: its number (1 = first). */
  attempts: number;
  error?: ModelError;
}

/**
 * A structured view of what the prompt was built from. Remote LLMs read the rendered `messages`; the
 * local default generator, which has no language model, answers from this instead.
 */
export interface PromptContext {
  agentName: string;
  bio: string[];
  style: string[];
  adjectives: string[];
  topics: string[];
  /** Pairs from the character's messageExamples: what a user said and what the agent answered. */
  messageExamples: { user: string; agent: string }[];
  knowledge: { text: string; title?: string; score: number }[];
  memories: { text: string; score: number }[];
  facts: string[];
  recentMessages: { author: string; text: string }[];
  /** The message being answered. */
  userText: string;
  userName?: string;
}

export interface GenerateTextParams extends CallOptions {
  modelType?: 'TEXT_SMALL' | 'TEXT_LARGE';
  /** Overrides the model name the provider would pick for modelType. */
  model?: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  stopSequences?: string[];
  context?: PromptContext;
  /**
   * streamText only: with it, the resilient layer may retry a stream that already delivered deltas,
   * calling this first so the reader can drop what it saw; without it, only until the first delta.
   */
  onStreamRestart?: (attempt: number, error: ModelError) => void;
}

export interface GenerateTextResult {
  text: string;
  model: string;
  usage: TokenUsage;
  finishReason?: string;
  /** Wall time of the call in ms, retries included; set by the resilient wrapper (resilient.ts). */
  latencyMs?: number;
}

export type TextStreamChunk = { type: 'delta'; text: string } | { type: 'done'; result: GenerateTextResult };

export interface GenerateObjectParams extends CallOptions {
  modelType?: 'OBJECT_SMALL' | 'OBJECT_LARGE';
  model?: string;
  messages: ChatMessage[];
  /** JSON Schema the object must satisfy. */
  schema: Record<string, unknown>;
}

export interface GenerateObjectResult {
  object: unknown;
  model: string;
  usage: TokenUsage;
  /** Set by the resilient wrapper, as for GenerateTextResult. */
  latencyMs?: number;
}

export interface EmbedResult {
  vectors: Float32Array[];
  model: string;
  usage?: TokenUsage;
  /** Set by the resilient wrapper, as for GenerateTextResult. */
  latencyMs?: number;
}

export interface ModelProvider {
  /** 'openai' | 'openrouter' | 'anthropic' | 'ollama' | 'local' | a plugin's own name. */
  readonly name: string;
  readonly capabilities: { text: boolean; embeddings: boolean };
  /** True when calls already go through the resilient layer (resilient.ts): never wrap it again. */
  readonly resilient?: boolean;
  generateText(params: GenerateTextParams): Promise<GenerateTextResult>;
  /** Yields deltas as they arrive, then exactly one 'done' chunk with the full text and usage. */
  streamText(params: GenerateTextParams): AsyncIterable<TextStreamChunk>;
  generateObject(params: GenerateObjectParams): Promise<GenerateObjectResult>;
  /** Throws a ModelError with code 'unsupported' when capabilities.embeddings is false. */
  embed(texts: string[], options?: CallOptions): Promise<EmbedResult>;
  /** The model name a call of this type would use when params.model is not given (for call records). */
  modelFor?(type: ModelType): string;
  close?(): Promise<void>;
}

export type ModelErrorCode =
  | 'timeout'
  | 'aborted'
  | 'rate_limited'
  | 'unavailable' // 5xx, network error, circuit open
  | 'bad_request' // a 4xx that retrying cannot fix
  | 'auth'
  | 'malformed' // the provider answered something we cannot parse
  | 'unsupported';

export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    readonly provider: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
