import { createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify } from 'node:crypto';
import { sha256Hex } from '../shared/ids.ts';

/**
 * The agent export file (docs/API.md, "Portable agents"): NDJSON, one object per line, each line
 * carrying `chain`, the SHA-256 of the previous line's chain and this line's text without `chain`:
 *
 *   {"n":0,"kind":"header","format":"chronicle.agent-export","version":1,…,"chain":"…"}
 *   {"n":1,"kind":"event","id":"…","stream":"agent-…","type":"agent.created","data":"{…}","meta":"{…}","chain":"…"}
 *   …
 *   {"n":N,"kind":"end","lines":N,"auth":"hmac-sha256","mac":"…","chain":"…"}
 *
 * The end line authenticates the chain of the line before it (so every byte above) with an HMAC-SHA256
 * under a key the operator chooses, or an Ed25519 signature. A line must be exactly its canonical
 * re-serialisation, so even a byte that leaves the JSON meaning intact (a space) is refused.
 */

export const FORMAT = 'chronicle.agent-export';
export const FORMAT_VERSION = 1;
export const GENESIS = '0'.repeat(64);

export interface ExportHeader {
  kind: 'header';
  format: typeof FORMAT;
  version: number;
  agentId: string;
  name: string;
  exportedAt: string;
  withRooms: boolean;
  /** 'none': secrets were left out; 'passphrase': sealed under scrypt(passphrase, salt) (see passphrase.ts). */
  secrets: 'none' | 'passphrase';
  /** base64 salt and a sealed check value, when secrets is 'passphrase'. */
  passphrase?: { salt: string; check: string };
}

/** One event as exported: `data` and `meta` are the codec's encoded JSON (vectors as base64), upcast to today's schema. */
export interface ExportedEvent {
  kind: 'event';
  id: string;
  stream: string;
  type: string;
  data: string;
  meta: string;
}

/** How the file is authenticated: a shared HMAC key, or an Ed25519 key pair (PEM). */
export type SealKey = { hmacKey: string | Buffer } | { privateKeyPem: string };
export type TrustKey = { hmacKey: string | Buffer } | { publicKeyPem: string };

export class ExportRefusedError extends Error {
  override readonly name = 'ExportRefusedError';
  constructor(
    message: string,
    readonly line?: number,
    /** The file is sound but its ids or name are taken here (a 409, not a 400). */
    readonly conflict = false,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
  }
}

const chainOf = (prev: string, text: string) => sha256Hex(`${prev}\n${text}`);
/** The line's text with its chain: `chain` last, so the hashed text is the line up to it. */
const withChain = (text: string, chain: string) => `${text.slice(0, -1)},"chain":"${chain}"}`;

/** Writes lines with their chain and, at `end`, the authenticated trailer. */
export class ExportWriter {
  private n = 0;
  private chain = GENESIS;
  constructor(private readonly key: SealKey) {}

  line(body: ExportHeader | ExportedEvent): string {
    const text = JSON.stringify({ n: this.n++, ...body });
    this.chain = chainOf(this.chain, text);
    return withChain(text, this.chain) + '\n';
  }

  end(): string {
    const auth =
      'hmacKey' in this.key
        ? { auth: 'hmac-sha256', mac: hmac(this.key.hmacKey, this.chain) }
        : { auth: 'ed25519', signature: sign(null, Buffer.from(this.chain), createPrivateKey(this.key.privateKeyPem)).toString('base64') };
    const text = JSON.stringify({ n: this.n, kind: 'end', lines: this.n, ...auth });
    return withChain(text, chainOf(this.chain, text)) + '\n';
  }
}

const hmac = (key: string | Buffer, chain: string) => createHmac('sha256', key).update(chain).digest('hex');

export interface VerifiedExport {
  header: ExportHeader;
  events: ExportedEvent[];
  /** The chain at the end line: names this exact file (used to derive remapped ids). */
  chain: string;
}

/**
 * Checks the whole file before anything is written: canonical lines, the chain, line numbers, the
 * trailer (a truncated file has none) and its HMAC or signature under the key the importer trusts.
 */
export function verifyExport(text: string, trust: TrustKey): VerifiedExport {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let chain = GENESIS;
  let header: ExportHeader | undefined;
  const events: ExportedEvent[] = [];
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw new ExportRefusedError('not JSON (the file is damaged)', line);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof value.chain !== 'string')
      throw new ExportRefusedError('not an export line', line);
    const { chain: claimed, ...body } = value;
    const bodyText = JSON.stringify(body);
    if (withChain(bodyText, claimed as string) !== raw) throw new ExportRefusedError('not in canonical form (the file was edited)', line);
    if (body.n !== i) throw new ExportRefusedError(`line number ${String(body.n)} where ${i} was expected (lines missing or reordered)`, line);
    const expected = chainOf(chain, bodyText);
    if (claimed !== expected) throw new ExportRefusedError('hash chain broken (the file was edited)', line);
    if (i === 0) {
      if (body.kind !== 'header' || body.format !== FORMAT) throw new ExportRefusedError(`not a Chronicle agent export (format ${FORMAT} expected)`, line);
      if (body.version !== FORMAT_VERSION)
        throw new ExportRefusedError(`export format version ${String(body.version)} is not supported (${FORMAT_VERSION} is)`, line);
      header = body as unknown as ExportHeader;
    } else if (body.kind === 'event') {
      for (const k of ['id', 'stream', 'type', 'data', 'meta'] as const)
        if (typeof body[k] !== 'string' || body[k] === '') throw new ExportRefusedError(`${k} must be a non-empty string`, line);
      events.push(body as unknown as ExportedEvent);
    } else if (body.kind === 'end') {
      if (line !== lines.length) throw new ExportRefusedError('lines after the end line', line);
      if (body.lines !== i) throw new ExportRefusedError('end line counts another number of lines', line);
      checkAuth(body, chain, trust, line);
      return { header: header!, events, chain: expected };
    } else throw new ExportRefusedError(`unknown line kind ${JSON.stringify(body.kind)}`, line);
    chain = expected;
  }
  throw new ExportRefusedError(`the file ends without its end line after ${lines.length} lines (truncated)`);
}

function checkAuth(end: Record<string, unknown>, chain: string, trust: TrustKey, line: number): void {
  if ('hmacKey' in trust) {
    if (end.auth !== 'hmac-sha256' || typeof end.mac !== 'string')
      throw new ExportRefusedError(`the file is authenticated with ${String(end.auth)}, not an HMAC key`, line);
    const want = Buffer.from(hmac(trust.hmacKey, chain), 'hex');
    const got = Buffer.from(end.mac, 'hex');
    if (got.length !== want.length || !timingSafeEqual(got, want))
      throw new ExportRefusedError('the HMAC does not match: wrong key, or the file was altered', line);
    return;
  }
  if (end.auth !== 'ed25519' || typeof end.signature !== 'string')
    throw new ExportRefusedError(`the file is authenticated with ${String(end.auth)}, not an Ed25519 signature`, line);
  let ok = false;
  try {
    ok = verify(null, Buffer.from(chain), createPublicKey(trust.publicKeyPem), Buffer.from(end.signature, 'base64'));
  } catch (err) {
    throw new ExportRefusedError(`cannot check the signature: ${(err as Error).message}`, line);
  }
  if (!ok) throw new ExportRefusedError('the signature does not match: wrong public key, or the file was altered', line);
}
