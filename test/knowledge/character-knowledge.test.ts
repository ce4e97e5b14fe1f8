import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addCharacterKnowledge } from '../../src/app/commands/character-knowledge.ts';
import { characterDocumentId, resolveCharacterKnowledge } from '../../src/knowledge/character-knowledge.ts';
import type { KnowledgeDocumentView } from '../../src/projections/read-model.ts';
import { minimalPdf } from '../support/minimal-pdf.ts';

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'chronicle-charknow-'));
  writeFileSync(join(dir, 'guide.md'), '# API guide\n\nPaginate with a cursor.');
  mkdirSync(join(dir, 'faq', 'deep'), { recursive: true });
  writeFileSync(join(dir, 'faq', 'b.txt'), 'Refunds take five days.');
  writeFileSync(join(dir, 'faq', 'deep', 'a.pdf'), minimalPdf([['Support answers within a day.']]));
  writeFileSync(join(dir, 'faq', 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(join(dir, 'faq', '.hidden.md'), 'never read');
  return dir;
}

describe('a character’s knowledge', () => {
  it('makes each text item a document of its own, titled by its first line', async () => {
    const r = await resolveCharacterKnowledge(['Quill was a technical writer.\nSecond line.', '   '], undefined);
    expect(r.documents).toEqual([
      { title: 'Quill was a technical writer.', text: 'Quill was a technical writer.\nSecond line.', origin: 'knowledge[0]', fromFile: false },
    ]);
    expect(r.skipped).toEqual([{ item: 'knowledge[1]', reason: 'empty text' }]);
  });

  it('reads {path} and {directory} items relative to the character file’s folder: Markdown, text and PDF, directories recursively and in name order', async () => {
    const dir = folder();
    const r = await resolveCharacterKnowledge([{ path: 'guide.md' }, { directory: 'faq', shared: false }], dir);
    expect(r.documents.map((d) => d.origin)).toEqual(['guide.md', 'faq/b.txt', 'faq/deep/a.pdf']);
    expect(r.documents[0].text).toContain('Paginate with a cursor.');
    expect(r.documents[2].text).toContain('Support answers within a day.');
    expect(r.skipped).toEqual([{ item: 'faq/logo.png', reason: expect.stringMatching(/unsupported file type/) }]);
  });

  it('reads a one-word string naming a document beside the character as that file (characters in the wild do), as text otherwise', async () => {
    const dir = folder();
    const r = await resolveCharacterKnowledge(['guide.md', 'nope.md', 'See guide.md'], dir);
    expect(r.documents.map((d) => [d.origin, d.text.slice(0, 11)])).toEqual([
      ['guide.md', '# API guide'],
      ['knowledge[1]', 'nope.md'],
      ['knowledge[2]', 'See guide.m'],
    ]);
    const api = await resolveCharacterKnowledge(['guide.md', 'See guide.md'], undefined);
    expect(api.documents.map((d) => d.text)).toEqual(['See guide.md']);
    expect(api.skipped).toEqual([{ item: 'guide.md', reason: expect.stringMatching(/looks like a file name/) }]);
  });

  it('reports a missing file or directory and goes on with the rest', async () => {
    const dir = folder();
    const r = await resolveCharacterKnowledge([{ path: 'nope.md' }, { directory: 'missing' }, 'kept'], dir);
    expect(r.documents.map((d) => d.text)).toEqual(['kept']);
    expect(r.skipped.map((s) => s.item)).toEqual(['nope.md', '{directory: missing}']);
    expect(r.skipped[0].reason).toMatch(/cannot read/);
  });

  it('never reads the disk for a character sent over the API (no base folder): file items are skipped with the reason', async () => {
    const r = await resolveCharacterKnowledge([{ path: '/etc/passwd' }, { directory: '/' }], undefined);
    expect(r.documents).toEqual([]);
    expect(r.skipped.map((s) => s.item)).toEqual(['{path: /etc/passwd}', '{directory: /}']);
    expect(r.skipped[0].reason).toMatch(/agent create --character/);
  });

  it('ingests each document once: a document the agent already has is not embedded again; a failing one is reported and the others go in', async () => {
    const have = new Map<string, KnowledgeDocumentView>();
    const ingested: string[] = [];
    const ctx = {
      readModel: { documentById: (id: string) => have.get(id) },
      knowledge: {
        async ingest(input: { agentId: string; documentId?: string; title: string; text: string }) {
          if (input.text === 'broken') throw new Error('embedder down');
          ingested.push(input.text);
          have.set(input.documentId!, {
            id: input.documentId!,
            agentId: input.agentId,
            title: input.title,
            chunks: 1,
            embeddedChunks: 1,
            status: 'ready',
            createdAt: '',
          });
          return { documentId: input.documentId!, chunks: 1 };
        },
      },
    };
    const caller = { accountId: 'op', role: 'operator' as const };
    const resolved = await resolveCharacterKnowledge(['alpha', 'broken', 'beta', 'alpha'], undefined);
    const first = await addCharacterKnowledge(ctx, caller, 'agent-1', resolved);
    expect(first.documents.map((d) => [d.title, d.alreadyKnown])).toEqual([
      ['alpha', false],
      ['beta', false],
      ['alpha', true],
    ]);
    expect(first.failed).toEqual([{ title: 'broken', origin: 'knowledge[1]', error: 'embedder down' }]);
    expect(first.documents[0].id).toBe(characterDocumentId('agent-1', 'alpha'));

    const again = await addCharacterKnowledge(ctx, caller, 'agent-1', resolved);
    expect(again.documents.map((d) => d.alreadyKnown)).toEqual([true, true, true]);
    expect(ingested).toEqual(['alpha', 'beta']);
    // Another agent with the same text gets its own document.
    expect(characterDocumentId('agent-2', 'alpha')).not.toBe(characterDocumentId('agent-1', 'alpha'));
  });
});

describe('a character’s knowledge stays inside the character’s folder', () => {
  /** `root/character/` (the character's folder) beside `root/outside/` holding a secret. */
  function tree() {
    const root = mkdtempSync(join(tmpdir(), 'chronicle-contain-'));
    const dir = join(root, 'character');
    const outside = join(root, 'outside');
    mkdirSync(join(dir, 'docs'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.md'), 'TOP SECRET from outside');
    writeFileSync(join(dir, 'docs', 'real.md'), '# Real\n\nInside the folder.');
    return { root, dir, outside };
  }
  const texts = (r: { documents: { text: string }[] }) => r.documents.map((d) => d.text).join('\n');

  it('refuses `../` items and absolute paths elsewhere, each reported with the reason', async () => {
    const { dir, outside } = tree();
    const r = await resolveCharacterKnowledge(
      [
        { path: '../outside/secret.md' },
        { path: join(outside, 'secret.md') },
        { path: '/etc/passwd' },
        { directory: '..' },
        { directory: '/etc' },
        '../outside/secret.md',
        { path: 'docs/real.md' },
      ],
      dir,
    );
    expect(texts(r)).not.toMatch(/TOP SECRET|root:/);
    expect(r.documents.map((d) => d.origin)).toEqual(['docs/real.md']);
    expect(r.skipped.map((s) => s.item)).toEqual([
      '{path: ../outside/secret.md}',
      `{path: ${join(outside, 'secret.md')}}`,
      '{path: /etc/passwd}',
      '{directory: ..}',
      '{directory: /etc}',
      '../outside/secret.md',
    ]);
    for (const s of r.skipped) expect(s.reason).toMatch(/outside the character's folder/);
  });

  it('refuses a symlink to a file outside and a symlinked directory pointing outside, named or met while walking', async () => {
    const { dir, outside } = tree();
    symlinkSync(join(outside, 'secret.md'), join(dir, 'docs', 'link.md'));
    symlinkSync(outside, join(dir, 'docs', 'linked-dir'));
    symlinkSync('../outside/secret.md', join(dir, 'relative-link.md'));
    const r = await resolveCharacterKnowledge(
      [{ path: 'docs/link.md' }, { directory: 'docs/linked-dir' }, { path: 'docs/linked-dir/secret.md' }, 'relative-link.md', { directory: 'docs' }],
      dir,
    );
    expect(texts(r)).not.toMatch(/TOP SECRET/);
    expect(r.documents.map((d) => d.origin)).toEqual(['docs/real.md']);
    expect(r.skipped).toEqual([
      { item: 'docs/link.md', reason: expect.stringMatching(/symbolic link leading outside the character's folder/) },
      { item: '{directory: docs/linked-dir}', reason: expect.stringMatching(/symbolic link leading outside/) },
      { item: 'docs/linked-dir/secret.md', reason: expect.stringMatching(/symbolic link leading outside/) },
      { item: 'relative-link.md', reason: expect.stringMatching(/symbolic link leading outside/) },
      // Met while walking docs/: each refused on its own, the real file still read.
      { item: 'docs/link.md', reason: expect.stringMatching(/symbolic link leading outside/) },
      { item: 'docs/linked-dir', reason: expect.stringMatching(/symbolic link leading outside/) },
    ]);
  });

  it('follows a symlink inside pointing inside (a file, a folder), and a link to its own folder does not loop', async () => {
    const { dir } = tree();
    symlinkSync(join(dir, 'docs', 'real.md'), join(dir, 'alias.md'));
    symlinkSync('docs', join(dir, 'more'));
    symlinkSync('.', join(dir, 'docs', 'self'));
    const r = await resolveCharacterKnowledge([{ path: 'alias.md' }, { directory: 'more' }, { directory: 'docs' }], dir);
    expect(r.skipped).toEqual([]);
    expect(r.documents.map((d) => d.origin)).toEqual(['alias.md', 'more/real.md', 'docs/real.md']);
    expect(r.documents[0].text).toContain('Inside the folder.');
  });

  it('refuses a FIFO named like a document instead of waiting on it', async () => {
    const { dir } = tree();
    execFileSync('mkfifo', [join(dir, 'docs', 'pipe.md')]);
    const r = await resolveCharacterKnowledge([{ path: 'docs/pipe.md' }, { path: 'docs/real.md' }], dir);
    expect(r.documents.map((d) => d.origin)).toEqual(['docs/real.md']);
    expect(r.skipped).toEqual([{ item: 'docs/pipe.md', reason: 'cannot read: not a file' }]);
  });

  it('takes the character file’s folder on its real path: a folder reached through a symlink still reads its own files', async () => {
    const { root, dir } = tree();
    symlinkSync(dir, join(root, 'via-link'));
    const r = await resolveCharacterKnowledge([{ path: 'docs/real.md' }, { path: '../outside/secret.md' }], join(root, 'via-link'));
    expect(r.documents.map((d) => d.origin)).toEqual(['docs/real.md']);
    expect(r.skipped.map((s) => s.item)).toEqual(['{path: ../outside/secret.md}']);
  });
});
