import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startServer } from '../cli/run-cli.ts';

/**
 * `chronicle agent create --character FILE` applies one containment rule, offline and with --url: a
 * knowledge item outside the character's folder (a `../` path, an absolute path, a symlink leading
 * out) is not read, and the command says which items it skipped and why.
 */
function hostileCharacter() {
  const root = mkdtempSync(join(tmpdir(), 'chronicle-contain-cli-'));
  const dir = join(root, 'character');
  const dataDir = join(root, 'data');
  mkdirSync(join(dir, 'docs'), { recursive: true });
  mkdirSync(join(root, 'outside'));
  mkdirSync(dataDir);
  writeFileSync(join(root, 'outside', 'secret.md'), 'TOP SECRET from outside');
  writeFileSync(join(dir, 'docs', 'guide.md'), '# Guide\n\nKettles switch off at 100 degrees.');
  symlinkSync(join(root, 'outside', 'secret.md'), join(dir, 'docs', 'link.md'));
  symlinkSync(join(root, 'outside'), join(dir, 'docs', 'linked-dir'));
  const file = join(dir, 'kettle.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'Kettle',
      bio: 'boils',
      knowledge: [{ path: '../outside/secret.md' }, { path: join(root, 'outside', 'secret.md') }, { directory: 'docs' }],
    }),
  );
  return { file, dataDir };
}

function expectSkippedReported(stderr: string) {
  expect(stderr).toMatch(/knowledge skipped: \{path: \.\.\/outside\/secret\.md\}: outside the character's folder/);
  expect(stderr).toMatch(/knowledge skipped: \{path: \/.*\/outside\/secret\.md\}: outside the character's folder/);
  expect(stderr).toMatch(/knowledge skipped: docs\/link\.md: a symbolic link leading outside the character's folder/);
  expect(stderr).toMatch(/knowledge skipped: docs\/linked-dir: a symbolic link leading outside the character's folder/);
  expect(stderr).toMatch(/knowledge 1\/1: docs\/guide\.md/);
}

describe('agent create --character: knowledge files stay inside the character’s folder', () => {
  it('offline: the refused items are reported, nothing of them reaches the log', async () => {
    const { file, dataDir } = hostileCharacter();
    const r = await runCli(['agent', 'create', '--character', file], { DATA_DIR: dataDir, ADMIN_PASSWORD: 'x-password-1' });
    expect(r.code).toBe(0);
    expectSkippedReported(r.stderr);
    const log = readFileSync(join(dataDir, 'events.db'));
    expect(log.includes(Buffer.from('TOP SECRET'))).toBe(false);
    expect(log.includes(Buffer.from('Kettles switch off'))).toBe(true);
  }, 60_000);

  it('with --url: the same rule, the same report, nothing of them uploaded', async () => {
    const { file, dataDir } = hostileCharacter();
    const server = await startServer({ DATA_DIR: dataDir, ADMIN_PASSWORD: 'admin-password-2' });
    try {
      const r = await runCli(['agent', 'create', '--character', file, '--url', server.url, '--username', 'admin', '--password', 'admin-password-2'], {});
      expect(r.code).toBe(0);
      expectSkippedReported(r.stderr);
    } finally {
      await server.stop();
    }
    const log = readFileSync(join(dataDir, 'events.db'));
    expect(log.includes(Buffer.from('TOP SECRET'))).toBe(false);
    expect(log.includes(Buffer.from('Kettles switch off'))).toBe(true);
  }, 90_000);
});
