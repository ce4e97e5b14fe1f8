/**
 * The exact, self-contained row codec of log format 2: a JSON text becomes fewer bytes, and decodes
 * back to the same text byte for byte, so the hash chain (computed over the text) and export (which
 * writes the text) do not know it exists.
 *
 * JSON text never holds the bytes 0x00–0x08, 0x0B, 0x0C or 0x0E–0x1F (control characters inside
 * strings must be escaped, and outside strings only whitespace may appear), so those bytes are free to
 * mean something else:
 *
 *   KEY   varint   `"<token>":`   a short identifier-like object key (`"agentId":`)
 *   VALUE varint   `"<token>"`    a short identifier-like string value seen before (`"agent"`)
 *   UUID  16 bytes `"<uuid>"`     a lowercase, dashed UUID
 *   HEX   32 bytes `"<64 hex>"`   a lowercase SHA-256 in hex
 *   B64   varint n, n bytes       `"<base64>"` a canonical base64 string (vectors)
 *
 * Everything else is copied as UTF-8. A text the scheme cannot hold exactly (one that holds those bytes
 * anyway, or lone surrogates) is stored whole, tagged raw. Tokens are numbered by a table in the log
 * file (row-tokens.ts), so a row decodes with nothing but the file it is in.
 *
 * Measured in bench/row-codec.ts (results in bench/RESULTS-event-log.md).
 */

/** Where token numbers come from; row-tokens.ts keeps them in the log file. */
export interface TokenTable {
  /** The token for a key or value text, or -1 when the text is not (and, for values, should not yet be) a token. */
  tokenFor(text: string, asKey: boolean): number;
  /** The UTF-8 bytes of `"<text>"` for a token, or undefined when the number is unknown. */
  quoted(token: number): Uint8Array | undefined;
}

const FORMAT_TOKENIZED = 1;
const FORMAT_RAW_UTF8 = 2;
const FORMAT_RAW_UTF16 = 3;

const KEY = 1;
const VALUE = 2;
const UUID = 3;
const HEX = 4;
const B64 = 5;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const DASH = 0x2d;

/** Bytes that valid JSON text cannot hold (and so would collide with the markers). */
const CONTROL_BYTES = /[\x00-\x08\x0b\x0c\x0e-\x1f]/;
const MAX_TOKEN_LENGTH = 48;
const MIN_B64_LENGTH = 64;

/** nibble value of a lowercase hex character code, or -1 */
const NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) NIBBLE[0x30 + c] = c;
for (let c = 0; c < 6; c++) NIBBLE[0x61 + c] = 10 + c;
const HEX_CHARS = Buffer.from('0123456789abcdef', 'latin1');

