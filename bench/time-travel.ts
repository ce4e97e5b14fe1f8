/**
 * What an as-of read costs (issue 18 item 1): src/time-travel/as-of.ts folds the scope's streams up to
 * the position into a scratch in-memory read DB, with the projections' own code.
 *
 * The log: EXCHANGES user→agent exchanges, each as the turn writes it to the room's stream (the
 * question, its 384-d message.embedded, reply.decided, the reply, its message.embedded, reply.traced:
 * 6 events), one room holding BIG_SHARE of them and the rest spread over ROOMS-1 rooms; an agent with
 * DOCS documents of CHUNKS chunks (384-d) and FACTS facts.
 *
 *   npx tsx bench/time-travel.ts                 # 40,000 exchanges ≈ 240k events
 *   EXCHANGES=10000 npx tsx bench/time-travel.ts
 */
import type { SqliteEventStore } from '../src/events/sqlite/sqlite-event-store.ts';
import type { NewEvent } from '../src/events/envelope.ts';
import { sha256Hex } from '../src/shared/ids.ts';
import { AsOfReads, type AsOfScope } from '../src/time-travel/as-of.ts';
import { benchDir } from './log-setup.ts';

const EXCHANGES = Number(process.env.EXCHANGES ?? 40_000);
const ROOMS = 50;
const BIG_SHARE = 0.5;
const DOCS = 20,
  CHUNKS = 50,
  FACTS = 2_000;
const DIMS = 384;

const vec = (seed: number) => Float32Array.from({ length: DIMS }, (_, i) => Math.sin(seed * 1.3 + i));
const words = ['lava', 'penguin', 'sqlite', 'violin', 'river', 'cloud', 'garden', 'rocket'];
const text = (n: number) => `${words[n % 8]} ${words[(n >> 3) % 8]} message number ${n} with a few more words to be realistic`;

async function build(store: SqliteEventStore): Promise<void> {
  const agentId = 'agent-0';
  await store.append(`agent-${agentId}`, [{ id: 'ag', type: 'agent.created', data: { agentId, name: 'Bench', character: { name: 'Bench', bio: 'bench' } } }]);
  for (let r = 0; r < ROOMS; r++) {
    await store.append(`room-r${r}`, [
      { id: `rc${r}`, type: 'room.created', data: { roomId: `r${r}`, name: `Room ${r}`, createdBy: 'u0' } },
      { id: `rj${r}`, type: 'room.participant_joined', data: { roomId: `r${r}`, participantId: 'u0', kind: 'user', name: 'U' } },
      { id: `ra${r}`, type: 'room.participant_joined', data: { roomId: `r${r}`, participantId: agentId, kind: 'agent', name: 'Bench' } },
    ]);
  }
  for (let d = 0; d < DOCS; d++) {
    const documentId = `d${d}`;
    await store.append(`document-${documentId}`, [
      {
        id: `da${d}`,
        type: 'knowledge.document_added',
        data: { documentId, agentId, title: `Doc ${d}`, source: 'text', contentHash: sha256Hex(`d${d}`), chars: 1000, totalChunks: CHUNKS },
      },
      ...Array.from(
        { length: CHUNKS },
        (_, c): NewEvent => ({
          id: `dc${d}-${c}`,
          type: 'knowledge.chunk_embedded',
          data: { documentId, agentId, chunkId: `d${d}c${c}`, index: c, text: text(c), contentHash: sha256Hex(text(c)), model: 'x', vector: vec(c) },
        }),
      ),
      { id: `dr${d}`, type: 'knowledge.document_ready', data: { documentId, agentId, chunks: CHUNKS } },
    ]);
  }
  const batch: Map<string, NewEvent[]> = new Map();
  const flush = async () => {
    for (const [stream, events] of batch) await store.append(stream, events);
    batch.clear();
  };
  for (let i = 0; i < EXCHANGES; i++) {
    const roomId = i % 2 === 0 || Math.random() < BIG_SHARE - 0.5 ? 'r0' : `r${1 + (i % (ROOMS - 1))}`;
    const q = `q${i}`,
      a = `a${i}`;
    const events: NewEvent[] = [
      { id: q, type: 'message.posted', data: { messageId: q, roomId, authorId: 'u0', authorKind: 'user', text: text(i) } },
      { id: `${q}e`, type: 'message.embedded', data: { messageId: q, roomId, model: 'x', vector: vec(i) } },
      { id: `${q}d`, type: 'reply.decided', data: { agentId, roomId, messageId: q, respond: true, reason: 'direct' } },
      { id: a, type: 'message.posted', data: { messageId: a, roomId, authorId: agentId, authorKind: 'agent', text: text(i + 1), inReplyTo: q } },
      { id: `${a}e`, type: 'message.embedded', data: { messageId: a, roomId, model: 'x', vector: vec(i + 1) } },
      {
        id: `${a}t`,
        type: 'reply.traced',
        data: {
          agentId,
          roomId,
          messageId: q,
          replyId: a,
          provider: 'p',
          model: 'm',
          usage: { promptTokens: 10, completionTokens: 10 },
          latencyMs: 5,
          sources: { messageIds: [], knowledgeChunkIds: [], factIds: [] },
          providers: [],
          actions: [],
        },
      },
    ];
    if (i < FACTS)
      events.push({
        id: `f${i}`,
        type: 'agent.fact_recorded',
        data: { agentId, roomId, factId: `f${i}`, text: text(i), sourceMessageIds: [q], vector: vec(i) },
      } as NewEvent);
    const list = batch.get(`room-${roomId}`) ?? [];
    list.push(...events.filter((e) => e.type !== 'agent.fact_recorded'));
    batch.set(`room-${roomId}`, list);
    const facts = events.filter((e) => e.type === 'agent.fact_recorded');
    if (facts.length) batch.set(`agent-${agentId}`, [...(batch.get(`agent-${agentId}`) ?? []), ...facts]);
    if (i % 500 === 499) await flush();
  }
  await flush();
}

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

