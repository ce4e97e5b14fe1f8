import { z } from 'zod';
import { ModelError } from './provider.ts';

/**
 * generateObject's shared tail: models wrap JSON in prose or code fences, so take the first JSON
 * value out of the text, then check it against the caller's JSON Schema (via zod's converter).
 */
export function extractJson(text: string, provider: string): unknown {
  const trimmed = text.trim();
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(trimmed);
  const candidates = [trimmed, fenced?.[1]?.trim(), sliceBalanced(trimmed, '{', '}'), sliceBalanced(trimmed, '[', ']')];
  for (const c of candidates) {
    if (!c) continue;
    try {
      return JSON.parse(c);
    } catch {
      // try the next shape
    }
  }
  throw new ModelError('malformed', `${provider}: the model did not answer with JSON: ${JSON.stringify(trimmed.slice(0, 200))}`, provider, true);
}

function sliceBalanced(text: string, open: string, close: string): string | undefined {
  const start = text.indexOf(open);
  const end = text.lastIndexOf(close);
  return start >= 0 && end > start ? text.slice(start, end + 1) : undefined;
}

const validators = new WeakMap<object, z.ZodType | null>();

function validatorFor(schema: Record<string, unknown>): z.ZodType | null {
  let v = validators.get(schema);
  if (v === undefined) {
    try {
      v = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]) as z.ZodType;
    } catch {
      v = null; // a schema zod cannot convert: accept any JSON rather than refuse every answer
    }
    validators.set(schema, v);
  }
  return v;
}

export function parseObject(text: string, schema: Record<string, unknown>, provider: string): unknown {
  const value = extractJson(text, provider);
  const validator = validatorFor(schema);
  if (!validator) return value;
  const result = validator.safeParse(value);
  if (!result.success) {
    throw new ModelError(
      'malformed',
      `${provider}: JSON does not match the schema: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
      provider,
      true,
    );
  }
  return result.data;
}

/** Appended to the prompt of providers without a native JSON-schema mode. */
export function schemaInstruction(schema: Record<string, unknown>): string {
  return `Answer with only a JSON value, no prose and no code fences, that satisfies this JSON Schema:\n${JSON.stringify(schema)}`;
}
