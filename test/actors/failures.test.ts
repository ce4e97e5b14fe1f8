import { afterEach, describe, expect, it } from 'vitest';
import { ModelError } from '../../src/models/provider.ts';
import { derivedId } from '../../src/shared/ids.ts';
import { FakeModel, fakeModels } from './support/fake-models.ts';
import { createHarness, type Harness } from './support/harness.ts';

let h: Harness;
afterEach(async () => h?.close());

const agentReplies = (h: Harness) => h.agentReplies();

describe('when the model fails', () => {
  it('a retryable error is retried and the reply still comes, with every attempt recorded', async () => {
    const model = new FakeModel();
    model.failFirst = 1;
    h = await createHarness({ models: fakeModels(model) });
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [agentId]);
    await h.post(roomId, 'u', 'hi');
    await h.system.idle();
    expect((await agentReplies(h)).map((e) => e.data.text)).toEqual(['You said: hi']);
    const calls = (await h.events('model.called')).map((e) => e.data as { ok: boolean; model: string });
    expect(calls.map((c) => c.ok)).toEqual([false, true]);
    // A failed call still names the model it was for.
    expect(calls[0].model).toBe('fake-large');
    expect(await h.events('reply.failed')).toHaveLength(0);
  });

  it('a persistent failure gives reply.failed and a visible message saying why — never silence', async () => {
    const model = new FakeModel();
    model.failFirst = 100;
    model.failWith = () => new ModelError('auth', 'invalid api key', 'fake', false);
    h = await createHarness({ models: fakeModels(model) });
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [agentId]);
    const messageId = await h.post(roomId, 'u', 'hi');
    await h.system.idle();
    const failed = await h.events('reply.failed');
    expect(failed.map((e) => e.data)).toEqual([expect.objectContaining({ agentId, messageId, code: 'auth', attempts: 1 })]);
    const replies = await agentReplies(h);
    expect(replies).toHaveLength(1);
    expect(replies[0].id).toBe(derivedId(agentId, messageId, 'reply'));
    expect(replies[0].data.text).toMatch(/could not answer.*rejected the credentials/);
  });

  it('a hanging model times out: failure event plus visible message, and the agent answers the next message', async () => {
    const model = new FakeModel();
    model.hang = true;
    h = await createHarness({ models: fakeModels(model), settings: { modelTimeoutMs: 50, modelAttempts: 2 } });
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [agentId]);
    await h.post(roomId, 'u', 'are you there?');
    await h.system.idle();
    expect((await h.events('reply.failed')).map((e) => (e.data as { code: string }).code)).toEqual(['timeout']);
    expect((await h.events('model.called')).map((e) => (e.data as { ok: boolean }).ok)).toEqual([false, false]);
    model.hang = false;
    await h.post(roomId, 'u', 'now?');
    await h.system.idle();
    expect((await agentReplies(h)).map((e) => e.data.text)).toEqual([expect.stringMatching(/took too long/), 'You said: now?']);
  });

  it('a throwing action is recorded as action.completed(success false) and plugin.failed, and the user sees an outcome', async () => {
    const model = new FakeModel('fake', () => '<response><thought>t</thought><actions>EXPLODE</actions><text></text></response>');
    h = await createHarness({
      models: fakeModels(model),
      plugins: [
        {
          name: 'boom',
          description: 'x',
          actions: [
            {
              name: 'EXPLODE',
              description: 'x',
              validate: () => true,
              handler: () => {
                throw new Error('kaboom');
              },
            },
          ],
        },
      ],
    });
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [agentId]);
    await h.post(roomId, 'u', 'do it');
    await h.system.idle();
    expect((await h.events('action.completed')).map((e) => e.data)).toEqual([expect.objectContaining({ action: 'EXPLODE', success: false, error: 'kaboom' })]);
    expect((await h.events('plugin.failed')).map((e) => e.data)).toEqual([expect.objectContaining({ plugin: 'boom', component: 'action:EXPLODE' })]);
    expect((await h.events('reply.failed')).map((e) => (e.data as { code: string }).code)).toEqual(['action_failed']);
    expect(await agentReplies(h)).toHaveLength(1);
  });

  it('a throwing provider or evaluator does not stop the reply', async () => {
    h = await createHarness({
      plugins: [
        {
          name: 'flaky',
          description: 'x',
          providers: [
            {
              name: 'BROKEN',
              get: () => {
                throw new Error('no data');
              },
            },
          ],
          evaluators: [
            {
              name: 'BAD_EVAL',
              description: 'x',
              alwaysRun: true,
              validate: () => true,
              handler: () => {
                throw new Error('eval broke');
              },
            },
          ],
        },
      ],
    });
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [agentId]);
    await h.post(roomId, 'u', 'hi');
    await h.system.idle();
    expect((await agentReplies(h)).map((e) => e.data.text)).toEqual(['You said: hi']);
    expect((await h.events('plugin.failed')).map((e) => (e.data as { component: string }).component).sort()).toEqual(['evaluator:BAD_EVAL', 'provider:BROKEN']);
  });
});

describe('streaming across a retry', () => {
  it('subscribers do not get the text twice when an attempt fails mid-stream and the retry starts over', async () => {
    let call = 0;
    const model = new FakeModel();
    model.streamText = async function* (params) {
      call++;
      yield { type: 'delta', text: 'Hello ' };
      if (call === 1) throw new ModelError('unavailable', 'connection reset', 'fake', true);
      yield { type: 'delta', text: 'world' };
      yield { type: 'done', result: { text: 'Hello world', model: 'm', usage: { promptTokens: 1, completionTokens: 2 } } };
      void params;
    };
    h = await createHarness({ models: fakeModels(model) });
    const deltas: string[] = [];
    h.system.ephemeral$.subscribe((e) => e.type === 'reply.delta' && deltas.push(e.delta));
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [agentId]);
    await h.post(roomId, 'u', 'hi');
    await h.system.idle();
    expect(deltas.join('')).toBe('Hello world');
    expect((await agentReplies(h)).map((r) => r.data.text)).toEqual(['Hello world']);
  });
});
