import { afterEach, describe, expect, it } from 'vitest';
import { FakeModel } from '../actors/support/fake-models.ts';
import type { Plugin } from '../../src/plugin-host/types.ts';
import { openProjections } from '../../src/projections/index.ts';
import notebookPlugin from '../fixtures/eliza-style-plugin/index.ts';
import { elizaWorld, type ElizaWorld } from './support.ts';

let world: ElizaWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The model picks TAKE_NOTE for "note: …" messages, answers TEXT_SMALL with a title, and echoes otherwise. */
const model = () =>
  new FakeModel('fake', (p) => {
    if (p.modelType === 'TEXT_SMALL') return 'Oat milk';
    const last = String(p.messages.at(-1)?.content ?? '');
    return /note:/i.test(last)
      ? '<response><thought>a note</thought><actions>TAKE_NOTE</actions><text>Will do.</text></response>'
      : `You said: ${p.context?.userText ?? last}`;
  });

describe('a plugin written as ElizaOS documents it (test/fixtures/eliza-style-plugin)', () => {
  it('its service, action, provider, evaluator, init and event handlers work, and what must last is in the log', async () => {
    world = await elizaWorld({ plugins: [notebookPlugin as unknown as Plugin], model: model() });
    const { agentId, roomId, userId } = world;

    // ── turn 1: the action takes a note through the service ──
    const reply = await world.chat('Please note: buy oat milk for the lab');
    expect(reply).toBe('Noted for Alice in study: buy oat milk for the lab (Oat milk)');
    expect(await world.events('plugin.failed')).toEqual([]);
    const [action] = (await world.events('action.completed')).filter((e) => e.data.action === 'TAKE_NOTE');
    expect(action.data.success).toBe(true);

    // The note is a memory.created event on the agent's stream, with the embedding of its text.
    const notes = (await world.events('memory.created')).filter((e) => e.data.table === 'notes');
    expect(notes).toHaveLength(1);
    expect(notes[0].stream).toBe(`agent-${agentId}`);
    expect(notes[0].data).toMatchObject({ agentId, roomId, entityId: userId, content: { text: 'buy oat milk for the lab', source: 'notebook' } });
    expect(notes[0].data.vector?.length).toBe(32);
    expect(action.data.text).toBe(`note ${notes[0].data.memoryId}`);

    // ensureConnection made Bob an outside participant of the room, once.
    const joined = (await world.events('room.participant_joined')).filter((e) => e.data.participantId === '6c0ffee0-0000-4000-8000-00000000b0b0');
    expect(joined.map((e) => e.data)).toEqual([{ roomId, participantId: '6c0ffee0-0000-4000-8000-00000000b0b0', kind: 'user', name: 'Bob' }]);

    // The evaluator ran after the reply with all six arguments, and read what the runtime offers.
    const audits = (await world.events('memory.created')).filter((e) => e.data.table === 'audits');
    expect(audits).toHaveLength(1);
    expect(audits[0].data.content).toMatchObject({
      text: 'audit 1',
      turns: 1,
      notes: 1,
      composedNoteCount: 1,
      didRespond: true,
      hasCallback: true,
      responses: ['Will do.'],
      lastSeen: 'chronicle:Please note: buy oat milk for the lab:function',
      lastAction: 'TAKE_NOTE:completed',
    });
    // user message + reply
    expect(audits[0].data.content.conversation).toBe(2);

    // ── turn 2: the provider finds the note by embedding and the model sees it ──
    await world.chat('What do I need to get, oat milk?');
    const prompt = JSON.stringify(world.model.calls.at(-1)!.messages);
    expect(prompt).toContain('# Notes');
    expect(prompt).toContain('buy oat milk for the lab');
    const trace = (await world.events('reply.traced')).at(-1)!;
    expect(trace.data.providers.map((p) => p.name)).toContain('NOTES');
    // The cache lived across turns (ephemeral, per agent), the second audit counted two turns.
    const audit2 = (await world.events('memory.created')).filter((e) => e.data.table === 'audits').at(-1)!;
    expect(audit2.data.content).toMatchObject({ turns: 2, notes: 1 });

    // The plugin's logger lines carry its name.
    expect(world.logs.some((l) => l.plugin === 'notebook' && l.msg === 'notebook init with greeting hello')).toBe(true);
    expect(world.logs.some((l) => l.plugin === 'notebook' && l.msg === 'notebook service started')).toBe(true);
  });

  it('the same note twice is one memory, and the memories table is rebuilt from the log alone', async () => {
    world = await elizaWorld({ plugins: [notebookPlugin as unknown as Plugin], model: model() });
    await world.chat('note: water the plants');
    await world.chat('note: water the plants');
    const notes = (await world.events('memory.created')).filter((e) => e.data.table === 'notes');
    // The memory id derives from table, room, entity and content: the second createMemory appends nothing.
    expect(notes).toHaveLength(1);
    expect((await world.events('action.completed')).filter((e) => e.data.action === 'TAKE_NOTE' && e.data.success)).toHaveLength(2);

    // A fresh read side built from the same log has the same memory, found by the same vector.
    const rebuilt = openProjections({ path: ':memory:', store: world.store });
    await rebuilt.start();
    try {
      await rebuilt.waitFor(await world.store.head());
      const id = notes[0].data.memoryId;
      expect(rebuilt.readModel.memories!.byId(id)).toEqual(world.projections.readModel.memories!.byId(id));
      expect(rebuilt.readModel.memories!.search({ agentId: world.agentId, table: 'notes', vector: notes[0].data.vector!, count: 1 }).map((m) => m.id)).toEqual([
        id,
      ]);
    } finally {
      await rebuilt.close();
    }
  });
});
