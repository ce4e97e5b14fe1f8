import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli, startServer } from './run-cli.ts';
import { minimalPdf } from '../support/minimal-pdf.ts';
import { rewriteText, storedRows } from '../events/support/row-sql.ts';
import { tempDirs } from '../events/support/temp-dir.ts';

const tempDir = tempDirs('chronicle-cli-');

async function json(res: Response) {
  return (await res.json()) as any;
}

async function post(url: string, body: unknown, token?: string) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

describe('chronicle start', () => {
  const dataDir = tempDir();
  const env = { DATA_DIR: dataDir, ADMIN_PASSWORD: 'admin-password-1' };

  it('serves a default agent that answers, stays quiet while idle, and stops cleanly on SIGTERM', async () => {
    const server = await startServer(env);
    try {
      const login = await json(await post(`${server.url}/api/v1/auth/login`, { username: 'admin', password: 'admin-password-1' }));
      const token = login.accessToken as string;
      const { agents } = await json(await fetch(`${server.url}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } }));
      expect(agents).toHaveLength(1);
      const { room } = await json(await post(`${server.url}/api/v1/rooms`, { name: 'hello', agentIds: [agents[0].id] }, token));
      const sent = await post(`${server.url}/api/v1/messages`, { roomId: room.id, text: 'Hello, who are you?' }, token);
      expect(sent.status).toBe(202);

      let messages: any[] = [];
      for (let i = 0; i < 100 && messages.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        messages = (await json(await fetch(`${server.url}/api/v1/rooms/${room.id}/messages`, { headers: { authorization: `Bearer ${token}` } }))).messages;
      }
      expect(messages.map((m) => m.authorKind)).toEqual(['user', 'agent']);
      expect(messages[1].text.length).toBeGreaterThan(0);

      // Idle means idle: once the turn and the two message embeddings are in the log, its head stays put.
      const auth = { headers: { authorization: `Bearer ${token}` } };
      for (let i = 0; i < 150; i++) {
        const { events } = await json(await fetch(`${server.url}/api/v1/events?type=message.embedded`, auth));
        if (events.length >= 2) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const seq = (await json(await fetch(`${server.url}/api/v1/health`))).seq;
      await new Promise((r) => setTimeout(r, 2000));
      expect((await json(await fetch(`${server.url}/api/v1/health`))).seq).toBe(seq);
    } finally {
      const exit = await server.stop('SIGTERM');
      expect(exit.code).toBe(0);
      expect(exit.stderr).toContain('stopped cleanly');
    }
  }, 90_000);

  it('runs as the process `npm start` signals: SIGTERM to npm stops the server cleanly and frees its data directory', async () => {
    const viaNpm = await startServer(env, 60_000, [], 'npm start');
    expect((await fetch(`${viaNpm.url}/api/v1/health`)).status).toBe(200);
    const exit = await viaNpm.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(exit.stderr).toContain('stopped cleanly');
    // Nothing is left listening behind npm (before, npm's shell died and the server ran on).
    await expect(fetch(`${viaNpm.url}/api/v1/health`)).rejects.toThrow();
    // The writer lock went with it: a second server opens the same log at once.
    const again = await startServer(env);
    expect((await again.stop('SIGTERM')).code).toBe(0);
  }, 90_000);

  it('restarts on the same data without a second default agent and without printing a password', async () => {
    const server = await startServer(env);
    try {
      const login = await json(await post(`${server.url}/api/v1/auth/login`, { username: 'admin', password: 'admin-password-1' }));
      const { agents } = await json(await fetch(`${server.url}/api/v1/agents`, { headers: { authorization: `Bearer ${login.accessToken}` } }));
      expect(agents).toHaveLength(1);
      expect(server.output().stderr).not.toContain('generated password');
    } finally {
      expect((await server.stop('SIGINT')).code).toBe(0);
    }
  }, 90_000);

  it('lets verify and export read a live log, and refuses a second writer (replay) while the server runs', async () => {
    const server = await startServer(env);
    try {
      expect((await runCli(['verify'], env)).code).toBe(0);
      const exported = await runCli(['events', 'export'], env);
      expect(exported.code).toBe(0);
      expect(exported.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(3);
      const replay = await runCli(['replay'], env);
      expect(replay.code).toBe(1);
      expect(replay.stderr).toMatch(/writer|lock/i);
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  }, 120_000);

  it('prints a generated admin password once when ADMIN_PASSWORD is not set', async () => {
    const server = await startServer({ DATA_DIR: tempDir(), ADMIN_PASSWORD: '' });
    try {
      const m = /generated password: (\S+)/.exec(server.output().stderr);
      expect(m).not.toBeNull();
      const res = await post(`${server.url}/api/v1/auth/login`, { username: 'admin', password: m![1] });
      expect(res.status).toBe(200);
    } finally {
      await server.stop();
    }
  }, 90_000);
});

describe('chronicle verify, replay, events export/import', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDir();
    const server = await startServer({ DATA_DIR: dataDir, ADMIN_PASSWORD: 'admin-password-1' });
    const login = await json(await post(`${server.url}/api/v1/auth/login`, { username: 'admin', password: 'admin-password-1' }));
    const { room } = await json(await post(`${server.url}/api/v1/rooms`, { name: 'notes' }, login.accessToken));
    for (const text of ['first note', 'second note', 'third note']) {
      await post(`${server.url}/api/v1/messages`, { roomId: room.id, text }, login.accessToken);
    }
    await server.stop();
  }, 90_000);

  it('verify passes on an intact log', async () => {
    const res = await runCli(['verify'], { DATA_DIR: dataDir });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/ok: \d+ events verified/);
  });

  it('replay rebuilds, and replay --verify agrees with the live tables', async () => {
    const rebuilt = await runCli(['replay'], { DATA_DIR: dataDir });
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).toMatch(/\d+ events replayed/);
    const verified = await runCli(['replay', '--verify'], { DATA_DIR: dataDir });
    expect(verified.code).toBe(0);
  });

  it('replay --verify reports a read table edited behind the projections’ back', async () => {
    const copy = tempDir();
    for (const f of ['events.db', 'read.db', 'data.key', 'jwt.secret']) writeFileSync(join(copy, f), readFileSync(join(dataDir, f)));
    const db = new Database(join(copy, 'read.db'));
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%message%' AND name NOT LIKE '%fts%' AND name NOT LIKE '%vec%'`)
      .all() as { name: string }[];
    const table = tables.find((t) => (db.prepare(`SELECT count(*) AS n FROM "${t.name}"`).get() as { n: number }).n > 0)!;
    db.prepare(`DELETE FROM "${table.name}" WHERE rowid = (SELECT max(rowid) FROM "${table.name}")`).run();
    db.close();
    const res = await runCli(['replay', '--verify'], { DATA_DIR: copy });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/difference/);
  });

  it('export then import into an empty directory gives a log that verifies; a second import is refused', async () => {
    const file = join(tempDir(), 'log.ndjson');
    const exported = await runCli(['events', 'export', '--out', file], { DATA_DIR: dataDir });
    expect(exported.code).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(5);

    const target = tempDir();
    writeFileSync(join(target, 'data.key'), readFileSync(join(dataDir, 'data.key'))); // the key travels with the log
    expect((await runCli(['events', 'import', '--in', file], { DATA_DIR: target })).code).toBe(0);
    expect((await runCli(['verify'], { DATA_DIR: target })).code).toBe(0);
    const again = await runCli(['events', 'import', '--in', file], { DATA_DIR: target });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/not empty/);
  });

  it('import refuses an edited export and writes nothing', async () => {
    const file = join(tempDir(), 'log.ndjson');
    await runCli(['events', 'export', '--out', file], { DATA_DIR: dataDir });
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const i = lines.findIndex((l) => l.includes('second note'));
    expect(i).toBeGreaterThan(0);
    lines[i] = lines[i].replace('second note', 'second NOTE');
    const tampered = join(tempDir(), 'tampered.ndjson');
    writeFileSync(tampered, lines.join('\n') + '\n');
    const target = tempDir();
    writeFileSync(join(target, 'data.key'), readFileSync(join(dataDir, 'data.key')));
    const res = await runCli(['events', 'import', '--in', tampered], { DATA_DIR: target });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/hash_mismatch/);
    const verify = await runCli(['verify'], { DATA_DIR: target });
    // Nothing was imported: either no log file at all or an empty one.
    expect(verify.stderr).toMatch(/no event log|ok: 0 events/);
  });

  it('verify finds an event edited with plain SQL', async () => {
    const copy = tempDir();
    writeFileSync(join(copy, 'events.db'), readFileSync(join(dataDir, 'events.db')));
    const db = new Database(join(copy, 'events.db'));
    db.exec('DROP TRIGGER IF EXISTS events_are_append_only_update');
    const triggers = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger'`).all() as { name: string }[];
    for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
    for (const row of storedRows(db)) {
      if (row.data.includes('second note')) rewriteText(db, row.seq, 'data', (data) => data.replaceAll('second', 'SECOND'));
    }
    db.close();
    const res = await runCli(['verify'], { DATA_DIR: copy });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/BROKEN at seq \d+ \(hash_mismatch\)/);
  });
});

