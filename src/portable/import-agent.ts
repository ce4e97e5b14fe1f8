import type { EventMeta, NewEvent } from '../events/envelope.ts';
import type { EventStore } from '../events/store.ts';
import { decodeData } from '../events/codec.ts';
import { eventRegistry } from '../domain/event-registry.ts';
import { openCharacterSecrets, sealCharacterSecrets } from '../characters/secrets.ts';
import type { Character } from '../characters/schema.ts';
import type { SecretBox } from '../shared/secrets.ts';
import { derivedId } from '../shared/ids.ts';
import { ExportRefusedError, verifyExport, type ExportedEvent, type TrustKey } from './format.ts';
import { openPassphraseBox } from './passphrase.ts';
import { streams } from '../domain/streams.ts';

export interface ImportOptions {
  trust: TrustKey;
  /** The target's sealing box (its DATA_KEY): imported secrets are re-sealed with it. */
  targetSecrets: SecretBox;
  /** Opens the secrets of an export written with --passphrase; such an export is refused without it. */
  passphrase?: string;
  /** Give every id in the file (events, agent, documents, chunks, facts, rooms, messages) a new one. */
  remap?: boolean;
  /** Import the agent under another name (its name is taken on the target). */
  name?: string;
  /** Agents on the target by name, to refuse a second agent of the same name (the read model's agentByName). */
  agentByName?: (name: string) => { id: string; deleted?: boolean } | undefined;
}

export interface ImportReport {
  agentId: string;
  name: string;
  events: number;
  /** Events appended now; the others were already in the log (an earlier import of the same file). */
  appended: number;
}

/** The entity ids an export carries in its payloads: remapped with the event ids under `remap`. */
const ID_FIELDS = ['agentId', 'documentId', 'chunkId', 'factId', 'memoryId', 'roomId', 'messageId', 'replyId'];

interface Prepared {
  stream: string;
  event: NewEvent;
}

/**
 * Brings an agent export into this log: the whole file is verified and every event decoded and
 * validated against the catalogue first, so a tampered, truncated or unauthenticated file, a wrong
 * passphrase or an id taken by something else is refused with nothing written. Events keep their ids
 * (or all get derived new ones with `remap`), so importing the same file again appends nothing.
 */
export async function importAgent(store: EventStore, text: string, options: ImportOptions): Promise<ImportReport> {
  const file = verifyExport(text, options.trust);
  const { header } = file;
  let secrets: (c: Character) => Character = (c) => c;
  if (header.secrets === 'passphrase') {
    if (options.passphrase === undefined || !header.passphrase) throw new ExportRefusedError("this export carries the agent's secrets: give its passphrase");
    const box = openPassphraseBox(options.passphrase, header.passphrase);
    secrets = (c) => sealCharacterSecrets(openCharacterSecrets(c, box), options.targetSecrets);
  }

  const map = options.remap ? remapTable(file.events, file.chain) : new Map<string, string>();
  const mapped = (id: string) => map.get(id) ?? id;
  const agentId = mapped(header.agentId);
  const name = options.name ?? header.name;
  const prepared = file.events.map((e, i) => prepare(e, i + 2, mapped, secrets, options.name !== undefined ? { agentId, name: options.name } : undefined));

  // Collisions: an id of ours already used by a different event, or the name taken by another agent.
  let appendable = 0;
  let newAgent = false;
  for (const [i, p] of prepared.entries()) {
    const existing = await store.getById(p.event.id);
    if (!existing) {
      appendable += 1;
      if (p.event.type === 'agent.created') newAgent = true;
    } else if (existing.stream !== p.stream || existing.type !== p.event.type)
      throw new ExportRefusedError(
        `event id ${p.event.id} is already in this log as a ${existing.type} of ${existing.stream}: import with remap (--remap) to give the agent new ids`,
        i + 2,
        true,
      );
  }
  const sameName = options.agentByName?.(name);
  if (sameName && !sameName.deleted && sameName.id !== agentId)
    throw new ExportRefusedError(`an agent named "${name}" already exists here: import under another name (--name)`, undefined, true);

  const batches = newAgent ? holdStoppedForRooms(prepared, agentId, file.chain) : prepared;

  // Appends in the source's log order, one batch per run of events of one stream.
  for (let i = 0; i < batches.length; ) {
    let j = i;
    while (j < batches.length && batches[j].stream === batches[i].stream) j += 1;
    // Trusted: every payload was parsed against the catalogue in prepare(), the import's one validation.
    await store.append(
      batches[i].stream,
      batches.slice(i, j).map((p) => p.event),
      { trusted: true },
    );
    i = j;
  }
  return { agentId, name, events: prepared.length, appended: appendable };
}

