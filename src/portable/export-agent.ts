import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { AnyRecordedEvent } from '../events/envelope.ts';
import type { EventStore } from '../events/store.ts';
import { encodeData } from '../events/codec.ts';
import { openCharacterSecrets, sealCharacterSecrets, stripSecrets } from '../characters/secrets.ts';
import type { Character } from '../characters/schema.ts';
import type { SecretBox } from '../shared/secrets.ts';
import { ExportWriter, FORMAT, FORMAT_VERSION, type ExportHeader, type SealKey } from './format.ts';
import { newPassphraseBox } from './passphrase.ts';
import { streams } from '../domain/streams.ts';

type LogReader = Pick<EventStore, 'readAll' | 'readStream'>;

export interface ExportOptions {
  /** Also the messages (and the rest of the room streams) of every room the agent joined. */
  withRooms?: boolean;
  key: SealKey;
  /** Secrets go along, re-sealed under this passphrase; without it they are left out. */
  passphrase?: string;
  /** Opens the source's sealed secrets (its DATA_KEY); needed only with a passphrase. */
  sourceSecrets?: SecretBox;
}

/** Every event of these types in the log, in seq order (paged). */
async function eventsOfTypes(store: LogReader, types: string[]): Promise<AnyRecordedEvent[]> {
  const out: AnyRecordedEvent[] = [];
  for (let after = 0; ; ) {
    const page = await store.readAll({ afterSeq: after, limit: 1000, types });
    if (page.length === 0) return out;
    out.push(...page);
    after = page[page.length - 1].seq;
  }
}

/** The agent's id from its id or its current name (a renamed agent is found by its latest name). */
export async function findAgent(store: LogReader, idOrName: string): Promise<{ agentId: string; name: string }> {
  const names = new Map<string, string>();
  const deleted = new Set<string>();
  for (const e of await eventsOfTypes(store, ['agent.created', 'agent.updated', 'agent.deleted'])) {
    if (e.type === 'agent.deleted') deleted.add(e.data.agentId);
    else if (e.type === 'agent.created' || e.type === 'agent.updated') names.set(e.data.agentId, e.data.name);
  }
  const live = [...names].filter(([id]) => !deleted.has(id));
  const hit = live.find(([id]) => id === idOrName) ?? live.find(([, name]) => name === idOrName);
  if (!hit) throw new Error(`no agent with the id or name "${idOrName}"`);
  return { agentId: hit[0], name: hit[1] };
}

/**
 * The streams that make up an agent: its own (character, facts, plugin memories, grants), its
 * knowledge documents (chunks with their vectors), and with `withRooms` its rooms.
 */
async function agentStreams(store: LogReader, agentId: string, withRooms: boolean): Promise<string[]> {
  const names = [streams.agent(agentId)];
  for (const e of await eventsOfTypes(store, ['knowledge.document_added']))
    if (e.type === 'knowledge.document_added' && e.data.agentId === agentId) names.push(e.stream);
  if (withRooms) {
    const rooms = new Set<string>();
    for (const e of await eventsOfTypes(store, ['room.participant_joined']))
      if (e.type === 'room.participant_joined' && e.data.participantId === agentId) rooms.add(e.stream);
    names.push(...rooms);
  }
  return [...new Set(names)];
}

/**
 * Writes the agent's export (format.ts) to `out`: the events of its streams in log order, upcast and
 * encoded by the log's own codec (vectors travel as they are: nothing is embedded again on import).
 * Character secrets are left out, or re-sealed under the passphrase. Returns the number of events.
 */
export async function exportAgent(store: LogReader, idOrName: string, out: Writable, options: ExportOptions): Promise<number> {
  const { agentId, name } = await findAgent(store, idOrName);
  const withRooms = options.withRooms === true;
  let secretsFor: (c: Character) => Character = stripSecrets;
  let passphrase: ExportHeader['passphrase'];
  if (options.passphrase !== undefined) {
    if (!options.sourceSecrets) throw new Error('exporting secrets needs the source data key');
    const source = options.sourceSecrets;
    const sealed = newPassphraseBox(options.passphrase);
    passphrase = sealed.header;
    secretsFor = (c) => sealCharacterSecrets(openCharacterSecrets(c, source), sealed.box);
  }
  const events: AnyRecordedEvent[] = [];
  for (const stream of await agentStreams(store, agentId, withRooms)) events.push(...(await store.readStream(stream)));
  events.sort((a, b) => a.seq - b.seq);

  const writer = new ExportWriter(options.key);
  const header: ExportHeader = {
    kind: 'header',
    format: FORMAT,
    version: FORMAT_VERSION,
    agentId,
    name,
    exportedAt: new Date().toISOString(),
    withRooms,
    secrets: passphrase ? 'passphrase' : 'none',
    ...(passphrase ? { passphrase } : {}),
  };
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(writer.line(header));
  for (const e of events) {
    const data = e.type === 'agent.created' || e.type === 'agent.updated' ? { ...e.data, character: secretsFor(e.data.character) } : e.data;
    await write(writer.line({ kind: 'event', id: e.id, stream: e.stream, type: e.type, data: encodeData(data), meta: JSON.stringify(e.meta) }));
  }
  await write(writer.end());
  return events.length;
}
