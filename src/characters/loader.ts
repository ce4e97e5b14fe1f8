import { CharacterSchema, type Character } from './schema.ts';
import { convertCharacter, type ConversionReport, type ConvertOptions } from './convert.ts';
import { describeIssues, type CharacterProblem } from './problems.ts';

export type LoadResult =
  | { ok: true; character: Character; conversion: ConversionReport }
  | { ok: false; problems: CharacterProblem[]; conversion?: ConversionReport };

/**
 * Loads an ElizaOS character (parsed JSON) of either generation: a v0.x one is converted first (see
 * convert.ts), then the 1.x form is validated. Every problem is listed with its path and a hint, so a
 * person can fix the whole file in one go rather than one error per attempt.
 */
export function loadCharacter(json: unknown, options: ConvertOptions): LoadResult {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return {
      ok: false,
      problems: [{ path: '(root)', message: 'a character must be a JSON object', hint: 'a character is one JSON object, e.g. {"name": "Ada", "bio": ["…"]}' }],
    };
  const { character, report } = convertCharacter(json as Record<string, unknown>, options);
  const parsed = CharacterSchema.safeParse(character);
  if (parsed.success) return { ok: true, character: parsed.data, conversion: report };
  return { ok: false, problems: describeIssues(parsed.error.issues), conversion: report };
}

/** Parses character JSON text; a syntax error is one problem like any other. */
export function loadCharacterText(text: string, options: ConvertOptions): LoadResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      problems: [
        { path: '(root)', message: `not valid JSON: ${(err as Error).message}`, hint: 'fix the JSON syntax at the position given (a JSON linter shows it)' },
      ],
    };
  }
  return loadCharacter(json, options);
}
