import { ModelError } from '../../src/models/provider.ts';
import type {
  CallOptions,
  EmbedResult,
  GenerateObjectParams,
  GenerateObjectResult,
  GenerateTextParams,
  GenerateTextResult,
  ModelProvider,
  TextStreamChunk,
} from '../../src/models/provider.ts';

/** An in-memory provider whose next outcomes are scripted: errors to throw, or success. */
export class ScriptedProvider implements ModelProvider {
  readonly capabilities = { text: true, embeddings: true };
  calls = 0;
  embedCalls: string[][] = [];
  script: (ModelError | 'ok')[] = [];
  constructor(readonly name = 'scripted') {}

  modelFor(): string {
    return 'scripted-model';
  }

  private next(options: CallOptions): void {
    this.calls++;
    if (options.signal?.aborted) throw new ModelError('aborted', 'aborted', this.name, false);
    const step = this.script.shift() ?? 'ok';
    if (step !== 'ok') throw step;
  }

  async generateText(params: GenerateTextParams): Promise<GenerateTextResult> {
    this.next(params);
    return { text: 'ok', model: 'scripted-model', usage: { promptTokens: 3, completionTokens: 1 } };
  }

  async *streamText(params: GenerateTextParams): AsyncIterable<TextStreamChunk> {
    this.next(params);
    yield { type: 'delta', text: 'o' };
    const after = this.script[0];
    if (after instanceof ModelError && /mid-stream/.test(after.message)) {
      this.script.shift();
      throw after;
    }
    yield { type: 'delta', text: 'k' };
    yield { type: 'done', result: { text: 'ok', model: 'scripted-model', usage: { promptTokens: 3, completionTokens: 2 } } };
  }

  async generateObject(params: GenerateObjectParams): Promise<GenerateObjectResult> {
    this.next(params);
    return { object: {}, model: 'scripted-model', usage: { promptTokens: 1, completionTokens: 1 } };
  }

  async embed(texts: string[], options: CallOptions = {}): Promise<EmbedResult> {
    this.next(options);
    this.embedCalls.push(texts);
    return { vectors: texts.map((t) => Float32Array.from([t.length, 1])), model: 'scripted-embed' };
  }
}

export const err = (code: ModelError['code'], retryable: boolean, retryAfterMs?: number, message: string = code) =>
  new ModelError(code, message, 'scripted', retryable, retryAfterMs);
