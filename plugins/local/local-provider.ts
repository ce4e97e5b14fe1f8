import { setImmediate as nextTurn } from 'node:timers/promises';
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
import { CallScope } from '../../src/models/call-scope.ts';
import { parseObject, schemaInstruction } from '../../src/models/json-object.ts';
import { estimateUsage } from '../../src/models/usage.ts';
import { composeReply } from './rules/generator.ts';
import { objectFromSchema } from './rules/schema-object.ts';
import { EmbedderClosedError, LocalEmbeddingWorker, LOCAL_EMBEDDING_MODEL } from './local-embedder.ts';
import { LlamaGenerator } from './llama-generator.ts';

/**
 * The rules generator's model name, recorded in model.called events and replies. v2: knowledge quoted
 * as prose under a relevance threshold, and "I don't know" (issue 19 item 7).
 */
export const RULES_MODEL = 'chronicle-rules-v2';

export interface LocalProviderOptions {
  /** LOCAL_MODEL_PATH: a GGUF file to generate with through node-llama-cpp. */
  modelPath?: string;
  /** LOCAL_MODEL_THREADS (default 1). */
  threads?: number;
  /** LOCAL_EMBEDDER_IDLE_MS: the embedding worker ends after this long without a request (0: never). */
  embedderIdleMs?: number;
  timeoutMs?: number;
}

/**
 * Works with no key and no network. Embeddings: Universal Sentence Encoder lite in a worker thread.
 * Text: a GGUF model when LOCAL_MODEL_PATH is set, otherwise the retrieval-and-rules generator
 * (rules/generator.ts), which answers from params.context and is not a language model.
 */
export class LocalProvider implements ModelProvider {
  readonly name = 'local';
  readonly capabilities = { text: true, embeddings: true };
  private readonly embeddings: LocalEmbeddingWorker;
  private readonly llama: LlamaGenerator | undefined;
  private readonly timeoutMs: number;

  constructor(options: LocalProviderOptions = {}) {
    this.embeddings = new LocalEmbeddingWorker({ idleMs: options.embedderIdleMs });
    this.llama = options.modelPath ? new LlamaGenerator({ modelPath: options.modelPath, threads: options.threads }) : undefined;
    this.timeoutMs = options.timeoutMs ?? 300_000;
  }

  modelFor(type: ModelType): string {
    if (type === 'TEXT_EMBEDDING') return LOCAL_EMBEDDING_MODEL;
    return this.llama?.modelName ?? RULES_MODEL;
  }

  generateText(params: GenerateTextParams): Promise<GenerateTextResult> {
    return this.scope(params).run(async (signal) => {
      if (this.llama) {
        const r = await this.llama.generate({ ...params, signal });
        return { text: r.text, model: this.llama.modelName, usage: r.usage, finishReason: r.finishReason };
      }
      const { text } = composeReply(params.messages, params.context);
      return { text, model: RULES_MODEL, usage: estimateUsage(params.messages, text), finishReason: 'stop' };
    });
  }

  async *streamText(params: GenerateTextParams): AsyncIterable<TextStreamChunk> {
    const scope = this.scope(params);
    try {
      scope.throwIfCancelled();
      if (this.llama) {
        yield* this.streamLlama(params, scope.signal);
        return;
      }
      const { text } = composeReply(params.messages, params.context);
      // Word by word, one event-loop turn apart: the client sees a stream and an abort lands between words.
      for (const word of text.match(/\S+\s*/g) ?? [text]) {
        await nextTurn();
        scope.throwIfCancelled();
        yield { type: 'delta', text: word };
      }
      yield { type: 'done', result: { text, model: RULES_MODEL, usage: estimateUsage(params.messages, text), finishReason: 'stop' } };
    } catch (err) {
      throw scope.error(err);
    } finally {
      scope.dispose();
    }
  }

  /** node-llama-cpp reports chunks by callback; hand them to the iterator through a small queue. */
  private async *streamLlama(params: GenerateTextParams, signal: AbortSignal): AsyncIterable<TextStreamChunk> {
    const llama = this.llama!;
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    const run = llama.generate({
      ...params,
      signal,
      onTextChunk: (t) => {
        queue.push(t);
        wake?.();
      },
    });
    run.then(
      () => {
        finished = true;
        wake?.();
      },
      () => {
        finished = true;
        wake?.();
      },
    );
    let text = '';
    while (!finished || queue.length > 0) {
      if (queue.length === 0) {
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        continue;
      }
      const t = queue.shift()!;
      text += t;
      if (t) yield { type: 'delta', text: t };
    }
    const r = await run;
    yield { type: 'done', result: { text: r.text || text, model: llama.modelName, usage: r.usage, finishReason: r.finishReason } };
  }

  generateObject(params: GenerateObjectParams): Promise<GenerateObjectResult> {
    return this.scope(params).run(async (signal) => {
      if (this.llama) {
        const messages = [...params.messages, { role: 'system' as const, content: schemaInstruction(params.schema) }];
        const r = await this.llama.generate({ messages, signal });
        return { object: parseObject(r.text, params.schema, this.name), model: this.llama.modelName, usage: r.usage };
      }
      const { text } = composeReply(params.messages);
      return { object: objectFromSchema(params.schema, text), model: RULES_MODEL, usage: estimateUsage(params.messages, text) };
    });
  }

  embed(texts: string[], options: CallOptions = {}): Promise<EmbedResult> {
    if (texts.length === 0) return Promise.resolve({ vectors: [], model: LOCAL_EMBEDDING_MODEL });
    return this.scope(options).run(async (signal) => {
      // The worker finishes the batch regardless; an abort only stops this caller waiting for it.
      const vectors = await Promise.race([
        this.embeddings.embed(texts),
        new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
      ]).catch((err: unknown) => {
        if (signal.aborted) throw err;
        // Closed means the server is stopping: a retry would only start a worker nobody waits for.
        if (err instanceof EmbedderClosedError) throw new ModelError('unavailable', `local: ${err.message}`, this.name, false);
        throw new ModelError('unavailable', `local: embedding failed: ${String(err)}`, this.name, true);
      });
      return { vectors, model: LOCAL_EMBEDDING_MODEL, usage: { promptTokens: texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0), completionTokens: 0 } };
    });
  }

  private scope(options: CallOptions): CallScope {
    return new CallScope(this.name, options, this.timeoutMs);
  }

  async close(): Promise<void> {
    await this.embeddings.close();
    await this.llama?.close();
  }
}
