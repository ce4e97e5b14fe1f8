import { afterEach, describe, expect, it } from 'vitest';
import { derivedId } from '../../src/shared/ids.ts';
import { createHarness, type Harness } from './support/harness.ts';

let h: Harness;
afterEach(async () => h?.close());

describe('an agent in a room with one user', () => {
  it('answers a user message exactly once, with a deterministic reply id, a decision and a trace', async () => {
    h = await createHarness();
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('user-1', [agentId]);
    const messageId = await h.post(roomId, 'user-1', 'hello there');
    await h.system.idle();

    const replies = (await h.events('message.posted')).filter((e) => e.type === 'message.posted' && e.data.authorKind === 'agent');
    expect(replies).toHaveLength(1);
    const reply = replies[0];
    expect(reply.id).toBe(derivedId(agentId, messageId, 'reply'));
    expect(reply.data).toMatchObject({ authorId: agentId, inReplyTo: messageId, roomId, text: 'You said: hello there' });

    const decided = await h.events('reply.decided');
    expect(decided.map((e) => e.data)).toEqual([expect.objectContaining({ agentId, messageId, respond: true })]);
    const traced = await h.events('reply.traced');
    expect(traced).toHaveLength(1);
    expect(traced[0].data).toMatchObject({ agentId, messageId, replyId: reply.id, provider: 'fake', model: 'fake-model', actions: ['REPLY'] });
    const data = traced[0].data as { sources: { messageIds: string[] }; providers: { name: string; sha256: string }[] };
    expect(data.sources.messageIds).toContain(messageId);
    expect(data.providers.map((p) => p.name)).toEqual(expect.arrayContaining(['CHARACTER', 'RECENT_MESSAGES', 'TIME']));
    expect(await h.events('model.called')).toHaveLength(1);
  });

  it('streams the visible text as reply.delta and signals typing', async () => {
    h = await createHarness();
    const seen: string[] = [];
    h.system.ephemeral$.subscribe((e) => seen.push(e.type === 'typing' ? '<typing>' : e.delta));
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('user-1', [agentId]);
    await h.post(roomId, 'user-1', 'one two three');
    await h.system.idle();
    expect(seen[0]).toBe('<typing>');
    expect(seen.slice(1).join('')).toBe('You said: one two three');
  });

  it('answers successive messages in order, each once', async () => {
    h = await createHarness();
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('user-1', [agentId]);
    const ids = [];
    for (const t of ['first', 'second', 'third']) ids.push(await h.post(roomId, 'user-1', t));
    await h.system.idle();
    const replies = (await h.events('message.posted')).filter((e) => e.type === 'message.posted' && e.data.authorKind === 'agent');
    expect(replies.map((r) => (r.data as { inReplyTo: string }).inReplyTo)).toEqual(ids);
  });
});
