import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import type { AnyRecordedEvent } from '../events/envelope.ts';
import type { EventStore } from '../events/store.ts';
import { silentLogger, type Logger } from '../shared/logger.ts';
import { openReadDb } from './open-db.ts';
import { Projector } from './projector.ts';
import { SqliteReadModel } from './sqlite-read-model.ts';
import { diffDumps, dumpTables } from './compare.ts';
import type { ReadModel } from './read-model.ts';
import type { Projection } from './projection.ts';

export type { ReadModel } from './read-model.ts';
export { Projector } from './projector.ts';
export { openReadDb } from './open-db.ts';
export { dumpTables, diffDumps } from './compare.ts';
export { allProjections } from './tables/index.ts';
export type { Projection } from './projection.ts';

export type Progress = (done: number, total: number) => void;

export interface ProjectionsOptions {
  /** Read database file (separate from the log), or ':memory:'. */
  path: string;
  store: EventStore;
  logger?: Logger;
  /** Events per transaction (default 2000). */
  batchSize?: number;
  /** The projections to run (default: all of them); tests add their own. */
  projections?: readonly Projection[];
  /** Memory for big vector scopes searched in memory (default 1 GiB; see vector-index.ts). */
  vectorMemoryBytes?: number;
}

export interface Projections {
  readonly readModel: ReadModel;
  /** Catches up from the checkpoint to the log's head, then follows the log live. */
  start(): Promise<void>;
  /** Resolves once every projection has applied `seq` (read-your-writes for the writer). */
  waitFor(seq: number): Promise<void>;
  /** Drops every read table and vector index and replays the log from seq 0. */
  rebuild(opts?: { onProgress?: Progress }): Promise<void>;
  /** Rebuilds into a temporary database beside the live one and compares them row by row. */
  verifyRebuild(opts?: { onProgress?: Progress }): Promise<{ ok: boolean; differences: string[] }>;
  close(): Promise<void>;
}

const PAGE = 2000;

export function openProjections(opts: ProjectionsOptions): Projections {
  return new ProjectionRunner(opts);
}

/**
 * Drives the projector: catch-up by pages of `readAll`, then the store's live subscription, with live
 * events buffered and applied in batches (one transaction per batch, not per event).
 */
class ProjectionRunner implements Projections {
  readonly readModel: ReadModel;
  private readonly projector: Projector;
  private readonly sqliteReadModel: SqliteReadModel;
  private readonly store: EventStore;
  private readonly logger: Logger;
  private readonly batchSize: number;
  private live?: Subscription;
  private queue: AnyRecordedEvent[] = [];
  private drainScheduled = false;
  private waiters: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private closed = false;
  private failure?: Error;

  constructor(private readonly opts: ProjectionsOptions) {
    this.store = opts.store;
    this.logger = opts.logger ?? silentLogger;
    this.batchSize = opts.batchSize ?? PAGE;
    this.projector = new Projector(openReadDb(opts.path), opts.projections, { mirrorBytes: opts.vectorMemoryBytes });
    this.readModel = this.sqliteReadModel = new SqliteReadModel(this.projector.db, this.projector.vectors, () => this.projector.checkpoint(), opts.projections);
  }

  async start(): Promise<void> {
    // A new or reset read DB replays the whole log: vectors go to vec0 in bulk at the end.
    if (this.projector.checkpoint() === 0) await this.inBulk(this.projector, () => this.catchUp(this.projector));
    else await this.catchUp(this.projector);
    this.follow();
    const warming = this.projector.vectors.warm();
    if (warming.length) this.logger.info('loading big vector scopes into memory in the background', { scopes: warming.length });
  }

  waitFor(seq: number): Promise<void> {
    if (this.projector.checkpoint() >= seq) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('projections are closed'));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  async rebuild(o: { onProgress?: Progress } = {}): Promise<void> {
    const wasLive = this.live !== undefined;
    this.unfollow();
    this.projector.reset();
    this.sqliteReadModel.reset();
    await this.inBulk(this.projector, () => this.catchUp(this.projector, o.onProgress));
    if (wasLive) this.follow();
  }

