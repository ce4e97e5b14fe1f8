import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/events/envelope.ts';
import { newId } from '../../src/shared/ids.ts';
import { FakeModel, fakeModels } from './support/fake-models.ts';
import { createHarness, type Harness } from './support/harness.ts';

let h: Harness;
afterEach(async () => h?.close());

const agentReplies = (h: Harness) => h.agentReplies();

describe('rooms with several agents', () => {
  it('the named agent answers; the other records that it decided not to', async () => {
    h = await createHarness();
    const ada = await h.createAgent('Ada');
    const bob = await h.createAgent('Bob');
    const roomId = await h.createRoom('u', [ada, bob]);
    const m = await h.post(roomId, 'u', 'Bob, what time is it?');
    await h.system.idle();
    const replies = await agentReplies(h);
    expect(replies.map((r) => r.data.authorId)).toEqual([bob]);
    const decisions = (await h.events('reply.decided')).map((e) => e.data as { agentId: string; respond: boolean; messageId: string });
    expect(decisions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ agentId: ada, respond: false, messageId: m }),
        expect.objectContaining({ agentId: bob, respond: true, messageId: m }),
      ]),
    );
  });

  it('an unaddressed message is answered by exactly one agent (the first one)', async () => {
    h = await createHarness();
    const ada = await h.createAgent('Ada');
    const bob = await h.createAgent('Bob');
    const roomId = await h.createRoom('u', [ada, bob]);
    await h.post(roomId, 'u', 'hello everyone');
    await h.system.idle();
    expect((await agentReplies(h)).map((r) => r.data.authorId)).toEqual([ada]);
  });

  it('agents answer agents only when named, and the exchange stops at the depth bound', async () => {
    // Each agent names the other in every answer: without a bound this would never end.
    const model = new FakeModel('fake', (p) => {
      const me = /You are (\w+)/.exec(p.messages[0].content)?.[1] ?? p.context?.agentName;
      return me === 'Ada' ? 'Bob, what do you think?' : 'Ada, I agree with you.';
    });
    h = await createHarness({ models: fakeModels(model), settings: { maxAgentDepth: 3 } });
    const ada = await h.createAgent('Ada');
    const bob = await h.createAgent('Bob');
    const roomId = await h.createRoom('u', [ada, bob]);
    await h.post(roomId, 'u', 'Ada, start a discussion');
    await h.system.idle();
    const replies = await agentReplies(h);
    // user → Ada (depth 1) → Bob (2) → Ada (3) → stop.
    expect(replies.map((r) => r.data.authorId)).toEqual([ada, bob, ada]);
  });

  it('an agent does not answer its own message, and an agent message naming nobody gets no answer', async () => {
    h = await createHarness();
    const ada = await h.createAgent('Ada');
    const bob = await h.createAgent('Bob');
    const roomId = await h.createRoom('u', [ada, bob]);
    await h.post(roomId, ada, 'just thinking aloud', 'agent');
    await h.system.idle();
    expect(await agentReplies(h)).toHaveLength(1); // only the post itself
    expect(await h.events('reply.decided')).toHaveLength(0);
  });
});

describe('stopped agents', () => {
  it('are silent, and do not answer what arrived while they were stopped once started again', async () => {
    h = await createHarness();
    const ada = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [ada]);
    await h.store.append(`agent-${ada}`, [{ id: newId(), type: 'agent.stopped', data: { agentId: ada } }]);
    await h.post(roomId, 'u', 'anyone?');
    await h.system.idle();
    expect(await agentReplies(h)).toHaveLength(0);
    await h.store.append(`agent-${ada}`, [{ id: newId(), type: 'agent.started', data: { agentId: ada } }]);
    await h.system.idle();
    expect(await agentReplies(h)).toHaveLength(0);
    await h.post(roomId, 'u', 'now?');
    await h.system.idle();
    expect((await agentReplies(h)).map((r) => r.data.text)).toEqual(['You said: now?']);
  });
});

describe('room modes (bootstrap MUTE_ROOM / UNMUTE_ROOM / FOLLOW_ROOM)', () => {
  it('a muted agent stays silent unless named, until unmuted', async () => {
    const model = new FakeModel('fake', (p) => {
      const t = p.context?.userText ?? '';
      if (/be quiet/.test(t)) return '<response><thought>muting</thought><actions>MUTE_ROOM</actions><text>Okay, going quiet.</text></response>';
      if (/come back/.test(t)) return '<response><actions>UNMUTE_ROOM</actions><text>Back!</text></response>';
      return `<response><actions>REPLY</actions><text>re: ${t}</text></response>`;
    });
    h = await createHarness({ models: fakeModels(model) });
    const ada = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'please be quiet');
    await h.system.idle();
    await h.post(roomId, 'u', 'still there?');
    await h.system.idle();
    await h.post(roomId, 'u', 'Ada, come back');
    await h.system.idle();
    await h.post(roomId, 'u', 'hello again');
    await h.system.idle();
    expect((await agentReplies(h)).map((r) => r.data.text)).toEqual(['Okay, going quiet.', 'Back!', 're: hello again']);
    expect((await h.events('agent.room_mode_changed')).map((e) => (e.data as { mode: string }).mode)).toEqual(['muted', 'unmuted']);
    expect((await h.events('reply.decided')).map((e) => (e.data as { reason: string }).reason)).toContain('room is muted');
  });

  it('a following agent answers unaddressed messages in a room with several agents', async () => {
    const model = new FakeModel('fake', (p) =>
      /follow/.test(p.context?.userText ?? '') ? '<response><actions>FOLLOW_ROOM</actions><text>Following.</text></response>' : `re: ${p.context?.userText}`,
    );
    h = await createHarness({ models: fakeModels(model) });
    const ada = await h.createAgent('Ada');
    const bob = await h.createAgent('Bob');
    const roomId = await h.createRoom('u', [ada, bob]);
    await h.post(roomId, 'u', 'Bob, follow this room');
    await h.system.idle();
    await h.post(roomId, 'u', 'what now?');
    await h.system.idle();
    const replies = (await agentReplies(h)).map((r) => [r.data.authorId, r.data.text]);
    expect(replies).toEqual([
      [bob, 'Following.'],
      [ada, 're: what now?'],
      [bob, 're: what now?'],
    ]);
  });
});

