import { afterEach, describe, expect, it } from 'vitest';
import { grantEvent } from '../../src/plugin-host/permissions.ts';
import { isolation, startIsolatedPlugin, type IsolatedPlugin, type IsolatedPluginOptions } from '../../src/plugin-host/isolation/index.ts';
import { FakeModel, fakeModels } from '../actors/support/fake-models.ts';
import { createHarness, type Harness } from '../actors/support/harness.ts';
import { fixture } from './support/runtime.ts';

let h: Harness | undefined;
const started: IsolatedPlugin[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  await Promise.all(started.splice(0).map((p) => p.stop()));
});

const start = async (file: string, limits: IsolatedPluginOptions['limits'] = {}) => {
  const p = await startIsolatedPlugin({ entry: fixture(file), kind: 'file', grants: isolation.ledger.source, limits: { maxRestarts: 0, ...limits } });
  started.push(p);
  return p;
};

describe('an agent with hostile isolated plugins', () => {
  it('keeps answering; each bad plugin is stopped or refused and reported as plugin.failed; the granted plugin works', async () => {
    const plugins = await Promise.all([
      start('good.mjs'),
      start('throws-in-handler.mjs'),
      start('infinite-loop.mjs', { callTimeoutMs: 500 }),
      start('heap-hog.mjs', { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4, callTimeoutMs: 9_000 }),
      start('secret-reader.mjs'),
      start('flooder.mjs', { maxEffectsPerMinute: 20 }),
    ]);
    const model = new FakeModel();
    h = await createHarness({ models: fakeModels(model), plugins: plugins.map((p) => p.plugin) });
    const ada = await h.createAgent('Ada', { settings: { GREETING: 'Howdy', secrets: { OPENAI_API_KEY: 'sk-live-secret' } } });
    // Grants are events on the agent's stream, so the log shows who allowed what.
    await h.store.append(`agent-${ada}`, [
      grantEvent(ada, 'good-ext', ['settings:GREETING', 'events:read:message.posted', 'events:append:agent.fact_recorded'], 'operator-1'),
      grantEvent(ada, 'flooder', ['events:append:agent.fact_recorded'], 'operator-1'),
    ]);
    for (let i = 0; i < 100 && isolation.ledger.granted(ada, 'flooder').length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'one');
    await h.system.idle();

    expect((await h.agentReplies()).map((r) => r.data.text)).toEqual(['You said: one']);
    const prompt = String(model.calls[0]!.messages[0]!.content);
    expect(prompt).toContain('GOOD_EXT: Howdy');
    expect(prompt).not.toContain('sk-live-secret');
    const failed = await h.events('plugin.failed');
    const byPlugin = Object.fromEntries(failed.map((e) => [e.data.plugin, e.data.error]));
    expect(Object.keys(byPlugin).sort()).toEqual(['flooder', 'heap-hog', 'looper', 'secret-reader', 'thrower']);
    expect(byPlugin['thrower']).toContain('provider exploded');
    expect(byPlugin['looper']).toContain('did not finish within 500 ms');
    expect(byPlugin['heap-hog']).toContain('exhausted its heap limit (16 MB)');
    expect(byPlugin['secret-reader']).toContain('needs permission "secrets:OPENAI_API_KEY", which is not granted');
    expect(byPlugin['flooder']).toContain('flooded events (more than 20 records a minute)');
    expect(failed.every((e) => e.data.agentId === ada)).toBe(true);
    expect((await h.events('agent.fact_recorded')).map((e) => e.data.text)).toContain('good-ext saw a message');
    expect(JSON.stringify(await h.events('plugin.permissions_granted'))).toContain('operator-1');

    // The stopped plugins stay out of the way; the agent keeps answering.
    await h.post(roomId, 'u', 'two');
    await h.system.idle();
    expect((await h.agentReplies()).map((r) => r.data.text)).toEqual(['You said: one', 'You said: two']);
    const after = (await h.events('plugin.failed')).map((e) => e.data.plugin);
    expect(after.filter((p) => p === 'looper' || p === 'heap-hog' || p === 'flooder')).toHaveLength(3);
    expect(plugins.map((p) => p.status)).toEqual(['running', 'running', 'failed', 'failed', 'running', 'failed']);
  });
});
