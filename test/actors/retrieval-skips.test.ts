import { afterEach, describe, expect, it } from 'vitest';
import { FakeModel, fakeModels } from './support/fake-models.ts';
import { createHarness, type Harness } from './support/harness.ts';

let h: Harness;
afterEach(async () => h?.close());

/** Counts the read model's fact queries, split by whether they are relevance (hybrid) searches. */
function spyFacts(h: Harness) {
  const calls = { relevant: 0, latest: 0 };
  const original = h.readModel.facts.bind(h.readModel);
  h.readModel.facts = (agentId, o) => {
    if ((o as { query?: unknown }).query) calls.relevant++;
    else calls.latest++;
    return original(agentId, o);
  };
  return calls;
}

describe('a turn skips retrieval the agent has nothing for', () => {
  it('no documents: no knowledge search and no message embedding; no facts: no relevance search', async () => {
    const model = new FakeModel();
    h = await createHarness({ models: fakeModels(model) });
    const facts = spyFacts(h);
    const ada = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'hello there');
    await h.system.idle();
    expect((await h.agentReplies()).map((r) => r.data.text)).toEqual(['You said: hello there']);
    expect(h.readModel.knowledgeQueries).toEqual([]);
    expect(facts).toEqual({ relevant: 0, latest: 1 });
    expect(model.calls[0].context?.knowledge ?? []).toEqual([]);
  });

  it('with documents and facts both searches still run and feed the prompt', async () => {
    const model = new FakeModel();
    h = await createHarness({ models: fakeModels(model) });
    const facts = spyFacts(h);
    const ada = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [ada]);
    await h.addDocument(ada, { title: 'Tides', text: 'Spring tides happen at full and new moon.', vector: new Float32Array([1, 0, 0]) });
    await h.post(roomId, 'u', 'My name is Sam.');
    await h.system.idle();
    await h.post(roomId, 'u', 'When do spring tides happen, Sam asks?');
    await h.system.idle();
    expect(h.readModel.knowledgeQueries.map((q) => q.hasVector)).toEqual([true, true]);
    // First turn: no facts yet (no relevance search); second turn: the fact recorded by reflection.
    expect(facts.relevant).toBe(1);
    const last = model.calls.at(-1)!;
    expect(last.context?.facts).toEqual(["Alice's name is Sam"]);
    expect(last.context?.knowledge?.[0]?.text).toBe('Spring tides happen at full and new moon.');
  });
});
