import type Anthropic from '@anthropic-ai/sdk';
import { ModelError } from '../../src/models/provider.ts';
import type {
  CallOptions,
  ChatMessage,
  EmbedResult,
  GenerateObjectParams,
  GenerateObjectResult,
  GenerateTextParams,
  GenerateTextResult,
  ModelProvider,
  ModelType,
  TextStreamChunk,
} from '../../src/models/provider.ts';
import { CallScope, DEFAULT_TIMEOUT_MS } from '../../src/models/call-scope.ts';
import { parseObject, schemaInstruction } from '../../src/models/json-object.ts';

// The SDK (~260 files) is imported on the first call, not with this module: a server whose agents use
// another provider never loads it (start-up time and idle memory, bench/RESULTS-footprint.md).
let sdk: Promise<typeof import('@anthropic-ai/sdk')> | undefined;
const loadSdk = () => (sdk ??= import('@anthropic-ai/sdk'));

export interface AnthropicProviderOptions {
  apiKey?: string;
  /** Without /v1 (the SDK adds it), e.g. http://127.0.0.1:8081. */
  baseURL?: string;
  model?: string;
  smallModel?: string;
  /** Anthropic requires max_tokens; used when the call gives none (default 1024). */
  defaultMaxTokens?: number;
  timeoutMs?: number;
}

/** Anthropic's messages API through @anthropic-ai/sdk. It has no embeddings. */
export class AnthropicProvider implements ModelProvider {
  readonly name = 'anthropic';
  readonly capabilities = { text: true, embeddings: false };
  private readonly clientOptions: ConstructorParameters<typeof Anthropic>[0];
  private sdkClient: Promise<Anthropic> | undefined;
  private readonly models: Record<ModelType, string>;
  private readonly timeoutMs: number;
  private readonly defaultMaxTokens: number;

  constructor(options: AnthropicProviderOptions = {}) {
    const large = options.model ?? 'claude-sonnet-4-5';
    const small = options.smallModel ?? 'claude-haiku-4-5';
    this.models = { TEXT_LARGE: large, OBJECT_LARGE: large, TEXT_SMALL: small, OBJECT_SMALL: small, TEXT_EMBEDDING: '' };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.defaultMaxTokens = options.defaultMaxTokens ?? 1024;
    const apiKey = options.apiKey ?? 'missing-api-key';
    this.clientOptions = {
      apiKey,
      baseURL: options.baseURL,
      // This SDK version sends the key as a Bearer token; x-api-key is what the API has always
      // documented, so send both.
      defaultHeaders: { 'x-api-key': apiKey },
      maxRetries: 0,
      timeout: 24 * 3_600_000, // our CallScope owns the deadline
    };
  }

  /** The SDK client, built (and the SDK imported) on the first call. */
  private client(): Promise<Anthropic> {
    return (this.sdkClient ??= loadSdk().then(({ default: AnthropicSdk }) => new AnthropicSdk(this.clientOptions)));
  }

  modelFor(type: ModelType): string {
    return this.models[type];
  }

  generateText(params: GenerateTextParams): Promise<GenerateTextResult> {
    const model = params.model ?? this.models[params.modelType ?? 'TEXT_LARGE'];
    return this.scope(params).run(async (signal) => {
      const res = await (await this.client()).messages.create({ ...this.body(params.messages, model, params), stream: false }, { signal });
      return {
        text: textOf(res.content, this.name),
        model: res.model ?? model,
        usage: { promptTokens: res.usage.input_tokens, completionTokens: res.usage.output_tokens },
        finishReason: res.stop_reason ?? undefined,
      };
    });
  }

  async *streamText(params: GenerateTextParams): AsyncIterable<TextStreamChunk> {
    const model = params.model ?? this.models[params.modelType ?? 'TEXT_LARGE'];
    const scope = this.scope(params);
    try {
      scope.throwIfCancelled();
      const stream = await (await this.client()).messages.create({ ...this.body(params.messages, model, params), stream: true }, { signal: scope.signal });
      let text = '';
      let served = model;
      let promptTokens = 0;
      let completionTokens = 0;
      let finishReason: string | undefined;
      let stopped = false;
      for await (const ev of stream) {
        if (ev.type === 'message_start') {
          served = ev.message.model ?? model;
          promptTokens = ev.message.usage?.input_tokens ?? 0;
          completionTokens = ev.message.usage?.output_tokens ?? 0;
        } else if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') {
          text += ev.delta.text;
          yield { type: 'delta', text: ev.delta.text };
        } else if (ev.type === 'message_delta') {
          finishReason = ev.delta.stop_reason ?? finishReason;
          completionTokens = ev.usage?.output_tokens ?? completionTokens;
        } else if (ev.type === 'message_stop') stopped = true;
      }
      if (!stopped) throw new ModelError('unavailable', `${this.name}: stream ended before message_stop`, this.name, true);
      yield { type: 'done', result: { text, model: served, usage: { promptTokens, completionTokens }, finishReason } };
    } catch (err) {
      throw scope.error(err);
    } finally {
      scope.dispose();
    }
  }

  generateObject(params: GenerateObjectParams): Promise<GenerateObjectResult> {
    const model = params.model ?? this.models[params.modelType ?? 'OBJECT_LARGE'];
    const messages: ChatMessage[] = [...params.messages, { role: 'system', content: schemaInstruction(params.schema) }];
    return this.scope(params).run(async (signal) => {
      const res = await (await this.client()).messages.create({ ...this.body(messages, model, {}), stream: false }, { signal });
      const text = textOf(res.content, this.name);
      return {
        object: parseObject(text, params.schema, this.name),
        model: res.model ?? model,
        usage: { promptTokens: res.usage.input_tokens, completionTokens: res.usage.output_tokens },
      };
    });
  }

  embed(_texts: string[], _options?: CallOptions): Promise<EmbedResult> {
    return Promise.reject(new ModelError('unsupported', 'anthropic has no embeddings', this.name, false));
  }

  private scope(options: CallOptions): CallScope {
    return new CallScope(this.name, options, this.timeoutMs);
  }

  /** Anthropic takes system text apart from the turns, and the turns must start with the user. */
  private body(messages: ChatMessage[], model: string, params: { maxTokens?: number; temperature?: number; stopSequences?: string[] }) {
    const system = messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n');
    const turns = messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content || ' ' }));
    if (turns.length === 0 || turns[0].role !== 'user') turns.unshift({ role: 'user', content: '(conversation start)' });
    return {
      model,
      max_tokens: params.maxTokens ?? this.defaultMaxTokens,
      system: system || undefined,
      messages: turns,
      temperature: params.temperature,
      stop_sequences: params.stopSequences?.length ? params.stopSequences : undefined,
    };
  }
}

function textOf(content: unknown, provider: string): string {
  if (!Array.isArray(content)) throw new ModelError('malformed', `${provider}: response has no content`, provider, true);
  return content
    .filter((b: { type?: string }) => b.type === 'text')
    .map((b: { text?: string }) => b.text ?? '')
    .join('');
}
