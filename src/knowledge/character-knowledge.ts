import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { Character } from '../characters/schema.ts';
import { derivedId, sha256Hex } from '../shared/ids.ts';
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

const FILES_ONLY_FROM_CLI = 'files are only read by `chronicle agent create --character FILE` (relative to that file); over the API send their text to POST /api/v1/agents/:id/knowledge';

/**
 * ElizaOS reads a string item as knowledge text, but characters in the wild also list files that way
 * (`"docs/api-guide.md"`): a one-word string ending in a document extension is taken for a file name
 * when that file exists beside the character, and as text otherwise.
 */
function namedFile(item: string): string | undefined {
  const s = item.trim();
  return !/\s/.test(s) && s.length < 1024 && KNOWLEDGE_FILE_TYPES[extname(s).toLowerCase()] ? s : undefined;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((st) => st.isFile(), () => false);
}

const describe = (item: KnowledgeItem): string => (typeof item === 'string' ? item.slice(0, 80) : 'path' in item ? `{path: ${item.path}}` : `{directory: ${item.directory}}`);

/** A title for a text item: its first line, shortened. */
function titleOf(text: string): string {
  const first = text.trim().split('\n', 1)[0].replace(/^#+\s*/, '').trim();
  return first.length > 80 ? `${first.slice(0, 77)}…` : first || 'Character knowledge';
}

/**
 * The character's knowledge, as ElizaOS reads it: a string is a piece of knowledge text of its own
 * (or a file, see namedFile); `{path}` is a file and `{directory}` every file below a folder (Markdown, text, PDF), both relative to
 * `baseDir` — the character file's folder. Without `baseDir` (a character sent over the API) file items
 * are skipped: the server does not read its own disk on a client's word.
 */
export async function resolveCharacterKnowledge(
  knowledge: readonly KnowledgeItem[] | undefined,
  baseDir: string | undefined,
): Promise<{ documents: CharacterDocument[]; skipped: SkippedKnowledge[] }> {
  const documents: CharacterDocument[] = [];
  const skipped: SkippedKnowledge[] = [];
  for (const [i, item] of (knowledge ?? []).entries()) {
    if (typeof item === 'string') {
      const file = namedFile(item);
      if (file && baseDir !== undefined && (await isFile(resolve(baseDir, file)))) {
        const doc = await readDocument(resolve(baseDir, file), file, skipped);
        if (doc) documents.push(doc);
      } else if (file && baseDir === undefined) {
        skipped.push({ item: item.slice(0, 80), reason: `looks like a file name; ${FILES_ONLY_FROM_CLI}` });
      } else if (item.trim()) {
        documents.push({ title: titleOf(item), text: item, origin: `knowledge[${i}]`, fromFile: false });
      } else {
        skipped.push({ item: `knowledge[${i}]`, reason: 'empty text' });
      }
      continue;
    }
    if (baseDir === undefined) {
      skipped.push({ item: describe(item), reason: FILES_ONLY_FROM_CLI });
      continue;
    }
    const target = resolve(baseDir, 'path' in item ? item.path : item.directory);
    const files = 'path' in item ? [target] : await listFiles(target, describe(item), skipped);
    for (const file of files) {
      const name = relative(baseDir, file) || file;
      const doc = await readDocument(file, name, skipped);
      if (doc) documents.push(doc);
    }
  }
  return { documents, skipped };
}

async function readDocument(file: string, name: string, skipped: SkippedKnowledge[]): Promise<CharacterDocument | undefined> {
  const type = KNOWLEDGE_FILE_TYPES[extname(file).toLowerCase()];
  if (!type) {
    skipped.push({ item: name, reason: `unsupported file type (${Object.keys(KNOWLEDGE_FILE_TYPES).join(', ')})` });
    return undefined;
  }
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    if (info.size > MAX_KNOWLEDGE_FILE_BYTES) throw new Error(`larger than ${MAX_KNOWLEDGE_FILE_BYTES / 1024 / 1024} MB`);
    const text = await extractText(await readFile(file), type);
    if (!text.trim()) throw new Error('no text in it');
    return { title: name.split(sep).join('/'), text, origin: name, fromFile: true };
  } catch (err) {
    skipped.push({ item: name, reason: `cannot read: ${(err as Error).message}` });
    return undefined;
  }
}

/** Every file below `dir` (sorted, so the order is the same on every run), at most MAX_KNOWLEDGE_DIRECTORY_FILES. */
async function listFiles(dir: string, label: string, skipped: SkippedKnowledge[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (out.length >= MAX_KNOWLEDGE_DIRECTORY_FILES) return;
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  try {
    await walk(dir);
  } catch (err) {
    skipped.push({ item: label, reason: `cannot read the directory: ${(err as Error).message}` });
    return [];
  }
  if (out.length >= MAX_KNOWLEDGE_DIRECTORY_FILES) skipped.push({ item: label, reason: `only the first ${MAX_KNOWLEDGE_DIRECTORY_FILES} files were read` });
  return out;
}
