import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/events/envelope.ts';
import { extractFacts } from '../../plugins/bootstrap/reflection.ts';
import { parseResponse } from '../../src/actors/turn/parse-response.ts';
import { VisibleTextStream } from '../../src/actors/turn/text-stream.ts';
import { FakeModel, fakeModels } from '../actors/support/fake-models.ts';
import { box, createHarness, type Harness } from '../actors/support/harness.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'plugins');
let h: Harness;
afterEach(async () => h?.close());
const agentReplies = (h: Harness) => h.agentReplies();

describe('bootstrap in a running agent', () => {
  it('reflection records self-statements as facts, and FACTS feeds them into the next turn', async () => {
    const model = new FakeModel();
    h = await createHarness({ models: fakeModels(model) });
    const ada = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [ada]);
    const m1 = await h.post(roomId, 'u', 'Hi! My name is Sam and I like sailing.');
    await h.system.idle();
    const facts = (await h.events('agent.fact_recorded')) as RecordedEvent<'agent.fact_recorded'>[];
    expect(facts.map((f) => f.data.text)).toEqual(["Alice's name is Sam", 'Alice likes sailing']);
    expect(facts.every((f) => f.data.sourceMessageIds[0] === m1 && f.data.roomId === roomId)).toBe(true);

    await h.post(roomId, 'u', 'what do you know about me?');
    await h.system.idle();
    const last = model.calls.at(-1)!;
    expect(last.context?.facts).toEqual(["Alice's name is Sam", 'Alice likes sailing']);
    expect(last.context?.recentMessages.map((m) => m.author)).toEqual(['Alice', 'Ada']);
    const trace = ((await h.events('reply.traced')) as RecordedEvent<'reply.traced'>[]).at(-1)!;
    expect(trace.data.sources.factIds).toEqual(facts.map((f) => f.data.factId));
  });

  it("KNOWLEDGE retrieves the agent's chunks (with the message embedding) and the trace names them", async () => {
    const model = new FakeModel();
    h = await createHarness({ models: fakeModels(model) });
    const ada = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [ada]);
    await h.addDocument(ada, { title: 'Tides', text: 'Spring tides happen at full and new moon.', vector: new Float32Array([1, 0, 0]) });
    await h.post(roomId, 'u', 'When do spring tides happen?');
    await h.system.idle();
    expect(model.calls[0].context?.knowledge).toEqual([{ text: 'Spring tides happen at full and new moon.', title: 'Tides', score: 3 }]);
    expect(h.readModel.knowledgeQueries.at(-1)).toEqual({ text: 'When do spring tides happen?', hasVector: true });
    const trace = (await h.events('reply.traced'))[0] as RecordedEvent<'reply.traced'>;
    expect(trace.data.sources.knowledgeChunkIds).toEqual(['chunk-1']);
    expect(trace.data.providers.find((p) => p.name === 'KNOWLEDGE')?.chars).toBeGreaterThan(20);
  });

  it('a character naming an unknown npm plugin gets a plugin.failed event, once, and still answers', async () => {
    h = await createHarness({ settings: { pluginsDir: FIXTURES } });
    const ada = await h.createAgent('Ada', { plugins: ['@elizaos/plugin-bootstrap', '@acme/plugin-missing'] });
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'one');
    await h.post(roomId, 'u', 'two');
    await h.system.idle();
    const failed = (await h.events('plugin.failed')) as RecordedEvent<'plugin.failed'>[];
    expect(failed.map((e) => [e.data.plugin, e.data.component, e.data.agentId])).toEqual([['@acme/plugin-missing', 'load', ada]]);
    expect(failed[0].data.error).toMatch(/is not installed/);
    expect((await agentReplies(h)).map((r) => r.data.text)).toEqual(['You said: one', 'You said: two']);
  });

  it('a character-named local plugin contributes providers (with opened secrets) and actions matched by simile', async () => {
    const model = new FakeModel('fake', () => '<response><thought>loud</thought><actions>YELL</actions><text>hello there</text></response>');
    h = await createHarness({ models: fakeModels(model), settings: { pluginsDir: FIXTURES } });
    const ada = await h.createAgent('Ada', { plugins: ['echo-provider'], settings: { secrets: { ECHO_WORD: box.seal('swordfish') } } });
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'shout it');
    await h.system.idle();
    expect(model.calls[0].messages[0].content).toContain('Secret word: swordfish');
    expect((await agentReplies(h)).map((r) => r.data.text)).toEqual(['HELLO THERE']);
    const trace = (await h.events('reply.traced'))[0] as RecordedEvent<'reply.traced'>;
    expect(trace.data.actions).toEqual(['SHOUT']);
    expect(trace.data.thought).toBe('loud');
    // The log never holds the secret in plain text.
    expect(JSON.stringify(await h.events())).not.toContain('swordfish');
  });
});

describe('response parsing', () => {
  it('reads the ElizaOS XML envelope; plain text is a REPLY', () => {
    expect(
      parseResponse(
        '<response><thought>hm</thought><actions>REPLY, mute_room</actions><providers>FACTS</providers><text>a &lt;b&gt; &amp; c</text></response>',
      ),
    ).toEqual({
      thought: 'hm',
      actions: ['REPLY', 'MUTE_ROOM'],
      providers: ['FACTS'],
      text: 'a <b> & c',
      structured: true,
    });
    expect(parseResponse('  just words ')).toEqual({ actions: ['REPLY'], providers: [], text: 'just words', structured: false });
    expect(parseResponse('```xml\n<response><text>fenced</text></response>\n```').text).toBe('fenced');
    expect(parseResponse('<response><text>cut off').text).toBe('cut off');
  });

  it('streams only the visible text, whatever the chunking', () => {
    const xml = '<response><thought>secret plan</thought><actions>REPLY</actions><text>Hello &amp; welcome</text></response>';
    for (const size of [1, 2, 3, 7, 100]) {
      const s = new VisibleTextStream();
      let out = '';
      for (let i = 0; i < xml.length; i += size) out += s.push(xml.slice(i, i + size));
      expect(out).toBe('Hello & welcome');
    }
    const plain = new VisibleTextStream();
    expect(['Hel', 'lo ', 'world'].map((d) => plain.push(d)).join('')).toBe('Hello world');
  });
});

describe('rule-based reflection', () => {
  it('extracts self-statements and nothing else', () => {
    expect(extractFacts('My name is Sam. I live in Lisbon, and I work as a nurse. My favourite colour is green.', 'Sam')).toEqual([
      "Sam's name is Sam",
      'Sam lives in Lisbon',
      'Sam works as a nurse',
      "Sam's favourite colour is green",
    ]);
    expect(extractFacts('What is the weather like?', 'Sam')).toEqual([]);
  });
});
