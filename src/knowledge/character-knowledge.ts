import { constants } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { Character } from '../characters/schema.ts';
import { derivedId, sha256Hex } from '../shared/ids.ts';
import { isWithin } from '../shared/paths.ts';
import { documentPool, type DocumentPool } from './document-pool.ts';
import { extractText, KNOWLEDGE_FILE_TYPES } from './extract-text.ts';

type KnowledgeItem = NonNullable<Character['knowledge']>[number];

/** One document to ingest for an agent, from its character's `knowledge`. */
export interface CharacterDocument {
  title: string;
  text: string;
  /** Where it came from: `knowledge[2]` for a text item, the file's path relative to the character file otherwise. */
  origin: string;
  /** Read from a file (only `agent create --character FILE` reads files). */
  fromFile: boolean;
}

/** An item (or a file of a directory item) that was not loaded, and why. */
export interface SkippedKnowledge {
  item: string;
  reason: string;
}

/** Per file: a bigger one is more likely a mistake (a dataset, a binary) than a document. */
export const MAX_KNOWLEDGE_FILE_BYTES = 32 * 1024 * 1024;
/** Per directory item, so a `{directory: "/"}` cannot walk the whole disk. */
export const MAX_KNOWLEDGE_DIRECTORY_FILES = 1000;

/**
 * The document id of a character's knowledge: derived from the agent and the text, so loading the
 * same character again (an update, a retry, `agent create` twice against one log) finds the document
 * it already has instead of embedding it a second time.
 */
export const characterDocumentId = (agentId: string, text: string): string => derivedId('character-knowledge', agentId, sha256Hex(text));

const FILES_ONLY_FROM_CLI =
  'files are only read by `chronicle agent create --character FILE` (relative to that file); over the API send their text to POST /api/v1/agents/:id/knowledge';

/**
 * ElizaOS reads a string item as knowledge text, but characters in the wild also list files that way
 * (`"docs/api-guide.md"`): a one-word string ending in a document extension is taken for a file name
 * when that file exists beside the character, and as text otherwise.
 */
function namedFile(item: string): string | undefined {
  const s = item.trim();
  return !/\s/.test(s) && s.length < 1024 && KNOWLEDGE_FILE_TYPES[extname(s).toLowerCase()] ? s : undefined;
}

/** Whether something is there (a file, or a link to one: readDocument decides whether it may be read). */
async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

const describe = (item: KnowledgeItem): string =>
  typeof item === 'string' ? item.slice(0, 80) : 'path' in item ? `{path: ${item.path}}` : `{directory: ${item.directory}}`;

