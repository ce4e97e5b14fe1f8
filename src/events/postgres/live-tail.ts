import { Subject } from '../../shared/rx.ts';
import type { AnyRecordedEvent } from '../envelope.ts';

/**
 * The live end of a PostgreSQL log, for this process: publishes every committed event exactly once,
 * in seq order, on `events` (what `catchUpThenLive` hands over to after catch-up).
 *
 * It is told two things: "I committed these" (this process's own appends, published without a
 * read) and "the head is at least N" (a NOTIFY from any writer, a poll, a reconnect). For the
 * second it reads by position from the last seq it published, so a lost or late notification only
 * delays events until the next hint, never loses them: the log, not the notification, is the truth.
 * A page is only published while it continues the published prefix (seq = published + 1); since
 * the store commits in seq order (see postgres-event-store.ts) that always holds, and if it ever
 * did not, nothing is published out of order — the next hint tries again.
 */
export class LiveTail {
  readonly events = new Subject<AnyRecordedEvent>();
  private published: number;
  private knownHead: number;
  private pumping = false;
  private ended = false;

  constructor(
    private readonly readPage: (afterSeq: number) => Promise<AnyRecordedEvent[]>,
    startAt: number,
    private readonly onReadError: (err: unknown) => void,
  ) {
    this.published = startAt;
    this.knownHead = startAt;
  }

  /** Seq of the last event published. */
  get position(): number {
    return this.published;
  }

  /** This process committed `events` (consecutive, in seq order). */
  committed(events: readonly AnyRecordedEvent[]): void {
    if (events.length === 0 || this.ended) return;
    const last = events[events.length - 1].seq;
    if (!this.pumping && events[0].seq === this.published + 1) {
      for (const e of events) this.events.next(e);
      this.published = last;
      if (this.knownHead < last) this.knownHead = last;
      if (this.knownHead > this.published) void this.pump();
      return;
    }
    this.headAt(last); // another writer got in between: read the gap from the log, in order
  }

  /** Some writer committed up to at least `seq`. */
  headAt(seq: number): void {
    if (this.ended || !Number.isSafeInteger(seq)) return;
    if (seq > this.knownHead) this.knownHead = seq;
    if (this.knownHead > this.published) void this.pump();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.events.complete();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.ended && this.published < this.knownHead) {
        const page = await this.readPage(this.published);
        let advanced = false;
        for (const e of page) {
          if (this.ended || e.seq !== this.published + 1) break;
          this.events.next(e);
          this.published = e.seq;
          advanced = true;
        }
        if (!advanced) break; // nothing newer visible yet: the next hint retries
      }
    } catch (err) {
      if (!this.ended) this.onReadError(err); // the next hint (poll, notification) retries
    } finally {
      this.pumping = false;
    }
  }
}
