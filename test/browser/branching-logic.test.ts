import { describe, expect, it } from 'vitest';
import { editAndResend, reaskBody, type BranchingApi } from '../../web/src/api/branching.ts';
import type { Message, Room } from '../../web/src/api/types.ts';

// The web client's branching logic without a browser: where "edit and resend" branches, and what a re-ask sends.
const room: Room = {
  id: 'r1',
  name: 'Harbour',
  createdAt: '2026-01-01T00:00:00Z',
  participants: [
    { id: 'u1', kind: 'user', name: 'Ada' },
    { id: 'a1', kind: 'agent', name: 'Eliza' },
    { id: 'a2', kind: 'agent', name: 'Sam' },
  ],
};
const msg = (seq: number): Message => ({
  id: `m${seq}`,
  seq,
  roomId: 'r1',
  authorId: 'u1',
  authorKind: 'user',
  text: `text ${seq}`,
  createdAt: '2026-01-01T00:00:00Z',
});

/** An ApiClient that records the calls "edit and resend" makes; `history` is the room's messages. */
function fakeApi(history: Message[]) {
  const calls: unknown[][] = [];
  const api = {
    messages: async (roomId: string, q: { before?: number; limit?: number }) => {
      calls.push(['messages', roomId, q]);
      return history.filter((m) => m.seq < (q.before ?? Infinity)).slice(-(q.limit ?? 50));
    },
    forkRoom: async (roomId: string, body: unknown) => (calls.push(['fork', roomId, body]), { ...room, id: 'branch', forkOf: { roomId, atSeq: 0 } }),
    createRoom: async (name: string, agentIds: string[]) => (calls.push(['create', name, agentIds]), { ...room, id: 'new' }),
    postMessage: async (roomId: string, text: string, clientId: string) => (calls.push(['post', roomId, text, clientId]), msg(99)),
  };
  return { api: api as BranchingApi, calls };
}

describe('edit and resend', () => {
  it('branches at the message just before the edited one (even one not loaded) and posts the new text there', async () => {
    const { api, calls } = fakeApi([msg(3), msg(7), msg(12)]);
    const out = await editAndResend(api, room, msg(12), 'new text', 'c1');
    expect(out).toMatchObject({ room: { id: 'branch' }, branched: true });
    expect(calls).toEqual([
      ['messages', 'r1', { before: 12, limit: 1 }],
      ['fork', 'r1', { atMessageId: 'm7', name: 'Harbour (edited)' }],
      ['post', 'branch', 'new text', 'c1'],
    ]);
  });

  it("on a room's first message makes a new room with the same agents (the API branches only at a message)", async () => {
    const { api, calls } = fakeApi([msg(3), msg(7)]);
    const out = await editAndResend(api, room, msg(3), 'first, edited', 'c2');
    expect(out).toMatchObject({ room: { id: 'new' }, branched: false });
    expect(calls.slice(1)).toEqual([
      ['create', 'Harbour (edited)', ['a1', 'a2']],
      ['post', 'new', 'first, edited', 'c2'],
    ]);
  });
});

describe('re-ask body', () => {
  it('leaves blank fields out and sends the bio one paragraph a line', () => {
    expect(reaskBody({ model: ' ', system: '', bio: '\n' })).toEqual({});
    expect(reaskBody({ model: ' big-model ', system: ' Be brief. ', bio: 'A keeper.\n\n Of lights. ' })).toEqual({
      model: 'big-model',
      character: { system: 'Be brief.', bio: ['A keeper.', 'Of lights.'] },
    });
  });
});
