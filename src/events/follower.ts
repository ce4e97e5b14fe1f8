import type { Subscription } from 'rxjs';
import type { AnyRecordedEvent } from './envelope.ts';
import type { EventStore } from './store.ts';
import { backoffMs } from '../shared/backoff.ts';

/** What a follower needs of the log: pages by seq, the head, and the live tail. */
export type FollowedLog = Pick<EventStore, 'readAll' | 'head' | 'subscribe'>;

interface Silent {
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface FollowerOptions {
  /** Names the follower in logs ("projections", "actor-system", …). */
  name: string;
  /**
   * The last position already handled. A function is the follower's own durable checkpoint: it is
   * asked at start and again at every resume after a failure (the checkpoint is the truth, not the
   * follower's memory). 'head' starts at the log's head (only what is appended from now on).
   */
  from: number | 'head' | (() => number | Promise<number>);
  /**
   * Handles consecutive events in log order. Throwing means the follower failed: its position stays
   * at the last batch that returned, and it resumes from its checkpoint after a backoff, alone (the
   * other followers go on). Delivery is at least once from the checkpoint.
   */
  handle(events: readonly AnyRecordedEvent[]): void;
  /** Only these types reach `handle`; the catch-up reads only them (a type-filtered scan). */
  types?: readonly string[];
  /**
   * Live events gathered per microtask into one `handle` call (a group commit arrives as one batch).
   * Default: each live event is handed over on its own, synchronously, as the store publishes it.
   */
  batch?: boolean;
  /** Catch-up page size (default 1000). */
  pageSize?: number;
  /** Called in order when everything up to the head as it was at start (or restart) has been handled. */
  onLive?(): void;
  logger?: Silent;
  /** Backoff after a failure: base * 2^(failures-1), capped (defaults 100 ms, 30 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export class FollowerStoppedError extends Error {
  constructor(name: string) {
    super(`the ${name} follower is stopped`);
    this.name = 'FollowerStoppedError';
  }
}

/**
 * The one way to follow the log: catch-up by pages from a checkpointed position, then live, in log
 * order, with `waitFor(position)` for callers that must see their own write, and `idle()`. Every
 * component that reacts to the log (projections, actors, transport fan-out, embedder, permission
 * ledger, connectors) is one of these; nothing else pages the log to catch up.
 */
export class LogFollower {
  /** The last position handled (events of other types count as handled). */
  position = 0;
  /** Caught up with the head as it was at start: events now arrive as they are appended. */
  live = false;
  private readonly types?: ReadonlySet<string>;
  private readonly logger?: Silent;
  private waiters: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private subscription?: Subscription;
  private queue: AnyRecordedEvent[] = [];
  private drainScheduled = false;
  private failures = 0;
  private retry?: NodeJS.Timeout;
  /** Bumped by every (re)start: a run that was superseded stops handing events over. */
  private run = 0;
  private stopped = false;
  private started?: Promise<void>;
  /** The position was set once: a resume continues from it, even for a follower that began at 'head'. */
  private positioned = false;
  private reachedLive?: { resolve: () => void; reject: (e: Error) => void };

  constructor(
    private readonly log: FollowedLog,
    private readonly opts: FollowerOptions,
  ) {
    this.types = opts.types ? new Set(opts.types) : undefined;
    this.logger = opts.logger;
    if (typeof opts.from === 'number') this.position = opts.from;
  }

  /** Catches up from the checkpoint; resolves once live (everything up to the head at start handled). */
  start(): Promise<void> {
    return (this.started ??= new Promise<void>((resolve, reject) => {
      this.reachedLive = { resolve, reject };
      void this.follow();
    }));
  }

  /**
   * Starts over from the checkpoint (`from`, asked again): for a follower whose state was reset, e.g.
   * a rebuilt read model. Waiters stay; resolves once caught up with the head as it is now.
   */
  restart(): Promise<void> {
    if (this.stopped) return Promise.reject(new FollowerStoppedError(this.opts.name));
    if (!this.started) return this.start();
    this.unfollow();
    this.live = false;
    return new Promise<void>((resolve, reject) => {
      this.reachedLive = { resolve, reject };
      void this.follow();
    });
  }

  /** Resolves once `seq` has been handled; rejects if the follower stops first. */
  waitFor(seq: number): Promise<void> {
    if (this.position >= seq) return Promise.resolve();
    if (this.stopped) return Promise.reject(new FollowerStoppedError(this.opts.name));
    return new Promise((resolve, reject) => {
      const w = { seq, resolve, reject };
      // Kept sorted by seq: releasing is a look at the front.
      let i = this.waiters.length;
      while (i > 0 && this.waiters[i - 1].seq > seq) i--;
      this.waiters.splice(i, 0, w);
    });
  }

  /** Resolves when everything appended so far has been handled (the head did not move meanwhile). */
  async idle(): Promise<void> {
    for (;;) {
      const head = await this.log.head();
      await this.waitFor(head);
      if ((await this.log.head()) === head) return;
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unfollow();
    clearTimeout(this.retry);
    const err = new FollowerStoppedError(this.opts.name);
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.reachedLive?.reject(err);
  }

  // ── the run: catch-up, then live ────────────────────────────────────────────────────────────

  private async follow(): Promise<void> {
    const run = ++this.run;
    const current = () => run === this.run && !this.stopped;
    try {
      const from = this.opts.from;
      const checkpoint = typeof from === 'function' ? await from() : this.positioned ? this.position : from === 'head' ? await this.log.head() : from;
      if (!current()) return;
      this.position = checkpoint;
      this.positioned = true;
      const target = await this.log.head();
      const size = this.opts.pageSize ?? 1000;
      while (current() && this.position < target) {
        const page = await this.log.readAll({ afterSeq: this.position, limit: size, ...(this.types ? { types: [...this.types] } : {}) });
        if (!current()) return;
        // Only up to the target: what came after is read by the live subscription, after onLive.
        const upTo = page.filter((e) => e.seq <= target);
        if (upTo.length > 0 && !this.deliver(upTo, upTo[upTo.length - 1].seq)) return;
        // A filtered scan ends before the head when the last events are of other types.
        if (upTo.length < page.length || page.length < size) this.advance(target);
      }
      if (!current()) return;
      if (!this.live) {
        this.live = true;
        try {
          this.opts.onLive?.();
        } catch (err) {
          this.logger?.error('log follower: going live failed', { follower: this.opts.name, error: String(err) });
        }
        this.reachedLive?.resolve();
      }
      this.subscription = this.log.subscribe(this.position).subscribe({
        next: (e) => current() && this.receive(e),
        error: (err) => current() && this.fail(err),
      });
    } catch (err) {
      if (current()) this.fail(err);
    }
  }

  private receive(e: AnyRecordedEvent): void {
    if (e.seq <= this.position) return;
    if (!this.opts.batch) {
      this.deliver(this.types && !this.types.has(e.type) ? [] : [e], e.seq);
      return;
    }
    this.queue.push(e);
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    // A microtask: a group commit is published synchronously, so it is taken in one call, and a
    // caller waiting for its write does not wait a loop iteration.
    queueMicrotask(() => this.drain(this.run));
  }

  private drain(run: number): void {
    this.drainScheduled = false;
    const events = this.queue;
    this.queue = [];
    if (run !== this.run || this.stopped || events.length === 0) return;
    const fresh = events.filter((e) => e.seq > this.position);
    if (fresh.length === 0) return;
    this.deliver(this.types ? fresh.filter((e) => this.types!.has(e.type)) : fresh, fresh[fresh.length - 1].seq);
  }

  /** Hands a batch over; only when it returns does the position move past it. False: the run failed. */
  private deliver(events: readonly AnyRecordedEvent[], upTo: number): boolean {
    try {
      if (events.length > 0) this.opts.handle(events);
    } catch (err) {
      this.fail(err);
      return false;
    }
    this.failures = 0;
    this.advance(upTo);
    return true;
  }

  private advance(seq: number): void {
    if (seq <= this.position) return;
    this.position = seq;
    let n = 0;
    while (n < this.waiters.length && this.waiters[n].seq <= seq) n++;
    if (n > 0) for (const w of this.waiters.splice(0, n)) w.resolve();
  }

  /** This run ends; a new one resumes from the checkpoint after a backoff. Other followers are untouched. */
  private fail(err: unknown): void {
    if (this.stopped) return;
    this.unfollow();
    this.failures++;
    const delay = backoffMs(this.failures, this.opts.retryBaseMs ?? 100, this.opts.retryMaxMs ?? 30_000);
    this.logger?.error('log follower failed; resuming from its checkpoint', {
      follower: this.opts.name,
      position: this.position,
      retryInMs: delay,
      error: String((err as Error)?.message ?? err),
    });
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.follow(), delay);
    this.retry.unref?.();
  }

  private unfollow(): void {
    this.run++; // whatever the old run still has in flight is dropped
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.queue = [];
    this.drainScheduled = false;
  }
}
