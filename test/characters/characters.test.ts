import { describe, expect, it } from 'vitest';
import {
  defaultCharacter,
  loadCharacter,
  loadCharacterText,
  openCharacterSecrets,
  sealCharacterSecrets,
  stripSecrets,
  characterSetting,
} from '../../src/characters/index.ts';
import { SecretBox } from '../../src/shared/secrets.ts';

/** v1 characters need no conversion: no plugin is asked about. */
const nothingInstalled = { isInstalled: () => false };

/** The example character of shared/ELIZAOS-REFERENCE.md §3, unchanged. */
const quill = {
  name: 'Quill',
  username: 'quill_helper',
  system: 'You are Quill, a patient documentation assistant. Answer briefly; cite the doc you used.',
  bio: ['Former technical writer', 'Explains APIs with small runnable snippets'],
  topics: ['REST APIs', 'TypeScript', 'developer onboarding'],
  adjectives: ['precise', 'calm', 'dryly funny'],
  style: { all: ['short sentences', 'no emojis'], chat: ['ask one clarifying question when unsure'], post: ['lead with the takeaway'] },
  messageExamples: [
    [
      { name: '{{name1}}', content: { text: 'How do I paginate /users?' } },
      { name: 'Quill', content: { text: 'Pass ?cursor=<last id>&limit=50; stop when nextCursor is null.', actions: ['REPLY'] } },
    ],
  ],
  postExamples: ['Cursor pagination beats offsets once tables pass 1M rows.'],
  knowledge: ['docs/api-guide.md', { directory: 'docs/faq', shared: false }],
  plugins: ['@elizaos/plugin-sql', '@elizaos/plugin-openai', '@elizaos/plugin-bootstrap', '@elizaos/plugin-knowledge'],
  settings: { avatar: 'https://example.com/quill.png', TEXT_LARGE_TEMPERATURE: 0.4, secrets: {} },
  templates: {},
};

describe('loadCharacter', () => {
  it('loads an ElizaOS character JSON unchanged', () => {
    const r = loadCharacter(quill, nothingInstalled);
    expect(r).toMatchObject({ ok: true, character: quill, conversion: { generation: 'v1', converted: [], dropped: [], warnings: [] } });
  });

  it('loads the shipped default character', () => {
    expect(loadCharacter(defaultCharacter, nothingInstalled).ok).toBe(true);
    expect(loadCharacter(JSON.parse(JSON.stringify(defaultCharacter)), nothingInstalled)).toMatchObject({ ok: true, character: defaultCharacter });
  });

  it('lists every problem of an invalid character (more than five), each with its path and a hint', () => {
    const r = loadCharacter(
      {
        name: '',
        bio: 42,
        bios: ['x'],
        style: { all: 'loud', tone: [] },
        plugins: [1],
        topics: 'x',
        knowledge: [{ file: 'a.md' }],
        messageExamples: [[{ content: {} }]],
        settings: { secrets: { K: {} } },
      },
      nothingInstalled,
    );
    expect(r.ok).toBe(false);
    const problems = (r as { problems: { path: string; message: string; hint: string }[] }).problems;
    expect(problems.map((p) => p.path).sort()).toEqual(
      ['bio', 'bios', 'knowledge.0', 'messageExamples.0.0.name', 'name', 'plugins.0', 'settings.secrets.K', 'style.all', 'style.tone', 'topics'].sort(),
    );
    const hint = (path: string) => problems.find((p) => p.path === path)!.hint;
    expect(hint('bios')).toBe('remove it, or did you mean "bio"?');
    expect(hint('style.tone')).toBe('remove it; the fields here are: all, chat, post');
    expect(hint('knowledge.0')).toMatch(/\{"path": "file\.md"\}/);
    expect(hint('settings.secrets.K')).toBe('a secret value is a string, number or boolean');
    expect(hint('messageExamples.0.0.name')).toMatch(/speaker/);
    for (const p of problems) expect(p.hint.length).toBeGreaterThan(5);
  });

  it('bounds a flood of problems (a body of bad items) with a count of the rest', () => {
    const r = loadCharacter({ name: 'F', bio: 'b', adjectives: Array.from({ length: 1500 }, (_, i) => i) }, nothingInstalled);
    if (r.ok) throw new Error('valid?');
    expect(r.problems).toHaveLength(1001);
    expect(r.problems.at(-1)).toMatchObject({ path: '(root)', message: 'and 500 more problems' });
  });

  it('refuses a non-object and bad JSON with one clear problem', () => {
    expect(loadCharacter([], nothingInstalled)).toMatchObject({ ok: false, problems: [{ path: '(root)', message: 'a character must be a JSON object' }] });
    expect(loadCharacterText('{"name": ', nothingInstalled)).toMatchObject({
      ok: false,
      problems: [{ path: '(root)', message: expect.stringMatching(/^not valid JSON/) }],
    });
  });
});

describe('character secrets', () => {
  const box = new SecretBox('k');
  const character = { name: 'S', bio: 'b', secrets: { API_KEY: 'sk-top-secret', RETRIES: 3 }, settings: { model: 'x', secrets: { OTHER: 'hunter2' } } };

  it('are sealed before they enter the log, and never double-sealed', () => {
    const sealed = sealCharacterSecrets(character, box);
    const json = JSON.stringify(sealed);
    expect(json).not.toContain('sk-top-secret');
    expect(json).not.toContain('hunter2');
    expect(sealed.secrets!.API_KEY).toMatch(/^enc:v1:/);
    expect(sealCharacterSecrets(sealed, box)).toEqual(sealed);
    expect(sealed.settings!.model).toBe('x');
    expect(loadCharacter(sealed, nothingInstalled).ok).toBe(true);
  });

  it('open back in memory for the agent (a wrong key gives empty values, not a crash)', () => {
    const opened = openCharacterSecrets(sealCharacterSecrets(character, box), box);
    expect(opened.secrets).toEqual({ API_KEY: 'sk-top-secret', RETRIES: '3' });
    expect(opened.settings!.secrets).toEqual({ OTHER: 'hunter2' });
    expect(openCharacterSecrets(sealCharacterSecrets(character, box), new SecretBox('other')).secrets).toEqual({ API_KEY: '', RETRIES: '' });
  });

  it('are never returned: stripSecrets removes both places', () => {
    const out = stripSecrets(sealCharacterSecrets(character, box));
    expect(out).toEqual({ name: 'S', bio: 'b', settings: { model: 'x' } });
  });

  it('are looked up in ElizaOS order: secrets → settings[key] → settings.secrets', () => {
    const c = {
      name: 'S',
      bio: 'b',
      secrets: { A: 'from-secrets' },
      settings: { A: 'from-settings', B: 'from-settings', secrets: { B: 'nested', C: 'nested' } },
    };
    expect([characterSetting(c, 'A'), characterSetting(c, 'B'), characterSetting(c, 'C'), characterSetting(c, 'D')]).toEqual([
      'from-secrets',
      'from-settings',
      'nested',
      undefined,
    ]);
  });
});
