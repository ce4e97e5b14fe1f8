/**
 * JSON encoding of event payloads. Float32Array values (embeddings) become {"$f32": "<base64>"} so a
 * 512-dimension vector costs ~2.7 KB of text instead of ~10 KB of JSON numbers, and decodes with one
 * memcpy instead of 512 number parses.
 */
const TAG = '$f32';

export function encodeData(data: unknown): string {
  // Most payloads carry no vector: a quick walk is cheaper than a replacer called for every key.
  if (!containsFloat32(data)) return JSON.stringify(data);
  return JSON.stringify(data, (_key, value) => {
    if (value instanceof Float32Array) {
      return { [TAG]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
    }
    return value;
  });
}

function containsFloat32(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (value instanceof Float32Array) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (containsFloat32(v)) return true;
    return false;
  }
  for (const key in value) if (containsFloat32((value as Record<string, unknown>)[key])) return true;
  return false;
}

export function decodeData(json: string): unknown {
  const data: unknown = JSON.parse(json);
  // A reviver is called for every key of every payload; walking the parsed value once is ~2× cheaper.
  return json.includes(TAG) ? revive(data) : data;
}

function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = revive(value[i]);
      if (v !== value[i]) value[i] = v;
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  const tagged = record[TAG];
  if (typeof tagged === 'string' && Object.keys(record).length === 1) {
    const bytes = Buffer.from(tagged, 'base64');
    // Copy into a fresh, aligned buffer: Buffer.from may hand back a slice of a shared pool.
    const out = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  for (const key of Object.keys(record)) {
    const v = revive(record[key]);
    // Assigning is safe for "__proto__" too: JSON.parse made it an own data property, which shadows the setter.
    if (v !== record[key]) record[key] = v;
  }
  return record;
}
