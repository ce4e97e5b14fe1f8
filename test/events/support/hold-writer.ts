/** Child for the cross-process writer-lock test: becomes the writer of <db>, says "held", then idles until killed. */
import { SqliteEventStore } from '../../../src/events/sqlite/sqlite-event-store.ts';
import { eventRegistry } from '../../../src/domain/event-registry.ts';

const store = new SqliteEventStore({ registry: eventRegistry, path: process.argv[2] });
await store.append('room-child', [{ id: 'from-child', type: 'agent.started', data: { agentId: 'child' } }]);
process.stdout.write('held\n');
// The timer keeps the store reachable: an unreferenced better-sqlite3 connection is closed when
// garbage-collected, which would silently release the writer lock this child is here to hold.
setInterval(() => store, 60_000);
