import { afterEach, describe, expect, it } from 'vitest';
import type { Plugin } from '../../src/plugin-host/types.ts';
import { FakeModel } from '../actors/support/fake-models.ts';
import { elizaWorld, type ElizaWorld } from './support.ts';

// plugin-bootstrap ships no type declarations: loaded by a name TypeScript does not resolve.
const bootstrapPlugin = ((await import('@elizaos/plugin-bootstrap' as string)) as { default: Plugin }).default;

let world: ElizaWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/**
 * The real plugin-bootstrap (named "bootstrap") given to an agent takes the place of Chronicle's
 * stand-in (plugins/bootstrap). What Chronicle's turn replaces is the message pipeline itself (in
 * ElizaOS 1.7 that is core's message service, not this plugin): should-respond, the prompt, the model
 * call and the reply's events. Everything the plugin contributes — providers, actions, evaluators,
 * event handlers, services — runs unchanged inside that turn.
 */
describe('@elizaos/plugin-bootstrap, unchanged', () => {
  it('its providers compose the prompt, its REPLY action answers, and nothing of it fails', async () => {
    const model = new FakeModel(
      'fake',
      () => '<response><thought>greet</thought><actions>REPLY</actions><providers></providers><text>Hello Alice!</text></response>',
    );
    world = await elizaWorld({ plugins: [bootstrapPlugin], model });
    expect(await world.chat('Hello there, who are you?')).toBe('Hello Alice!');

    // Its REPLY action answered (its own text, "Generated reply: …", is in the action's record).
    const [reply] = (await world.events('action.completed')).filter((e) => e.data.action === 'REPLY');
    expect(reply.data).toMatchObject({ success: true, text: 'Generated reply: Hello Alice!' });
    // Its providers built the prompt: ANXIETY, PROVIDERS, ACTION_STATE exist only in the real plugin.
    const providers = (await world.events('reply.traced')).at(-1)!.data.providers;
    const names = providers.map((p) => p.name);
    for (const name of ['ACTIONS', 'ANXIETY', 'TIME', 'PROVIDERS', 'CHARACTER', 'RECENT_MESSAGES', 'ACTION_STATE', 'ROLES', 'SETTINGS'])
      expect(names).toContain(name);
    expect(providers.find((p) => p.name === 'RECENT_MESSAGES')!.chars).toBeGreaterThan(0);
    const prompt = JSON.stringify(model.calls.at(-1)!.messages);
    expect(prompt).toContain('Hello there, who are you?');
    expect(await world.events('plugin.failed')).toEqual([]);

    // A second turn: the conversation so far reaches its RECENT_MESSAGES provider (read from the room's log).
    expect(await world.chat('Tell me more.')).toBe('Hello Alice!');
    expect(JSON.stringify(model.calls.at(-1)!.messages)).toContain('Hello Alice!');
    expect(await world.events('plugin.failed')).toEqual([]);
  });
});
