import { afterEach, describe, expect, it } from 'vitest';
import { startIsolatedPlugin, type IsolatedPlugin } from '../../src/plugin-host/isolation/index.ts';
import { FakeModel, fakeModels } from '../actors/support/fake-models.ts';
import { createHarness, type Harness } from '../actors/support/harness.ts';
import { fixture } from './support/runtime.ts';

/**
 * Issue 15 finding 6 and issue 14 item 8: the hostile plugin declares no permissions, so it runs with
 * what the operator grants. Granted `settings:*`, it gets the character's settings — never the
 * server's environment, whose ADMIN_PASSWORD and JWT_SECRET its config keys name.
 */
let h: Harness | undefined;
let plugin: IsolatedPlugin | undefined;
const saved = { ADMIN_PASSWORD: process.env.ADMIN_PASSWORD, JWT_SECRET: process.env.JWT_SECRET };
afterEach(async () => {
  await h?.close();
  await plugin?.stop();
  h = plugin = undefined;
  for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
});

describe('a settings:* grant', () => {
  it('hands over the character settings only; the server environment never crosses; the agent keeps answering', async () => {
    process.env.ADMIN_PASSWORD = 'env-admin-password';
    process.env.JWT_SECRET = 'env-jwt-secret';
    // Granted for every agent from the start, so the grant is in force when init receives its config.
    plugin = await startIsolatedPlugin({ entry: fixture('hostile/index.mjs'), kind: 'file', grants: () => ['settings:*'], limits: { maxRestarts: 0 } });
    const model = new FakeModel();
    h = await createHarness({ models: fakeModels(model), plugins: [plugin.plugin] });
    const ada = await h.createAgent('Ada', { settings: { GREETING: 'Howdy' } });
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'one');
    await h.system.idle();

    const prompt = String(model.calls[0]!.messages[0]!.content);
    // The grant works: the provider ran, with the character's setting through init's config.
    expect(prompt).toContain('HOSTILE config={"ADMIN_PASSWORD":"","JWT_SECRET":"","GREETING":"Howdy"}');
    // Allowed by the grant, but the character has no such setting: undefined, not the environment's.
    expect(prompt).toContain('getSetting=undefined');
    expect(prompt).toContain('env={}');
    expect(prompt).not.toContain('env-admin-password');
    expect(prompt).not.toContain('env-jwt-secret');
    await h.post(roomId, 'u', 'two');
    await h.system.idle();
    expect((await h.agentReplies()).map((r) => r.data.text)).toEqual(['You said: one', 'You said: two']);
    expect(await h.events('plugin.failed')).toEqual([]);
  }, 30_000);

  it('without any grant, the same plugin is refused its settings by name', async () => {
    plugin = await startIsolatedPlugin({ entry: fixture('hostile/index.mjs'), kind: 'file', grants: () => [], limits: { maxRestarts: 0 } });
    const model = new FakeModel();
    h = await createHarness({ models: fakeModels(model), plugins: [plugin.plugin] });
    const ada = await h.createAgent('Ada', { settings: { GREETING: 'Howdy' } });
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'one');
    await h.system.idle();
    const prompt = String(model.calls[0]!.messages[0]!.content);
    expect(prompt).toContain('HOSTILE config={"ADMIN_PASSWORD":"","JWT_SECRET":"","GREETING":""}');
    expect(prompt).toContain('getSetting=refused: plugin "hostile" needs permission "settings:ADMIN_PASSWORD", which is not granted');
  }, 30_000);
});