/** A title for a text item: its first line, shortened. */
function titleOf(text: string): string {
  const first = text
    .trim()
    .split('\n', 1)[0]
    .replace(/^#+\s*/, '')
    .trim();
  return first.length > 80 ? `${first.slice(0, 77)}…` : first || 'Character knowledge';
}

/**
 * The character's knowledge, as ElizaOS reads it: a string is a piece of knowledge text of its own
 * (or a file, see namedFile); `{path}` is a file and `{directory}` every file below a folder (Markdown, text, PDF), both relative to
 * `baseDir` — the character file's folder, and never outside it (see CharacterFolder). Without `baseDir` (a character sent over the API) file items
 * are skipped: the server does not read its own disk on a client's word.
 */
export async function resolveCharacterKnowledge(
  knowledge: readonly KnowledgeItem[] | undefined,
  baseDir: string | undefined,
  pool: DocumentPool = documentPool(),
): Promise<{ documents: CharacterDocument[]; skipped: SkippedKnowledge[] }> {
  const documents: CharacterDocument[] = [];
  const skipped: SkippedKnowledge[] = [];
  const folder = baseDir === undefined ? undefined : { base: resolve(baseDir), real: await realpath(baseDir).catch(() => resolve(baseDir)) };
  for (const [i, item] of (knowledge ?? []).entries()) {
    if (typeof item === 'string') {
      const file = namedFile(item);
      const target = file && folder ? resolve(folder.base, file) : undefined;
      if (file && folder && !isWithin(target!, folder.base)) {
        skipped.push({ item: file, reason: OUTSIDE });
      } else if (file && folder && (await exists(target!))) {
        const doc = await readDocument(folder, target!, skipped, pool);
        if (doc) documents.push(doc);
      } else if (file && !folder) {
        skipped.push({ item: item.slice(0, 80), reason: `looks like a file name; ${FILES_ONLY_FROM_CLI}` });
      } else if (item.trim()) {
        documents.push({ title: titleOf(item), text: item, origin: `knowledge[${i}]`, fromFile: false });
      } else {
        skipped.push({ item: `knowledge[${i}]`, reason: 'empty text' });
      }
      continue;
    }
    if (!folder) {
      skipped.push({ item: describe(item), reason: FILES_ONLY_FROM_CLI });
      continue;
    }
    const target = resolve(folder.base, 'path' in item ? item.path : item.directory);
    if (!isWithin(target, folder.base)) {
      skipped.push({ item: describe(item), reason: OUTSIDE });
      continue;
    }
    const files = 'path' in item ? [target] : await listFiles(folder, target, describe(item), skipped);
    for (const file of files) {
      const doc = await readDocument(folder, file, skipped, pool);
      if (doc) documents.push(doc);
    }
  }
  return { documents, skipped };
}

/**
 * The character file's folder, as written and on its real path (symlinks resolved). Knowledge files
 * are read only from inside it: a character downloaded from anywhere must not make the command read
 * `/etc/passwd` or `~/.ssh` into an agent's knowledge — and from there into any user's chat.
 */
interface CharacterFolder {
  base: string;
  real: string;
}

const OUTSIDE = "outside the character's folder (knowledge files are read only from the character file's folder and below)";

/**
 * The real path of `target` when it is inside the folder both as written (no `../`, no absolute path
 * elsewhere) and once every symlink is resolved; otherwise undefined, and `skipped` says why.
 */
async function containedPath(folder: CharacterFolder, target: string, name: string, skipped: SkippedKnowledge[]): Promise<string | undefined> {
  if (!isWithin(target, folder.base)) {
    skipped.push({ item: name, reason: OUTSIDE });
    return undefined;
  }
  let real: string;
  try {
    real = await realpath(target);
  } catch (err) {
    skipped.push({ item: name, reason: `cannot read: ${(err as Error).message}` });
    return undefined;
  }
  if (!isWithin(real, folder.real)) {
    skipped.push({ item: name, reason: `a symbolic link leading ${OUTSIDE}` });
    return undefined;
  }
  return real;
}

/** A path for messages and titles: relative to the character's folder, with `/`. */
const shown = (folder: CharacterFolder, path: string): string => (relative(folder.base, path) || path).split(sep).join('/');

async function readDocument(folder: CharacterFolder, file: string, skipped: SkippedKnowledge[], pool: DocumentPool): Promise<CharacterDocument | undefined> {
  const name = shown(folder, file);
  const type = KNOWLEDGE_FILE_TYPES[extname(file).toLowerCase()];
  if (!type) {
    skipped.push({ item: name, reason: `unsupported file type (${Object.keys(KNOWLEDGE_FILE_TYPES).join(', ')})` });
    return undefined;
  }
  const real = await containedPath(folder, file, name, skipped);
  if (real === undefined) return undefined;
  try {
    // O_NOFOLLOW: the checked real path is what is opened, not a symlink swapped in since;
    // O_NONBLOCK: a FIFO named like a document does not hang the command (fstat then refuses it).
    const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    let bytes: Buffer;
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new Error('not a file');
      if (info.size > MAX_KNOWLEDGE_FILE_BYTES) throw new Error(`larger than ${MAX_KNOWLEDGE_FILE_BYTES / 1024 / 1024} MB`);
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
    const text = await extractText(bytes, type, pool);
    if (!text.trim()) throw new Error('no text in it');
    return { title: name, text, origin: name, fromFile: true };
  } catch (err) {
    skipped.push({ item: name, reason: `cannot read: ${(err as Error).message}` });
    return undefined;
  }
}

/**
 * Every file below `dir` (sorted, so the order is the same on every run), at most
 * MAX_KNOWLEDGE_DIRECTORY_FILES. A symlinked folder is followed only when it stays inside the
 * character's folder (each real folder once, so a link to a parent cannot loop); each file is
 * checked again when it is read.
 */
async function listFiles(folder: CharacterFolder, dir: string, label: string, skipped: SkippedKnowledge[]): Promise<string[]> {
  const realDir = await containedPath(folder, dir, label, skipped);
  if (realDir === undefined) return [];
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = async (d: string, real: string): Promise<void> => {
    if (seen.has(real)) return;
    seen.add(real);
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (out.length >= MAX_KNOWLEDGE_DIRECTORY_FILES) return;
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p, join(real, e.name));
      else if (e.isFile()) out.push(p);
      else if (e.isSymbolicLink()) {
        const target = await containedPath(folder, p, shown(folder, p), skipped);
        if (target === undefined) continue;
        const info = await stat(target);
        if (info.isDirectory()) await walk(p, target);
        else if (info.isFile()) out.push(p);
      }
    }
  };
  try {
    await walk(dir, realDir);
  } catch (err) {
    skipped.push({ item: label, reason: `cannot read the directory: ${(err as Error).message}` });
    return [];
  }
  if (out.length >= MAX_KNOWLEDGE_DIRECTORY_FILES) skipped.push({ item: label, reason: `only the first ${MAX_KNOWLEDGE_DIRECTORY_FILES} files were read` });
  return out;
}
