import type Database from 'better-sqlite3';
import type { AnyRecordedEvent } from '../events/envelope.ts';
import type { EventType } from '../domain/catalogue.ts';
import type { EventStore } from '../events/store.ts';
import { openReadDb } from '../projections/open-db.ts';
import { Projector } from '../projections/projector.ts';
import type { ReadModel, RoomView } from '../projections/read-model.ts';
import { SqliteReadModel } from '../projections/sqlite-read-model.ts';
import { allProjections } from '../projections/tables/index.ts';
import { streams } from '../domain/streams.ts';

/**
 * As-of reads: a room, an agent or the actor list as the log stood at a position, folded from the log
 * by the projections' own code (projections/tables/*) into a scratch in-memory read DB — one home for
 * folding events. The fold is scoped: only the streams that can change what is asked for are read
 * (a room's stream and, for a branch, its sources' up to the fork; an agent's stream and its documents'
 * streams; the lifecycle event types for the actor list), so a read costs the scope's events up to the
 * position, not the whole log's. Recent folds are kept (LRU); a later position of a scope already
 * folded only applies the events between (the time slider moving forwards).
 */

/** The scope's state at a position: the read model's queries, plus the room list the ReadModel has no query for. */
export interface AsOfState {
  readonly seq: number;
  readonly readModel: ReadModel;
  rooms(): RoomView[];
}

export type AsOfScope = { kind: 'room'; roomId: string } | { kind: 'agent'; agentId: string } | { kind: 'actors' };

/** What a fold reads: whole streams up to a seq each, and/or some event types across the log. */
interface Plan {
  streams: { stream: string; upTo: number }[];
  types?: { types: readonly EventType[]; upTo: number };
}

interface Fold extends AsOfState {
  key: string;
  seq: number;
  projector: Projector;
  readModel: SqliteReadModel;
  /** Per stream, the last version applied (a forward step reads only what follows). */
  versions: Map<string, number>;
  /** For type scans, the last seq scanned. */
  scannedTo: number;
  /** Events folded since the last checkpoint was taken of this fold. */
  sinceCheckpoint: number;
}

/** A fold serialized at a position (the time slider going backwards restores the nearest one ≤ it). */
interface Checkpoint {
  key: string;
  seq: number;
  bytes: Buffer;
  versions: Map<string, number>;
}

/** Events the as-of views never show and that would only cost (vectors of messages: search is not offered as-of). */
const SKIPPED: ReadonlySet<string> = new Set(['message.embedded']);
const ACTOR_TYPES: readonly EventType[] = [
  'agent.created',
  'agent.updated',
  'agent.started',
  'agent.stopped',
  'agent.deleted',
  'room.created',
  'room.forked',
  'room.participant_joined',
  'room.participant_left',
];
const PAGE = 1000;

export interface AsOfOptions {
  /** Folds kept (default 16); each is an in-memory SQLite database of the scope's rows. */
  cached?: number;
  /** A fold is serialized every this many events of its scope (default 20,000). */
  checkpointEvery?: number;
  /** Memory for those checkpoints, all scopes together (default 256 MB); the least recently used go first. */
  checkpointBytes?: number;
  /** Knowledge documents ever added to an agent up to a seq (the live read model answers from its index). */
  documentIdsOf?: (agentId: string, upToSeq: number) => string[];
}

export class AsOfReads {
  private readonly folds = new Map<string, Fold>();
  private readonly lifecycle: { scannedTo: number; events: AnyRecordedEvent[] } = { scannedTo: 0, events: [] };
  /** Least recently used first. */
  private checkpoints: Checkpoint[] = [];
  private checkpointTotal = 0;
  private readonly max: number;

  constructor(
    private readonly store: EventStore,
    private readonly options: AsOfOptions = {},
  ) {
    this.max = Math.max(1, options.cached ?? 16);
  }

  /** The read model of the scope's tables as of `seq` (0 ≤ seq ≤ head; the caller checks). */
  async at(scope: AsOfScope, seq: number): Promise<AsOfState> {
    const key = scopeKey(scope);
    const exact = this.folds.get(`${key}@${seq}`);
    if (exact) {
      this.touch(exact);
      return exact;
    }
    const plan = await this.plan(scope, seq);
    // The closest earlier fold of the same scope goes forward; taken out meanwhile so no one else moves it.
    let fold = this.closestBefore(key, seq);
    if (fold && !(await this.canGoForward(fold, plan))) fold = undefined;
    if (fold) this.folds.delete(`${fold.key}@${fold.seq}`);
    const checkpoint = this.checkpointBefore(key, seq, fold?.seq ?? -1);
    if (checkpoint) {
      const restored = restoreFold(checkpoint);
      if (await this.canGoForward(restored, plan)) {
        if (fold) this.folds.set(`${fold.key}@${fold.seq}`, fold);
        fold = restored;
      } else restored.projector.db.close();
    }
    fold ??= newFold(key);
    await this.forward(fold, plan, seq);
    this.folds.set(`${key}@${seq}`, fold);
    this.evict();
    return fold;
  }

