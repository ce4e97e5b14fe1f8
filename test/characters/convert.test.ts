import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CharacterSchema, convertCharacter, loadCharacter, v0Markers } from '../../src/characters/index.ts';
import { isPluginInstalled } from '../../src/plugin-host/installed-plugins.ts';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '../fixtures/characters', name), 'utf8')) as Record<string, unknown>;
const nothingInstalled = { isInstalled: () => false };

describe('v0.x characters are converted on the way in', () => {
  it('the mayor (every v0 field): speakers, actions, provider, plugin objects, clients, people — each reported by path', () => {
    const r = loadCharacter(fixture('mayor-gale.v0.character.json'), nothingInstalled);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const c = r.character;
    expect(r.conversion.generation).toBe('v0');
    expect(r.conversion.markers).toEqual(['modelProvider', 'clients', 'people', 'messageExamples.0.0.user', 'messageExamples.0.1.content.action', 'plugins.1']);
    expect(c.messageExamples![0]).toEqual([
      { name: '{{user1}}', content: { text: 'What will you do about the potholes on Quay Street?' } },
      { name: 'Mayor Gale', content: { text: 'Fixed by spring. Biggest repaving Saltmere has ever seen, believe me.', actions: ['CONTINUE'] } },
    ]);
    expect(c.settings).toEqual({
      MODEL_PROVIDER: 'openai',
      model: 'gpt-4o-mini',
      voice: { model: 'en_US-male-medium' },
      secrets: { OPENAI_API_KEY: 'sk-fixture-not-a-real-key', DISCORD_API_TOKEN: 'fixture-discord-token' },
    });
    expect(c.plugins).toEqual(['@elizaos/plugin-bootstrap', '@elizaos/plugin-webhook']);
    expect(c).not.toHaveProperty('clients');
    expect(c).not.toHaveProperty('people');
    expect(c.bio).toMatch(/^Mayor Gale has run/);
    expect(c.lore).toHaveLength(3);
    expect(c.knowledge).toEqual(fixture('mayor-gale.v0.character.json').knowledge);
    expect(c.style!.post).toHaveLength(2);
    expect(r.conversion.converted.map((x) => `${x.path} → ${x.to}`)).toEqual([
      'messageExamples.*.*.user → messageExamples.*.*.name',
      'messageExamples.*.*.content.action → messageExamples.*.*.content.actions',
      'modelProvider → settings.MODEL_PROVIDER',
      'plugins.1 → plugins.1',
      'clients.2 → (built in)',
    ]);
    expect(r.conversion.dropped.map((d) => d.path)).toEqual(['clients.0', 'clients.1', 'people']);
    expect(r.conversion.dropped[0].reason).toMatch(/@elizaos\/plugin-discord is not installed/);
    expect(r.conversion.warnings).toEqual([]);
  });

  it('a client whose plugin is installed becomes that plugin (once)', () => {
    const installed = new Set(['@elizaos/plugin-discord']);
    const r = loadCharacter(fixture('mayor-gale.v0.character.json'), { isInstalled: (n) => installed.has(n) });
    if (!r.ok) throw new Error('invalid');
    expect(r.character.plugins).toEqual(['@elizaos/plugin-bootstrap', '@elizaos/plugin-webhook', '@elizaos/plugin-discord']);
    expect(r.conversion.converted).toContainEqual({ path: 'clients.0', to: 'plugins.2', note: '@elizaos/plugin-discord' });
    expect(r.conversion.dropped.map((d) => d.path)).toEqual(['clients.1', 'people']);
  });

  it('with the plugin host\'s answer, "installed" means resolvable here: webhook (plugins/) is, discord is not', () => {
    const r = convertCharacter({ name: 'W', bio: 'b', clients: ['webhook', 'discord'] }, { isInstalled: isPluginInstalled });
    expect(r.character.plugins).toEqual(['@elizaos/plugin-webhook']);
    expect(r.report.dropped.map((d) => d.path)).toEqual(['clients.1']);
  });

  it('maps the v0 provider names to Chronicle’s; an unknown one is a warning, never a silent guess', () => {
    const provider = (p: unknown) => convertCharacter({ name: 'P', bio: 'b', modelProvider: p }, nothingInstalled);
    expect(['openai', 'anthropic', 'openrouter', 'ollama', 'llama_local', 'local', 'OpenAI'].map((p) => provider(p).character.settings)).toEqual(
      ['openai', 'anthropic', 'openrouter', 'ollama', 'local', 'local', 'openai'].map((m) => ({ MODEL_PROVIDER: m })),
    );
    const groq = loadCharacter(fixture('reef.v0-unknown-provider.character.json'), nothingInstalled);
    if (!groq.ok) throw new Error('invalid');
    expect(groq.character.settings).toEqual({ secrets: {} });
    expect(groq.conversion.warnings).toEqual([
      { path: 'modelProvider', message: expect.stringMatching(/^"groq" is not a provider Chronicle has .*settings\.MODEL_PROVIDER/) },
    ]);
    const set = convertCharacter({ name: 'P', bio: 'b', modelProvider: 'openai', settings: { MODEL_PROVIDER: 'ollama' } }, nothingInstalled);
    expect(set.character.settings).toEqual({ MODEL_PROVIDER: 'ollama' });
    expect(set.report.dropped).toEqual([{ path: 'modelProvider', reason: expect.stringMatching(/already set \("ollama"\)/) }]);
  });

  it('the droid (c3po-like: bio array, llama_local, empty clients and people)', () => {
    const r = loadCharacter(fixture('bolt7.v0.character.json'), nothingInstalled);
    if (!r.ok) throw new Error('invalid');
    expect(r.character.settings).toEqual({ MODEL_PROVIDER: 'local', voice: { model: 'en_GB-alan-low' } });
    expect(r.character.messageExamples!.flat().map((m) => m.name)).toEqual(['{{user1}}', 'BOLT-7']);
    expect(r.character.plugins).toEqual([]);
  });

  it('a broken v0 file: converted as far as it goes, then every remaining problem listed', () => {
    const r = loadCharacter(fixture('broken.v0.character.json'), nothingInstalled);
    if (r.ok) throw new Error('valid?');
    expect(r.problems.map((p) => p.path)).toEqual([
      'name',
      'bio',
      'lore',
      'messageExamples.0.0.name',
      'topics',
      'adjectives.0',
      'adjectives.1',
      'knowledge.0',
      'settings.secrets.TOKEN',
      'style.all',
      'style.tone',
    ]);
    expect(r.conversion!.generation).toBe('v0');
  });

  it('a v1 character is not touched (same object); v0 markers name what gave a file away', () => {
    const quill = fixture('quill.v1.character.json');
    const r = convertCharacter(quill, nothingInstalled);
    expect(r.character).toBe(quill);
    expect(r.report).toEqual({ generation: 'v1', markers: [], converted: [], dropped: [], warnings: [] });
    expect(v0Markers({ name: 'x', bio: 'b', lore: ['kept: Chronicle reads lore'] })).toEqual([]);
    expect(v0Markers({ name: 'x', bio: 'b', messageExamples: [[{ name: 'a', user: 'b', content: {} }]] })).toEqual([]);
  });
});

