/**
 * Actor-system benchmark: `node --expose-gc --import tsx bench/actors.ts [--agents 10000] [--messages 2000]`
 *
 * 1. Pipeline throughput with an instant model: user messages/s answered by one agent in one room
 *    (sequential mailbox), and by one agent across 16 rooms (rooms run concurrently). Each answer is
 *    the full turn: decision, providers, streamed model call, parse, REPLY, reflection, one atomic
 *    append of model.called + reply.decided + action.completed + message.posted + reply.traced.
 * 2. Memory per idle agent actor: RSS before and after the system restores N idle agents from the log.
 *
 * The log is SQLite in memory; the read model is the in-memory fake from test/actors/support.
 */
import { SqliteEventStore } from '../src/events/sqlite/sqlite-event-store.ts';
import type { NewEvent } from '../src/events/envelope.ts';
import { createActorSystem } from '../src/actors/index.ts';
import { newId } from '../src/shared/ids.ts';
import { FakeReadModel } from '../test/actors/support/fake-read-model.ts';
import { FakeModel, fakeModels } from '../test/actors/support/fake-models.ts';
import { box } from '../test/actors/support/harness.ts';
import { eventRegistry } from '../src/domain/event-registry.ts';
import { bootstrapPlugin } from '../plugins/bootstrap/index.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

async function throughput(rooms: number, messages: number): Promise<{ perSecond: number; ms: number; replies: number; perCpuSecond: number }> {
  const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
  const readModel = new FakeReadModel(store);
  readModel.start();
  const system = createActorSystem({
    store,
    readModel,
    waitFor: readModel.waitFor,
    models: fakeModels(new FakeModel('instant', () => 'ok, noted.')),
    bootstrap: bootstrapPlugin,
    secrets: box,
  });
  await system.start();
  const agentId = newId();
  await store.append(`agent-${agentId}`, [
    { id: newId(), type: 'agent.created', data: { agentId, name: 'Bench', character: { name: 'Bench', bio: ['benchmark agent'] } } },
    { id: newId(), type: 'agent.started', data: { agentId } },
  ]);
  const roomIds: string[] = [];
  for (let r = 0; r < rooms; r++) {
    const roomId = newId();
    roomIds.push(roomId);
    await store.append(`room-${roomId}`, [
      { id: newId(), type: 'room.created', data: { roomId, name: `r${r}`, createdBy: 'u' } },
      { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: 'u', kind: 'user', name: 'User' } },
      { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: agentId, kind: 'agent', name: 'Bench' } },
    ]);
  }
  await system.idle();
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: messages }, (_, i) => {
      const roomId = roomIds[i % rooms];
      const messageId = newId();
      return store.append(`room-${roomId}`, [
        { id: messageId, type: 'message.posted', data: { messageId, roomId, authorId: 'u', authorKind: 'user', text: `question number ${i}` } },
      ]);
    }),
  );
  await system.idle();
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const replies = (await store.readAll({ types: ['message.posted'], limit: 1_000_000 })).filter(
    (e) => e.type === 'message.posted' && e.data.authorKind === 'agent',
  ).length;
  await system.stop();
  readModel.close();
  await store.close();
  return { perSecond: Math.round((messages / ms) * 1000), ms: Math.round(ms), replies, perCpuSecond: Math.round((messages / cpuMs) * 1000) };
}

async function idleAgents(n: number): Promise<{ baseRss: number; afterRss: number; perAgentKb: number; startMs: number; heapPerAgentKb: number }> {
  const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
  const batch: { stream: string; events: NewEvent[] }[] = [];
  for (let i = 0; i < n; i++) {
    const agentId = newId();
    batch.push({
      stream: `agent-${agentId}`,
      events: [
        { id: newId(), type: 'agent.created', data: { agentId, name: `agent-${i}`, character: { name: `agent-${i}`, bio: ['idle'] } } },
        { id: newId(), type: 'agent.started', data: { agentId } },
      ],
    });
  }
  for (let i = 0; i < batch.length; i += 500) await Promise.all(batch.slice(i, i + 500).map((b) => store.append(b.stream, b.events)));
  batch.length = 0;
  // The read model is not needed by idle agents (they read it only in a turn): a stub keeps it out of the measurement.
  const readModel = new FakeReadModel(store);
  gc();
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const base = process.memoryUsage();
  const system = createActorSystem({
    store,
    readModel,
    waitFor: async () => {},
    models: fakeModels(),
    bootstrap: bootstrapPlugin,
    secrets: box,
    settings: { snapshotDelayMs: 3_600_000 },
  });
  const t0 = performance.now();
  await system.start();
  const startMs = performance.now() - t0;
  gc();
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const after = process.memoryUsage();
  const agents = system.graph().filter((g) => g.kind === 'agent').length;
  if (agents !== n) throw new Error(`expected ${n} agent actors, got ${agents}`);
  const result = {
    baseRss: mb(base.rss),
    afterRss: mb(after.rss),
    perAgentKb: Math.round(((after.rss - base.rss) / n / 1024) * 100) / 100,
    heapPerAgentKb: Math.round(((after.heapUsed - base.heapUsed) / n / 1024) * 100) / 100,
    startMs: Math.round(startMs),
  };
  await system.stop();
  await store.close();
  return result;
}

const messages = arg('messages', 1000);
const agents = arg('agents', 10_000);
if (!(globalThis as { gc?: unknown }).gc) console.warn('run with node --expose-gc for stable memory numbers');
const one = await throughput(1, messages);
console.log(
  `one agent, one room:   ${messages} messages in ${one.ms} ms → ${one.perSecond} messages/s wall, ${one.perCpuSecond} per CPU-second (${one.replies} replies)`,
);
const sixteen = await throughput(16, messages);
console.log(
  `one agent, 16 rooms:   ${messages} messages in ${sixteen.ms} ms → ${sixteen.perSecond} messages/s wall, ${sixteen.perCpuSecond} per CPU-second (${sixteen.replies} replies)`,
);
const idle = await idleAgents(agents);
console.log(
  `${agents} idle agents: RSS ${idle.baseRss} MB → ${idle.afterRss} MB (${idle.perAgentKb} KB RSS / ${idle.heapPerAgentKb} KB heap per agent), restored from the log in ${idle.startMs} ms`,
);
