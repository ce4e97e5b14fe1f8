import { describe, expect, it } from 'vitest';
import { LogFanout } from '../../src/transport/fanout.ts';
import { failingFirstSubscription } from '../support/failing-subscription.ts';
import { ev, memoryStore } from '../support/projection-fixtures.ts';

const posted = (n: number) => ev('message.posted', { messageId: `m${n}`, roomId: 'r', authorId: 'u', authorKind: 'user', text: `hello ${n}` });

describe('LogFanout follows the log as a LogFollower', () => {
  it('a failed log subscription resumes from the last dispatched seq: sockets miss nothing, hear nothing twice', async () => {
    const store = memoryStore();
    // The first live subscription dies right after handing out one event.
    const flaky = failingFirstSubscription(store);
    const errors: unknown[] = [];
    const fanout = new LogFanout(flaky, 0, (err) => errors.push(err));
    await fanout.start();
    const heard: string[] = [];
    fanout.watchRoom('r', (e) => heard.push(e.data.messageId));
    for (let n = 1; n <= 3; n++) await store.append('room-r', [posted(n)]);
    // Polled, not fanout.waitFor: the old fan-out had no resume (nor waitFor) and went silent here.
    for (const t0 = Date.now(); heard.length < 3 && Date.now() - t0 < 3000; ) await new Promise((r) => setTimeout(r, 10));
    expect(heard).toEqual(['m1', 'm2', 'm3']);
    expect(fanout.lastSeq).toBe(3);
    expect(errors).toHaveLength(1);
    fanout.stop();
    await store.close();
  });
});
