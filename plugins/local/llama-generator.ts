import { basename } from 'node:path';
import type { ChatMessage, TokenUsage } from '../../src/models/provider.ts';

/**
 * Generation with a real model from a GGUF file (LOCAL_MODEL_PATH) through node-llama-cpp, CPU only
 * (the prebuilt @node-llama-cpp/linux-x64; nothing is downloaded or compiled at run time). The
 * package is imported lazily: servers without LOCAL_MODEL_PATH never load it.
 */
export interface LlamaGeneratorOptions {
  modelPath: string;
  /** CPU threads (LOCAL_MODEL_THREADS; one was fastest on a 2-core machine). */
  threads?: number;
  contextSize?: number;
}

export interface LlamaGenerateParams {
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  stopSequences?: string[];
  signal?: AbortSignal;
  onTextChunk?: (text: string) => void;
}

type LlamaModule = typeof import('node-llama-cpp');
type Loaded = {
  mod: LlamaModule;
  llama: Awaited<ReturnType<LlamaModule['getLlama']>>;
  model: Awaited<ReturnType<Awaited<ReturnType<LlamaModule['getLlama']>>['loadModel']>>;
  context: Awaited<ReturnType<Awaited<ReturnType<Awaited<ReturnType<LlamaModule['getLlama']>>['loadModel']>>['createContext']>>;
};

export class LlamaGenerator {
  readonly modelName: string;
  private loading: Promise<Loaded> | undefined;
  /** One sequence, so one generation at a time; calls queue here. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LlamaGeneratorOptions) {
    this.modelName = basename(options.modelPath).replace(/\.gguf$/i, '');
  }

  private load(): Promise<Loaded> {
    this.loading ??= (async () => {
      const mod = await import('node-llama-cpp');
      const llama = await mod.getLlama({
        gpu: false,
        build: 'never',
        usePrebuiltBinaries: true,
        skipDownload: true,
        progressLogs: false,
        logLevel: mod.LlamaLogLevel.error,
      });
      const model = await llama.loadModel({ modelPath: this.options.modelPath });
      const context = await model.createContext({ threads: this.options.threads ?? 1, contextSize: this.options.contextSize ?? 2048 });
      return { mod, llama, model, context };
    })();
    this.loading.catch(() => {
      this.loading = undefined; // a bad path can be fixed without a restart
    });
    return this.loading;
  }

  generate(params: LlamaGenerateParams): Promise<{ text: string; usage: TokenUsage; finishReason: string }> {
    const run = this.tail.then(() => this.generateNow(params));
    this.tail = run.catch(() => {});
    return run;
  }

  private async generateNow(params: LlamaGenerateParams): Promise<{ text: string; usage: TokenUsage; finishReason: string }> {
    const { mod, model, context } = await this.load();
    params.signal?.throwIfAborted();
    const sequence = context.getSequence();
    const session = new mod.LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false });
    try {
      const turns = params.messages.filter((m) => m.role !== 'system');
      const system = params.messages
        .filter((m) => m.role === 'system')
        .map((m) => m.content)
        .join('\n\n');
      const last = turns.at(-1);
      const prompt = last?.role === 'user' ? last.content : '';
      const history = (last?.role === 'user' ? turns.slice(0, -1) : turns).map((m) =>
        m.role === 'user' ? { type: 'user' as const, text: m.content } : { type: 'model' as const, response: [m.content] },
      );
      session.setChatHistory([...(system ? [{ type: 'system' as const, text: system }] : []), ...history]);
      const promptTokens = model.tokenize(params.messages.map((m) => m.content).join('\n')).length;
      const result = await session.promptWithMeta(prompt, {
        maxTokens: params.maxTokens ?? 256,
        temperature: params.temperature ?? 0,
        signal: params.signal,
        stopOnAbortSignal: false,
        customStopTriggers: params.stopSequences?.length ? params.stopSequences : undefined,
        onTextChunk: params.onTextChunk,
      });
      const text = result.responseText;
      const finishReason = result.stopReason === 'maxTokens' ? 'length' : 'stop';
      return { text, usage: { promptTokens, completionTokens: model.tokenize(text).length }, finishReason };
    } finally {
      session.dispose({ disposeSequence: false });
      sequence.dispose();
    }
  }

  async close(): Promise<void> {
    const loaded = await this.loading?.catch(() => undefined);
    this.loading = undefined;
    if (!loaded) return;
    await loaded.context.dispose();
    await loaded.model.dispose();
    await loaded.llama.dispose();
  }
}