  async verifyRebuild(o: { onProgress?: Progress } = {}): Promise<{ ok: boolean; differences: string[] }> {
    const base = this.opts.path === ':memory:' ? join(tmpdir(), `chronicle-verify`) : this.opts.path;
    const tempPath = `${base}.verify-${process.pid}-${Date.now()}.db`;
    const temp = new Projector(openReadDb(tempPath), this.opts.projections);
    try {
      // Rebuild up to the live checkpoint; if the live side moved meanwhile, follow it, then compare
      // synchronously so both sides are at the same seq.
      for (;;) {
        const target = this.projector.checkpoint();
        await this.inBulk(temp, () => this.catchUp(temp, o.onProgress, target));
        if (this.projector.checkpoint() === temp.checkpoint()) break;
      }
      const differences = diffDumps(dumpTables(this.projector), dumpTables(temp));
      return { ok: differences.length === 0, differences };
    } finally {
      temp.db.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(tempPath + suffix, { force: true });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unfollow();
    this.drain();
    const err = new Error('projections are closed');
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.projector.db.close();
  }

  /** Runs a replay from scratch with the projector's vectors staged and written in bulk at the end. */
  private async inBulk(projector: Projector, replay: () => Promise<void>): Promise<void> {
    projector.vectors.beginBulk();
    try {
      await replay();
    } finally {
      if (projector.db.open) projector.vectors.endBulk();
    }
  }

  /** Applies pages of the log until `until` (default: the head as it is when called). */
  private async catchUp(projector: Projector, onProgress?: Progress, until?: number): Promise<void> {
    const total = until ?? (await this.store.head());
    let done = projector.checkpoint();
    onProgress?.(Math.min(done, total), total);
    while (done < total) {
      const page = await this.store.readAll({ afterSeq: done, limit: Math.min(this.batchSize, total - done) });
      if (page.length === 0) break;
      this.applySafely(projector, page);
      done = page[page.length - 1].seq;
      onProgress?.(Math.min(done, total), total);
      if (projector === this.projector) this.release();
    }
  }

  private follow(): void {
    if (this.closed || this.live) return;
    this.live = this.store.subscribe(this.projector.checkpoint()).subscribe({
      next: (e) => {
        this.queue.push(e);
        if (!this.drainScheduled) {
          this.drainScheduled = true;
          // A microtask: the store emits a whole group commit synchronously, so the drain still takes
          // the group in one transaction, but a turn waiting for its message (waitFor) no longer waits
          // a loop iteration (setImmediate cost ~0.3 ms of a 1-room send → reply).
          queueMicrotask(() => this.drain());
        }
      },
      error: (err: unknown) => {
        this.failure = err instanceof Error ? err : new Error(String(err));
        this.logger.error('projection subscription failed', { error: String(err) });
        for (const w of this.waiters.splice(0)) w.reject(this.failure);
      },
    });
  }

  private unfollow(): void {
    this.live?.unsubscribe();
    this.live = undefined;
    this.drain();
  }

  private drain(): void {
    this.drainScheduled = false;
    if (this.queue.length === 0 || (this.closed && !this.projector.db.open)) return;
    const events = this.queue;
    this.queue = [];
    const cp = this.projector.checkpoint();
    const fresh = events.filter((e) => e.seq > cp);
    for (let i = 0; i < fresh.length; i += this.batchSize) this.applySafely(this.projector, fresh.slice(i, i + this.batchSize));
    this.release();
  }

  /**
   * Fast path: the whole batch in one transaction. If it throws, the batch is rolled back and applied
   * one event at a time, so one event a projection cannot apply (a bug, logged loudly) cannot stop
   * every read table from moving.
   */
  private applySafely(projector: Projector, events: readonly AnyRecordedEvent[]): void {
    try {
      projector.applyBatch(events);
      if (projector === this.projector) this.sqliteReadModel.applied(events);
    } catch (batchError) {
      if (events.length === 1) {
        this.logger.error('projection could not apply an event; skipped', { seq: events[0].seq, type: events[0].type, error: String(batchError) });
        projector.skip(events[0]);
        return;
      }
      for (const e of events) this.applySafely(projector, [e]);
    }
  }

  private release(): void {
    const cp = this.projector.checkpoint();
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.seq <= cp);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seq > cp);
    for (const w of ready) w.resolve();
  }
}
