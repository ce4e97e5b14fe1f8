import { ModelError } from '../../src/models/provider.ts';
import type {
  CallOptions,
  EmbedResult,
  GenerateObjectParams,
  GenerateObjectResult,
  GenerateTextParams,
  GenerateTextResult,
  ModelProvider,
  ModelType,
  TextStreamChunk,
  TokenUsage,
} from '../../src/models/provider.ts';
import { CallScope, DEFAULT_TIMEOUT_MS } from '../../src/models/call-scope.ts';
import { parseObject } from '../../src/models/json-object.ts';
import { estimateUsage } from '../../src/models/usage.ts';
import type OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { KeepAliveFetch } from './keep-alive.ts';

// The SDK (~200 files) is imported on the first call, not with this module: a server whose agents use
// another provider never loads it (start-up time and idle memory, bench/RESULTS-footprint.md).
let sdk: Promise<typeof import('openai')> | undefined;
const loadSdk = () => (sdk ??= import('openai'));

export interface OpenAIProviderOptions {
  /** 'openai' by default; OpenRouter and other compatible servers reuse this class under their name. */
  name?: string;
  apiKey?: string;
  /** Includes /v1, e.g. http://127.0.0.1:8080/v1 (the SDK's convention). */
  baseURL?: string;
  /** TEXT_LARGE / OBJECT_LARGE model. */
  model?: string;
  /** TEXT_SMALL / OBJECT_SMALL model. */
  smallModel?: string;
  /** null: this endpoint has no embeddings (capabilities.embeddings = false). */
  embeddingModel?: string | null;
  defaultHeaders?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * OpenAI's chat-completions API (chat, streaming, JSON-schema output, embeddings) on the official
 * `openai` SDK, so that what the SDK covers (Azure and compatible servers, new parameters and
 * endpoints) is one option away. The SDK's own retries are off (maxRetries 0) and its errors are
 * mapped by toModelError: retrying is the model-call layer's job (src/models/resilient.ts), so that it
 * can honour retry-after and feed the breaker. Its fetch keeps connections alive (keep-alive.ts).
 */
export class OpenAIProvider implements ModelProvider {
  readonly name: string;
  readonly capabilities: { text: boolean; embeddings: boolean };
  private readonly clientOptions: ConstructorParameters<typeof OpenAI>[0];
  private sdkClient: Promise<OpenAI> | undefined;
  private readonly pool: KeepAliveFetch;
  private readonly models: Record<ModelType, string>;
  private readonly timeoutMs: number;
  private readonly baseURL: string;

  constructor(options: OpenAIProviderOptions = {}) {
    this.name = options.name ?? 'openai';
    const large = options.model ?? 'gpt-4o';
    const small = options.smallModel ?? 'gpt-4o-mini';
    const embedding = options.embeddingModel === undefined ? 'text-embedding-3-small' : options.embeddingModel;
    this.capabilities = { text: true, embeddings: embedding !== null };
    this.models = { TEXT_LARGE: large, OBJECT_LARGE: large, TEXT_SMALL: small, OBJECT_SMALL: small, TEXT_EMBEDDING: embedding ?? '' };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.baseURL = options.baseURL ?? 'https://api.openai.com/v1';
    this.pool = new KeepAliveFetch();
    this.clientOptions = {
      apiKey: options.apiKey ?? 'missing-api-key',
      baseURL: this.baseURL,
      defaultHeaders: options.defaultHeaders,
      maxRetries: 0,
      // The call's deadline is CallScope's signal; the SDK's own timer is only a backstop.
      timeout: this.timeoutMs + 1_000,
      fetch: this.pool.fetch,
    };
  }

  /** The SDK client, built (and the SDK imported) on the first call. */
  private client(): Promise<OpenAI> {
    return (this.sdkClient ??= loadSdk().then(({ default: OpenAISdk }) => new OpenAISdk(this.clientOptions)));
  }

  /** 'https:' or 'http:' — which scheme the base URL selected. */
  get protocol(): 'http:' | 'https:' {
    return new URL(this.baseURL).protocol as 'http:' | 'https:';
  }

  modelFor(type: ModelType): string {
    return this.models[type];
  }

  generateText(params: GenerateTextParams): Promise<GenerateTextResult> {
    const model = params.model ?? this.models[params.modelType ?? 'TEXT_LARGE'];
    return this.scope(params).run(async (signal) => {
      const res = await (await this.client()).chat.completions.create(this.chatBody(model, params), { signal });
      const choice = res.choices?.[0];
      if (!choice || typeof choice.message?.content !== 'string')
        throw new ModelError('malformed', `${this.name}: response has no message content`, this.name, true);
      const text = choice.message.content;
      return { text, model: res.model ?? model, usage: this.usage(res.usage, params, text), finishReason: choice.finish_reason ?? undefined };
    });
  }

