/**
 * JSON encoding of event payloads. Float32Array values (embeddings) become {"$f32": "<base64>"} so a
 * 512-dimension vector costs ~2.7 KB of text instead of ~10 KB of JSON numbers, and decodes with one
 * memcpy instead of 512 number parses. A QuantizedVector (what embedders append: int8 codes and a
 * scale) becomes {"$i8": "<base64 of scale + codes>"}, ~0.7 KB, and decodes to the same floats.
 *
 * So that every payload reads back as it was written, a payload's own object of a reserved shape (one
 * key, "$f32", "$i8" or "$esc" — a character's settings may hold anything) is written wrapped as {"$esc": …}.
 */
import { QuantizedVector } from './quantized-vector.ts';

const TAG = '$f32';
const INT8_TAG = '$i8';
const ESCAPE = '$esc';

export function encodeData(data: unknown): string {
  // Most payloads carry no vector: a quick walk is cheaper than a replacer called for every key.
  return JSON.stringify(needsWire(data) ? toWire(data) : data);
}

function isReservedShape(value: object): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === TAG || keys[0] === INT8_TAG || keys[0] === ESCAPE);
}

function needsWire(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (value instanceof Float32Array) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (needsWire(v)) return true;
    return false;
  }
  if (isReservedShape(value)) return true;
  for (const key in value) if (needsWire((value as Record<string, unknown>)[key])) return true;
  return false;
}

/** A copy with vectors tagged and reserved-shape objects escaped (JSON.stringify's own rules otherwise). */
function toWire(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof QuantizedVector) return { [INT8_TAG]: value.toBytes().toString('base64') };
  if (value instanceof Float32Array) return { [TAG]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value; // Dates and the like: as JSON.stringify does
  if (Array.isArray(value)) return value.map((v) => (v === undefined || typeof v === 'function' ? null : toWire(v)));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    Object.defineProperty(out, k, { value: toWire(v), enumerable: true, writable: true, configurable: true });
  }
  return isReservedShape(value) ? { [ESCAPE]: out } : out;
}

export function decodeData(json: string): unknown {
  const data: unknown = JSON.parse(json);
  // A reviver is called for every key of every payload; walking the parsed value once is ~2× cheaper.
  return json.includes(TAG) || json.includes(INT8_TAG) || json.includes(ESCAPE) ? revive(data) : data;
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
  if (isReservedShape(record)) {
    const escaped = record[ESCAPE];
    // The payload's own object: its children are revived, itself is not read as a reserved shape.
    if (escaped !== null && typeof escaped === 'object' && !Array.isArray(escaped)) return reviveChildren(escaped as Record<string, unknown>);
    const tagged = record[TAG];
    if (typeof tagged === 'string') {
      const bytes = Buffer.from(tagged, 'base64');
      // Copy into a fresh, aligned buffer: Buffer.from may hand back a slice of a shared pool.
      const out = new Float32Array(bytes.byteLength / 4);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    const quantized = record[INT8_TAG];
    if (typeof quantized === 'string') return QuantizedVector.fromBytes(Buffer.from(quantized, 'base64'));
  }
  return reviveChildren(record);
}

function reviveChildren(record: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(record)) {
    const v = revive(record[key]);
    // Assigning is safe for "__proto__" too: JSON.parse made it an own data property, which shadows the setter.
    if (v !== record[key]) record[key] = v;
  }
  return record;
}
