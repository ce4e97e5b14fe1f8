import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MessageView } from '../../src/projections/read-model.ts';
import { RecentMessages } from '../../src/projections/recent-messages.ts';

/** A log of messages in a few rooms, queried like SQLite would answer (the reference). */
class TableModel {
  rows: MessageView[] = [];
  cp = 0;
  post(roomId: string): void {
    this.cp++;
    this.rows.push({ seq: this.cp, id: `m${this.cp}`, roomId, authorId: 'u', authorKind: 'user', text: `t${this.cp}`, createdAt: '' } as MessageView);
  }
  sqlBefore(roomId: string, beforeSeq: number, limit: number): MessageView[] {
    const inRoom = this.rows.filter((r) => r.roomId === roomId && r.seq < beforeSeq);
    return inRoom.slice(Math.max(0, inRoom.length - limit));
  }
  /** The read model's side, counting the queries it answers. */
  source(checkpoint = () => this.cp) {
    const calls = { after: 0, newest: 0 };
    return {
      calls,
      checkpoint,
      newest: (roomId: string, limit: number) => (calls.newest++, this.sqlBefore(roomId, Infinity, limit)),
      after: (roomId: string, afterSeq: number, limit: number) => (
        calls.after++, this.rows.filter((r) => r.roomId === roomId && r.seq > afterSeq).slice(0, limit)
      ),
      postedThrough: (roomId: string) => this.rows.filter((r) => r.roomId === roomId).at(-1)?.seq ?? 0,
    };
  }
}

type Op = { kind: 'post'; room: number } | { kind: 'query'; room: number; back: number; limit: number } | { kind: 'rebuild' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('post' as const), room: fc.nat(3) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('query' as const), room: fc.nat(3), back: fc.nat(30), limit: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rebuild' as const }) },
);

describe("RecentMessages (the in-memory window of a room's newest messages)", () => {
  it('answers exactly what the table answers, or declines, for any interleaving of posts, queries and rebuilds', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const table = new TableModel();
        let rebuilding = false;
        const source = table.source(() => (rebuilding ? 0 : table.cp));
        // Small windows and few rooms so that trimming and eviction happen.
        const recent = new RecentMessages(source, 8, 2);
        for (const o of ops) {
          if (o.kind === 'post') table.post(`r${o.room}`);
          else if (o.kind === 'rebuild') {
            // A rebuild is seen as the checkpoint going back; the rebuilt rows are the same.
            rebuilding = true;
            recent.before('r0', 1, 0);
            rebuilding = false;
          } else {
            const before = table.cp + 1 - o.back;
            const got = recent.before(`r${o.room}`, before, o.limit);
            if (got !== undefined) expect(got.map((m) => m.seq)).toEqual(table.sqlBefore(`r${o.room}`, before, o.limit).map((m) => m.seq));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("serves the newest messages of a room it has seen (the turn's RECENT_MESSAGES) without declining", () => {
    const table = new TableModel();
    const recent = new RecentMessages(table.source(), 8, 4);
    for (let i = 0; i < 20; i++) {
      table.post('r0');
      expect(recent.before('r0', table.cp, 5)?.length).toBe(Math.min(5, i));
    }
    expect(recent.before('r0', table.cp + 1, 9)).toBeUndefined(); // more than a window holds
  });

  it('after a burst larger than the window, serves the newest messages, not the first of the burst', () => {
    const table = new TableModel();
    const recent = new RecentMessages(table.source(), 8, 4);
    table.post('r0');
    expect(recent.before('r0', table.cp + 1, 1)?.map((m) => m.seq)).toEqual([1]);
    for (let i = 0; i < 30; i++) table.post('r0');
    expect(recent.before('r0', table.cp + 1, 3)?.map((m) => m.seq)).toEqual([29, 30, 31]);
  });

  it('asks the table nothing for a room nobody posted in since the window was last brought up to date', () => {
    const table = new TableModel();
    const source = table.source();
    const recent = new RecentMessages(source, 8, 4);
    table.post('r0');
    table.post('r1');
    recent.before('r0', table.cp + 1, 5);
    const queries = () => source.calls.after + source.calls.newest;
    const first = queries();
    table.post('r1'); // another room
    expect(recent.before('r0', table.cp + 1, 5)?.map((m) => m.seq)).toEqual([1]);
    expect(queries()).toBe(first);
    table.post('r0');
    expect(recent.before('r0', table.cp + 1, 5)?.map((m) => m.seq)).toEqual([1, 4]);
    expect(source.calls.after).toBe(1);
  });
});