  close(): void {
    for (const f of this.folds.values()) f.projector.db.close();
    this.folds.clear();
  }

  private async plan(scope: AsOfScope, seq: number): Promise<Plan> {
    switch (scope.kind) {
      case 'room':
        return { streams: await this.roomStreams(scope.roomId, seq) };
      case 'agent': {
        const docs = this.options.documentIdsOf?.(scope.agentId, seq) ?? (await this.documentIdsFromLog(scope.agentId, seq));
        return { streams: [{ stream: streams.agent(scope.agentId), upTo: seq }, ...docs.map((d) => ({ stream: streams.document(d), upTo: seq }))] };
      }
      case 'actors':
        return { streams: [], types: { types: ACTOR_TYPES, upTo: seq } };
    }
  }

  /** The room's stream, and for a branch its sources' streams up to the fork (read from the log's room.forked). */
  private async roomStreams(roomId: string, seq: number): Promise<{ stream: string; upTo: number }[]> {
    const out = [{ stream: streams.room(roomId), upTo: seq }];
    let upTo = seq;
    let current = roomId;
    for (let depth = 0; depth < 64; depth++) {
      const [first] = await this.store.readStream(streams.room(current), { limit: 1 });
      if (!first || first.type !== 'room.forked' || first.seq > upTo) break;
      upTo = Math.min(upTo, first.data.atSeq);
      current = first.data.sourceRoomId;
      out.push({ stream: streams.room(current), upTo });
    }
    return out;
  }

  /** Without the read model's index: the document_added events of the log up to seq (a scan). */
  private async documentIdsFromLog(agentId: string, seq: number): Promise<string[]> {
    const ids: string[] = [];
    for (let after = 0; after < seq; ) {
      const page = await this.store.readAll({ afterSeq: after, limit: PAGE, types: ['knowledge.document_added'] });
      for (const e of page) if (e.seq <= seq && e.type === 'knowledge.document_added' && e.data.agentId === agentId) ids.push(e.data.documentId);
      if (page.length < PAGE) break;
      after = page[page.length - 1].seq;
    }
    return ids;
  }

