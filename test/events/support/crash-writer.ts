/**
 * Child process of the crash test: `crash-writer <db> <writers>`. Waits for a line on stdin, then
 * appends forever until killed.
 * Each writer owns stream writer-<k> and numbers its events writer-<k>-1, -2, … (continuing from the
 * stream's version after a restart), issuing two appends per tick (one with an exact expected
 * version, one with 'any') so all writers' appends are group-committed together; now and then a large
 * batch widens the commit window. Every acknowledged id is printed ("ack <id> <id> …") only after its
 * append resolved. stdout to a pipe is synchronous on Linux, so a printed ack was really acknowledged.
 */
import { once } from 'node:events';
import { SqliteEventStore } from '../../../src/events/sqlite/sqlite-event-store.ts';
import { eventRegistry } from '../../../src/domain/event-registry.ts';

const [path, writersArg] = process.argv.slice(2);
// The parent starts us early (module loading is the slow part) and says "go" on stdin once it has
// finished checking the log left by our killed predecessor.
await once(process.stdin, 'data');
const store = new SqliteEventStore({ registry: eventRegistry, path });
const ack = (ids: string[]) => process.stdout.write(`ack ${ids.join(' ')}\n`);
const event = (id: string) => ({ id, type: 'agent.started' as const, data: { agentId: id } });

async function writer(k: number): Promise<void> {
  const stream = `writer-${k}`;
  let version = await store.streamVersion(stream);
  for (let round = 0; ; round++) {
    const sizeA = round % 17 === 16 ? 200 : 1 + (round % 3);
    const sizeB = 1 + ((round + k) % 2);
    const a = Array.from({ length: sizeA }, (_, i) => `${stream}-${version + 1 + i}`);
    const b = Array.from({ length: sizeB }, (_, i) => `${stream}-${version + sizeA + 1 + i}`);
    const pa = store.append(stream, a.map(event), { expectedVersion: version }).then(() => ack(a));
    const pb = store.append(stream, b.map(event)).then(() => ack(b));
    await Promise.all([pa, pb]);
    version += sizeA + sizeB;
  }
}

const writers = Number(writersArg ?? 4);
process.stdout.write('ready\n');
await Promise.all(Array.from({ length: writers }, (_, k) => writer(k))).catch((err) => {
  process.stderr.write(`writer failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
