import { afterEach, describe, expect, it } from 'vitest';
import type { Plugin } from '../../src/plugin-host/types.ts';
import { FakeModel, fakeModels } from '../actors/support/fake-models.ts';
import { createHarness, type Harness } from '../actors/support/harness.ts';

let h: Harness;
afterEach(async () => h?.close());

describe('plugin lifecycle in agents', () => {
  it('init runs once per agent with the plugin config; a failing init leaves that plugin out with a plugin.failed event', async () => {
    const inits: Record<string, string>[] = [];
    const good: Plugin = {
      name: 'good',
      description: 'x',
      config: { GREETING: 'hi', OTHER: null },
      init: (config) => void inits.push(config),
      providers: [{ name: 'GOOD', get: () => ({ text: 'GOOD WAS HERE' }) }],
    };
    const bad: Plugin = {
      name: 'bad',
      description: 'x',
      init: () => {
        throw new Error('missing BAD_KEY');
      },
      providers: [{ name: 'BAD', get: () => ({ text: 'BAD WAS HERE' }) }],
    };
    const model = new FakeModel();
    h = await createHarness({ models: fakeModels(model), plugins: [good, bad] });
    const ada = await h.createAgent('Ada', { settings: { GREETING: 'hello from the character' } });
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'one');
    await h.post(roomId, 'u', 'two');
    await h.system.idle();
    expect(inits).toEqual([{ GREETING: 'hello from the character', OTHER: '' }]);
    expect(model.calls[0].messages[0].content).toContain('GOOD WAS HERE');
    expect(model.calls[0].messages[0].content).not.toContain('BAD WAS HERE');
    expect((await h.events('plugin.failed')).map((e) => [e.data.plugin, e.data.component, e.data.error])).toEqual([
      ['bad', 'init', 'init failed: missing BAD_KEY'],
    ]);
    expect(await h.agentReplies()).toHaveLength(2);
  });

  it('event handlers hear MESSAGE_RECEIVED, RUN_STARTED and RUN_ENDED; a throwing one is a plugin failure only', async () => {
    const seen: string[] = [];
    const plugin: Plugin = {
      name: 'listener',
      description: 'x',
      events: {
        MESSAGE_RECEIVED: [(p) => void seen.push(`received ${String(p.text)}`)],
        RUN_STARTED: [
          () => void seen.push('started'),
          () => {
            throw new Error('listener broke');
          },
        ],
        RUN_ENDED: [(p) => void seen.push(`ended ${(p.actions as string[]).join(',')}`)],
      },
    };
    h = await createHarness({ plugins: [plugin] });
    const ada = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'hello');
    await h.system.idle();
    expect(seen).toEqual(['received hello', 'started', 'ended REPLY']);
    expect((await h.events('plugin.failed')).map((e) => e.data.component)).toEqual(['event:RUN_STARTED']);
    expect((await h.agentReplies()).map((r) => r.data.text)).toEqual(['You said: hello']);
  });

  it('dynamic providers run only when the model names them in <providers>', async () => {
    let calls = 0;
    const plugin: Plugin = {
      name: 'dyn',
      description: 'x',
      providers: [{ name: 'WEATHER', dynamic: true, get: () => (calls++, { text: 'sunny', values: { weather: 'sunny' } }) }],
    };
    const model = new FakeModel('fake', (p) =>
      /weather/.test(p.context?.userText ?? '')
        ? '<response><providers>WEATHER</providers><actions>REPLY</actions><text>Let me check.</text></response>'
        : 'plain answer',
    );
    h = await createHarness({ models: fakeModels(model), plugins: [plugin] });
    const ada = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'hello');
    await h.system.idle();
    expect(calls).toBe(0);
    await h.post(roomId, 'u', 'what is the weather?');
    await h.system.idle();
    expect(calls).toBe(1);
    const traces = await h.events('reply.traced');
    expect(traces[0].data.providers.map((p) => p.name)).not.toContain('WEATHER');
    expect(traces[1].data.providers.map((p) => p.name)).toContain('WEATHER');
  });

  it('a plugin model handler for TEXT_LARGE answers the turn; the highest priority wins', async () => {
    const low: Plugin = { name: 'low', description: 'x', priority: 1, models: { TEXT_LARGE: () => 'from low' } };
    const high: Plugin = {
      name: 'high',
      description: 'x',
      priority: 10,
      models: { TEXT_LARGE: (_rt, params) => `from high (${String(params.prompt).includes('Ada') ? 'saw the prompt' : 'no prompt'})` },
    };
    const model = new FakeModel();
    h = await createHarness({ models: fakeModels(model), plugins: [low, high] });
    const ada = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'hello');
    await h.system.idle();
    expect((await h.agentReplies()).map((r) => r.data.text)).toEqual(['from high (saw the prompt)']);
    expect(model.calls).toHaveLength(0);
    expect((await h.events('reply.traced'))[0].data).toMatchObject({ provider: 'high', model: 'high:TEXT_LARGE' });
  });
});

describe('character templates', () => {
  it('templates.messageHandlerTemplate replaces the default prompt, with {{placeholders}} filled', async () => {
    const model = new FakeModel();
    h = await createHarness({ models: fakeModels(model) });
    const ada = await h.createAgent('Ada', {
      templates: { messageHandlerTemplate: 'I am {{agentName}} talking to {{senderName}}. Actions: {{actionNames}}. {{unknown}}End.' },
    });
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'hi');
    await h.system.idle();
    expect(model.calls[0].messages[0].content).toBe(
      'I am Ada talking to Alice. Actions: REPLY, IGNORE, NONE, FOLLOW_ROOM, UNFOLLOW_ROOM, MUTE_ROOM, UNMUTE_ROOM. End.',
    );
  });
});
