import { afterEach, describe, expect, it } from 'vitest';
import { LocalProvider } from '../../plugins/local/local-provider.ts';
import type { EventData } from '../../src/domain/catalogue.ts';
import { newId } from '../../src/shared/ids.ts';
import { createHarness, type Harness } from '../actors/support/harness.ts';
import { FakeModel, fakeModels } from '../actors/support/fake-models.ts';

/**
 * The agent's turn reads an OpenAI-compatible caller's `request` from the message.posted event itself
 * (no transport here: the event is appended directly), so a replayed turn sees the same input.
 */
let h: Harness;
let local: LocalProvider | undefined;
afterEach(async () => {
  await h?.close();
  await local?.close();
  local = undefined;
});

type CallerRequest = NonNullable<EventData<'message.posted'>['request']>;

async function postWithRequest(roomId: string, text: string, request?: CallerRequest): Promise<string> {
  const messageId = newId();
  await h.store.append(`room-${roomId}`, [
    { id: messageId, type: 'message.posted', data: { messageId, roomId, authorId: 'user-1', authorKind: 'user', text, ...(request ? { request } : {}) } },
  ]);
  return messageId;
}

describe('the turn with a caller request', () => {
  it('system joins the character’s prompt, history replaces the room’s recent messages, maxTokens and temperature reach the model', async () => {
    const model = new FakeModel();
    h = await createHarness({ models: fakeModels(model) });
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('user-1', [agentId]);
    await h.post(roomId, 'user-1', 'something said in the room earlier');
    await h.system.idle();
    const asked = await postWithRequest(roomId, 'and now?', {
      system: 'Answer in one word.',
      history: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'second' },
      ],
      maxTokens: 7,
      temperature: 0.1,
    });
    await h.system.idle();
    const call = model.calls.at(-1)!;
    expect(call).toMatchObject({ maxTokens: 7, temperature: 0.1 });
    expect(call.messages[0].content).toContain('# Instructions from the caller\nAnswer in one word.');
    expect(call.messages[0].content).not.toContain('something said in the room earlier');
    expect(call.messages.slice(1).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(call.context?.recentMessages).toEqual([
      { author: 'Alice', text: 'first' },
      { author: 'Ada', text: 'second' },
    ]);
    // The trace names what the prompt was built from: not the room's messages the history replaced.
    const trace = (await h.events('reply.traced')).at(-1)!;
    expect((trace.data as { sources: { messageIds: string[] } }).sources.messageIds).toEqual([asked]);
    // A message without a request (every other client, every older log) is answered as before.
    await h.post(roomId, 'user-1', 'plain message');
    await h.system.idle();
    const plain = model.calls.at(-1)!;
    expect(plain.maxTokens).toBeUndefined();
    expect(plain.messages).toHaveLength(2);
    expect(plain.messages[0].content).toContain('something said in the room earlier');
    expect(plain.messages[0].content).not.toContain('Instructions from the caller');
  });

  it('the local default provider answers a json_schema request with JSON that matches the schema', async () => {
    local = new LocalProvider();
    h = await createHarness({ models: fakeModels(local) });
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('user-1', [agentId]);
    const schema = {
      type: 'object',
      properties: { answer: { type: 'string' }, confidence: { type: 'number', minimum: 0 }, tags: { type: 'array', items: { type: 'string' }, minItems: 1 } },
      required: ['answer', 'confidence', 'tags'],
    };
    const messageId = await postWithRequest(roomId, 'what is a barn owl?', { responseFormat: { type: 'json_schema', name: 'answer', schema } });
    await h.system.idle();
    const reply = (await h.agentReplies()).find((e) => e.data.inReplyTo === messageId)!;
    const value = JSON.parse(reply.data.text);
    expect(value).toMatchObject({ answer: expect.any(String), confidence: 0, tags: [expect.any(String)] });
    expect(value.answer.length).toBeGreaterThan(0);
    const traced = (await h.events('reply.traced')).find((e) => e.data.messageId === messageId)!;
    expect(traced.data.actions).toEqual(['REPLY']);
  });

  it('a provider that cannot produce objects fails the turn visibly, not with prose pretending to be JSON', async () => {
    h = await createHarness(); // FakeModel: generateObject is unsupported
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('user-1', [agentId]);
    const messageId = await postWithRequest(roomId, 'json please', { responseFormat: { type: 'json_object' } });
    await h.system.idle();
    const failed = (await h.events('reply.failed')).find((e) => e.data.messageId === messageId)!;
    expect(failed.data.code).toBe('unsupported');
  });
});
