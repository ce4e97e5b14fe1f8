import type { Message, Ollama } from 'ollama';
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
} from '../../src/models/provider.ts';
import { CallScope, DEFAULT_TIMEOUT_MS } from '../../src/models/call-scope.ts';
import { parseObject } from '../../src/models/json-object.ts';
import { errorForStatus, parseRetryAfter } from '../../src/models/errors.ts';

// The package is imported on the first call, not with this module: a server whose agents use another
// provider never loads it (start-up time and idle memory, bench/RESULTS-footprint.md).
let sdk: Promise<typeof import('ollama')> | undefined;
const loadSdk = () => (sdk ??= import('ollama'));

export interface OllamaProviderOptions {
  /** e.g. http://127.0.0.1:11434 (the package's option is `host`). */
  host?: string;
  model?: string;
  smallModel?: string;
  /** null: do not embed with Ollama. */
  embeddingModel?: string | null;
  timeoutMs?: number;
}

/**
 * Ollama's /api/chat (NDJSON stream) and /api/embed through the `ollama` package. The package takes
 * no per-call AbortSignal, so each call gets a client whose fetch carries the call's signal.
 */
export class OllamaProvider implements ModelProvider {
  readonly name = 'ollama';
  readonly capabilities: { text: boolean; embeddings: boolean };
  private readonly host: string;
  private readonly models: Record<ModelType, string>;
  private readonly timeoutMs: number;

  constructor(options: OllamaProviderOptions = {}) {
    this.host = options.host ?? 'http://127.0.0.1:11434';
    const large = options.model ?? 'llama3.2';
    const small = options.smallModel ?? large;
    const embedding = options.embeddingModel === undefined ? 'nomic-embed-text' : options.embeddingModel;
    this.capabilities = { text: true, embeddings: embedding !== null };
    this.models = { TEXT_LARGE: large, OBJECT_LARGE: large, TEXT_SMALL: small, OBJECT_SMALL: small, TEXT_EMBEDDING: embedding ?? '' };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  modelFor(type: ModelType): string {
    return this.models[type];
  }

  /** A client for one call (the package is imported on the first). */
  private async client(signal: AbortSignal): Promise<Ollama> {
    const { Ollama: OllamaClient } = await loadSdk();
    return new OllamaClient({
      host: this.host,
      fetch: async (input, init) => {
        const res = await fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
        // Map HTTP errors here: the package's ResponseError drops the headers, and with them retry-after.
        if (!res.ok) {
          const text = await res.text().catch(() => '');
          let message = text;
          try {
            message = (JSON.parse(text) as { error?: string }).error ?? text;
          } catch {
            // not JSON: keep the text
          }
          throw errorForStatus(this.name, res.status, message, parseRetryAfter(res.headers));
        }
        return res;
      },
    });
  }

  generateText(params: GenerateTextParams): Promise<GenerateTextResult> {
    const model = params.model ?? this.models[params.modelType ?? 'TEXT_LARGE'];
    return this.scope(params).run(async (signal) => {
      const res = await (await this.client(signal)).chat({ model, messages: params.messages as Message[], stream: false, options: this.options(params) });
      if (typeof res?.message?.content !== 'string') throw new ModelError('malformed', `${this.name}: response has no message content`, this.name, true);
      return {
        text: res.message.content,
        model: res.model ?? model,
        usage: { promptTokens: res.prompt_eval_count ?? 0, completionTokens: res.eval_count ?? 0 },
        finishReason: res.done_reason,
      };
    });
  }

  async *streamText(params: GenerateTextParams): AsyncIterable<TextStreamChunk> {
    const model = params.model ?? this.models[params.modelType ?? 'TEXT_LARGE'];
    const scope = this.scope(params);
    try {
      scope.throwIfCancelled();
      const stream = await (await this.client(scope.signal)).chat({
        model,
        messages: params.messages as Message[],
        stream: true,
        options: this.options(params),
      });
      let text = '';
      let done = false;
      for await (const part of stream) {
        const delta = part.message?.content ?? '';
        if (delta) {
          text += delta;
          yield { type: 'delta', text: delta };
        }
        if (part.done) {
          done = true;
          yield {
            type: 'done',
            result: {
              text,
              model: part.model ?? model,
              usage: { promptTokens: part.prompt_eval_count ?? 0, completionTokens: part.eval_count ?? 0 },
              finishReason: part.done_reason,
            },
          };
          break;
        }
      }
      if (!done) throw new ModelError('unavailable', `${this.name}: stream ended before done`, this.name, true);
    } catch (err) {
      throw scope.error(err);
    } finally {
      scope.dispose();
    }
  }

  generateObject(params: GenerateObjectParams): Promise<GenerateObjectResult> {
    const model = params.model ?? this.models[params.modelType ?? 'OBJECT_LARGE'];
    return this.scope(params).run(async (signal) => {
      // Ollama's `format` takes a JSON Schema and constrains decoding to it.
      const res = await (await this.client(signal)).chat({ model, messages: params.messages as Message[], stream: false, format: params.schema });
      if (typeof res?.message?.content !== 'string') throw new ModelError('malformed', `${this.name}: response has no message content`, this.name, true);
      return {
        object: parseObject(res.message.content, params.schema, this.name),
        model: res.model ?? model,
        usage: { promptTokens: res.prompt_eval_count ?? 0, completionTokens: res.eval_count ?? 0 },
      };
    });
  }

  embed(texts: string[], options: CallOptions = {}): Promise<EmbedResult> {
    if (!this.capabilities.embeddings) return Promise.reject(new ModelError('unsupported', `${this.name} has no embedding model`, this.name, false));
    const model = this.models.TEXT_EMBEDDING;
    if (texts.length === 0) return Promise.resolve({ vectors: [], model });
    return this.scope(options).run(async (signal) => {
      const res = await (await this.client(signal)).embed({ model, input: texts });
      if (!Array.isArray(res?.embeddings) || res.embeddings.length !== texts.length)
        throw new ModelError('malformed', `${this.name}: expected ${texts.length} embeddings`, this.name, true);
      return {
        vectors: res.embeddings.map((v) => Float32Array.from(v)),
        model: res.model ?? model,
        usage: { promptTokens: res.prompt_eval_count ?? 0, completionTokens: 0 },
      };
    });
  }

  private scope(options: CallOptions): CallScope {
    return new CallScope(this.name, options, this.timeoutMs);
  }

  private options(params: GenerateTextParams) {
    return { num_predict: params.maxTokens, temperature: params.temperature, stop: params.stopSequences?.length ? params.stopSequences : undefined };
  }
}
