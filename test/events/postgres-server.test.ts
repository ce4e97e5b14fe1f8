import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, hasPostgres } from '../support/postgres.ts';

describe.runIf(hasPostgres())("the test run's PostgreSQL server", () => {
  it('gives each suite its own empty database', async () => {
    const [a, b] = [await createTestDatabase(), await createTestDatabase()];
    expect(a).not.toBe(b);
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    try {
      const { rows } = await client.query("select count(*)::int as n from information_schema.tables where table_schema = 'public'");
      expect(rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });
});
