import { afterEach, describe, expect, it } from 'vitest';
import openaiPlugin from '@elizaos/plugin-openai';
import anthropicPlugin from '@elizaos/plugin-anthropic';
import type { Plugin } from '../../src/plugin-host/types.ts';
import { startFakeAnthropic, startFakeOllama, startFakeOpenAI, type FakeServer } from '../support/fake-model-servers.ts';
import notebookPlugin from '../fixtures/eliza-style-plugin/index.ts';
import { elizaWorld, type ElizaWorld } from './support.ts';

// plugin-ollama 1.0.8 ships no type declarations: loaded by a name TypeScript does not resolve.
const ollamaPlugin = ((await import('@elizaos/plugin-ollama' as string)) as { default: Plugin }).default;

/**
 * The real model plugins answer the agent's turns (TEXT_LARGE) and the runtime's embeddings
 * (TEXT_EMBEDDING, asked by the notebook fixture's provider and service) through local fake servers,
 * configured only through the character's settings as ElizaOS users configure them.
 */
let world: ElizaWorld | undefined;
let server: FakeServer | undefined;
afterEach(async () => {
  await world?.close();
  await server?.close();
  world = server = undefined;
});

// The fake model's answer: TAKE_NOTE for "note:" prompts (the notebook fixture's action), else a fixed line.
const reply = (vendor: string) => (last: string) =>
  // The whole prompt arrives as one user message (ElizaOS handlers take a prompt): match this test's own words.
  /call the plumber/.test(last) && !/Give a title/.test(last)
    ? '<response><thought>t</thought><actions>TAKE_NOTE</actions><text>ok</text></response>'
    : /Give a title/.test(last)
      ? 'Title'
      : `${vendor} says hi`;

const paths = (s: FakeServer) => s.requests.map((r) => r.path);

describe('real model plugins, in-process, against local fake servers', () => {
  it('@elizaos/plugin-openai answers TEXT_LARGE and TEXT_EMBEDDING', async () => {
    server = await startFakeOpenAI({ dims: 384, reply: reply('openai') });
    world = await elizaWorld({
      plugins: [openaiPlugin as unknown as Plugin, notebookPlugin as unknown as Plugin],
      settings: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url, OPENAI_EMBEDDING_DIMENSIONS: '384', OPENAI_LARGE_MODEL: 'fake-large' },
    });
    const first = await world.chat('hello there');
    expect(first).toBe('openai says hi');
    // The configured Chronicle model was never asked: the plugin's TEXT_LARGE handler answered.
    expect(world.model.calls).toHaveLength(0);
    const chat = server.requests.filter((r) => r.path === '/v1/chat/completions' || r.path === '/v1/responses');
    expect(chat.length).toBeGreaterThan(0);
    expect(JSON.stringify(chat[0].body)).toContain('hello there');
    expect(chat[0].body.model).toBe('fake-large');

    // The notebook's note is embedded by OpenAI (384 dimensions from the fake server, not Chronicle's 32).
    expect(await world.chat('note: call the plumber')).toContain('call the plumber');
    expect(paths(server)).toContain('/v1/embeddings');
    const note = (await world.events('memory.created')).find((e) => e.data.table === 'notes')!;
    expect(note.data.vector?.length).toBe(384);
    expect((await world.events('reply.traced')).at(-1)!.data.provider).toBe('openai');
    expect(await world.events('plugin.failed')).toEqual([]);
  });

  it("@elizaos/plugin-anthropic answers TEXT_LARGE; embeddings stay with the agent's embedder", async () => {
    server = await startFakeAnthropic({ reply: reply('anthropic') });
    world = await elizaWorld({
      plugins: [anthropicPlugin as unknown as Plugin, notebookPlugin as unknown as Plugin],
      settings: { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: `${server.origin}/v1`, ANTHROPIC_LARGE_MODEL: 'fake-claude' },
    });
    const first = await world.chat('hello there');
    expect(first).toBe('anthropic says hi');
    expect(world.model.calls).toHaveLength(0);
    expect(paths(server).some((p) => p.endsWith('/messages'))).toBe(true);
    expect(await world.chat('note: call the plumber')).toContain('call the plumber');
    // Anthropic has no embeddings: TEXT_EMBEDDING went to the agent's own embedder (32 dimensions here).
    const note = (await world.events('memory.created')).find((e) => e.data.table === 'notes')!;
    expect(note.data.vector?.length).toBe(32);
    expect(await world.events('plugin.failed')).toEqual([]);
  });

  it('@elizaos/plugin-ollama answers TEXT_LARGE and TEXT_EMBEDDING', async () => {
    server = await startFakeOllama({ dims: 16, reply: reply('ollama') });
    world = await elizaWorld({
      plugins: [ollamaPlugin as unknown as Plugin, notebookPlugin as unknown as Plugin],
      settings: {
        OLLAMA_API_ENDPOINT: `${server.origin}/api`,
        OLLAMA_LARGE_MODEL: 'fake-llama',
        OLLAMA_SMALL_MODEL: 'fake-llama',
        OLLAMA_EMBEDDING_MODEL: 'fake-embed',
      },
    });
    expect(await world.chat('hello there')).toBe('ollama says hi');
    expect(world.model.calls).toHaveLength(0);
    expect(paths(server)).toContain('/api/chat');
    expect(await world.chat('note: call the plumber')).toContain('call the plumber');
    const note = (await world.events('memory.created')).find((e) => e.data.table === 'notes')!;
    expect(note.data.vector?.length).toBe(16);
    expect(await world.events('plugin.failed')).toEqual([]);
  });
});
