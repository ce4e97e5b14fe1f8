import type { z } from 'zod';
import { badRequest } from '../errors.ts';
import { MAX_PROBLEMS } from '../../characters/problems.ts';

/**
 * Parses input with a zod schema. The 400 names every offending field (none is left out: a person
 * fixes them all in one go — up to MAX_PROBLEMS, then a count), in the message and as
 * `problems: [{path, message}]` beside it.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, MAX_PROBLEMS).map((i) => ({ path: i.path.length ? i.path.join('.') : what, message: i.message }));
  const rest = result.error.issues.length - problems.length;
  if (rest > 0) problems.push({ path: what, message: `and ${rest} more` });
  throw badRequest(`invalid ${what}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, 'validation_error', { problems });
}
