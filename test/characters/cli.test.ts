import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCharacter } from '../../src/characters/index.ts';
import { parseCommandArgs, type Command } from '../../src/cli/command.ts';
import { characterCommand } from '../../src/cli/commands/character.ts';
import { startCommand } from '../../src/cli/commands/start.ts';
import { applyCharacterFiles, readCharacterFiles } from '../../src/cli/commands/start-characters.ts';
import { openChronicle } from '../../src/app/chronicle.ts';
import { readSettings } from '../../src/settings/settings.ts';
import { startServer } from '../cli/run-cli.ts';
import { apiClient } from '../support/http-client.ts';
import { startFakeOpenAI, type FakeServer } from '../support/fake-model-servers.ts';
import { builtIns } from '../../plugins/built-in.ts';
import { cliDeps } from '../support/cli-deps.ts';

/** v1 characters need no conversion: no plugin is asked about. */
const nothingInstalled = { isInstalled: () => false };

const fixtures = join(__dirname, '../fixtures/characters');
const f = (name: string) => join(fixtures, name);

/**
 * Runs a CLI command in this process (its stdout and stderr captured): the spawned binary is tested
 * where a real process matters (start, below), the rest in-process to keep this file fast.
 */
async function runInProcess(command: Command, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    const code = await command.run(parseCommandArgs(command, argv), cliDeps);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
const runCli = (argv: string[], _env: Record<string, string>) => runInProcess(characterCommand, argv.slice(1));

describe('chronicle character check / convert', () => {
  it('check: one verdict line per file, then the details; exit 1 when any is invalid', async () => {
    const r = await runCli(
      [
        'character',
        'check',
        f('quill.v1.character.json'),
        f('mayor-gale.v0.character.json'),
        f('reef.v0-unknown-provider.character.json'),
        f('broken.v0.character.json'),
      ],
      {},
    );
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 4).map((l) => l.replace(/^\S+\s+/, ''))).toEqual([
      'ok',
      'converted (8 changes)',
      'converted (1 change, 1 warning)',
      'invalid (11 problems)',
    ]);
    expect(r.stdout).toContain('converted modelProvider → settings.MODEL_PROVIDER ("openai" → "openai")');
    expect(r.stdout).toMatch(/dropped {3}clients\.0: client "discord" is not available/);
    expect(r.stdout).toMatch(/warning {3}modelProvider: "groq" is not a provider/);
    expect(r.stdout).toContain('style.tone: unknown field — remove it; the fields here are: all, chat, post');
    const ok = await runCli(['character', 'check', f('quill.v1.character.json'), f('bolt7.v0.character.json')], {});
    expect(ok.code).toBe(0);
  }, 30_000);

  it('convert: writes the v1 form (stdout or --out), which loads as v1; the report goes to stderr', async () => {
    const r = await runCli(['character', 'convert', f('mayor-gale.v0.character.json')], {});
    expect(r.code).toBe(0);
    const v1 = JSON.parse(r.stdout);
    expect(loadCharacter(v1, nothingInstalled)).toMatchObject({ ok: true, conversion: { generation: 'v1' } });
    expect(v1.settings.MODEL_PROVIDER).toBe('openai');
    expect(r.stderr).toMatch(/read as ElizaOS v0\.x/);
    const dir = mkdtempSync(join(tmpdir(), 'chronicle-convert-'));
    try {
      const out = join(dir, 'bolt.json');
      expect((await runCli(['character', 'convert', f('bolt7.v0.character.json'), '--out', out], {})).code).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8')).settings.MODEL_PROVIDER).toBe('local');
      const bad = await runCli(['character', 'convert', f('broken.v0.character.json')], {});
      expect(bad.code).toBe(1);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toMatch(/- name: name must not be empty — /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('chronicle start --character', () => {
  let fake: FakeServer;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    dir = mkdtempSync(join(tmpdir(), 'chronicle-start-character-'));
    cpSync(fixtures, join(dir, 'characters'), { recursive: true });
    env = { DATA_DIR: join(dir, 'data'), ADMIN_PASSWORD: 'admin-password-1', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'x', EMBEDDING_PROVIDER: 'openai' };
  });
  afterAll(async () => {
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const mayor = () => join(dir, 'characters', 'mayor-gale.v0.character.json');
  const bolt = () => join(dir, 'characters', 'bolt7.v0.character.json');

  it('one command from v0 character files to chatting agents, knowledge read relative to each file; a second start creates nothing', async () => {
    const server = await startServer(env, 60_000, ['--character', mayor(), bolt()]);
    let agentId: string;
    try {
      const api = apiClient(server.url);
      const token = (await api.login('admin', 'admin-password-1')).accessToken;
      const agents = (await api.get('/api/v1/agents', { token })).body.agents as { id: string; name: string; status: string }[];
      expect(agents.map((a) => [a.name, a.status]).sort()).toEqual([
        ['BOLT-7', 'running'],
        ['Mayor Gale', 'running'],
      ]);
      agentId = agents.find((a) => a.name === 'Mayor Gale')!.id;
      const docs = (await api.get(`/api/v1/agents/${agentId}/knowledge`, { token })).body.documents as { title: string }[];
      expect(docs.map((d) => d.title).sort()).toEqual([
        "Saltmere's pier was rebuilt in the mayor's second term.",
        'mayor-knowledge/budget.md',
        'mayor-knowledge/town-records/ferry.md',
      ]);
      expect(server.output().stderr).toMatch(/agent "Mayor Gale" created from .*mayor-gale\.v0\.character\.json \(converted \(8 changes\)\)/);

      const room = (await api.post('/api/v1/rooms', { name: 'harbour', agentIds: [agentId] }, { token })).body.room;
      await api.post('/api/v1/messages', { roomId: room.id, text: 'When does the ferry leave?' }, { token });
      let messages: { authorKind: string }[] = [];
      for (let i = 0; i < 100 && messages.length < 2; i++) {
        await new Promise((res) => setTimeout(res, 100));
        messages = (await api.get(`/api/v1/rooms/${room.id}/messages`, { token })).body.messages;
      }
      expect(messages.map((m) => m.authorKind)).toEqual(['user', 'agent']);
      expect(fake.requests.filter((q) => q.path.endsWith('/chat/completions')).at(-1)?.body.model).toBe('gpt-4o-mini');
    } finally {
      expect((await server.stop()).code).toBe(0);
    }

    const again = await startServer(env, 60_000, ['--character', `${mayor()},${bolt()}`]);
    try {
      const api = apiClient(again.url);
      const token = (await api.login('admin', 'admin-password-1')).accessToken;
      const count = async (type: string) => (await api.get(`/api/v1/events?type=${type}&limit=1000`, { token })).body.events.length as number;
      expect(await count('agent.created')).toBe(2);
      expect(await count('agent.updated')).toBe(0);
      expect(again.output().stderr).toMatch(/agent "Mayor Gale" unchanged from/);
      expect(again.output().stderr).toMatch(/knowledge: 3 documents \(0 new\)/);
    } finally {
      await again.stop();
    }
  }, 120_000);

  it('the file is the truth: an edit is one agent.updated and a field removed from the file is gone', async () => {
    const edited = JSON.parse(readFileSync(mayor(), 'utf8'));
    delete edited.lore;
    edited.topics.push('lighthouse upkeep');
    writeFileSync(mayor(), JSON.stringify(edited));
    const files = readCharacterFiles({ character: [mayor()] }, []);
    if (!files.ok) throw new Error('the edited file should load');
    const chronicle = await openChronicle(readSettings({ ...env, LOG_LEVEL: 'silent' }), builtIns, { actors: false });
    try {
      const stderr = process.stderr.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      try {
        await applyCharacterFiles(chronicle, files.files);
      } finally {
        process.stderr.write = stderr;
      }
      const agent = chronicle.readModel.listAgents().find((a) => a.name === 'Mayor Gale')!;
      expect(agent.character.topics).toContain('lighthouse upkeep');
      expect(agent.character).not.toHaveProperty('lore');
      expect((await chronicle.store.readAll()).filter((e) => e.type === 'agent.updated')).toHaveLength(1);
    } finally {
      await chronicle.close();
    }
  }, 30_000);

  it('an invalid file: every problem printed, nothing written, the server does not start', async () => {
    const dataDir = join(dir, 'data-invalid');
    const r = await runInProcess(startCommand, ['--data-dir', dataDir, '--character', bolt(), join(dir, 'characters', 'broken.v0.character.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.v0\.character\.json: invalid \(11 problems\)/);
    expect(r.stderr).toMatch(/- name: name must not be empty — /);
    expect(r.stdout).not.toMatch(/listening/);
    expect(existsSync(dataDir)).toBe(false);
  }, 30_000);
});