const dir = benchDir('chronicle-bench-tt');
const store = dir.sqliteLog('events.db');
try {
  const [, buildMs] = await time(() => build(store));
  const head = await store.head();
  const bigEvents = await store.streamVersion('room-r0');
  const smallEvents = await store.streamVersion('room-r1');
  console.log(
    `log: ${head} events (built in ${(buildMs / 1000).toFixed(1)} s); room r0: ${bigEvents} events, r1: ${smallEvents}; agent: ${FACTS} facts, ${DOCS}×${CHUNKS} chunks`,
  );
  const rows: string[] = [];
  /** The best of `runs` (a loaded 2-core box adds noise, never speed); `reads` makes a fresh AsOfReads per run, or is shared. */
  const measure = async (label: string, scope: AsOfScope, seq: number, events: number, reads: AsOfReads | (() => AsOfReads), runs = 3) => {
    let best = Infinity;
    let state!: Awaited<ReturnType<AsOfReads['at']>>;
    for (let i = 0; i < runs; i++) {
      const r = typeof reads === 'function' ? reads() : reads;
      const [s, t] = await time(() => r.at(scope, seq));
      state = s;
      best = Math.min(best, t);
    }
    const ms = best;
    const extra = scope.kind === 'room' ? ` (${state.readModel.listMessages(scope.roomId, { limit: 50 }).length} msgs shown)` : '';
    rows.push(`| ${label} | ${seq} | ${events} | ${ms.toFixed(1)} | ${events ? ((ms * 1000) / events).toFixed(1) : '-'} |${extra}`);
  };
  const fresh = () => new AsOfReads(store);
  const documentIdsOf = (agentId: string) => (agentId === 'agent-0' ? Array.from({ length: DOCS }, (_, d) => `d${d}`) : []);
  rows.push('| read | asOf | events folded | ms | µs/event |', '|---|---|---|---|---|');
  await measure('room r0 (big), fresh fold at head', { kind: 'room', roomId: 'r0' }, head, bigEvents, fresh);
  await measure('room r0 (big), fresh fold at half', { kind: 'room', roomId: 'r0' }, Math.floor(head / 2), Math.floor(bigEvents / 2), fresh);
  await measure('room r1 (small), fresh fold at head', { kind: 'room', roomId: 'r1' }, head, smallEvents, fresh);
  const warm = fresh();
  await warm.at({ kind: 'room', roomId: 'r0' }, head - 600);
  await measure('room r0, cached fold 600 positions earlier (slider step)', { kind: 'room', roomId: 'r0' }, head, 0, warm, 1);
  await measure('room r0, same position again (LRU hit)', { kind: 'room', roomId: 'r0' }, head, 0, warm, 1);
  // Backwards: the fold at head left checkpoints every 20,000 room events; a position behind it restores one.
  const slider = fresh();
  await slider.at({ kind: 'room', roomId: 'r0' }, head);
  await measure('room r0, slider back to half after a fold at head (checkpoint restored)', { kind: 'room', roomId: 'r0' }, Math.floor(head / 2), 0, slider, 1);
  await measure('room r0, slider back to a quarter (another checkpoint)', { kind: 'room', roomId: 'r0' }, Math.floor(head / 4), 0, slider, 1);
  await measure(
    'agent (facts + documents), fresh fold at head',
    { kind: 'agent', agentId: 'agent-0' },
    head,
    1 + FACTS + DOCS * (CHUNKS + 2),
    () => new AsOfReads(store, { documentIdsOf }),
  );
  await measure('actors, first read (the log scanned once for lifecycle events)', { kind: 'actors' }, head, 1 + ROOMS * 3, fresh);
  const actors = fresh();
  await actors.at({ kind: 'actors' }, head);
  await measure('actors at another position (lifecycle index in memory, fresh fold)', { kind: 'actors' }, Math.floor(head / 2), 0, actors, 1);
  console.log(rows.join('\n'));
} finally {
  await store.close();
  dir.remove();
}