/**
 * A live server's actors take every message.posted they see as new: an agent created by the import
 * would answer its rooms' past messages again. So the agent's own streams go first, then the agent
 * is stopped (a stopped agent is told nothing), its rooms' streams follow, and it is started again if
 * it ran at export. Each stream keeps its order; the two extra events have ids derived from the file,
 * so importing it again still appends nothing.
 */
function holdStoppedForRooms(prepared: Prepared[], agentId: string, chain: string): Prepared[] {
  const rooms = prepared.filter((p) => streams.isRoom(p.stream));
  if (rooms.length === 0) return prepared;
  const own = prepared.filter((p) => !streams.isRoom(p.stream));
  const stream = streams.agent(agentId);
  let running = true;
  for (const p of own)
    if (p.stream === stream && (p.event.type === 'agent.started' || p.event.type === 'agent.stopped')) running = p.event.type === 'agent.started';
  const meta = { author: { kind: 'system' as const, id: 'chronicle-import' } };
  const hold: Prepared = { stream, event: { id: derivedId('chronicle-import', chain, 'hold'), type: 'agent.stopped', data: { agentId }, meta } };
  const release: Prepared = { stream, event: { id: derivedId('chronicle-import', chain, 'release'), type: 'agent.started', data: { agentId }, meta } };
  return [...own, hold, ...rooms, ...(running ? [release] : [])];
}

function prepare(
  e: ExportedEvent,
  line: number,
  mapped: (id: string) => string,
  secrets: (c: Character) => Character,
  rename: { agentId: string; name: string } | undefined,
): Prepared {
  if (!eventRegistry.has(e.type)) throw new ExportRefusedError(`unknown event type ${e.type}`, line);
  let data: unknown;
  let meta: Partial<EventMeta>;
  try {
    data = remapValue(decodeData(e.data), mapped);
    meta = JSON.parse(e.meta) as Partial<EventMeta>;
  } catch {
    throw new ExportRefusedError('undecodable event', line);
  }
  if (e.type === 'agent.created' || e.type === 'agent.updated') {
    const d = data as { name: string; character: Character };
    d.character = secrets(rename ? { ...d.character, name: rename.name } : d.character);
    if (rename) d.name = rename.name;
  }
  // The rooms know their members by name too (agents address each other by it).
  if (rename && e.type === 'room.participant_joined' && (data as { participantId: string }).participantId === rename.agentId)
    (data as { name: string }).name = rename.name;
  let valid: unknown;
  try {
    valid = eventRegistry.validate(e.type, data);
  } catch (err) {
    throw new ExportRefusedError(`invalid ${e.type}: ${(err as Error).message}`, line);
  }
  const dash = e.stream.indexOf('-');
  const stream = dash > 0 ? `${e.stream.slice(0, dash)}-${mapped(e.stream.slice(dash + 1))}` : e.stream;
  const keptMeta: Partial<EventMeta> = {
    timestamp: meta.timestamp,
    author: meta.author,
    correlationId: meta.correlationId && mapped(meta.correlationId),
    causationId: meta.causationId && mapped(meta.causationId),
  };
  return { stream, event: { id: mapped(e.id), type: e.type, data: valid, meta: keptMeta } as NewEvent };
}

/** Every id of the file mapped to one derived from it and the file's chain: the same file remaps the same way twice. */
function remapTable(events: ExportedEvent[], chain: string): Map<string, string> {
  const ids = new Set<string>();
  const collect = (value: unknown, key?: string): void => {
    if (typeof value === 'string' && key && ID_FIELDS.includes(key)) ids.add(value);
    else if (value && typeof value === 'object' && !(value instanceof Float32Array))
      for (const [k, v] of Object.entries(value)) collect(v, Array.isArray(value) ? key : k);
  };
  for (const e of events) {
    ids.add(e.id);
    collect(decodeData(e.data));
  }
  return new Map([...ids].map((id) => [id, derivedId('chronicle-import', chain, id)]));
}

/** The value with every string that is a remapped id replaced (ids in lists too, e.g. sources.messageIds). */
function remapValue(value: unknown, mapped: (id: string) => string): unknown {
  if (typeof value === 'string') return mapped(value);
  if (Array.isArray(value)) return value.map((v) => remapValue(v, mapped));
  if (value && typeof value === 'object' && !(value instanceof Float32Array))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, remapValue(v, mapped)]));
  return value;
}