/** identifier-like: the characters of keys, type names, enum values and model names */
const TOKEN_CHAR = new Uint8Array(128);
for (const c of Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.-@/', 'latin1')) TOKEN_CHAR[c] = 1;

const B64_CHAR = new Uint8Array(128);
for (const c of Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1')) B64_CHAR[c] = 1;

/** Node 20 has String.prototype.isWellFormed (ES2024); the es2023 lib this project compiles against does not name it. */
type WellFormedCheck = string & { isWellFormed(): boolean };

let src = Buffer.allocUnsafe(16 * 1024);
/** How much of `src` holds the text being encoded (past it are an earlier text's bytes). */
let srcLength = 0;
let out = Buffer.allocUnsafe(16 * 1024);

/** The column value for a JSON text (a fresh Buffer: the statement binding it may outlive the next call). */
export function encodeText(text: string, tokens: TokenTable): Buffer {
  if (!(text as WellFormedCheck).isWellFormed()) return tagged(FORMAT_RAW_UTF16, Buffer.from(text, 'utf16le'));
  if (CONTROL_BYTES.test(text)) return tagged(FORMAT_RAW_UTF8, Buffer.from(text, 'utf8'));
  const capacity = text.length * 3 + 16;
  if (src.length < capacity) src = Buffer.allocUnsafe(capacity * 2);
  if (out.length < capacity) out = Buffer.allocUnsafe(capacity * 2);
  const n = src.write(text, 0, 'utf8');
  srcLength = n;
  let o = 0;
  out[o++] = FORMAT_TOKENIZED;
  let i = 0;
  while (i < n) {
    const c = src[i];
    if (c !== QUOTE) {
      out[o++] = c;
      i++;
      continue;
    }
    // A string: find its closing quote, noting whether it has escapes (then it is copied as it is).
    let j = i + 1;
    let plain = true;
    while (j < n) {
      const d = src[j];
      if (d === QUOTE) break;
      if (d === BACKSLASH) {
        plain = false;
        j += 2;
      } else j++;
    }
    if (j >= n) {
      // Not JSON after all (an unterminated string): the rest as it is.
      src.copy(out, o, i, n);
      o += n - i;
      break;
    }
    const start = i + 1;
    const length = j - start;
    if (plain) {
      const written = encodeString(start, j, length, o, tokens);
      if (written > 0) {
        o = written;
        // A key token stands for the colon too.
        i = tokenWasKey ? j + 2 : j + 1;
        continue;
      }
    }
    src.copy(out, o, i, j + 1);
    o += j + 1 - i;
    i = j + 1;
  }
  return Buffer.from(out.subarray(0, o));
}

/** Whether the last token encodeString() wrote was a key (which stands for the colon after it too). */
let tokenWasKey = false;

/**
 * Writes the token for src[start, end) at out[o] and returns the new end, or 0 when the string is
 * copied as it is.
 */
function encodeString(start: number, end: number, length: number, o: number, tokens: TokenTable): number {
  tokenWasKey = false;
  if (length === 36 && isUuid(start)) {
    out[o++] = UUID;
    for (let k = start; k < end; k += 2) {
      if (src[k] === DASH) k++;
      out[o++] = (NIBBLE[src[k]] << 4) | NIBBLE[src[k + 1]];
    }
    return o;
  }
  if (length <= MAX_TOKEN_LENGTH && length > 0 && isTokenLike(start, end)) {
    const asKey = end + 1 < srcLength && src[end + 1] === COLON;
    const token = tokens.tokenFor(src.toString('latin1', start, end), asKey);
    if (token >= 0) {
      out[o++] = asKey ? KEY : VALUE;
      tokenWasKey = asKey;
      return writeVarint(token, o);
    }
    return 0;
  }
  if (length === 64 && isHex(start, end)) {
    out[o++] = HEX;
    for (let k = start; k < end; k += 2) out[o++] = (NIBBLE[src[k]] << 4) | NIBBLE[src[k + 1]];
    return o;
  }
  if (length >= MIN_B64_LENGTH && length % 4 === 0 && isBase64(start, end)) {
    const text = src.toString('latin1', start, end);
    const bytes = Buffer.from(text, 'base64');
    if (bytes.toString('base64') !== text) return 0; // not canonical: it would not come back the same
    out[o++] = B64;
    o = writeVarint(bytes.length, o);
    bytes.copy(out, o);
    return o + bytes.length;
  }
  return 0;
}

function isUuid(start: number): boolean {
  for (let k = 0; k < 36; k++) {
    const c = src[start + k];
    if (k === 8 || k === 13 || k === 18 || k === 23) {
      if (c !== DASH) return false;
    } else if (c >= 128 || NIBBLE[c] < 0) return false;
  }
  return true;
}

function isHex(start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (src[k] >= 128 || NIBBLE[src[k]] < 0) return false;
  return true;
}

function isTokenLike(start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (src[k] >= 128 || TOKEN_CHAR[src[k]] === 0) return false;
  return true;
}

function isBase64(start: number, end: number): boolean {
  let k = start;
  const body = src[end - 1] === 0x3d ? (src[end - 2] === 0x3d ? end - 2 : end - 1) : end;
  for (; k < body; k++) if (src[k] >= 128 || B64_CHAR[src[k]] === 0) return false;
  return true;
}

function writeVarint(value: number, o: number): number {
  while (value >= 0x80) {
    out[o++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[o++] = value;
  return o;
}

function tagged(format: number, body: Buffer): Buffer {
  const value = Buffer.allocUnsafe(body.length + 1);
  value[0] = format;
  body.copy(value, 1);
  return value;
}

/** Thrown when a row cannot be decoded: a token the table does not hold, or bytes cut short. */
export class UndecodableRowError extends Error {}

let text = Buffer.allocUnsafe(16 * 1024);

/** The JSON text a column value (or the part of it from `start` to `end`) encodes. */
export function decodeText(value: Uint8Array, tokens: TokenTable, start = 0, end = value.length): string {
  const format = value[start];
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (format === FORMAT_RAW_UTF8) return bytes.toString('utf8', start + 1, end);
  if (format === FORMAT_RAW_UTF16) return bytes.toString('utf16le', start + 1, end);
  if (format !== FORMAT_TOKENIZED) throw new UndecodableRowError(`unknown row format ${format}`);
  const n = end;
  let o = 0;
  let i = start + 1;
  while (i < n) {
    if (o + 128 > text.length) grow(o + 128);
    const c = bytes[i];
    if (c > B64) {
      text[o++] = c;
      i++;
      continue;
    }
    i++;
    switch (c) {
      case KEY:
      case VALUE: {
        const token = readVarint(bytes, i, n, 'a token number');
        i = varintEnd;
        const quoted = tokens.quoted(token);
        if (!quoted) throw new UndecodableRowError(`token ${token} is not in the log's token table`);
        if (o + quoted.length + 1 > text.length) grow(o + quoted.length + 1);
        text.set(quoted, o);
        o += quoted.length;
        if (c === KEY) text[o++] = COLON;
        break;
      }
      case UUID:
      case HEX: {
        // A UUID: 16 bytes, dashed as 8-4-4-4-12; a SHA-256: 32 bytes.
        const count = c === UUID ? 16 : 32;
        if (i + count > n) throw new UndecodableRowError(`${c === UUID ? 'a UUID' : 'a hash'} is cut short`);
        text[o++] = QUOTE;
        for (let k = 0; k < count; k++) {
          if (c === UUID && (k === 4 || k === 6 || k === 8 || k === 10)) text[o++] = DASH;
          const b = bytes[i++];
          text[o++] = HEX_CHARS[b >> 4];
          text[o++] = HEX_CHARS[b & 15];
        }
        text[o++] = QUOTE;
        break;
      }
      case B64: {
        const length = readVarint(bytes, i, n, 'a length');
        i = varintEnd;
        if (i + length > n) throw new UndecodableRowError('base64 bytes are cut short');
        const base64 = bytes.toString('base64', i, i + length);
        i += length;
        if (o + base64.length + 2 > text.length) grow(o + base64.length + 2);
        text[o++] = QUOTE;
        o += text.write(base64, o, 'latin1');
        text[o++] = QUOTE;
        break;
      }
      default:
        throw new UndecodableRowError(`byte ${c} at ${i - 1} is not a marker`);
    }
  }
  return text.toString('utf8', 0, o);
}

/** Where the varint readVarint() last read ended (a second return value without an allocation). */
let varintEnd = 0;

function readVarint(bytes: Buffer, i: number, n: number, what: string): number {
  let value = 0;
  let shift = 0;
  let b: number;
  do {
    if (i >= n) throw new UndecodableRowError(`${what} is cut short`);
    b = bytes[i++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  varintEnd = i;
  return value;
}

function grow(needed: number): void {
  const bigger = Buffer.allocUnsafe(Math.max(needed, text.length * 2));
  text.copy(bigger);
  text = bigger;
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HASH_TEXT = /^[0-9a-f]{64}$/;

/** A lowercase UUID id as its 16 bytes; any other id as its text (so every id comes back exactly). */
export function encodeId(id: string): string | Buffer {
  return UUID_TEXT.test(id) ? Buffer.from(id.replaceAll('-', ''), 'hex') : id;
}

/**
 * An id as stored (16 bytes, or text) or as format 2's reads select it (statements.ts: a UUID's 32
 * hex digits, any other id behind a '~').
 */
export function decodeId(value: string | Uint8Array): string {
  if (typeof value !== 'string') return dashed(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex'));
  return value.charCodeAt(0) === 0x7e ? value.slice(1) : dashed(value);
}

function dashed(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A lowercase SHA-256 hex digest as its 32 bytes; anything else as its text. */
export function encodeHash(hash: string): string | Buffer {
  return HASH_TEXT.test(hash) ? Buffer.from(hash, 'hex') : hash;
}

export function decodeHash(value: string | Uint8Array): string {
  return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
}
