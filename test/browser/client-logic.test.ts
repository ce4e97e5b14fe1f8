import { describe, expect, it } from 'vitest';
import { appendDelta, errorConcernsRoom, mergeMessages, pruneDrafts, settleDraft } from '../../web/src/api/timeline.ts';
import type { Message } from '../../web/src/api/types.ts';
import { toBase64 } from '../../web/src/api/files.ts';
import { answerRules } from '../../web/src/api/who-answers.ts';
import type { Agent } from '../../web/src/api/types.ts';

// The client's pure timeline logic (no browser needed): what the chat shows after replays and streams.
const msg = (seq: number, extra: Partial<Message> = {}): Message => ({
  id: `m${seq}`,
  seq,
  roomId: 'r',
  authorId: 'u',
  authorKind: 'user',
  text: `text ${seq}`,
  createdAt: '2026-01-01T00:00:00Z',
  ...extra,
});

describe('room timeline', () => {
  it('shows a message replayed after a reconnect once, in seq order', () => {
    const live = mergeMessages([], [msg(1), msg(3)]);
    const afterResume = mergeMessages(live, [msg(2), msg(3)]);
    expect(afterResume.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('keeps the same array when nothing new arrives (no needless re-render)', () => {
    const a = mergeMessages([], [msg(1)]);
    expect(mergeMessages(a, [])).toBe(a);
    expect(mergeMessages(a, [a[0]])).toBe(a);
  });

  it('accumulates streamed tokens per agent and reply, and drops the draft when the final message arrives', () => {
    let d = appendDelta({}, 'agent1', 'm1', 'Hel');
    d = appendDelta(d, 'agent1', 'm1', 'lo');
    d = appendDelta(d, 'agent2', 'm1', 'Hi');
    expect(
      Object.values(d)
        .map((x) => x.text)
        .sort(),
    ).toEqual(['Hello', 'Hi']);
    d = settleDraft(d, msg(5, { authorId: 'agent1', authorKind: 'agent', inReplyTo: 'm1', text: 'Hello' }));
    expect(Object.values(d).map((x) => x.agentId)).toEqual(['agent2']);
  });

  it('leaves drafts alone for a message that answers nothing', () => {
    const d = appendDelta({}, 'agent1', 'm1', 'x');
    expect(settleDraft(d, msg(6))).toBe(d);
  });

  it('drops a draft that stopped streaming (a failed reply) after the idle time, keeps live ones', () => {
    let d = appendDelta({}, 'agent1', 'm1', 'half a rep', 1000);
    d = appendDelta(d, 'agent2', 'm2', 'still going', 50_000);
    expect(pruneDrafts(d, 30_000, 60_000)).toBe(d);
    expect(Object.keys(pruneDrafts(d, 70_000, 60_000))).toEqual(['agent2:m2']);
  });

  it('shows a socket error in the room it concerns or in every room when it names none, never in another room', () => {
    expect(errorConcernsRoom({ roomId: 'r1' }, 'r1')).toBe(true);
    expect(errorConcernsRoom({}, 'r1')).toBe(true);
    expect(errorConcernsRoom({ roomId: 'r2' }, 'r1')).toBe(false);
  });

  it('encodes an uploaded file as base64 exactly, also past the 32 KB slices it is built from', () => {
    const bytes = new Uint8Array(100_003).map((_, i) => (i * 131 + 7) & 0xff);
    expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    expect(toBase64(new Uint8Array())).toBe('');
  });
});

describe('who answers in a room', () => {
  const agent = (id: string, extra: Partial<Agent> = {}): Agent => ({ id, name: id, status: 'running', character: { name: id }, createdAt: '', ...extra });
  const p = (id: string, kind: 'user' | 'agent' = 'agent') => ({ id, kind, name: id });

  it('follows the server rules: first agent always, SHOULD_RESPOND_MODEL decides, others when named, stopped never', () => {
    const agents = [
      agent('a'),
      agent('b', { character: { name: 'b', settings: { SHOULD_RESPOND_MODEL: true } } }),
      agent('c'),
      agent('d', { status: 'stopped' }),
    ];
    expect(answerRules([p('u', 'user'), p('a'), p('b'), p('c'), p('d')], agents)?.map((r) => r.rule)).toEqual(['always', 'decides', 'named', 'stopped']);
  });

  it('says nothing for a room of one agent (it answers everything)', () => {
    expect(answerRules([p('u', 'user'), p('a')], [agent('a')])).toBeUndefined();
  });
});
