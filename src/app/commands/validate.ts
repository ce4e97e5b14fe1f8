import type { z } from 'zod';
import { badRequest } from '../errors.ts';

/** Parses input with a zod schema; the 400 message names each offending field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((i) => {
    const path = i.path.length ? i.path.join('.') : what;
    return `${path}: ${i.message}`;
  });
  throw badRequest(`invalid ${what}: ${problems.join('; ')}`);
}
