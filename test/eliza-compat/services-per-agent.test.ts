import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/events/envelope.ts';
import { newId } from '../../src/shared/ids.ts';
import { FakeModel, fakeModels } from '../actors/support/fake-models.ts';
import { createHarness, type Harness } from '../actors/support/harness.ts';

/**
 * Issue 14 item 4: the services of the plugins a character names run per agent — in dependency
 * order, supervised, stopped with the agent — and `runtime.getService` & co return them. The plugins
 * are ElizaOS-shaped fixtures (classes extending @elizaos/core's Service).
 */
const PLUGINS = join(import.meta.dirname, '..', 'fixtures', 'eliza-services', 'plugins');
const g = globalThis as { __serviceJournal?: string[]; __flakyStarts?: number };
const actionModel = (action: string) =>
  new FakeModel('fake', () => `<response><thought>t</thought><actions>${action}</actions><text>checking</text></response>`);
const until = async (what: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

let h: Harness;
beforeEach(() => {
  g.__serviceJournal = [];
  g.__flakyStarts = 0;
});
afterEach(async () => h?.close());

describe('services of the plugins a character names', () => {
  it('start per agent in dependency order, and the action finds them through getService & co', async () => {
    h = await createHarness({ models: fakeModels(actionModel('ASK_CLOCK')), settings: { pluginsDir: PLUGINS } });
    const ada = await h.createAgent('Ada', { plugins: ['town-clock'] });
    const bo = await h.createAgent('Bo', { plugins: ['town-clock'] });
    const room = await h.createRoom('u', [ada]);
    const room2 = await h.createRoom('u', [bo]);
    await h.post(room, 'u', 'what time is it?');
    await h.post(room2, 'u', 'and for you?');
    await h.system.idle();
    const replies = (await h.agentReplies()).map((r) => r.data.text);
    expect(replies).toHaveLength(2);
    // Each agent has its own clock instance, found by getService in the action's runtime.
    expect(replies.find((t) => t.includes('of Ada'))).toMatch(
      /^It is noon \(clock #\d+ of Ada\); has bell: true; has ghost: false; by type: 1; all: bell,clock; loaded: rings the hour$/,
    );
    expect(replies.find((t) => t.includes('of Bo'))).toMatch(/clock #\d+ of Bo/);
    // The bell (declared first) started after the clock it depends on, for each agent.
    for (const name of ['Ada', 'Bo']) {
      const mine = g.__serviceJournal!.filter((l) => l.includes(name));
      expect(mine.slice(0, 2)).toEqual([`start clock ${name}`, `start bell ${name} (clock up)`]);
    }
  });

  it('stop with the agent (reverse order) and start again when it starts', async () => {
    h = await createHarness({ models: fakeModels(actionModel('ASK_CLOCK')), settings: { pluginsDir: PLUGINS } });
    const ada = await h.createAgent('Ada', { plugins: ['town-clock'] });
    await until(() => g.__serviceJournal!.includes('start bell Ada (clock up)'));
    // The agent's services are its children in the actor graph.
    await until(() => h.system.graph().some((n) => n.id === `agent-${ada}-service-bell`));
    const agentNode = h.system.graph().find((n) => n.id === `agent-${ada}`)!;
    expect(agentNode.children).toEqual([`agent-${ada}-service-clock`, `agent-${ada}-service-bell`]);
    await h.store.append(`agent-${ada}`, [{ id: newId(), type: 'agent.stopped', data: { agentId: ada } }]);
    await until(() => g.__serviceJournal!.includes('stop clock Ada'));
    expect(g.__serviceJournal).toEqual(['start clock Ada', 'start bell Ada (clock up)', 'stop bell Ada', 'stop clock Ada']);
    await h.store.append(`agent-${ada}`, [{ id: newId(), type: 'agent.started', data: { agentId: ada } }]);
    await until(() => g.__serviceJournal!.length === 6);
    expect(g.__serviceJournal!.slice(4)).toEqual(['start clock Ada', 'start bell Ada (clock up)']);
    // Stopping the system stops them too.
    await h.system.stop();
    expect(g.__serviceJournal!.slice(6)).toEqual(['stop bell Ada', 'stop clock Ada']);
  });

  it('a service that fails to start is a plugin.failed event per attempt, restarted with backoff until it runs', async () => {
    h = await createHarness({ models: fakeModels(actionModel('READ_FEED')), settings: { pluginsDir: PLUGINS, restartBaseMs: 10 } });
    const ada = await h.createAgent('Ada', { plugins: ['flaky-feed'] });
    await until(() => (g.__flakyStarts ?? 0) >= 3);
    const room = await h.createRoom('u', [ada]);
    await h.post(room, 'u', 'news?');
    await h.system.idle();
    expect((await h.agentReplies()).map((r) => r.data.text)).toEqual(['feed is up']);
    const failed = (await h.events('plugin.failed')) as RecordedEvent<'plugin.failed'>[];
    expect(failed.map((e) => [e.data.plugin, e.data.agentId, e.data.component])).toEqual([
      ['flaky-feed', ada, 'service:feed'],
      ['flaky-feed', ada, 'service:feed'],
    ]);
    expect(failed[0].data.error).toMatch(/feed upstream not reachable \(attempt 1\) \(restarting in \d+ ms\)/);
  });

  it('a service whose dependency no plugin provides is reported and left out; the rest start', async () => {
    h = await createHarness({ models: fakeModels(actionModel('ASK_CLOCK')), settings: { pluginsDir: PLUGINS } });
    const ada = await h.createAgent('Ada', { plugins: ['lonely', 'town-clock'] });
    const room = await h.createRoom('u', [ada]);
    await h.post(room, 'u', 'time?');
    await h.system.idle();
    expect((await h.agentReplies())[0].data.text).toMatch(/^It is noon .*all: bell,clock;/);
    const failed = (await h.events('plugin.failed')) as RecordedEvent<'plugin.failed'>[];
    expect(failed.map((e) => [e.data.plugin, e.data.component, e.data.error])).toEqual([
      ['lonely', 'service', 'service "lonely" depends on "nowhere", which no plugin of this agent provides (or it could not start)'],
    ]);
  });

  it("a system-level plugin's service runs once for the whole server, not once per agent, and agents find it", async () => {
    let starts = 0;
    const systemPlugin = {
      name: 'town-hall',
      description: 'system-wide',
      services: [{ serviceType: 'hall', start: () => (starts++, { capabilityDescription: 'the hall', stop() {} }) }],
    };
    const seen: unknown[] = [];
    const probe = {
      name: 'probe',
      description: 'looks for the hall',
      actions: [
        {
          name: 'ASK_CLOCK',
          description: 'x',
          validate: async () => true,
          handler: async (rt: { getService(t: string): unknown }) => void seen.push(rt.getService('hall')),
        },
      ],
    };
    h = await createHarness({ models: fakeModels(actionModel('ASK_CLOCK')), plugins: [systemPlugin, probe], settings: { pluginsDir: PLUGINS } });
    const ada = await h.createAgent('Ada', { plugins: ['town-clock'] });
    const bo = await h.createAgent('Bo', { plugins: ['town-clock'] });
    await h.post(await h.createRoom('u', [ada]), 'u', 'hi');
    await h.post(await h.createRoom('u', [bo]), 'u', 'hi');
    await h.system.idle();
    expect(starts).toBe(1);
    expect(seen).toEqual([
      { capabilityDescription: 'the hall', stop: expect.any(Function) },
      { capabilityDescription: 'the hall', stop: expect.any(Function) },
    ]);
  });
});
