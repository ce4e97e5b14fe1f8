import { afterEach, describe, expect, it } from 'vitest';
import { BatchingEmbedder } from '../../src/models/embedder.ts';
import { ModelError } from '../../src/models/provider.ts';
import { ResilientProvider } from '../../src/models/resilient.ts';
import type { Plugin } from '../../src/plugin-host/types.ts';
import { FakeModel, fakeModels } from './support/fake-models.ts';
import { createHarness, type Harness } from './support/harness.ts';

let h: Harness;
afterEach(async () => h?.close());

type Called = { kind: string; model: string; ok: boolean; agentId?: string };
const called = async (h: Harness) => (await h.events('model.called')).map((e) => e.data as Called);

/** A plugin whose provider asks the agent's models, as ElizaOS plugins do (runtime.useModel). */
const asking: Plugin = {
  name: 'asking',
  description: 'asks the model from a provider',
  providers: [
    {
      name: 'ASKS',
      get: async (runtime) => {
        const rt = runtime as unknown as { useModel(type: string, params: unknown): Promise<unknown> };
        const summary = await rt.useModel('TEXT_SMALL', { prompt: 'summarise' });
        const vector = (await rt.useModel('TEXT_EMBEDDING', { text: 'what to look up' })) as number[];
        return { text: `summary: ${String(summary)} (${vector.length} dims)` };
      },
    },
  ],
};

describe('model.called for every caller of a turn', () => {
  it("a plugin's runtime.useModel (text and embedding) is recorded with the turn's events, beside the reply's own call", async () => {
    const model = new FakeModel();
    const models = { ...fakeModels(model), embedder: () => embedder };
    const embedder = new BatchingEmbedder(new ResilientProvider(model), { windowMs: 0 });
    h = await createHarness({ models, plugins: [asking] });
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [agentId]);
    await h.post(roomId, 'u', 'hi');
    await h.system.idle();
    expect((await h.agentReplies()).map((e) => e.data.text)).toEqual(['You said: hi']);
    const calls = await called(h);
    expect(calls.map((c) => [c.kind, c.model, c.ok]).sort()).toEqual([
      ['embedding', 'fake-embed', true],
      ['text', 'fake-model', true],
      ['text', 'fake-model', true],
    ]);
    expect(calls.every((c) => c.agentId === agentId)).toBe(true);
  });

  it('a provider already behind the model-call layer is not retried again by the turn (one retry policy, not two)', async () => {
    const model = new FakeModel();
    model.failFirst = 100;
    model.failWith = () => new ModelError('unavailable', 'down', 'fake', true);
    const resilient = new ResilientProvider(model, { retries: 0 });
    h = await createHarness({ models: { ...fakeModels(model), forCharacter: () => resilient }, settings: { modelAttempts: 3, retryBaseMs: 1 } });
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [agentId]);
    await h.post(roomId, 'u', 'hi');
    await h.system.idle();
    expect(model.calls).toHaveLength(1);
    expect((await called(h)).map((c) => c.ok)).toEqual([false]);
  });

  it("a plugin's TEXT_LARGE handler answers through the layer: recorded under the plugin's name, and a throw is not retried", async () => {
    let calls = 0;
    const own: Plugin = {
      name: 'own-model',
      description: 'answers with its own model',
      models: {
        TEXT_LARGE: async () => {
          calls++;
          throw new Error('my model is broken');
        },
      },
    };
    h = await createHarness({ plugins: [own], settings: { modelAttempts: 3, retryBaseMs: 1 } });
    const agentId = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [agentId]);
    await h.post(roomId, 'u', 'hi');
    await h.system.idle();
    expect(calls).toBe(1);
    const records = (await h.events('model.called')).map((e) => e.data as Called & { provider: string; error?: string });
    expect(records.map((r) => [r.provider, r.ok])).toEqual([['own-model', false]]);
    expect(records[0].error).toMatch(/my model is broken/);
    expect((await h.events('reply.failed')).length).toBe(1);
  });
});
