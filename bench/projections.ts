/**
 * Rebuild speed: writes a synthetic log (rooms, participants, messages, message vectors, knowledge
 * chunks with vectors, facts), then times `projections.rebuild()` from seq 0. One bounded run:
 *
 *   npx tsx bench/projections.ts        (BENCH_EVENTS=100000 BENCH_DIMS=512 BENCH_VECTOR_SHARE=0.3)
 */
import type { NewEvent } from '../src/events/envelope.ts';
import { openProjections, openReadDb, Projector } from '../src/projections/index.ts';
import type { AnyRecordedEvent } from '../src/events/envelope.ts';
import { sha256Hex } from '../src/shared/ids.ts';
import { benchDir } from './log-setup.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const DIMS = Number(process.env.BENCH_DIMS ?? 512);
/** Share of events that carry a vector (message.embedded / knowledge.chunk_embedded). */
const VECTOR_SHARE = Number(process.env.BENCH_VECTOR_SHARE ?? 0.3);
const ROOMS = 100;

const dir = benchDir('chronicle-bench-proj');
const vec = (i: number) => {
  const v = new Float32Array(DIMS);
  for (let d = 0; d < DIMS; d++) v[d] = Math.sin(i * 0.37 + d);
  return v;
};

try {
  const store = dir.sqliteLog('events.db');
  let n = 0;
  let messages = 0;
  let vectors = 0;
  const pending: { stream: string; e: NewEvent }[] = [];
  const flush = async () => {
    // One append per stream per flush (the store group-commits appends issued in the same tick).
    const by = new Map<string, NewEvent[]>();
    for (const p of pending) by.set(p.stream, [...(by.get(p.stream) ?? []), p.e]);
    pending.length = 0;
    await Promise.all([...by].map(([stream, events]) => store.append(stream, events)));
  };
  const add = (stream: string, type: string, data: unknown) => {
    pending.push({ stream, e: { id: `e${n}`, type, data } as NewEvent });
    n++;
  };
  const t0 = performance.now();
  for (let r = 0; r < ROOMS && n < EVENTS; r++) {
    add(`room-r${r}`, 'room.created', { roomId: `r${r}`, name: `Room ${r}`, createdBy: 'a0' });
    add(`room-r${r}`, 'room.participant_joined', { roomId: `r${r}`, participantId: `u${r}`, kind: 'user', name: `U${r}` });
  }
  add('document-d0', 'knowledge.document_added', {
    documentId: 'd0',
    agentId: 'g0',
    title: 'Big',
    source: 'text',
    contentHash: sha256Hex('x'),
    chars: 1,
    totalChunks: 0,
  });
  let chunk = 0;
  while (n < EVENTS) {
    const r = n % ROOMS;
    const roll = ((n * 2654435761) % 1000) / 1000;
    if (roll < VECTOR_SHARE / 2 && messages > 0) {
      const m = messages - 1;
      add(`room-r${m % ROOMS}`, 'message.embedded', { messageId: `m${m}`, roomId: `r${m % ROOMS}`, model: 'bench', vector: vec(m) });
      vectors++;
    } else if (roll < VECTOR_SHARE) {
      add('document-d0', 'knowledge.chunk_embedded', {
        documentId: 'd0',
        agentId: 'g0',
        chunkId: `c${chunk}`,
        index: chunk,
        text: `chunk ${chunk} about topic ${chunk % 17}`,
        contentHash: sha256Hex(`c${chunk}`),
        model: 'bench',
        vector: vec(chunk + 1e6),
      });
      chunk++;
      vectors++;
    } else {
      add(`room-r${r}`, 'message.posted', {
        messageId: `m${messages}`,
        roomId: `r${messages % ROOMS}`,
        authorId: `u${r}`,
        authorKind: 'user',
        text: `message ${messages} in room ${r} about topic ${messages % 31}`,
      });
      messages++;
    }
    if (pending.length >= 1000) await flush();
  }
  await flush();
  const writeS = (performance.now() - t0) / 1000;
  console.log(`log: ${await store.head()} events (${vectors} with a ${DIMS}-d vector) written in ${writeS.toFixed(1)} s`);

  const projections = openProjections({ path: dir.path('read.db'), store });
  const t1 = performance.now();
  await projections.rebuild();
  const rebuildS = (performance.now() - t1) / 1000;
  const head = await store.head();
  console.log(
    `rebuild: ${head} events in ${rebuildS.toFixed(2)} s = ${Math.round(head / rebuildS).toLocaleString('en')} events/s (${Math.round(vectors / rebuildS).toLocaleString('en')} vector rows/s)`,
  );

  // Where the time goes: reading + decoding the log alone.
  const t2 = performance.now();
  for (let after = 0; ; ) {
    const page = await store.readAll({ afterSeq: after, limit: 2000 });
    if (page.length === 0) break;
    after = page[page.length - 1].seq;
  }
  const readS = (performance.now() - t2) / 1000;
  console.log(`reading + decoding the log alone: ${readS.toFixed(2)} s = ${Math.round(head / readS).toLocaleString('en')} events/s`);

  // The projections' own share: the same events already in memory, applied to a fresh read DB.
  const all: AnyRecordedEvent[] = [];
  for (let after = 0; ; ) {
    const page = await store.readAll({ afterSeq: after, limit: 2000 });
    if (page.length === 0) break;
    all.push(...page);
    after = page[page.length - 1].seq;
  }
  const applyAlone = (file: string, relaxed: boolean): number => {
    const db = openReadDb(dir.path(file));
    // The ceiling of "rebuild into a throwaway file, then swap it in": no journal, no fsync.
    if (relaxed) db.pragma('journal_mode = OFF'), db.pragma('synchronous = OFF');
    const fresh = new Projector(db);
    const t = performance.now();
    for (let i = 0; i < all.length; i += 2000) fresh.applyBatch(all.slice(i, i + 2000));
    const s = (performance.now() - t) / 1000;
    fresh.db.close();
    return s;
  };
  // Interleaved so machine load hits both settings alike.
  const applyS = [applyAlone('apply-wal-1.db', false), applyAlone('apply-wal-2.db', false)];
  const relaxedS = [applyAlone('apply-off-1.db', true), applyAlone('apply-off-2.db', true)];
  const applyS2 = applyAlone('apply-wal-3.db', false);
  applyS.push(applyS2);
  relaxedS.push(applyAlone('apply-off-3.db', true));
  const fmt = (xs: number[]) => xs.map((x) => `${x.toFixed(2)} s = ${Math.round(head / x).toLocaleString('en')}/s`).join(', ');
  console.log(`applying alone (events already decoded in memory), WAL + synchronous=NORMAL: ${fmt(applyS)}`);
  console.log(`applying alone, journal_mode=OFF + synchronous=OFF: ${fmt(relaxedS)}`);

  const t3 = performance.now();
  const v = await projections.verifyRebuild();
  console.log(`verifyRebuild: ok=${v.ok} in ${((performance.now() - t3) / 1000).toFixed(2)} s`);
  await projections.close();
  await store.close();
} finally {
  dir.remove();
}
