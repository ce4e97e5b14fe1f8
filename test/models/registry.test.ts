import { afterEach, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/settings/settings.ts';
import { createModelRegistry } from '../../src/models/registry.ts';
import type { ModelRegistry, ModelCallRecord } from '../../src/models/registry.ts';
import { CharacterSchema } from '../../src/characters/schema.ts';
import { startFakeAnthropic, startFakeOpenAI } from '../support/fake-model-servers.ts';
import type { FakeServer } from '../support/fake-model-servers.ts';
import { builtInProviders } from '../../plugins/built-in.ts';

const servers: FakeServer[] = [];
let registry: ModelRegistry | undefined;
afterEach(async () => {
  await registry?.close();
  registry = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const character = (settings: Record<string, unknown> = {}) => CharacterSchema.parse({ name: 'Quill', bio: ['writer'], settings });
const msgs = [{ role: 'user' as const, content: 'hi' }];

describe('model registry', () => {
  it('defaults to MODEL_PROVIDER; a character chooses its provider and models in settings', async () => {
    const oa = await startFakeOpenAI();
    const an = await startFakeAnthropic();
    servers.push(oa, an);
    const settings = readSettings({
      MODEL_PROVIDER: 'openai',
      OPENAI_BASE_URL: oa.url,
      OPENAI_API_KEY: 'k',
      OPENAI_MODEL: 'env-large',
      OPENAI_SMALL_MODEL: 'env-small',
      ANTHROPIC_BASE_URL: an.url,
      ANTHROPIC_API_KEY: 'k',
    });
    registry = createModelRegistry(settings, { factories: builtInProviders });

    const def = registry.forCharacter();
    expect(def.name).toBe('openai');
    expect((await def.generateText({ messages: msgs })).model).toBe('env-large');
    expect((await def.generateText({ messages: msgs, modelType: 'TEXT_SMALL' })).model).toBe('env-small');

    const custom = registry.forCharacter(character({ TEXT_LARGE_MODEL: 'char-large', TEXT_LARGE_TEMPERATURE: 0.2, DEFAULT_MAX_TOKENS: 77 }));
    await custom.generateText({ messages: msgs });
    expect(oa.requests.at(-1)!.body).toMatchObject({ model: 'char-large', temperature: 0.2, max_completion_tokens: 77 });

    const claude = registry.forCharacter(character({ MODEL_PROVIDER: 'anthropic', model: 'claude-x' }));
    expect(claude.name).toBe('anthropic');
    expect((await claude.generateText({ messages: msgs })).model).toBe('claude-x');
  });

  it('one resilient instance (one breaker) per provider; unknown names are refused', () => {
    registry = createModelRegistry(readSettings({}), { factories: builtInProviders });
    expect(registry.provider('local')).toBe(registry.provider('LOCAL'));
    expect(() => registry!.provider('nope')).toThrow(/unknown model provider/);
  });

  it('embedder: EMBEDDING_PROVIDER, else the model provider when it embeds, else local', async () => {
    const oa = await startFakeOpenAI({ dims: 4 });
    servers.push(oa);
    registry = createModelRegistry(readSettings({ MODEL_PROVIDER: 'openai', OPENAI_BASE_URL: oa.url, OPENAI_EMBEDDING_MODEL: 'emb-x' }), {
      factories: builtInProviders,
    });
    const e = registry.embedder();
    expect(e.model).toBe('emb-x');
    expect((await e.embed(['a', 'b']))[0]).toHaveLength(4);
    await registry.close();

    registry = createModelRegistry(readSettings({ MODEL_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: 'k' }), { factories: builtInProviders });
    expect(registry.embedder().provider).toBe('local');
    await registry.close();

    registry = createModelRegistry(readSettings({ MODEL_PROVIDER: 'local', EMBEDDING_PROVIDER: 'openai', OPENAI_BASE_URL: oa.url }), {
      factories: builtInProviders,
    });
    expect(registry.embedder().provider).toBe('openai');
    await registry.close();

    registry = createModelRegistry(readSettings({ EMBEDDING_PROVIDER: 'anthropic' }), { factories: builtInProviders });
    expect(() => registry!.embedder()).toThrow(/no embeddings/);
  });

  it('maps ElizaOS model types through useModel, and reports every call with usage and latency', async () => {
    const oa = await startFakeOpenAI({ dims: 3 });
    servers.push(oa);
    const calls: ModelCallRecord[] = [];
    registry = createModelRegistry(readSettings({ MODEL_PROVIDER: 'openai', OPENAI_BASE_URL: oa.url, OPENAI_SMALL_MODEL: 's' }), {
      factories: builtInProviders,
      onCall: (r) => calls.push(r),
    });
    expect(await registry.useModel('TEXT_SMALL', { prompt: 'ping' })).toBe('Echo: ping');
    expect(oa.requests.at(-1)!.body.model).toBe('s');
    expect(await registry.useModel('OBJECT_LARGE', { prompt: 'who', schema: { type: 'object' } })).toEqual({ name: 'Ada', age: 36 });
    const v = await registry.useModel('TEXT_EMBEDDING', 'hello');
    expect(Array.isArray(v) && v.length === 3).toBe(true);
    expect(calls.map((c) => c.kind)).toEqual(['text', 'object', 'embedding']);
    expect(calls[0]).toMatchObject({ provider: 'openai', model: 's', ok: true, usage: { promptTokens: 11 } });
    expect(calls.every((c) => c.latencyMs >= 0)).toBe(true);
  });

  it('a provider that is down yields a ModelError and a failed call record, never silence', async () => {
    const oa = await startFakeOpenAI({ faults: [{ kind: 'server_error' }, { kind: 'server_error' }, { kind: 'server_error' }] });
    servers.push(oa);
    const calls: ModelCallRecord[] = [];
    registry = createModelRegistry(readSettings({ MODEL_PROVIDER: 'openai', OPENAI_BASE_URL: oa.url }), {
      factories: builtInProviders,
      onCall: (r) => calls.push(r),
      resilience: { baseDelayMs: 1, maxDelayMs: 2 },
    });
    await expect(registry.forCharacter().generateText({ messages: msgs })).rejects.toMatchObject({ name: 'ModelError', code: 'unavailable' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ ok: false, attempts: 3 });
  });
});
