import { ModelError, type GenerateTextParams, type GenerateTextResult, type ModelProvider, type TextStreamChunk } from '../../../src/models/provider.ts';
import type { ModelSource } from '../../../src/actors/types.ts';

type Answer = (params: GenerateTextParams, call: number) => string | Promise<string>;

/**
 * Scriptable fake providers: instant, streaming (one delta per word), failing (a given error for the
 * first N calls), hanging (never answers, honours abort). Every call is recorded.
 */
export class FakeModel implements ModelProvider {
  readonly capabilities = { text: true, embeddings: true };
  readonly calls: GenerateTextParams[] = [];
  failFirst = 0;
  failWith: () => Error = () => new ModelError('unavailable', 'provider down', 'fake', true);
  hang = false;
  /** Milliseconds between streamed deltas (0 = synchronous bursts). */
  deltaDelayMs = 0;

  constructor(
    readonly name = 'fake',
    private answer: Answer = (p) => `You said: ${p.context?.userText ?? p.messages.at(-1)?.content ?? ''}`,
  ) {}

  modelFor(type: string): string {
    return type === 'TEXT_SMALL' ? 'fake-small' : 'fake-large';
  }

  setAnswer(answer: Answer): void {
    this.answer = answer;
  }

  private async prepare(params: GenerateTextParams): Promise<string> {
    this.calls.push(params);
    const n = this.calls.length;
    if (n <= this.failFirst) throw this.failWith();
    if (this.hang) {
      await new Promise<never>((_, reject) =>
        params.signal?.addEventListener('abort', () => reject(new ModelError('aborted', 'aborted', this.name, false)), { once: true }),
      );
    }
    return this.answer(params, n);
  }

  async generateText(params: GenerateTextParams): Promise<GenerateTextResult> {
    const text = await this.prepare(params);
    return { text, model: `${this.name}-model`, usage: { promptTokens: 10, completionTokens: text.split(/\s+/).length } };
  }

  async *streamText(params: GenerateTextParams): AsyncIterable<TextStreamChunk> {
    const text = await this.prepare(params);
    for (const piece of text.match(/\S+\s*|\s+/g) ?? []) {
      if (this.deltaDelayMs) await new Promise((r) => setTimeout(r, this.deltaDelayMs));
      if (params.signal?.aborted) throw new ModelError('aborted', 'aborted', this.name, false);
      yield { type: 'delta', text: piece };
    }
    yield { type: 'done', result: { text, model: `${this.name}-model`, usage: { promptTokens: 10, completionTokens: text.split(/\s+/).length } } };
  }

  async generateObject(): Promise<never> {
    throw new ModelError('unsupported', 'no objects', this.name, false);
  }

  async embed(texts: string[]) {
    return { vectors: texts.map(() => new Float32Array([1, 0, 0])), model: 'fake-embed' };
  }
}

export function fakeModels(model: ModelProvider = new FakeModel()): ModelSource & { model: ModelProvider } {
  return {
    model,
    forCharacter: () => model,
    embedder: () => ({ model: 'fake-embed', embed: async (texts: string[]) => texts.map(() => new Float32Array([1, 0, 0])) }),
  };
}