/** v0.x characters in the shapes the public files use, with arbitrary text. */
const text = fc.string({ minLength: 1, maxLength: 20 });
const v0Message = fc.record({
  user: text,
  content: fc.record({ text }, { requiredKeys: [] }).chain((c) => fc.option(text).map((a) => (a ? { ...c, action: a } : c))),
});
const v0Character = fc.record(
  {
    name: text.filter((s) => s.trim().length > 0),
    clients: fc.array(fc.constantFrom('discord', 'twitter', 'telegram', 'direct', 'slack', 'auto')),
    modelProvider: fc.constantFrom('openai', 'anthropic', 'llama_local', 'ollama', 'groq', 'grok', 'openrouter'),
    settings: fc.record(
      { secrets: fc.dictionary(fc.constantFrom('A_KEY', 'B_TOKEN'), text), voice: fc.record({ model: text }), model: text },
      { requiredKeys: [] },
    ),
    plugins: fc.array(fc.oneof(text, fc.record({ name: text.filter((s) => s.trim().length > 0), description: text }))),
    bio: fc.oneof(text, fc.array(text)),
    lore: fc.array(text),
    knowledge: fc.array(fc.oneof(text, fc.record({ path: text }), fc.record({ directory: text }))),
    messageExamples: fc.array(fc.array(v0Message, { maxLength: 3 }), { maxLength: 3 }),
    postExamples: fc.array(text),
    topics: fc.array(text),
    adjectives: fc.array(text),
    people: fc.array(text),
    style: fc.record({ all: fc.array(text), chat: fc.array(text), post: fc.array(text) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['name', 'bio', 'modelProvider'] },
);

describe('conversion properties', () => {
  it('convert(v0) validates as v1, has no v0 marker left, and converting again changes nothing', () => {
    fc.assert(
      fc.property(v0Character, (json) => {
        const { character } = convertCharacter(json, nothingInstalled);
        expect(CharacterSchema.safeParse(character).success).toBe(true);
        expect(v0Markers(character)).toEqual([]);
        const again = convertCharacter(character, nothingInstalled);
        expect(again.character).toBe(character);
        expect(again.report.generation).toBe('v1');
      }),
      { numRuns: 200 },
    );
  });

  it('convert(v1) is the identity', () => {
    fc.assert(
      fc.property(v0Character, (json) => {
        const v1 = loadCharacter(json, nothingInstalled);
        if (!v1.ok) throw new Error('the v0 character should load');
        const copy = JSON.parse(JSON.stringify(v1.character));
        const r = convertCharacter(copy, nothingInstalled);
        expect(r.character).toBe(copy);
        expect(r.report.generation).toBe('v1');
        expect(loadCharacter(copy, nothingInstalled)).toMatchObject({ ok: true, character: v1.character });
      }),
      { numRuns: 100 },
    );
  });

  it('any JSON with v0 field names, of any shape, is answered (a character or problems), never a throw', () => {
    const field = fc.constantFrom('name', 'bio', 'clients', 'modelProvider', 'plugins', 'messageExamples', 'settings', 'people', 'knowledge', 'style', 'lore');
    const json = fc.dictionary(field, fc.jsonValue({ maxDepth: 4 }));
    fc.assert(
      fc.property(json, (j) => {
        const r = loadCharacter(j, nothingInstalled);
        expect(r.ok || r.problems.length > 0).toBe(true);
        if (!r.ok) for (const p of r.problems) expect(p.hint).toBeTruthy();
      }),
      { numRuns: 300 },
    );
  });
});