describe('chronicle agent create and usage errors', () => {
  it('creates an agent from a character file, and lists every problem of an invalid one', async () => {
    const dataDir = tempDir();
    const good = join(dataDir, 'quill.json');
    writeFileSync(good, JSON.stringify({ name: 'Quill', bio: ['Former technical writer'], settings: { secrets: { KEY: 'sk-123' } } }));
    const created = await runCli(['agent', 'create', '--character', good], { DATA_DIR: dataDir, ADMIN_PASSWORD: 'x-password-1' });
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).name).toBe('Quill');
    expect(readFileSync(join(dataDir, 'events.db')).includes(Buffer.from('sk-123'))).toBe(false);

    const bad = join(dataDir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 3, clients: ['discord'] }));
    const refused = await runCli(['agent', 'create', '--character', bad], { DATA_DIR: dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/name/);
    expect(refused.stderr).toMatch(/bio/);
    expect(refused.stderr).toMatch(/clients/);
  });

  it("loads the character's knowledge: text items, and files and folders relative to the character file", async () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'docs', 'faq'), { recursive: true });
    writeFileSync(join(dataDir, 'docs', 'api-guide.md'), '# API guide\n\nPaginate /users with ?cursor=<last id>.');
    writeFileSync(join(dataDir, 'docs', 'faq', 'refunds.txt'), 'Refunds take five working days.');
    writeFileSync(join(dataDir, 'docs', 'faq', 'photo.jpg'), 'not a document');
    const file = join(dataDir, 'quill.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'Quill',
        bio: 'docs',
        knowledge: ['Quill was a technical writer.', 'docs/api-guide.md', { path: 'docs/api-guide.md' }, { directory: 'docs/faq', shared: false }],
      }),
    );
    const created = await runCli(['agent', 'create', '--character', file], { DATA_DIR: dataDir, ADMIN_PASSWORD: 'x-password-1' });
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/knowledge 4\/4/);
    expect(created.stdout).not.toMatch(/knowledge/);
    expect(created.stderr).toMatch(/knowledge skipped: docs\/faq\/photo\.jpg: unsupported file type/);
    const db = new Database(join(dataDir, 'events.db'), { readonly: true });
    try {
      const rows = storedRows(db);
      const titles = rows.filter((r) => r.type === 'knowledge.document_added').map((r) => JSON.parse(r.data).title);
      // The file named twice (as a string and as {path}) is one document.
      expect(titles).toEqual(['Quill was a technical writer.', 'docs/api-guide.md', 'docs/faq/refunds.txt']);
      expect(rows.filter((r) => r.type === 'knowledge.document_ready')).toHaveLength(3);
      expect(rows.filter((r) => r.type === 'knowledge.chunk_embedded' && r.data.includes('five working days'))).toHaveLength(1);
    } finally {
      db.close();
    }
  });

  it('through a running server (--url): the server takes the text items, the command uploads the files it read', async () => {
    const dataDir = tempDir();
    const env = { DATA_DIR: dataDir, ADMIN_PASSWORD: 'admin-password-2' };
    writeFileSync(join(dataDir, 'guide.md'), '# Guide\n\nKettles switch off at 100 degrees.');
    const file = join(dataDir, 'kettle.json');
    writeFileSync(file, JSON.stringify({ name: 'Kettle', bio: 'boils', knowledge: ['Kettle is an appliance.', { path: 'guide.md' }] }));
    const server = await startServer(env);
    try {
      const created = await runCli(['agent', 'create', '--character', file, '--url', server.url, '--username', 'admin', '--password', 'admin-password-2'], {});
      expect(created.code).toBe(0);
      expect(created.stderr).toMatch(/knowledge 1\/1: guide\.md/);
      const id = JSON.parse(created.stdout).id as string;
      const token = (await json(await post(`${server.url}/api/v1/auth/login`, { username: 'admin', password: 'admin-password-2' }))).accessToken as string;
      const { documents } = await json(await fetch(`${server.url}/api/v1/agents/${id}/knowledge`, { headers: { authorization: `Bearer ${token}` } }));
      expect(documents.map((d: { title: string }) => d.title).sort()).toEqual(['Kettle is an appliance.', 'guide.md']);
    } finally {
      await server.stop();
    }
  });

  it('knowledge add uploads Markdown and PDF files to an agent of a running server; an unsupported or missing file fails alone', async () => {
    const dataDir = tempDir();
    const env = { DATA_DIR: dataDir, ADMIN_PASSWORD: 'admin-password-3' };
    writeFileSync(join(dataDir, 'faq.md'), '# FAQ\n\nRefunds take five working days.');
    writeFileSync(join(dataDir, 'manual.pdf'), minimalPdf([['The blue button restarts the router.']]));
    writeFileSync(join(dataDir, 'photo.jpg'), 'not a document');
    const server = await startServer(env);
    try {
      const files = ['faq.md', 'manual.pdf', 'photo.jpg', 'gone.md'].map((f) => join(dataDir, f));
      const r = await runCli(['knowledge', 'add', '--agent', 'chronicle', ...files, '--url', server.url, '--password', 'admin-password-3'], {});
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/knowledge 1\/4: .*faq\.md → "faq", \d+ chunks/);
      expect(r.stderr).toMatch(/knowledge 3\/4: .*photo\.jpg FAILED: unsupported file type/);
      expect(r.stderr).toMatch(/knowledge 4\/4: .*gone\.md FAILED: ENOENT/);
      const out = JSON.parse(r.stdout);
      expect(out.documents.map((d: { title: string }) => d.title)).toEqual(['faq', 'manual']);
      const token = (await json(await post(`${server.url}/api/v1/auth/login`, { username: 'admin', password: 'admin-password-3' }))).accessToken as string;
      const hits = await json(
        await fetch(`${server.url}/api/v1/agents/${out.agent.id}/knowledge/search?q=restart%20the%20router&k=1`, {
          headers: { authorization: `Bearer ${token}` },
        }),
      );
      expect(hits.results[0]).toMatchObject({ title: 'manual', text: expect.stringContaining('blue button') });
      expect((await runCli(['knowledge', 'add', '--agent', 'nobody', files[0], '--url', server.url, '--password', 'admin-password-3'], {})).stderr).toMatch(
        /no agent "nobody" \(there are: Chronicle\)/,
      );
    } finally {
      await server.stop();
    }
  });

  it('exits 2 with usage on an unknown command or option, 0 with --help', async () => {
    expect((await runCli(['nope'], {})).code).toBe(2);
    expect((await runCli(['replay', '--bogus'], {})).code).toBe(2);
    const help = await runCli(['events', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/chronicle events export/);
  });
});
