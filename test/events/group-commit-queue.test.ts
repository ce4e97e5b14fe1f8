import { describe, expect, it } from 'vitest';
import type { AnyRecordedEvent, AppendResult } from '../../src/events/envelope.ts';
import { StoreClosedError } from '../../src/events/errors.ts';
import { GroupCommitQueue, type AppendOutcome, type GroupWriter, type PendingAppend } from '../../src/events/group-commit-queue.ts';

/** A writer that records each group it is asked to commit and what it published, in order. */
function recordingWriter(fail?: (batch: readonly PendingAppend[]) => boolean) {
  const log: string[] = [];
  let seq = 0;
  const writer: GroupWriter = {
    commit(batch) {
      log.push(`commit ${batch.map((r) => r.stream).join(',')}`);
      if (fail?.(batch)) throw new Error('disk full');
      return batch.map((r): AppendOutcome => {
        if (r.stream === 'refused') return { ok: false, error: new Error('refused') };
        const recorded = r.events.map(() => ({ seq: ++seq, stream: r.stream }) as unknown as AnyRecordedEvent);
        return { ok: true, result: { lastSeq: seq, version: r.events.length, positions: [] }, recorded };
      });
    },
    publish(recorded) {
      log.push(`publish ${recorded.map((e) => e.seq).join(',')}`);
    },
  };
  return { writer, log };
}

function append(queue: GroupCommitQueue, stream: string, events = 1): Promise<AppendResult> {
  return new Promise((resolve, reject) =>
    queue.enqueue({
      stream,
      events: Array.from({ length: events }, (_, i) => ({
        id: `${stream}-${i}`,
        type: 't',
        dataJson: '{}',
        data: {},
        meta: { timestamp: 0, schemaVersion: 1 },
      })),
      expected: 'any',
      resolve,
      reject,
    }),
  );
}

describe('GroupCommitQueue', () => {
  it('gathers the appends of one I/O turn into one group, publishes what committed, and fails only the refused caller', async () => {
    const { writer, log } = recordingWriter();
    const queue = new GroupCommitQueue(writer);
    const heard: string[] = [];
    const all = ['a', 'refused', 'b'].map((s) =>
      append(queue, s).then(
        () => heard.push(`${s} ok (published: ${log.length === 2})`),
        (e: Error) => heard.push(`${s} ${e.message}`),
      ),
    );
    await Promise.all(all);
    expect(log).toEqual(['commit a,refused,b', 'publish 1,2']);
    expect(heard).toEqual(['a ok (published: true)', 'refused refused', 'b ok (published: true)']);
  });

  it('a group whose transaction fails rejects its callers, and the next group still commits', async () => {
    let first = true;
    const { writer, log } = recordingWriter(() => {
      const f = first;
      first = false;
      return f;
    });
    const queue = new GroupCommitQueue(writer);
    await expect(Promise.all([append(queue, 'a'), append(queue, 'b')])).rejects.toThrow('disk full');
    await expect(append(queue, 'c')).resolves.toMatchObject({ lastSeq: 1 });
    expect(log).toEqual(['commit a,b', 'commit c', 'publish 1']);
  });

  it('exclusive work runs alone: after the groups issued before it, before those issued after', async () => {
    const { writer, log } = recordingWriter();
    const queue = new GroupCommitQueue(writer);
    const before = append(queue, 'a');
    await new Promise((r) => setImmediate(r)); // the group of `a` is on the lane
    let release!: () => void;
    const work = queue.exclusive(async () => {
      log.push('import starts');
      await new Promise<void>((r) => (release = r));
      log.push('import ends');
      return 42;
    });
    const after = append(queue, 'b');
    await before;
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['commit a', 'publish 1', 'import starts']); // `b` waits for the import
    release();
    expect(await work).toBe(42);
    await after;
    expect(log).toEqual(['commit a', 'publish 1', 'import starts', 'import ends', 'commit b', 'publish 2']);
  });

  it('the largest group holds at most 5,000 events (a bigger single append still goes alone)', async () => {
    const { writer, log } = recordingWriter();
    const queue = new GroupCommitQueue(writer);
    await Promise.all([append(queue, 'a', 3000), append(queue, 'b', 3000), append(queue, 'c', 6000)]);
    expect(log.filter((l) => l.startsWith('commit'))).toEqual(['commit a', 'commit b', 'commit c']);
  });

  it('drain waits for appends issued from inside a flush; close rejects what still waits', async () => {
    const { writer, log } = recordingWriter();
    const queue = new GroupCommitQueue({ ...writer, publish: (r) => (writer.publish(r), r[0].seq === 1 && void append(queue, 'second')) });
    void append(queue, 'first');
    await queue.drain();
    expect(log).toEqual(['commit first', 'publish 1', 'commit second', 'publish 2']);
    const late = append(queue, 'late');
    queue.close();
    await expect(late).rejects.toBeInstanceOf(StoreClosedError);
    await expect(append(queue, 'later')).rejects.toBeInstanceOf(StoreClosedError);
  });
});
