import type { PreparedEvent } from './append-rules.ts';
import type { AnyRecordedEvent, AppendClaim, AppendResult, ExpectedVersion } from './envelope.ts';
import { StoreClosedError } from './errors.ts';

/** One caller's append, prepared and waiting for the next group. */
export interface PendingAppend {
  stream: string;
  events: PreparedEvent[];
  expected: ExpectedVersion;
  claim?: AppendClaim;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

/** What became of one caller's append in a group: a refusal (version conflict, fence) fails that caller only. */
export type AppendOutcome = { ok: true; result: AppendResult; recorded: AnyRecordedEvent[] } | { ok: false; error: unknown };

/** What a store supplies: "write this batch in one transaction" and "publish what was committed". */
export interface GroupWriter {
  /**
   * Writes the group in one transaction and returns one outcome per request, in order. Throws when the
   * transaction as a whole failed (then every caller of the group is rejected with that error and
   * nothing of the group is in the log).
   */
  commit(batch: readonly PendingAppend[]): AppendOutcome[] | Promise<AppendOutcome[]>;
  /** Hands committed events to live subscribers; called before the callers hear back, in log order. */
  publish(recorded: readonly AnyRecordedEvent[]): void;
}

/** Upper bound of events in one group-commit transaction; later callers wait for the next one. */
const MAX_GROUP_EVENTS = 5000;

/**
 * The group commit both stores share. Appends issued in the same I/O turn join one group (one
 * transaction, one fsync / WAL flush), and groups and exclusive work (imports) run one at a time, in
 * issue order, on one lane. Each caller learns its own outcome.
 */
export class GroupCommitQueue {
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  private lane: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly writer: GroupWriter) {}

  /** Appends waiting for a group. */
  get size(): number {
    return this.pending.length;
  }

  enqueue(request: PendingAppend): void {
    if (this.closed) {
      request.reject(new StoreClosedError());
      return;
    }
    this.pending.push(request);
    this.scheduleFlush();
  }

  /** Runs `work` alone on the lane: after the groups before it, before the groups after it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lane.then(work);
    this.lane = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Resolves once nothing is queued and the lane is idle (a subscriber may append from inside a flush). */
  async drain(): Promise<void> {
    for (;;) {
      await this.lane;
      if (this.pending.length === 0 && !this.flushScheduled) return;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Refuses further appends and rejects those still waiting. */
  close(): void {
    this.closed = true;
    for (const request of this.pending.splice(0)) request.reject(new StoreClosedError());
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: lets appends issued in the same I/O turn join one transaction.
    setImmediate(() => {
      // flush() settles every caller itself; the lane must stay usable whatever happens.
      this.lane = this.lane.then(() => this.flush()).then(undefined, () => undefined);
    });
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    let count = 0;
    let take = 0;
    while (take < this.pending.length && (take === 0 || count + this.pending[take].events.length <= MAX_GROUP_EVENTS)) {
      count += this.pending[take].events.length;
      take += 1;
    }
    const batch = this.pending.splice(0, take);
    if (this.pending.length > 0) this.scheduleFlush();
    if (batch.length === 0) return;
    let outcomes: AppendOutcome[];
    try {
      outcomes = await this.writer.commit(batch);
    } catch (error) {
      for (const request of batch) request.reject(error);
      return;
    }
    const recorded: AnyRecordedEvent[] = [];
    for (const o of outcomes) if (o.ok) recorded.push(...o.recorded);
    // Published before the callers hear back, so a caller that awaits its append finds it live.
    if (recorded.length > 0) this.writer.publish(recorded);
    batch.forEach((request, i) => {
      const o = outcomes[i];
      if (o.ok) request.resolve(o.result);
      else request.reject(o.error);
    });
  }
}
