import { afterEach, describe, expect, it } from 'vitest';
import { FakeModel } from '../actors/support/fake-models.ts';
import { elizaWorld, type ElizaWorld } from '../eliza-compat/support.ts';
import { startIsolatedPlugin, type IsolatedPlugin, type PluginFailure } from '../../src/plugin-host/isolation/index.ts';

/**
 * The real @elizaos/plugin-bootstrap (an npm package nobody on this project wrote), run SANDBOXED with
 * the grants its runtime calls need, does in a chat turn what test/eliza-compat/bootstrap-plugin.test.ts
 * shows it doing in process: its providers compose the prompt (reading rooms, entities, memories
 * through the bridge) and its REPLY action answers.
 */
const GRANTS = ['models:use', 'events:read:*', 'events:append:memory.created', 'events:append:room.*', 'services:register'];

let world: ElizaWorld | undefined;
let isolated: IsolatedPlugin | undefined;
afterEach(async () => {
  await world?.close();
  await isolated?.stop();
  world = undefined;
  isolated = undefined;
});

describe('@elizaos/plugin-bootstrap, sandboxed', () => {
  it('its providers compose the prompt and its REPLY action answers, nothing failing', async () => {
    const failures: PluginFailure[] = [];
    isolated = await startIsolatedPlugin({ entry: '@elizaos/plugin-bootstrap', kind: 'package', grants: () => GRANTS, onFailure: (f) => failures.push(f) });
    const model = new FakeModel(
      'fake',
      () => '<response><thought>greet</thought><actions>REPLY</actions><providers></providers><text>Hello Alice!</text></response>',
    );
    world = await elizaWorld({ plugins: [isolated.plugin], model });
    expect(await world.chat('Hello there, who are you?')).toBe('Hello Alice!');
    const [reply] = (await world.events('action.completed')).filter((e) => e.data.action === 'REPLY');
    expect(reply.data).toMatchObject({ success: true, text: 'Generated reply: Hello Alice!' });
    const providers = (await world.events('reply.traced')).at(-1)!.data.providers;
    const names = providers.map((p) => p.name);
    for (const name of ['ACTIONS', 'ANXIETY', 'TIME', 'PROVIDERS', 'CHARACTER', 'RECENT_MESSAGES', 'ACTION_STATE', 'ROLES', 'SETTINGS'])
      expect(names).toContain(name);
    expect(providers.find((p) => p.name === 'RECENT_MESSAGES')!.chars).toBeGreaterThan(0);
    expect(JSON.stringify(model.calls.at(-1)!.messages)).toContain('Hello there, who are you?');
    expect(await world.events('plugin.failed')).toEqual([]);
    expect(failures).toEqual([]);

    // A second turn: the conversation so far reaches its RECENT_MESSAGES provider through the bridge.
    expect(await world.chat('Tell me more.')).toBe('Hello Alice!');
    expect(JSON.stringify(model.calls.at(-1)!.messages)).toContain('Hello Alice!');
    expect(await world.events('plugin.failed')).toEqual([]);
  }, 40_000);
});
