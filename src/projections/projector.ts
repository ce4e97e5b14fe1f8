import type Database from 'better-sqlite3';
import type { AnyRecordedEvent } from '../events/envelope.ts';
import type { Projection } from './projection.ts';
import { allProjections } from './tables/index.ts';
import { VectorIndex, type VectorIndexOptions } from './vector-index.ts';

type Apply = (event: AnyRecordedEvent) => void;

/** Test seam: called before each event inside the batch transaction; throwing aborts the whole batch. */
export interface BatchHooks {
  beforeEvent?: (event: AnyRecordedEvent, indexInBatch: number) => void;
}

/**
 * Applies events to every projection. Each projection has its own checkpoint row, written in the same
 * transaction as its rows: a batch is all-or-nothing, so after a crash an event is never applied twice
 * (its seq is at or below the checkpoint, and is skipped) and never skipped (the checkpoint did not move).
 */
export class Projector {
  readonly vectors: VectorIndex;
  private readonly checkpoints = new Map<string, number>();
  private readonly routes = new Map<string, { name: string; apply: Apply }[]>();
  private readonly saveCheckpoint: Database.Statement;

  constructor(
    readonly db: Database.Database,
    readonly projections: readonly Projection[] = allProjections,
    vectorOptions: VectorIndexOptions = {},
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (name TEXT PRIMARY KEY, seq INTEGER NOT NULL, version INTEGER NOT NULL)`);
    this.vectors = new VectorIndex(db, vectorOptions);
    this.saveCheckpoint = db.prepare(
      'INSERT INTO projection_checkpoints (name, seq, version) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, version = excluded.version',
    );
    const stored = db.prepare('SELECT seq, version FROM projection_checkpoints WHERE name = ?');
    for (const p of projections) {
      const row = stored.get(p.name) as { seq: number; version: number } | undefined;
      if (row && row.version !== p.version) this.drop(p); // changed projection: rebuild it alone from seq 0
      db.exec(p.ddl);
      this.checkpoints.set(p.name, row && row.version === p.version ? row.seq : 0);
    }
    this.prepareAll();
    if (this.vectors.bulkInterrupted) {
      // A replay from seq 0 died before writing its vectors into vec0: its checkpoints overstate what is here.
      this.reset();
      this.vectors.clearBulkMark();
    }
  }

  private prepareAll(): void {
    this.routes.clear();
    for (const p of this.projections) {
      const apply = p.prepare({ db: this.db, vectors: this.vectors });
      for (const type of p.handles) {
        const list = this.routes.get(type) ?? [];
        list.push({ name: p.name, apply });
        this.routes.set(type, list);
      }
    }
  }

  /** The seq every projection has applied (the lowest checkpoint). */
  checkpoint(): number {
    let min = Infinity;
    for (const seq of this.checkpoints.values()) min = Math.min(min, seq);
    return min === Infinity ? 0 : min;
  }

  checkpointOf(name: string): number {
    return this.checkpoints.get(name) ?? 0;
  }

  /**
   * Applies a batch of consecutive events (ascending seq) in one transaction. Events at or below a
   * projection's checkpoint are skipped for that projection.
   */
  applyBatch(events: readonly AnyRecordedEvent[], hooks?: BatchHooks): void {
    if (events.length === 0) return;
    const last = events[events.length - 1].seq;
    const cps = this.checkpoints;
    try {
      this.db.transaction(() => {
        for (let i = 0; i < events.length; i++) {
          const e = events[i];
          hooks?.beforeEvent?.(e, i);
          const targets = this.routes.get(e.type);
          if (!targets) continue;
          for (const t of targets) if (e.seq > (cps.get(t.name) ?? 0)) t.apply(e);
        }
        this.vectors.flush();
        for (const p of this.projections) if (last > (cps.get(p.name) ?? 0)) this.saveCheckpoint.run(p.name, last, p.version);
      })();
    } catch (err) {
      this.vectors.discard();
      throw err;
    }
    // Only after the commit: a rolled-back batch leaves the in-memory checkpoints where the table has them.
    for (const p of this.projections) if (last > (cps.get(p.name) ?? 0)) cps.set(p.name, last);
  }

  /** Moves every checkpoint past an event without applying it (an event a projection cannot apply). */
  skip(event: AnyRecordedEvent): void {
    this.db.transaction(() => {
      for (const p of this.projections) if (event.seq > this.checkpointOf(p.name)) this.saveCheckpoint.run(p.name, event.seq, p.version);
    })();
    for (const p of this.projections) if (event.seq > this.checkpointOf(p.name)) this.checkpoints.set(p.name, event.seq);
  }

  /** Drops every projection's tables and vector tables and sets every checkpoint back to 0. */
  reset(): void {
    this.db.transaction(() => {
      for (const p of this.projections) this.drop(p);
      for (const p of this.projections) this.db.exec(p.ddl);
    })();
    for (const p of this.projections) this.checkpoints.set(p.name, 0);
    this.prepareAll();
  }

  private drop(p: Projection): void {
    for (const t of p.tables) this.db.exec(`DROP TABLE IF EXISTS ${t}`);
    for (const k of p.vectorKinds) this.vectors.drop(k);
    this.db.prepare('DELETE FROM projection_checkpoints WHERE name = ?').run(p.name);
  }
}
