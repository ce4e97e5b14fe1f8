import { afterEach, describe, expect, it } from 'vitest';
import knowledgePlugin from '@elizaos/plugin-knowledge';
import type { Plugin } from '../../src/plugin-host/types.ts';
import type { ElizaRuntime } from '../../src/plugin-host/eliza-runtime/index.ts';
import { FakeModel } from '../actors/support/fake-models.ts';
import { fakeVector } from '../support/fake-embedder.ts';
import { elizaWorld, type ElizaWorld } from './support.ts';

let world: ElizaWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A test-only plugin that keeps the runtime its init receives (the agent's runtime), to reach the service. */
function probe() {
  const seen: { runtime?: ElizaRuntime } = {};
  const plugin: Plugin = { name: 'probe', description: 'keeps the runtime', init: (_c, rt) => void (seen.runtime = rt as ElizaRuntime) };
  return { plugin, seen };
}

/**
 * Bag-of-words vectors shifted off zero: plugin-knowledge drops an embedding whose first component is
 * exactly 0 (its zero-vector check), which the sparse test vectors often are and real ones never are.
 */
const denseEmbedder = { model: 'dense-bow-32', embed: async (texts: string[]) => texts.map((t) => fakeVector(t, 32).map((x) => x + 0.05)) };

describe('@elizaos/plugin-knowledge, unchanged', () => {
  it('ingests a document through its service into memories with vectors; its action and provider retrieve it', async () => {
    const p = probe();
    const model = new FakeModel('fake', (params) => {
      const last = String(params.messages.at(-1)?.content ?? '');
      return /search your knowledge/i.test(last) ? '<response><actions>SEARCH_KNOWLEDGE</actions><text>Let me look.</text></response>' : 'hi';
    });
    world = await elizaWorld({
      plugins: [knowledgePlugin as unknown as Plugin, p.plugin],
      model,
      embedder: denseEmbedder,
      settings: {
        LOAD_DOCS_ON_STARTUP: 'false',
        CTX_KNOWLEDGE_ENABLED: 'false',
        EMBEDDING_PROVIDER: 'openai',
        OPENAI_API_KEY: 'unused',
        TEXT_EMBEDDING_MODEL: 'fake-bow-32',
        EMBEDDING_DIMENSION: '384',
      },
    });
    await world.chat('hello'); // the agent's plugins are loaded and initialised on its first turn
    const runtime = p.seen.runtime!;
    const service = runtime.getService<{ addKnowledge(o: Record<string, unknown>): Promise<{ clientDocumentId: string; fragmentCount: number }> }>('knowledge');
    expect(service).not.toBeNull();

    const doc = 'The lab wifi network is called Orchard and its password is plum-tree-42. Visitors sign in at the front desk.';
    const result = await service!.addKnowledge({
      clientDocumentId: '3f1e4f9a-8c1e-4a52-9d3c-1b2a3c4d5e6f',
      contentType: 'text/plain',
      originalFilename: 'lab.txt',
      worldId: runtime.agentId,
      roomId: runtime.agentId,
      entityId: runtime.agentId,
      content: doc,
    });
    expect(result.fragmentCount).toBeGreaterThan(0);

    // Stored the Chronicle way: memory.created events (document + fragments with vectors) on the agent's stream.
    const created = await world.events('memory.created');
    const fragments = created.filter((e) => e.data.table === 'knowledge');
    expect(created.filter((e) => e.data.table === 'documents')).toHaveLength(1);
    expect(fragments.length).toBe(result.fragmentCount);
    expect(fragments.every((e) => e.stream === `agent-${world!.agentId}` && (e.data.vector?.length ?? 0) > 0)).toBe(true);
    expect(fragments.map((e) => String(e.data.content.text)).join(' ')).toContain('plum-tree-42');

    // In a chat turn: SEARCH_KNOWLEDGE (the plugin's action) finds the fragment and answers with it.
    const reply = await world.chat('Search your knowledge for information about the wifi password');
    expect(reply).toContain('plum-tree-42');
    const action = (await world.events('action.completed')).find((e) => e.data.action === 'SEARCH_KNOWLEDGE')!;
    expect(action.data.success).toBe(true);

    // The plugin's KNOWLEDGE provider, run by the runtime's composeState, retrieves it too.
    const message = { id: 'q', entityId: world.userId, agentId: runtime.agentId, roomId: world.roomId, content: { text: 'wifi password of the lab' } };
    const state = await runtime.composeState(message, ['KNOWLEDGE'], true);
    const knowledge = Object.values(state.data.providers)
      .map((r) => String((r as { text: string }).text))
      .join('\n');
    expect(knowledge).toContain('plum-tree-42');
    expect(await world.events('plugin.failed')).toEqual([]);
  });
});
