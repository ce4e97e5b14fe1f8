import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeModel } from '../actors/support/fake-models.ts';
import { elizaWorld, type ElizaWorld } from '../eliza-compat/support.ts';
import { startIsolatedPlugin, type IsolatedPlugin, type PluginFailure } from '../../src/plugin-host/isolation/index.ts';

/**
 * The ElizaOS-style fixture plugin (test/fixtures/eliza-style-plugin: a Service subclass, an action with
 * callback, a provider with {text, values, data}, an evaluator, init and event handlers, calling
 * createMemory/searchMemories/ensureConnection/emitEvent/getCache/setCache/useModel(TEXT_EMBEDDING)/
 * composeState) run SANDBOXED: its code in a child process, every runtime call crossing the bridge
 * (src/plugin-host/isolation/runtime-bridge.ts) to the agent's ElizaOS runtime, checked against grants.
 * The in-process twin is test/eliza-compat/eliza-style-plugin.test.ts; the assertions here are read
 * from the log in the same way.
 */

const fixture = fileURLToPath(new URL('../fixtures/eliza-style-plugin/index.ts', import.meta.url));

/** What the notebook needs, in the grammar of src/plugin-host/permissions.ts (README "Plugin sandbox"). */
const NOTEBOOK_GRANTS = [
  'services:register',
  'models:use',
  'settings:NOTEBOOK_GREETING',
  'events:read:memory.created',
  'events:append:memory.created',
  'events:read:room.*',
  'events:append:room.*',
  'events:read:message.posted',
  'events:read:action.completed',
  'events:append:plugin_event.notebook_noted',
  'events:read:plugin_event.notebook_noted',
];

const model = () =>
  new FakeModel('fake', (p) => {
    if (p.modelType === 'TEXT_SMALL') return 'Oat milk';
    const last = String(p.messages.at(-1)?.content ?? '');
    return /note:/i.test(last)
      ? '<response><thought>a note</thought><actions>TAKE_NOTE</actions><text>Will do.</text></response>'
      : `You said: ${p.context?.userText ?? last}`;
  });

let world: ElizaWorld | undefined;
let isolated: IsolatedPlugin | undefined;
afterEach(async () => {
  await world?.close();
  await isolated?.stop();
  world = undefined;
  isolated = undefined;
});

async function sandboxedNotebook(grants: string[], failures: PluginFailure[] = []) {
  isolated = await startIsolatedPlugin({ entry: fixture, kind: 'file', grants: () => grants, onFailure: (f) => failures.push(f) });
  return isolated.plugin;
}

describe('an ElizaOS-style plugin, sandboxed, with the grants it needs', () => {
  it('does in a chat turn what it does in process: service, action with callback, memories, rooms, events, cache, embeddings, evaluator', async () => {
    world = await elizaWorld({ plugins: [await sandboxedNotebook(NOTEBOOK_GRANTS)], model: model(), settings: { NOTEBOOK_GREETING: 'hello' } });
    const { agentId, roomId, userId } = world;

    // ── turn 1: the action (in the child) takes a note through its service (in the child) ──
    const reply = await world.chat('Please note: buy oat milk for the lab');
    expect(await world.events('plugin.failed')).toEqual([]);
    // The callback crossed back: getRoom/getEntityById/useModel(TEXT_SMALL) answered from the host.
    expect(reply).toBe('Noted for Alice in study: buy oat milk for the lab (Oat milk)');
    const [action] = (await world.events('action.completed')).filter((e) => e.data.action === 'TAKE_NOTE');
    expect(action.data.success).toBe(true);

    // createMemory after addEmbeddingToMemory: a memory.created event with the embedding of its text.
    const notes = (await world.events('memory.created')).filter((e) => e.data.table === 'notes');
    expect(notes).toHaveLength(1);
    expect(notes[0].data).toMatchObject({ agentId, roomId, entityId: userId, content: { text: 'buy oat milk for the lab', source: 'notebook' } });
    expect(notes[0].data.vector?.length).toBe(32);
    expect(action.data.text).toBe(`note ${notes[0].data.memoryId}`);

    // ensureConnection appended Bob's joining, once.
    const joined = (await world.events('room.participant_joined')).filter((e) => e.data.participantId === '6c0ffee0-0000-4000-8000-00000000b0b0');
    expect(joined.map((e) => e.data)).toEqual([{ roomId, participantId: '6c0ffee0-0000-4000-8000-00000000b0b0', kind: 'user', name: 'Bob' }]);

    // The evaluator: getCache/setCache, getMemories, composeState (the NOTES provider, itself in the
    // child), getConversationLength (a snapshot), what the MESSAGE_RECEIVED and ACTION_COMPLETED
    // handlers saw (ElizaOS payloads: source, message, a callback function, the action's content).
    const audits = (await world.events('memory.created')).filter((e) => e.data.table === 'audits');
    expect(audits).toHaveLength(1);
    expect(audits[0].data.content).toMatchObject({
      text: 'audit 1',
      turns: 1,
      notes: 1,
      composedNoteCount: 1,
      conversation: 2,
      didRespond: true,
      hasCallback: true,
      responses: ['Will do.'],
      lastSeen: 'chronicle:Please note: buy oat milk for the lab:function',
      lastAction: 'TAKE_NOTE:completed',
    });

    // ── turn 2: the provider finds the note by embedding (useModel TEXT_EMBEDDING + searchMemories) ──
    await world.chat('What do I need to get, oat milk?');
    const prompt = JSON.stringify(world.model.calls.at(-1)!.messages);
    expect(prompt).toContain('# Notes');
    expect(prompt).toContain('buy oat milk for the lab');
    const audit2 = (await world.events('memory.created')).filter((e) => e.data.table === 'audits').at(-1)!;
    expect(audit2.data.content).toMatchObject({ turns: 2, notes: 1 });

    // runtime.logger inside the sandbox: lines of the server's log, scoped to the plugin.
    expect(world.logs.some((l) => l.plugin === 'notebook' && l.msg === 'notebook init with greeting hello' && l.sandboxed === true)).toBe(true);
    expect(world.logs.some((l) => l.plugin === 'notebook' && l.msg === 'notebook service started')).toBe(true);
  }, 30_000);

  it('without the memory grant, the action is refused with an error naming the permission to grant', async () => {
    const failures: PluginFailure[] = [];
    const grants = NOTEBOOK_GRANTS.filter((g) => g !== 'events:append:memory.created');
    world = await elizaWorld({ plugins: [await sandboxedNotebook(grants, failures)], model: model() });
    await world.chat('note: water the plants');
    const [action] = (await world.events('action.completed')).filter((e) => e.data.action === 'TAKE_NOTE');
    expect(action.data.success).toBe(false);
    expect(action.data.error).toContain(`plugin "notebook" needs permission "events:append:memory.created", which is not granted for agent ${world.agentId}`);
    expect((await world.events('memory.created')).filter((e) => e.data.table === 'notes')).toEqual([]);
    // The agent still answered.
    expect((await world.events('message.posted')).filter((e) => e.data.authorKind === 'agent')).toHaveLength(1);
  }, 30_000);
});
