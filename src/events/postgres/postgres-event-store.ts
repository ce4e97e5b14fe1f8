import pg from 'pg';
import type { Observable } from 'rxjs';
import { throwError } from '../../shared/rx.ts';
import { checkExpectationShape, expectationHolds, prepareEvents } from '../append-rules.ts';
import { decodeData } from '../codec.ts';
import type { AnyRecordedEvent, AppendClaim, AppendOptions, AppendResult, EventMeta, NewEvent } from '../envelope.ts';
import { ImportRefusedError, StoreClosedError, WrongExpectedVersionError } from '../errors.ts';
import { chainHash } from '../hash.ts';
import type { SchemaRegistry } from '../schema-registry.ts';
import type { EventStore, ReadAllOptions, ReadStreamOptions, VerifyReport } from '../store.ts';
import { catchUpThenLive } from '../subscribe.ts';
import { GroupCommitQueue, type AppendOutcome, type PendingAppend } from '../group-commit-queue.ts';
import { ImportRowChecker } from '../import-check.ts';
import { ChainVerifier, type StoredRow } from '../verify.ts';
import { applySchemaExclusively } from './apply-schema.ts';
import { LiveTail } from './live-tail.ts';
import { channelOf, createSchema, VALID_SCHEMA } from './schema.sql.ts';
import { PostgresSnapshotStore } from './snapshots.ts';

/**
 * Runs inside every append transaction that carries claims, after the head lock is taken and before
 * anything is written: for each distinct claim of the group (AppendOptions.claim), an Error refuses
 * the appends made under it (nothing of them is written, the others go through), undefined lets them
 * through. The hook for fencing (src/cluster/lease-fence.ts): a node that lost an actor's lease must
 * not append for it, and checking the lease here, under the same lock that orders the log, leaves no
 * window between the check and the write.
 */
export type AppendFence = (tx: pg.ClientBase, claims: readonly AppendClaim[]) => Promise<readonly (Error | undefined)[]>;

export interface PostgresEventStoreOptions {
  /** Schema holding the log's tables (default "chronicle"); several logs can share one database. */
  schema?: string;
  /** Validates payloads at append and upcasts them at read: Chronicle passes `eventRegistry` (src/domain/event-registry.ts). */
  registry: SchemaRegistry;
  /** Clock for meta.timestamp; injectable for deterministic tests. */
  now?: () => number;
  /** Connections for reads and appends (default 10); subscriptions add one LISTEN connection. */
  poolSize?: number;
  /** How often a subscribed store re-reads the head, the backstop for a lost notification (default 1000 ms). */
  pollIntervalMs?: number;
  fence?: AppendFence;
  /** Receives errors the store recovers from on its own (a dropped LISTEN connection, a failed poll). */
  onError?: (err: unknown) => void;
}

/** A row of the events table: the log's stored form (what the hash chain covers). */
type EventRow = StoredRow;

const claimKey = (c: AppendClaim) => `${c.token}:${c.actorId}`;

const COLUMNS = 'seq, id, stream, version, type, data, meta, hash';
const IMPORT_PAGE = 1000;

// bigint (int8) columns as JS numbers: seqs stay far below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * The event log on PostgreSQL, for several Chronicle processes sharing one database.
 *
 * Why readers never see a gap that fills later. The classic bug of event stores on PostgreSQL is a
 * sequence: transaction A takes seq 7, B takes seq 8, B commits first, a follower reads 8, moves its
 * position past 7, and never sees 7 when A commits. Here there is no sequence. Every append
 * transaction first locks the one row of `log_head` (SELECT … FOR UPDATE), takes seq = head + 1
 * onwards, inserts, moves the head and commits, which releases the lock. A second writer (another
 * group here, or another process) blocks on that lock and, under READ COMMITTED (asked for explicitly:
 * a server whose default is REPEATABLE READ would fail the waiter instead), reads the head as the first
 * one committed it. So seqs are handed out in commit order: when seq N+1 is visible, the
 * transaction that wrote N had committed before N+1's transaction could even take its number, and
 * every snapshot that includes N+1 includes N. The committed log is always the prefix 1..head,
 * readers page by position, and the hash chain (which needs the previous hash) comes out right for
 * free. Import takes the same lock.
 *
 * Group commit: appends issued while a transaction is in flight queue up and go, in issue order, in
 * the next transaction (one lock, one round of statements, one WAL flush for all of them); each
 * caller learns its own outcome — expectations and idempotency are decided per caller in memory,
 * under the lock, before anything is written, so a refused caller never disturbs the others. The
 * queue is the one both stores share (src/events/group-commit-queue.ts); this store supplies the
 * transaction (commitGroup).
 *
 * Live delivery: each commit NOTIFYs the new head seq (payload only; NOTIFY is itself sent at
 * commit). A store that has subscribers LISTENs on its own connection and reads what it has not yet
 * published by position (live-tail.ts); a poll of the head on a timer and a re-read on reconnect are
 * the backstop, so a lost notification delays an event, never loses it.
 */
