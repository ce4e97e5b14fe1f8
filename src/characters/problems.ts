import type { z } from 'zod';
import { V1_FIELDS } from './convert.ts';

/** One thing wrong with a character: where (dotted field path, `(root)` for the whole), what, and how to fix it. */
export interface CharacterProblem {
  path: string;
  message: string;
  hint: string;
}

const STRINGS = 'an array of strings, e.g. ["…", "…"]';
const MESSAGE = '{"name": "<speaker>", "content": {"text": "…"}}';

/** How to fix a field, by its path with array indexes as `*`. */
const FIELD_HINTS: Record<string, string> = {
  '(root)': 'a character is one JSON object, e.g. {"name": "Ada", "bio": ["…"]}',
  name: 'give the agent a name: a non-empty string of at most 100 characters',
  username: 'a string',
  system: "a string: the agent's system prompt",
  bio: 'a string, or an array of strings (one fact each)',
  lore: STRINGS,
  topics: STRINGS,
  adjectives: STRINGS,
  postExamples: STRINGS,
  'style.all': STRINGS,
  'style.chat': STRINGS,
  'style.post': STRINGS,
  style: 'an object with all, chat and post, each an array of strings',
  messageExamples: `an array of conversations, each an array of messages ${MESSAGE}`,
  'messageExamples.*': `a conversation: an array of messages ${MESSAGE}`,
  'messageExamples.*.*': `a message: ${MESSAGE}`,
  'messageExamples.*.*.name': 'the speaker, e.g. "{{name1}}" or the agent\'s name (v0.x files call it "user" and are converted)',
  'messageExamples.*.*.content': '{"text": "…"}, optionally with "actions": ["REPLY"]',
  'messageExamples.*.*.content.actions': 'an array of action names, e.g. ["REPLY"]',
  knowledge: 'an array of knowledge items',
  'knowledge.*': 'knowledge text (a string), {"path": "file.md"} or {"directory": "folder"}, paths relative to the character file',
  plugins: 'an array of plugin package names',
  'plugins.*': 'a plugin package name, e.g. "@elizaos/plugin-bootstrap"',
  settings: 'an object of settings (secret values go in settings.secrets)',
  'settings.secrets': 'an object of secret values: {"OPENAI_API_KEY": "…"}',
  'settings.secrets.*': 'a secret value is a string, number or boolean',
  secrets: 'an object of secret values: {"OPENAI_API_KEY": "…"}',
  'secrets.*': 'a secret value is a string, number or boolean',
  templates: 'an object of prompt templates: {"<name>": "<template text>"}',
  'templates.*': 'a template is a string',
};

/** Fields an unknown key may be a typo of, by the object it is in. */
const KNOWN_KEYS: Record<string, string[]> = {
  '(root)': V1_FIELDS,
  style: ['all', 'chat', 'post'],
  'knowledge.*': ['path', 'directory', 'shared'],
};

const pattern = (path: readonly PropertyKey[]) => (path.length ? path.map((p) => (typeof p === 'number' ? '*' : String(p))).join('.') : '(root)');
const dotted = (path: readonly PropertyKey[]) => (path.length ? path.map(String).join('.') : '(root)');

/** The hint of a field; a key of a record (settings.secrets.TOKEN) falls back to the record's `*`. */
function fieldHint(path: readonly PropertyKey[]): string | undefined {
  return FIELD_HINTS[pattern(path)] ?? (path.length > 1 ? FIELD_HINTS[`${pattern(path.slice(0, -1))}.*`] : undefined);
}

/** Classic edit distance, for "did you mean" on a mistyped field name. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function unknownKeyHint(where: string, key: string): string {
  const known = KNOWN_KEYS[where] ?? [];
  const close = known.filter((k) => distance(k, key) <= Math.max(1, Math.floor(k.length / 4)));
  if (close.length) return `remove it, or did you mean "${close[0]}"?`;
  return known.length ? `remove it; the fields here are: ${known.join(', ')}` : 'remove it';
}

/**
 * A bound on the problems answered, so a 1 MB body of bad array items cannot make a 100 MB answer
 * (each problem is ~100× its item). No real character comes near it; past it, one last entry counts the rest.
 */
export const MAX_PROBLEMS = 1000;

/** Every zod issue as a problem with a hint; an unknown-field issue becomes one problem per field. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): CharacterProblem[] {
  const all = allProblems(issues);
  if (all.length <= MAX_PROBLEMS) return all;
  const rest = all.length - MAX_PROBLEMS;
  return [
    ...all.slice(0, MAX_PROBLEMS),
    { path: '(root)', message: `and ${rest} more problem${rest === 1 ? '' : 's'}`, hint: 'fix the ones above first: the rest are usually of the same kinds' },
  ];
}

function allProblems(issues: readonly z.core.$ZodIssue[]): CharacterProblem[] {
  const out: CharacterProblem[] = [];
  const seen = new Set<string>();
  const add = (p: CharacterProblem) => {
    const key = `${p.path}\u0000${p.message}`;
    if (!seen.has(key)) out.push(p), seen.add(key);
  };
  for (const issue of issues) {
    const path = dotted(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        add({ path: path === '(root)' ? key : `${path}.${key}`, message: 'unknown field', hint: unknownKeyHint(pattern(issue.path), key) });
      continue;
    }
    const message = issue.code === 'invalid_union' && issue.message === 'Invalid input' ? 'has the wrong type' : issue.message;
    add({
      path,
      message,
      hint:
        fieldHint(issue.path) ??
        (issue.code === 'invalid_type' ? `use ${issue.expected === 'array' ? 'an' : 'a'} ${issue.expected}` : 'see the ElizaOS character format'),
    });
  }
  return out;
}

/** "path: message (hint)", for a terminal or an error message. */
export const formatProblem = (p: CharacterProblem): string => `${p.path}: ${p.message} — ${p.hint}`;
