import { join } from 'node:path';
import { expect } from 'vitest';
import type { LogFormatVersion } from '../../src/events/sqlite/row-format.ts';
import { SqliteEventStore, type EventStore } from '../../src/events/index.ts';
import { eventStoreContract, type ContractHooks } from './contract.ts';
import { importContract } from './import-contract.ts';
import { rowFormatOf } from './support/row-sql.ts';
import { tempDir } from './support/temp-dir.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

const dir = tempDir();
let n = 0;
const paths = new WeakMap<EventStore, string>();

const sqliteHooks: ContractHooks = {
  rewriteRow: (store, seq) => {
    const db = (store as SqliteEventStore).database;
    return {
      update: () => db.prepare('UPDATE events SET data = ? WHERE seq = ?').run(rowFormatOf(db).encodeText('{"agentId":"forged"}'), seq),
      remove: () => db.prepare('DELETE FROM events WHERE seq = ?').run(seq),
    };
  },
  corruptSnapshot: async (store, actorId) => {
    (store as SqliteEventStore).database.prepare(`UPDATE snapshots SET state = '{"value":"forged"}' WHERE actor_id = ?`).run(actorId);
  },
};

/** A log file in a given row format (src/events/sqlite/row-format.ts); reopening keeps the file's own. */
function fileContract(name: string, format: LogFormatVersion): void {
  eventStoreContract(
    name,
    async () => {
      const path = join(dir, `log-${++n}.db`);
      const store = new SqliteEventStore({ registry: eventRegistry, path, format });
      paths.set(store, path);
      return store;
    },
    {
      ...sqliteHooks,
      reopen: async (store) => {
        const path = paths.get(store)!;
        await store.close();
        const again = new SqliteEventStore({ registry: eventRegistry, path });
        expect(rowFormatOf(again.database).version).toBe(format);
        paths.set(again, path);
        return again;
      },
    },
  );
}

fileContract('SQLite file', 2);
// Logs created before row format 2 keep theirs and must go on working.
fileContract('SQLite file, row format 1', 1);

eventStoreContract('SQLite :memory:', async () => new SqliteEventStore({ registry: eventRegistry, path: ':memory:' }), sqliteHooks);

importContract('SQLite file', async (registry) => new SqliteEventStore({ registry, path: join(dir, `import-${++n}.db`) }));
importContract('SQLite file, row format 1', async (registry) => new SqliteEventStore({ registry, path: join(dir, `import-${++n}.db`), format: 1 }));
importContract('SQLite :memory:', async (registry) => new SqliteEventStore({ registry, path: ':memory:' }));
