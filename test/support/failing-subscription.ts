import { Observable } from 'rxjs';
import type { AnyRecordedEvent } from '../../src/events/envelope.ts';

/**
 * The store, except that its first live subscription dies right after handing out one event (a
 * dropped connection, say); every later subscription is the store's own. For the tests that a
 * follower of the log resumes from its checkpoint without a gap or a repeat.
 */
export function failingFirstSubscription<S extends { subscribe(afterSeq?: number): Observable<AnyRecordedEvent> }>(store: S): S {
  let broken = true;
  const flaky = Object.create(store) as S;
  flaky.subscribe = (afterSeq?: number) =>
    new Observable<AnyRecordedEvent>((sub) => {
      const inner = store.subscribe(afterSeq).subscribe({
        next: (e) => {
          sub.next(e);
          if (broken) {
            broken = false;
            sub.error(new Error('connection lost'));
          }
        },
        error: (err) => sub.error(err),
      });
      return () => inner.unsubscribe();
    });
  return flaky;
}
