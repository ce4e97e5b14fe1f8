/**
 * generateObject for the rules generator: an object shaped by the JSON Schema, its text fields
 * holding the rule-based reply. Honest placeholders (false, 0, [], first enum value) elsewhere.
 */
export function objectFromSchema(schema: unknown, reply: string, depth = 0): unknown {
  const s = (schema ?? {}) as Record<string, unknown>;
  if (depth > 8) return null;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if ('const' in s) return s.const;
  if ('default' in s) return s.default;
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  const variants = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (!type && Array.isArray(variants) && variants.length > 0) return objectFromSchema(variants[0], reply, depth + 1);
  switch (type) {
    case 'string':
      return reply;
    case 'number':
    case 'integer':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      return Array.from({ length: Math.min(min, 16) }, () => objectFromSchema(s.items, reply, depth + 1));
    }
    case 'object':
    default: {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(props)) out[k] = objectFromSchema(v, reply, depth + 1);
      return out;
    }
  }
}
