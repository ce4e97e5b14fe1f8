import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidEventError, SqliteEventStore, type EventStore } from '../../src/events/index.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.ts';
import { createTestDatabase, hasPostgres } from '../support/postgres.ts';
import { eventStoreContract } from './contract.ts';
import { importContract } from './import-contract.ts';
import { started } from './support/events.ts';

/**
 * The PostgreSQL store runs the very same contract as SQLite. Each store gets its own schema in one
 * database of the run's throwaway server; reopening opens the same schema again.
 */
describe.runIf(hasPostgres())('PostgreSQL event store', () => {
  let url = '';
  let n = 0;
  const admin = { client: undefined as pg.Client | undefined };
  beforeAll(async () => {
    url = await createTestDatabase('pgstore');
    admin.client = new pg.Client({ connectionString: url });
    await admin.client.connect();
  });
  afterAll(async () => {
    await admin.client?.end();
  });

  /** psql, synchronously: the contract's rewriteRow hook expects a throw, not a rejection. */
  const psql = (sql: string) => execFileSync('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { stdio: 'pipe', encoding: 'utf8' });

  eventStoreContract('PostgreSQL', () => PostgresEventStore.open(url, { registry: eventRegistry, schema: `contract_${++n}` }), {
    reopen: async (store) => {
      const schema = (store as PostgresEventStore).schema;
      await store.close();
      return PostgresEventStore.open(url, { registry: eventRegistry, schema });
    },
    rewriteRow: (store: EventStore, seq: number) => {
      const t = `"${(store as PostgresEventStore).schema}".events`;
      return {
        update: () => psql(`UPDATE ${t} SET data = '{"agentId":"forged"}' WHERE seq = ${seq}`),
        remove: () => psql(`DELETE FROM ${t} WHERE seq = ${seq}`),
      };
    },
    corruptSnapshot: async (store, actorId) => {
      await admin.client!.query(`UPDATE "${(store as PostgresEventStore).schema}".snapshots SET state = '{"value":"forged"}' WHERE actor_id = $1`, [actorId]);
    },
  });

  importContract('PostgreSQL', (registry) => PostgresEventStore.open(url, { registry, schema: `import_${++n}` }));

  it('quotes, backslashes and SQL in ids and payloads are data, written and read back exactly', async () => {
    const store = await PostgresEventStore.open(url, { registry: eventRegistry, schema: `contract_${++n}` });
    try {
      const ids = [`it's`, 'back\\slash', `x'); DROP TABLE events; --`, 'ünï €', "$1 $$ E'\\x00'"];
      for (const id of ids) await store.append('room-a', [{ ...started(id), data: { agentId: id } }]);
      const all = await store.readAll();
      expect(all.map((e) => e.id)).toEqual(ids);
      expect(all.map((e) => (e.data as { agentId: string }).agentId)).toEqual(ids);
      expect(await store.verify()).toEqual({ ok: true, checked: ids.length });
    } finally {
      await store.close();
    }
  });

  it('an id with a NUL character is refused on both stores (PostgreSQL text cannot hold it)', async () => {
    const stores: EventStore[] = [
      await PostgresEventStore.open(url, { registry: eventRegistry, schema: `contract_${++n}` }),
      new SqliteEventStore({ registry: eventRegistry, path: ':memory:' }),
    ];
    for (const store of stores) {
      await expect(store.append('room-a', [started('a\0b')])).rejects.toBeInstanceOf(InvalidEventError);
      expect(await store.head()).toBe(0);
      await store.close();
    }
  });

  it('verify finds an event edited or deleted by someone who switched the triggers off', async () => {
    const schema = `contract_${++n}`;
    const store = await PostgresEventStore.open(url, { registry: eventRegistry, schema });
    try {
      for (let i = 1; i <= 5; i++) await store.append('room-a', [started(`e${i}`)]);
      const t = `"${schema}".events`;
      await admin.client!.query(
        `ALTER TABLE ${t} DISABLE TRIGGER USER; UPDATE ${t} SET data = '{"agentId":"forged"}' WHERE seq = 3; ALTER TABLE ${t} ENABLE TRIGGER USER`,
      );
      expect(await store.verify()).toMatchObject({ ok: false, checked: 2, problem: { seq: 3, kind: 'hash_mismatch' } });
      await admin.client!.query(`ALTER TABLE ${t} DISABLE TRIGGER USER; DELETE FROM ${t} WHERE seq >= 3 AND seq < 5; ALTER TABLE ${t} ENABLE TRIGGER USER`);
      expect(await store.verify()).toMatchObject({ ok: false, checked: 2, problem: { seq: 5, kind: 'seq_gap' } });
      // A cut tail leaves no gap between rows, but the head row still says where the log ended.
      await admin.client!.query(`ALTER TABLE ${t} DISABLE TRIGGER USER; DELETE FROM ${t} WHERE seq = 5; ALTER TABLE ${t} ENABLE TRIGGER USER`);
      expect(await store.verify()).toMatchObject({ ok: false, checked: 2, problem: { seq: 3, kind: 'seq_gap' } });
    } finally {
      await store.close();
    }
  });
});
