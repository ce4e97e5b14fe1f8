import type { z } from 'zod';
import { CharacterSchema, type Character } from './schema.ts';

export type LoadResult = { ok: true; character: Character } | { ok: false; problems: string[] };

/**
 * Validates an ElizaOS character (parsed JSON). Every problem is listed, each as "path: reason", so a
 * person can fix the whole file in one go rather than one error per attempt.
 */
export function loadCharacter(json: unknown): LoadResult {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { ok: false, problems: ['(root): a character must be a JSON object'] };
  const parsed = CharacterSchema.safeParse(json);
  if (parsed.success) return { ok: true, character: parsed.data };
  return { ok: false, problems: describeIssues(parsed.error.issues) };
}

/** Parses character JSON text; a syntax error is one problem like any other. */
export function loadCharacterText(text: string): LoadResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`(root): not valid JSON: ${(err as Error).message}`] };
  }
  return loadCharacter(json);
}

function describeIssues(issues: z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const where = path === '(root)' ? key : `${path}.${key}`;
        const hint = key === 'modelProvider' || key === 'clients' ? ' (a v0.x field; ElizaOS 1.x characters do not have it)' : '';
        out.push(`${where}: unknown field${hint}`);
      }
      continue;
    }
    if (issue.code === 'invalid_union') {
      out.push(`${path}: ${issue.message === 'Invalid input' ? 'has the wrong type' : issue.message}`);
      continue;
    }
    out.push(`${path}: ${issue.message}`);
  }
  return [...new Set(out)];
}
