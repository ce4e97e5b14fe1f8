import { Worker } from 'node:worker_threads';
import { DEFAULT_DOCUMENT_LIMITS, type DocumentLimits } from '../settings/document-limits.ts';

/** The document is the problem (unreadable, or past a limit): the client's to fix. The message says why. */
export class DocumentRefusedError extends Error {
  override readonly name = 'DocumentRefusedError';
}

/** Every worker busy and the queue full: retry later. */
export class DocumentPoolBusyError extends Error {
  override readonly name = 'DocumentPoolBusyError';
  constructor(
    readonly retryAfterS: number,
    limits: DocumentLimits,
  ) {
    super(`the server is reading too many documents at once (${limits.workers} at a time, ${limits.queue} waiting); retry in ${retryAfterS} s`);
  }
}

/** Seconds a busy client is told to wait: most documents take a few seconds. */
const BUSY_RETRY_AFTER_S = 5;

const mb = (bytes: number) => Math.round(bytes / 1_048_576);

/** Worker thread overhead beyond its heap: its isolate, pdfjs' code, stacks. */
const WORKER_OVERHEAD_MB = 64;
/** How often the process's RSS is checked while documents are read. */
const RSS_CHECK_MS = 50;

export class DocumentPool {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** The workers reading now, each with how to stop it when the process outgrows their allowance. */
  private readonly reading = new Set<(reason: string) => void>();
  private rssWatch: NodeJS.Timeout | undefined;
  private rssBaseline = 0;

  constructor(readonly limits: DocumentLimits) {}

  /** How many documents are being read and waiting (for tests and the health of the pool). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /**
   * The text of a PDF or an HTML page, read in a worker. Rejects with DocumentRefusedError (a limit:
   * the reason), DocumentPoolBusyError, or a plain Error when the parser cannot read it.
   */
  async read(kind: 'pdf' | 'html', bytes: Uint8Array): Promise<string> {
    if (kind === 'html' && bytes.byteLength > this.limits.maxHtmlBytes)
      throw new DocumentRefusedError(`HTML page larger than ${mb(this.limits.maxHtmlBytes)} MB`);
    await this.slot();
    try {
      return await this.inWorker(kind, bytes);
    } finally {
      this.release();
    }
  }

  private slot(): Promise<void> {
    if (this.running < this.limits.workers) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.limits.queue) return Promise.reject(new DocumentPoolBusyError(BUSY_RETRY_AFTER_S, this.limits));
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** A finished read hands its worker slot to the next waiting one (so `running` stays counted). */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  private inWorker(kind: 'pdf' | 'html', bytes: Uint8Array): Promise<string> {
    const { memoryMb, timeoutMs } = this.limits;
    // The worker gets its own copy, transferred (pdfjs detaches the buffer it reads): the caller's bytes survive.
    const copy = new Uint8Array(bytes);
    const limits = { maxPages: this.limits.maxPages, maxChars: this.limits.maxChars, maxInflatedBytes: this.limits.maxInflatedMb * 1_048_576 };
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./document-worker.mjs', import.meta.url), {
        workerData: { kind, bytes: copy, limits },
        transferList: [copy.buffer],
        resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.min(32, Math.max(4, memoryMb / 8)), stackSizeMb: 4 },
        // A document worker needs no environment: nothing of the server's reaches parser code.
        env: {},
      });
      let settled = false;
      const stop = (reason: string) => settle(() => reject(new DocumentRefusedError(reason)));
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.unwatch(stop);
        fn();
        void worker.terminate();
      };
      this.watch(stop);
      const timer = setTimeout(() => stop(`document took longer than ${timeoutMs / 1000} s to read`), timeoutMs);
      worker.once('message', (m: { text?: string; refused?: string; error?: string }) =>
        settle(() =>
          typeof m.text === 'string' ? resolve(m.text) : reject(m.refused ? new DocumentRefusedError(m.refused) : new Error(m.error ?? 'no text came back')),
        ),
      );
      worker.once('error', (err: Error & { code?: string }) =>
        settle(() =>
          reject(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new DocumentRefusedError(`document needed more than ${memoryMb} MB of memory to read`) : err),
        ),
      );
      worker.once('exit', (code) => settle(() => reject(new Error(`the reader stopped (exit code ${code})`))));
    });
  }

  /**
   * The safety net for memory off the V8 heap that the decompressed-size check does not see (an LZW
   * stream, an encrypted PDF's streams): while documents are read, the process's RSS may grow past
   * where it was when reading began by at most, per worker, its heap + the decompressed budget +
   * its overhead. Past that every worker reading is stopped (which one grew is not visible from here).
   */
  private watch(stop: (reason: string) => void): void {
    if (this.reading.size === 0) {
      this.rssBaseline = process.memoryUsage.rss();
      this.rssWatch = setInterval(() => this.checkRss(), RSS_CHECK_MS);
      this.rssWatch.unref();
    }
    this.reading.add(stop);
  }

  private unwatch(stop: (reason: string) => void): void {
    this.reading.delete(stop);
    if (this.reading.size === 0) clearInterval(this.rssWatch);
  }

  private checkRss(): void {
    const perWorkerMb = this.limits.memoryMb + this.limits.maxInflatedMb + WORKER_OVERHEAD_MB;
    if (process.memoryUsage.rss() <= this.rssBaseline + this.reading.size * perWorkerMb * 1_048_576) return;
    const reason = `document needed more than ${perWorkerMb} MB of memory to read`;
    for (const stop of [...this.reading]) stop(reason);
  }
}

let defaultPool: DocumentPool | undefined;
const pools = new WeakMap<DocumentLimits, DocumentPool>();

/**
 * The pool for these limits (one per limits object, so one per server's settings), or the process's
 * pool with the default limits.
 */
export function documentPool(limits?: DocumentLimits): DocumentPool {
  if (!limits) return (defaultPool ??= new DocumentPool(DEFAULT_DOCUMENT_LIMITS));
  let pool = pools.get(limits);
  if (!pool) pools.set(limits, (pool = new DocumentPool(limits)));
  return pool;
}
