import { join } from 'node:path';
import { SqliteEventStore, type EventStore } from '../../src/events/index.ts';
import { eventStoreContract, type ContractHooks } from './contract.ts';
import { importContract } from './import-contract.ts';
import { tempDir } from './support/temp-dir.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

const dir = tempDir();
let n = 0;
const paths = new WeakMap<EventStore, string>();

const sqliteHooks: ContractHooks = {
  rewriteRow: (store, seq) => {
    const db = (store as SqliteEventStore).database;
    return {
      update: () => db.prepare(`UPDATE events SET data = '{"agentId":"forged"}' WHERE seq = ?`).run(seq),
      remove: () => db.prepare('DELETE FROM events WHERE seq = ?').run(seq),
    };
  },
  corruptSnapshot: async (store, actorId) => {
    (store as SqliteEventStore).database.prepare(`UPDATE snapshots SET state = '{"value":"forged"}' WHERE actor_id = ?`).run(actorId);
  },
};

eventStoreContract(
  'SQLite file',
  async () => {
    const path = join(dir, `log-${++n}.db`);
    const store = new SqliteEventStore({ registry: eventRegistry, path });
    paths.set(store, path);
    return store;
  },
  {
    ...sqliteHooks,
    reopen: async (store) => {
      const path = paths.get(store)!;
      await store.close();
      const again = new SqliteEventStore({ registry: eventRegistry, path });
      paths.set(again, path);
      return again;
    },
  },
);

eventStoreContract('SQLite :memory:', async () => new SqliteEventStore({ registry: eventRegistry, path: ':memory:' }), sqliteHooks);

importContract('SQLite file', async (registry) => new SqliteEventStore({ registry, path: join(dir, `import-${++n}.db`) }));
importContract('SQLite :memory:', async (registry) => new SqliteEventStore({ registry, path: ':memory:' }));