export class PostgresEventStore implements EventStore {
  readonly snapshots: PostgresSnapshotStore;
  readonly schema: string;
  private readonly registry: SchemaRegistry;
  private readonly now: () => number;
  private readonly tail: LiveTail;
  private readonly t: string;
  /** Appends, imports: one at a time from this process (the head lock orders them across processes). */
  private readonly queue: GroupCommitQueue;
  private readonly inflight = new Set<Promise<unknown>>();
  private closing = false;
  private closed = false;
  private listener: pg.Client | undefined;
  private listening = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly options: PostgresEventStoreOptions & { schema: string },
    head: number,
  ) {
    this.schema = options.schema;
    this.t = `"${options.schema}"`;
    this.registry = options.registry;
    this.now = options.now ?? Date.now;
    this.snapshots = new PostgresSnapshotStore(pool, options.schema);
    this.queue = new GroupCommitQueue({ commit: (batch) => this.commitGroup(batch), publish: (recorded) => this.tail.committed(recorded) });
    this.tail = new LiveTail(
      (after) => this.readAll({ afterSeq: after, limit: 1000 }),
      head,
      (err) => this.report(err),
    );
  }

  /** Connects, creates the schema if it is missing, and returns the store. */
  static async open(url: string, options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    if (!options?.registry) throw new Error('an event store needs a schema registry: pass `registry: eventRegistry` (src/domain/event-registry.ts)');
    const schema = options.schema ?? 'chronicle';
    if (!VALID_SCHEMA.test(schema)) throw new Error(`schema "${schema}" must match ${VALID_SCHEMA}`);
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types });
    // An idle pooled connection dropped by the server must not crash the process; the next query reconnects.
    pool.on('error', (err) => options.onError?.(err));
    try {
      await applySchemaExclusively(pool, schema, createSchema(schema));
      const { rows } = await pool.query<{ seq: number }>(`SELECT seq FROM "${schema}".log_head`);
      return new PostgresEventStore(pool, url, { ...options, schema }, rows[0].seq);
    } catch (err) {
      await pool.end();
      throw err;
    }
  }

  // ---------------------------------------------------------------- append (group commit)

  append(stream: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closing) return Promise.reject(new StoreClosedError());
    try {
      const expected = options.expectedVersion ?? 'any';
      checkExpectationShape(expected);
      const prepared = prepareEvents(this.registry, this.now, stream, events, options.trusted === true);
      return new Promise<AppendResult>((resolve, reject) => {
        this.queue.enqueue({ stream, events: prepared, expected, claim: options.claim, resolve, reject });
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** One transaction for the whole group; see the class comment for why it is gap-free. */
  private async commitGroup(batch: readonly PendingAppend[]): Promise<AppendOutcome[]> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const streams = [...new Set(batch.map((r) => r.stream))];
      const ids = [...new Set(batch.flatMap((r) => r.events.map((e) => e.id)))];
      const lit = (v: string) => client.escapeLiteral(v);
      const texts = (xs: string[]) => `ARRAY[${xs.map(lit).join(',')}]::text[]`;
      // One round trip (simple protocol, literals escaped by the driver): the lock first, then the
      // lookups as a separate statement — under READ COMMITTED each statement takes its snapshot when
      // it starts, so the lookups see everything the writer we may have waited for committed.
      const [, locked, known] = (await client.query(
        `BEGIN ISOLATION LEVEL READ COMMITTED;
         SELECT seq, hash FROM ${this.t}.log_head FOR UPDATE;
         SELECT 0 AS kind, id AS key, seq AS n FROM ${this.t}.events WHERE id = ANY(${texts(ids)})
         UNION ALL
         SELECT 1, s.stream, (SELECT version FROM ${this.t}.events e WHERE e.stream = s.stream ORDER BY version DESC LIMIT 1)
         FROM unnest(${texts(streams)}) AS s(stream)`,
      )) as unknown as [unknown, pg.QueryResult<{ seq: number; hash: string }>, pg.QueryResult<{ kind: number; key: string; n: number | null }>];
      let headSeq = locked.rows[0].seq;
      let headHash = locked.rows[0].hash;

      const claims = [...new Map(batch.flatMap((r) => (r.claim ? [[claimKey(r.claim), r.claim] as const] : []))).values()];
      const fenced = this.options.fence && claims.length > 0 ? await this.options.fence(client, claims) : [];
      const refusedBy = new Map(claims.map((c, i) => [claimKey(c), fenced[i]]));

      const seqOf = new Map<string, number>();
      const versionOf = new Map<string, number>();
      for (const row of known.rows) if (row.n !== null) (row.kind === 0 ? seqOf : versionOf).set(row.key, row.n);

      const rows: EventRow[] = [];
      const outcomes = batch.map((request): AppendOutcome => {
        const refusal = request.claim && refusedBy.get(claimKey(request.claim));
        if (refusal) return { ok: false, error: refusal };
        const current = versionOf.get(request.stream) ?? 0;
        const firstOfId = new Set<string>();
        const fresh = request.events.filter((e) => !seqOf.has(e.id) && !firstOfId.has(e.id) && firstOfId.add(e.id));
        // A pure retry skips the version check: the original append already passed it.
        if (fresh.length > 0 && !expectationHolds(request.expected, current, current > 0)) {
          return { ok: false, error: new WrongExpectedVersionError(request.stream, request.expected, current) };
        }
        const before = new Set(request.events.filter((e) => seqOf.has(e.id)).map((e) => e.id));
        const recorded: AnyRecordedEvent[] = [];
        let version = current;
        for (const e of fresh) {
          const seq = headSeq + 1;
          version += 1;
          const metaJson = JSON.stringify(e.meta);
          const hash = chainHash(headHash, { seq, id: e.id, stream: request.stream, version, type: e.type, dataJson: e.dataJson, metaJson });
          rows.push({ seq, id: e.id, stream: request.stream, version, type: e.type, data: e.dataJson, meta: metaJson, hash });
          recorded.push({ seq, id: e.id, stream: request.stream, version, type: e.type, data: e.data, meta: e.meta, hash } as AnyRecordedEvent);
          seqOf.set(e.id, seq);
          headSeq = seq;
          headHash = hash;
        }
        if (fresh.length > 0) versionOf.set(request.stream, version);
        const seen = new Set<string>();
        const positions = request.events.map((e) => {
          const duplicate = before.has(e.id) || seen.has(e.id);
          seen.add(e.id);
          return { id: e.id, seq: seqOf.get(e.id)!, duplicate };
        });
        let lastSeq = 0;
        for (const p of positions) if (p.seq > lastSeq) lastSeq = p.seq;
        return { ok: true, result: { lastSeq, version, positions }, recorded };
      });

      // The second and last round trip: rows, head, NOTIFY and COMMIT in one simple query.
      await client.query(rows.length > 0 ? `${this.insertStatement(client, rows, headSeq, headHash)}; COMMIT` : 'COMMIT');
      return outcomes;
    } catch (err) {
      broken = err as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // A connection that failed mid-transaction is dropped from the pool rather than reused.
      client.release(broken);
    }
  }

  /**
   * One statement: the rows, the head row moved to the last of them, and the NOTIFY of the new head.
   * Values are literals escaped by the driver, so the statement can share a round trip with COMMIT.
   */
  private insertStatement(client: pg.ClientBase, rows: EventRow[], headSeq: number, headHash: string): string {
    const lit = (v: string) => client.escapeLiteral(v);
    const values = rows
      .map((r) => `(${r.seq}, ${lit(r.id)}, ${lit(r.stream)}, ${r.version}, ${lit(r.type)}, ${lit(r.data)}, ${lit(r.meta)}, ${lit(r.hash)})`)
      .join(',\n');
    return `WITH inserted AS (
         INSERT INTO ${this.t}.events (${COLUMNS}) VALUES ${values}
       ), head AS (
         UPDATE ${this.t}.log_head SET seq = ${headSeq}, hash = ${lit(headHash)}
       )
       SELECT pg_notify(${lit(channelOf(this.schema))}, '${headSeq}')`;
  }

  // ---------------------------------------------------------------- reads

  readStream(stream: string, options: ReadStreamOptions = {}): Promise<AnyRecordedEvent[]> {
    return this.read(async () => {
      const { rows } = await this.pool.query<EventRow>(
        `SELECT ${COLUMNS} FROM ${this.t}.events WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3`,
        [stream, options.fromVersion ?? 1, options.limit ?? null],
      );
      return rows.map((r) => this.decode(r));
    });
  }

  readAll(options: ReadAllOptions = {}): Promise<AnyRecordedEvent[]> {
    return this.read(async () => {
      if (options.types && options.types.length === 0) return [];
      const params: unknown[] = [options.afterSeq ?? 0, options.limit ?? 1000];
      let where = 'seq > $1';
      if (options.stream !== undefined) {
        params.push(options.stream);
        where += ` AND stream = $${params.length}`;
      }
      if (options.types) {
        params.push(options.types);
        where += ` AND type = ANY($${params.length}::text[])`;
      }
      const { rows } = await this.pool.query<EventRow>(`SELECT ${COLUMNS} FROM ${this.t}.events WHERE ${where} ORDER BY seq LIMIT $2`, params);
      return rows.map((r) => this.decode(r));
    });
  }

  getById(id: string): Promise<AnyRecordedEvent | undefined> {
    return this.read(async () => {
      const { rows } = await this.pool.query<EventRow>(`SELECT ${COLUMNS} FROM ${this.t}.events WHERE id = $1`, [id]);
      return rows[0] ? this.decode(rows[0]) : undefined;
    });
  }

  head(): Promise<number> {
    return this.read(async () => (await this.pool.query<{ seq: number }>(`SELECT seq FROM ${this.t}.log_head`)).rows[0].seq);
  }

  streamVersion(stream: string): Promise<number> {
    return this.read(async () => {
      const { rows } = await this.pool.query<{ v: number }>(`SELECT coalesce(max(version), 0) AS v FROM ${this.t}.events WHERE stream = $1`, [stream]);
      return rows[0].v;
    });
  }

  /** Rows exactly as stored (encoded data and meta), in seq order: what export and verify read. */
  readRaw(afterSeq: number, limit: number): Promise<StoredRow[]> {
    return this.read(async () => {
      const { rows } = await this.pool.query<EventRow>(`SELECT ${COLUMNS} FROM ${this.t}.events WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, limit]);
      return rows;
    });
  }

  subscribe(afterSeq = 0): Observable<AnyRecordedEvent> {
    if (this.closed) return throwError(() => new StoreClosedError());
    this.startListening();
    return catchUpThenLive((after) => this.readAll({ afterSeq: after, limit: 1000 }), this.tail.events, afterSeq);
  }

  async verify(): Promise<VerifyReport> {
    const verifier = new ChainVerifier();
    const head = await this.head();
    for (let after = 0; after < head; ) {
      const rows = await this.readRaw(after, 5000);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (row.seq > head) break;
        const problem = verifier.check(row);
        if (problem) return { ok: false, checked: verifier.checked, problem };
      }
      after = rows[rows.length - 1].seq;
    }
    if (verifier.checked !== head) {
      return {
        ok: false,
        checked: verifier.checked,
        problem: { seq: verifier.checked + 1, kind: 'seq_gap', detail: `the head row says ${head}, the log ends at ${verifier.checked}` },
      };
    }
    return { ok: true, checked: verifier.checked };
  }

  // ---------------------------------------------------------------- import

  /**
   * Writes rows verbatim (seq, version, meta and hash preserved) into an EMPTY log, in one
   * transaction holding the head lock, checking each row as it arrives (../import-check.ts). Any problem throws
   * ImportRefusedError and nothing is written. Appends issued meanwhile wait for the end.
   */
  importRaw(rows: Iterable<StoredRow> | AsyncIterable<StoredRow>): Promise<number> {
    if (this.closing) return Promise.reject(new StoreClosedError());
    return this.queue.exclusive(() => this.importNow(rows));
  }

  private async importNow(rows: Iterable<StoredRow> | AsyncIterable<StoredRow>): Promise<number> {
    const checker = new ImportRowChecker(this.registry);
    const client = await this.pool.connect();
    let broken: Error | undefined;
    let last: StoredRow | undefined;
    try {
      const [, locked] = (await client.query(
        `BEGIN ISOLATION LEVEL READ COMMITTED; SELECT seq FROM ${this.t}.log_head FOR UPDATE`,
      )) as unknown as pg.QueryResult<{ seq: number }>[];
      if (locked.rows[0].seq > 0)
        throw new ImportRefusedError('not_empty', `the event log in schema ${this.schema} is not empty: import only into an empty log`);
      let page: EventRow[] = [];
      const write = async () => {
        if (page.length === 0) return;
        const tip = page[page.length - 1];
        await client.query(this.insertStatement(client, page, tip.seq, tip.hash));
        page = [];
      };
      for await (const row of rows) {
        if (this.closed) throw new StoreClosedError();
        checker.check(row);
        page.push({ seq: row.seq, id: row.id, stream: row.stream, version: row.version, type: row.type, data: row.data, meta: row.meta, hash: row.hash });
        last = row;
        if (page.length >= IMPORT_PAGE) await write();
      }
      await write();
      await client.query('COMMIT');
    } catch (err) {
      if (!(err instanceof ImportRefusedError) && !(err instanceof StoreClosedError)) broken = err as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release(broken);
    }
    if (last) this.tail.headAt(last.seq); // subscribers of the empty log get the imported events
    return checker.checked;
  }

  // ---------------------------------------------------------------- live: LISTEN, poll, reconnect

  private startListening(): void {
    if (this.listening || this.closing) return;
    this.listening = true;
    const interval = this.options.pollIntervalMs ?? 1000;
    this.pollTimer = setInterval(() => {
      if (this.tail.events.observed)
        this.head().then(
          (h) => this.tail.headAt(h),
          (err) => this.report(err),
        );
    }, interval);
    this.pollTimer.unref();
    void this.connectListener();
  }

  private async connectListener(): Promise<void> {
    if (this.closing) return;
    const client = new pg.Client({ connectionString: this.url, types });
    this.listener = client;
    const retry = (err: unknown) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      if (this.closing) return;
      this.report(err);
      this.reconnectTimer = setTimeout(() => void this.connectListener(), 500);
      this.reconnectTimer.unref();
    };
    client.on('error', retry);
    client.on('notification', (msg) => this.tail.headAt(Number(msg.payload)));
    try {
      await client.connect();
      await client.query(`LISTEN "${channelOf(this.schema)}"`);
      // Whatever was committed while we were not listening is read by position now.
      if (!this.closing) this.tail.headAt(await this.head());
    } catch (err) {
      retry(err);
    }
  }

  private report(err: unknown): void {
    if (!this.closed) this.options.onError?.(err);
  }

  // ---------------------------------------------------------------- close

  async close(): Promise<void> {
    if (this.closing) {
      while (!this.closed) await new Promise((r) => setTimeout(r, 5));
      return;
    }
    this.closing = true;
    // Appends issued before close are committed: wait until the queue is empty and the lane idle.
    await this.queue.drain();
    this.queue.close();
    this.closed = true;
    this.tail.end();
    clearInterval(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    await Promise.allSettled([...this.inflight]);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  /** Runs a read, refusing it once closed and letting close wait for it. */
  private read<T>(run: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    const p = run();
    this.inflight.add(p);
    const forget = () => this.inflight.delete(p);
    p.then(forget, forget);
    return p;
  }

  private decode(row: EventRow): AnyRecordedEvent {
    const meta = JSON.parse(row.meta) as EventMeta;
    const data = this.registry.upcast(row.type, meta.schemaVersion ?? 1, decodeData(row.data));
    return { seq: row.seq, id: row.id, stream: row.stream, version: row.version, type: row.type, data, meta, hash: row.hash } as AnyRecordedEvent;
  }
}
