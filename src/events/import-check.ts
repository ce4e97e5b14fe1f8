import { idProblem, streamProblem, unknownType } from './append-rules.ts';
import { decodeData } from './codec.ts';
import { ImportRefusedError, type ImportRefusalReason } from './errors.ts';
import type { SchemaRegistry } from './schema-registry.ts';
import { ChainVerifier, type StoredRow } from './verify.ts';

/**
 * What a raw import (`importRaw`: `chronicle events import`, the move between SQLite and PostgreSQL)
 * checks of each row before its store writes it: one home, so both stores accept and refuse exactly
 * the same files. Rows come in seq order; the first problem throws ImportRefusedError naming the seq
 * (and, for the last two, the type and the field), and the store rolls its one transaction back, so
 * nothing is written.
 *
 *   broken_chain      the row does not continue the hash chain (edited, missing or reordered rows);
 *   duplicate_id      an id already imported (possible only when the chain was recomputed around it);
 *   invalid_envelope  what an append refuses before the payload (append-rules.ts): a stream name or id
 *                     an append would refuse, an event type the registry does not know (refused, as an
 *                     append refuses it: the catalogue is closed), or meta that is not a JSON object
 *                     whose schemaVersion (absent reads as 1, as reads take it) is 1..the type's version;
 *   invalid_payload   the payload as a read would hand it out — decoded (codec.ts), upcast from its
 *                     schemaVersion (SchemaRegistry.upcast) — fails the type's schema, with the parse an
 *                     untrusted append gets; or it does not decode, or cannot be upcast.
 *
 * A hash chain proves only that nobody edited the rows since they were chained, and anyone can chain
 * rows: so the payloads are checked too, or a hand-made file could put into the log what no append
 * would accept, and the projections and actors would meet it at replay. Imports are never trusted:
 * there is no option to skip the check. The registry is the one the store was opened with (the
 * domain's catalogue, handed in: src/events imports no event type).
 */
export class ImportRowChecker {
  private readonly chain = new ChainVerifier();
  private readonly ids = new Set<string>();

  constructor(private readonly registry: SchemaRegistry) {}

  /** Rows accepted so far. */
  get checked(): number {
    return this.ids.size;
  }

  /** Throws ImportRefusedError unless the row may be written. */
  check(row: StoredRow): void {
    const problem = this.chain.check(row);
    if (problem) throw new ImportRefusedError('broken_chain', `seq ${row.seq}: ${problem.kind}: ${problem.detail}`, undefined, row.seq);
    if (this.ids.has(row.id)) throw new ImportRefusedError('duplicate_id', `seq ${row.seq}: duplicate event id ${row.id}`, undefined, row.seq);
    checkStoredEvent(this.registry, row);
    this.ids.add(row.id);
  }
}

/**
 * The event check alone (invalid_envelope, invalid_payload), for a log whose chain is verified
 * otherwise: `chronicle verify --payloads` runs it after the store's own chain walk.
 */
export function checkStoredEvent(registry: SchemaRegistry, row: StoredRow): void {
  const badStream = streamProblem(row.stream);
  if (badStream) throw refusal('invalid_envelope', row, 'stream', badStream);
  const badId = idProblem(row.id);
  if (badId) throw refusal('invalid_envelope', row, 'id', badId);
  if (!registry.has(row.type)) throw refusal('invalid_envelope', row, 'type', unknownType(row.type));

  let meta: unknown;
  try {
    meta = JSON.parse(row.meta);
  } catch (err) {
    throw refusal('invalid_envelope', row, 'meta', `meta is not JSON (${(err as Error).message})`);
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw refusal('invalid_envelope', row, 'meta', 'meta must be a JSON object');
  const schemaVersion = (meta as { schemaVersion?: unknown }).schemaVersion ?? 1;
  const current = registry.versionOf(row.type);
  if (!Number.isSafeInteger(schemaVersion) || (schemaVersion as number) < 1 || (schemaVersion as number) > current) {
    throw refusal(
      'invalid_envelope',
      row,
      'meta.schemaVersion',
      `meta.schemaVersion ${JSON.stringify(schemaVersion)} is not 1..${current}, the versions of ${row.type} this catalogue knows`,
    );
  }

  let data: unknown;
  try {
    data = decodeData(row.data);
  } catch (err) {
    throw refusal('invalid_payload', row, '(data)', `the payload does not decode (${(err as Error).message})`);
  }
  try {
    data = registry.upcast(row.type, schemaVersion as number, data);
  } catch (err) {
    throw refusal('invalid_payload', row, '(data)', `the payload cannot be upcast from schema version ${schemaVersion} (${(err as Error).message})`);
  }
  const issue = registry.firstIssue(row.type, data);
  if (issue) throw refusal('invalid_payload', row, issue.path, `${issue.path}: ${issue.message}`);
}

function refusal(reason: ImportRefusalReason, row: StoredRow, field: string, detail: string): ImportRefusedError {
  const kind = reason === 'invalid_payload' ? 'invalid payload' : 'invalid event';
  return new ImportRefusedError(reason, `seq ${row.seq}: ${kind} ${row.type} (id ${row.id}): ${detail}`, undefined, row.seq, { eventType: row.type, field });
}
