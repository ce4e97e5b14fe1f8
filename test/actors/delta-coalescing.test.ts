import { afterEach, describe, expect, it } from 'vitest';
import { FakeModel, fakeModels } from './support/fake-models.ts';
import { createHarness, type Harness } from './support/harness.ts';

let h: Harness;
afterEach(async () => h?.close());

describe('reply.delta frames', () => {
  it('deltas of one tick leave as one reply.delta; a later tick starts a new one; all before the reply', async () => {
    const model = new FakeModel();
    model.streamText = async function* () {
      // Three deltas in the same tick (as one network read carrying three SSE events), then a pause.
      yield { type: 'delta', text: 'one ' };
      yield { type: 'delta', text: 'two ' };
      yield { type: 'delta', text: 'three ' };
      await new Promise((r) => setTimeout(r, 5));
      yield { type: 'delta', text: 'four' };
      yield { type: 'done', result: { text: 'one two three four', model: 'm', usage: { promptTokens: 1, completionTokens: 4 } } };
    };
    h = await createHarness({ models: fakeModels(model) });
    const seen: string[] = [];
    h.system.ephemeral$.subscribe((e) => e.type === 'reply.delta' && seen.push(e.delta));
    let deltasWhenReplied = -1;
    const sub = h.store.subscribe(0).subscribe((e) => {
      if (e.type === 'message.posted' && e.data.authorKind === 'agent') deltasWhenReplied = seen.length;
    });
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [agentId]);
    await h.post(roomId, 'u', 'count');
    await h.system.idle();
    sub.unsubscribe();
    expect(seen).toEqual(['one two three ', 'four']);
    expect(deltasWhenReplied).toBe(2);
    expect((await h.agentReplies()).map((r) => r.data.text)).toEqual(['one two three four']);
  });
});