  /** Reads the plan's events after what the fold has, up to seq, merges them by seq, applies them. */
  private async forward(fold: Fold, plan: Plan, seq: number): Promise<void> {
    const events: AnyRecordedEvent[] = [];
    const before = new Map(fold.versions);
    for (const { stream, upTo } of plan.streams) {
      let version = fold.versions.get(stream) ?? 0;
      for (;;) {
        const page = await this.store.readStream(stream, { fromVersion: version + 1, limit: PAGE });
        const within = page.filter((e) => e.seq <= upTo);
        for (const e of within) if (e.seq > fold.seq) events.push(e);
        if (within.length) version = within[within.length - 1].version;
        if (within.length < page.length || page.length < PAGE) break;
      }
      fold.versions.set(stream, version);
    }
    if (plan.types) {
      const upTo = plan.types.upTo;
      for (const e of await this.lifecycleUpTo(upTo)) if (e.seq > fold.seq && e.seq <= upTo) events.push(e);
      fold.scannedTo = upTo;
    }
    events.sort((a, b) => a.seq - b.seq);
    // Vectors (chunks, facts) staged and written in whole chunks at the end: a few µs each instead of
    // vec0's ~50 µs insert (the same path as a replay from scratch).
    const every = this.options.checkpointEvery ?? 20_000;
    const versionsAt = new Map(before);
    let batch: AnyRecordedEvent[] = [];
    const flush = () => {
      if (batch.length === 0) return;
      fold.projector.applyBatch(batch);
      fold.readModel.applied(batch);
      batch = [];
    };
    fold.projector.vectors.beginBulk();
    try {
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        versionsAt.set(e.stream, e.version);
        if (!SKIPPED.has(e.type)) batch.push(e);
        if (batch.length >= 2000) flush();
        // A checkpoint of the fold at e.seq (not for the actor graph: its fold is short anyway).
        if (!plan.types && ++fold.sinceCheckpoint >= every && i + 1 < events.length) {
          flush();
          fold.projector.vectors.endBulk();
          this.saveCheckpoint(fold.key, e.seq, versionsAt, fold.projector.db.serialize());
          fold.sinceCheckpoint = 0;
          fold.projector.vectors.beginBulk();
        }
      }
      flush();
    } finally {
      fold.projector.vectors.endBulk();
    }
    fold.seq = seq;
  }

  private saveCheckpoint(key: string, seq: number, versions: Map<string, number>, bytes: Buffer): void {
    this.checkpoints.push({ key, seq, bytes, versions: new Map(versions) });
    this.checkpointTotal += bytes.length;
    const budget = this.options.checkpointBytes ?? 256 * 1024 * 1024;
    while (this.checkpointTotal > budget && this.checkpoints.length) this.checkpointTotal -= this.checkpoints.shift()!.bytes.length;
  }

  /** The latest checkpoint of the scope at or before seq and after `after`, marked recently used. */
  private checkpointBefore(key: string, seq: number, after: number): Checkpoint | undefined {
    let best: Checkpoint | undefined;
    for (const c of this.checkpoints) if (c.key === key && c.seq <= seq && c.seq > after && (!best || c.seq > best.seq)) best = c;
    if (best) this.checkpoints = [...this.checkpoints.filter((c) => c !== best), best];
    return best;
  }

  /**
   * The lifecycle events (agents, rooms, membership) of the whole log up to `upTo`, kept in memory once
   * scanned: they are few (no messages), so the actor graph at any position is a fold of a short list,
   * and the log is scanned only once, then only its new part.
   */
  private async lifecycleUpTo(upTo: number): Promise<readonly AnyRecordedEvent[]> {
    const index = this.lifecycle;
    for (let after = index.scannedTo; after < upTo; ) {
      const page = await this.store.readAll({ afterSeq: after, limit: PAGE, types: ACTOR_TYPES });
      for (const e of page) if (e.seq > index.scannedTo) index.events.push(e);
      if (page.length < PAGE) {
        // The end of the log as it was: what it had is all pushed (some may lie beyond upTo).
        index.scannedTo = Math.max(index.scannedTo, upTo, page.at(-1)?.seq ?? 0);
        break;
      }
      after = index.scannedTo = page[page.length - 1].seq;
    }
    return index.events;
  }

  /**
   * A fold goes forward only if every stream new to it starts after its position (true of a document
   * added later; not of a branch's source, which appears in the plan once the branch exists).
   */
  private async canGoForward(fold: Fold, plan: Plan): Promise<boolean> {
    for (const { stream } of plan.streams) {
      if (fold.versions.has(stream)) continue;
      const [first] = await this.store.readStream(stream, { limit: 1 });
      if (first && first.seq <= fold.seq) return false;
    }
    return true;
  }

  private closestBefore(key: string, seq: number): Fold | undefined {
    let best: Fold | undefined;
    for (const f of this.folds.values()) if (f.key === key && f.seq < seq && (!best || f.seq > best.seq)) best = f;
    return best;
  }

  private touch(f: Fold): void {
    const k = `${f.key}@${f.seq}`;
    this.folds.delete(k);
    this.folds.set(k, f);
  }

  private evict(): void {
    while (this.folds.size > this.max) {
      const [k, f] = this.folds.entries().next().value!;
      this.folds.delete(k);
      f.projector.db.close();
    }
  }
}

function scopeKey(scope: AsOfScope): string {
  return scope.kind === 'room' ? `room:${scope.roomId}` : scope.kind === 'agent' ? `agent:${scope.agentId}` : 'actors';
}

/** Every projection's tables (the read model queries them all); only the scope's events reach them. */
function newFold(key: string): Fold {
  return foldOn(key, openReadDb(':memory:'), 0, new Map());
}

function restoreFold(c: Checkpoint): Fold {
  return foldOn(c.key, openReadDb(c.bytes), c.seq, new Map(c.versions));
}

function foldOn(key: string, db: Database.Database, seq: number, versions: Map<string, number>): Fold {
  const projector = new Projector(db, allProjections);
  const readModel = new SqliteReadModel(projector.db, projector.vectors, () => fold.seq, allProjections);
  const roomIds = projector.db.prepare('SELECT id FROM rooms ORDER BY seq').pluck();
  const fold: Fold = {
    key,
    seq,
    projector,
    readModel,
    versions,
    scannedTo: 0,
    sinceCheckpoint: 0,
    rooms: () => (roomIds.all() as string[]).flatMap((id) => readModel.roomById(id) ?? []),
  };
  return fold;
}
