import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyRecordedEvent } from '../events/envelope.ts';
import { FollowerStoppedError, LogFollower } from '../events/follower.ts';
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
 * Drives the projector as one LogFollower (src/events/follower.ts): catch-up by pages from the
 * projector's checkpoint, then live, with each group commit applied in one transaction. The
 * follower's checkpoint is the projector's (written with the rows), so a failure resumes exactly.
 */
class ProjectionRunner implements Projections {
  readonly readModel: ReadModel;
  private readonly projector: Projector;
  private readonly sqliteReadModel: SqliteReadModel;
  private readonly store: EventStore;
  private readonly logger: Logger;
  private readonly batchSize: number;
  private readonly follower: LogFollower;
  /** A replay from seq 0 in progress: vectors are staged and written to vec0 in bulk when it goes live. */
  private bulk = false;
  private onProgress?: { report: Progress; total: number };
  private closed = false;

  constructor(private readonly opts: ProjectionsOptions) {
    this.store = opts.store;
    this.logger = opts.logger ?? silentLogger;
    this.batchSize = opts.batchSize ?? PAGE;
    this.projector = new Projector(openReadDb(opts.path), opts.projections, { mirrorBytes: opts.vectorMemoryBytes });
    this.readModel = this.sqliteReadModel = new SqliteReadModel(this.projector.db, this.projector.vectors, () => this.projector.checkpoint(), opts.projections);
    this.follower = new LogFollower(this.store, {
      name: 'projections',
      from: () => this.projector.checkpoint(),
      batch: true,
      pageSize: this.batchSize,
      logger: this.logger,
      handle: (events) => {
        if (!this.projector.db.open) throw new Error('projections are closed');
        this.applySafely(this.projector, events);
        if (this.onProgress) this.onProgress.report(Math.min(events[events.length - 1].seq, this.onProgress.total), this.onProgress.total);
      },
      onLive: () => this.endBulk(),
    });
  }

  async start(): Promise<void> {
    // A new or reset read DB replays the whole log: vectors go to vec0 in bulk at the end.
    if (this.projector.checkpoint() === 0) this.beginBulk();
    try {
      await this.follower.start();
    } finally {
      this.endBulk();
    }
    const warming = this.projector.vectors.warm();
    if (warming.length) this.logger.info('loading big vector scopes into memory in the background', { scopes: warming.length });
  }

  waitFor(seq: number): Promise<void> {
    if (this.projector.checkpoint() >= seq) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('projections are closed'));
    return this.follower.waitFor(seq).catch((err) => {
      throw err instanceof FollowerStoppedError ? new Error('projections are closed') : err;
    });
  }

  async rebuild(o: { onProgress?: Progress } = {}): Promise<void> {
    const total = await this.store.head();
    // Reset and restart with no await between: a live event applied to the emptied tables would move
    // the checkpoint past everything before it.
    this.projector.reset();
    this.sqliteReadModel.reset();
    o.onProgress?.(0, total);
    this.onProgress = o.onProgress && { report: o.onProgress, total };
    this.beginBulk();
    try {
      await this.follower.restart();
    } finally {
      this.endBulk();
      this.onProgress = undefined;
    }
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
        await this.inBulk(temp, () => this.replayTo(temp, target, o.onProgress));
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
    this.follower.stop();
    this.projector.db.close();
  }

  private beginBulk(): void {
    if (this.bulk) return;
    this.bulk = true;
    this.projector.vectors.beginBulk();
  }

  private endBulk(): void {
    if (!this.bulk) return;
    this.bulk = false;
    if (this.projector.db.open) this.projector.vectors.endBulk();
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

  /**
   * A bounded replay into a scratch projector (verifyRebuild): a LogFollower run until `until`, then
   * stopped, so the scratch side never moves past the live side it is compared with.
   */
  private async replayTo(projector: Projector, until: number, onProgress?: Progress): Promise<void> {
    onProgress?.(Math.min(projector.checkpoint(), until), until);
    if (projector.checkpoint() >= until) return;
    const follower = new LogFollower(this.store, {
      name: 'projections-verify',
      from: () => projector.checkpoint(),
      pageSize: this.batchSize,
      logger: this.logger,
      handle: (events) => {
        const upTo = events.filter((e) => e.seq <= until);
        if (upTo.length === 0) return;
        this.applySafely(projector, upTo);
        onProgress?.(Math.min(projector.checkpoint(), until), until);
      },
    });
    try {
      await follower.start();
      await follower.waitFor(until);
    } finally {
      follower.stop();
    }
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
}