  async *streamText(params: GenerateTextParams): AsyncIterable<TextStreamChunk> {
    const model = params.model ?? this.models[params.modelType ?? 'TEXT_LARGE'];
    const scope = this.scope(params);
    try {
      scope.throwIfCancelled();
      const stream = await (await this.client()).chat.completions.create(
        { ...this.chatBody(model, params), stream: true, stream_options: { include_usage: true } },
        { signal: scope.signal },
      );
      let text = '';
      let finishReason: string | undefined;
      let usage: TokenUsage | undefined;
      let served = model;
      // Leaving this loop early (the reader stopped) ends the SDK's stream, which aborts its request.
      for await (const chunk of stream) {
        if (chunk.model) served = chunk.model;
        if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
        const choice = chunk.choices?.[0];
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        const delta = choice?.delta?.content;
        if (typeof delta === 'string' && delta) {
          text += delta;
          yield { type: 'delta', text: delta };
        }
      }
      // A body that ends without a finish_reason was cut off (proxy, crash): not a complete answer.
      if (!finishReason) throw new ModelError('unavailable', `${this.name}: stream ended before the model finished`, this.name, true);
      yield { type: 'done', result: { text, model: served, usage: usage ?? estimateUsage(params.messages, text), finishReason } };
    } catch (err) {
      throw scope.error(err);
    } finally {
      scope.dispose();
    }
  }

  generateObject(params: GenerateObjectParams): Promise<GenerateObjectResult> {
    const model = params.model ?? this.models[params.modelType ?? 'OBJECT_LARGE'];
    return this.scope(params).run(async (signal) => {
      const res = await (await this.client()).chat.completions.create(
        { model, messages: params.messages, response_format: { type: 'json_schema', json_schema: { name: 'result', schema: params.schema, strict: false } } },
        { signal },
      );
      const text = res.choices?.[0]?.message?.content;
      if (typeof text !== 'string') throw new ModelError('malformed', `${this.name}: response has no message content`, this.name, true);
      return { object: parseObject(text, params.schema, this.name), model: res.model ?? model, usage: this.usage(res.usage, params, text) };
    });
  }

  embed(texts: string[], options: CallOptions = {}): Promise<EmbedResult> {
    if (!this.capabilities.embeddings) return Promise.reject(new ModelError('unsupported', `${this.name} has no embeddings`, this.name, false));
    const model = this.models.TEXT_EMBEDDING;
    if (texts.length === 0) return Promise.resolve({ vectors: [], model });
    return this.scope(options).run(async (signal) => {
      // base64: decoded straight into a Float32Array (no number[] in between, a quarter of the JSON).
      // Asked for explicitly, the SDK hands base64 through undecoded: we decode it once, ourselves.
      const res = await (await this.client()).embeddings.create({ model, input: texts, encoding_format: 'base64' }, { signal });
      if (!Array.isArray(res.data) || res.data.length !== texts.length)
        throw new ModelError('malformed', `${this.name}: expected ${texts.length} embeddings`, this.name, true);
      const vectors = [...res.data].sort((a, b) => a.index - b.index).map((d) => decodeEmbedding(d.embedding as unknown, this.name));
      const usage = res.usage ? { promptTokens: res.usage.prompt_tokens, completionTokens: 0 } : undefined;
      return { vectors, model: res.model ?? model, usage };
    });
  }

  /** Frees the keep-alive sockets. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  private chatBody(model: string, params: GenerateTextParams) {
    return {
      model,
      messages: params.messages as ChatCompletionMessageParam[],
      ...(params.maxTokens !== undefined ? { max_completion_tokens: params.maxTokens } : {}),
      ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
      ...(params.stopSequences?.length ? { stop: params.stopSequences } : {}),
    };
  }

  private scope(options: CallOptions): CallScope {
    return new CallScope(this.name, options, this.timeoutMs);
  }

  private usage(
    u: { prompt_tokens: number; completion_tokens: number } | undefined | null,
    params: { messages: GenerateTextParams['messages'] },
    text: string,
  ): TokenUsage {
    return u ? { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens } : estimateUsage(params.messages, text);
  }
}

function decodeEmbedding(value: unknown, provider: string): Float32Array {
  if (typeof value === 'string') {
    const buf = Buffer.from(value, 'base64');
    if (buf.byteLength % 4 !== 0 || buf.byteLength === 0) throw new ModelError('malformed', `${provider}: bad base64 embedding`, provider, true);
    // Copy into an aligned buffer: Buffer.from may share an unaligned pool slice.
    return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  }
  if (Array.isArray(value) && value.every((x) => typeof x === 'number')) return Float32Array.from(value);
  throw new ModelError('malformed', `${provider}: embedding is neither base64 nor a number array`, provider, true);
}