describe('mailbox policy (character.settings.MAILBOX)', () => {
  const slow = () => {
    const m = new FakeModel();
    m.deltaDelayMs = 5;
    return m;
  };

  it('enqueue (default): every message is answered, in order', async () => {
    h = await createHarness({ models: fakeModels(slow()) });
    const ada = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [ada]);
    await Promise.all(['a b c', 'd e f', 'g h i'].map((t) => h.post(roomId, 'u', t)));
    await h.system.idle();
    expect((await agentReplies(h)).map((r) => r.data.text)).toEqual(['You said: a b c', 'You said: d e f', 'You said: g h i']);
  });

  it('reject: a message arriving while busy gets a visible refusal and a reply.failed(busy)', async () => {
    h = await createHarness({ models: fakeModels(slow()) });
    const ada = await h.createAgent('Ada', { settings: { MAILBOX: 'reject' } });
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'one two three four');
    const second = await h.post(roomId, 'u', 'second');
    await h.system.idle();
    const texts = (await agentReplies(h)).map((r) => r.data.text);
    expect(texts).toHaveLength(2);
    expect(texts).toContain('You said: one two three four');
    expect(texts.find((t) => t.includes('still answering'))).toBeDefined();
    expect((await h.events('reply.failed')).map((e) => e.data)).toEqual([expect.objectContaining({ messageId: second, code: 'busy' })]);
  });

  it('interrupt: a newer message supersedes the one in flight, which is recorded as not answered', async () => {
    h = await createHarness({ models: fakeModels(slow()) });
    const ada = await h.createAgent('Ada', { settings: { MAILBOX: 'interrupt' } });
    const roomId = await h.createRoom('u', [ada]);
    const first = await h.post(roomId, 'u', 'a long question with many many words in it');
    await new Promise((r) => setTimeout(r, 15));
    await h.post(roomId, 'u', 'never mind');
    await h.system.idle();
    expect((await agentReplies(h)).map((r) => r.data.text)).toEqual(['You said: never mind']);
    expect((await h.events('reply.decided')).map((e) => e.data)).toEqual(
      expect.arrayContaining([expect.objectContaining({ messageId: first, respond: false, reason: expect.stringMatching(/superseded/) })]),
    );
  });
});

describe('should-respond with the small model (character.settings.SHOULD_RESPOND_MODEL)', () => {
  it('asks TEXT_SMALL when several agents are present and nobody is named; falls back to the first agent if it fails', async () => {
    const model = new FakeModel('fake', (p) => {
      if (p.modelType === 'TEXT_SMALL') {
        if (/Bob/.test(p.messages[0].content) && /boats/.test(p.messages.at(-1)!.content)) return '<action>RESPOND</action>';
        return '<action>IGNORE</action>';
      }
      return `re: ${p.context?.userText}`;
    });
    h = await createHarness({ models: fakeModels(model) });
    const ada = await h.createAgent('Ada', { settings: { SHOULD_RESPOND_MODEL: 'true' } });
    const bob = await h.createAgent('Bob', { settings: { SHOULD_RESPOND_MODEL: 'true' } });
    const roomId = await h.createRoom('u', [ada, bob]);
    await h.post(roomId, 'u', 'who likes boats?');
    await h.system.idle();
    expect((await agentReplies(h)).map((r) => r.data.authorId)).toEqual([bob]);
    const reasons = (await h.events('reply.decided')).map((e) => [e.data.agentId, e.data.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        [ada, 'the small model chose IGNORE'],
        [bob, 'the small model chose RESPOND'],
      ]),
    );
  });
});

describe('agent updates', () => {
  it('a renamed agent answers to its new name', async () => {
    h = await createHarness();
    const ada = await h.createAgent('Ada');
    const bob = await h.createAgent('Bob');
    const roomId = await h.createRoom('u', [ada, bob]);
    await h.store.append(`agent-${bob}`, [
      { id: newId(), type: 'agent.updated', data: { agentId: bob, name: 'Robert', character: { name: 'Robert', bio: ['renamed'] } } },
    ]);
    await h.post(roomId, 'u', 'Robert, are you there?');
    await h.system.idle();
    expect((await agentReplies(h)).map((r) => r.data.authorId)).toEqual([bob]);
  });
});
