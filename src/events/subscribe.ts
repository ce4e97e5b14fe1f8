import type { Subject } from 'rxjs';
import { Observable } from '../shared/rx.ts';
import type { AnyRecordedEvent } from './envelope.ts';

/**
 * Catch-up then live, with no gap and no duplicate at the hand-over: live events are buffered from
 * the moment of subscription while the log is paged through, then the buffer is drained skipping
 * anything already delivered. Works for any store that can read pages by seq and publishes each
 * committed event, in seq order, on `live`.
 */
export function catchUpThenLive(
  readPage: (afterSeq: number) => Promise<AnyRecordedEvent[]>,
  live: Subject<AnyRecordedEvent>,
  afterSeq: number,
): Observable<AnyRecordedEvent> {
  return new Observable<AnyRecordedEvent>((subscriber) => {
    let delivered = afterSeq;
    let buffer: AnyRecordedEvent[] | null = [];
    // Set when the store closes: a catch-up still paging then ends cleanly instead of failing.
    let liveEnded = false;
    const deliver = (e: AnyRecordedEvent) => {
      if (e.seq <= delivered) return;
      delivered = e.seq;
      subscriber.next(e);
    };
    const liveSub = live.subscribe({
      next: (e) => (buffer ? buffer.push(e) : deliver(e)),
      error: (err) => subscriber.error(err),
      complete: () => {
        liveEnded = true;
        if (buffer === null) subscriber.complete();
      },
    });

    (async () => {
      for (;;) {
        if (subscriber.closed) return;
        if (liveEnded) break;
        const page = await readPage(delivered);
        if (page.length === 0) break;
        for (const e of page) {
          if (subscriber.closed) return;
          deliver(e);
        }
      }
      const pending = buffer ?? [];
      buffer = null;
      for (const e of pending) deliver(e);
      if (liveSub.closed && !subscriber.closed) subscriber.complete();
    })().catch((err) => subscriber.error(err));

    return () => liveSub.unsubscribe();
  });
}
