import type pg from 'pg';

/**
 * Runs schema DDL (CREATE … IF NOT EXISTS) under a transaction-level advisory lock on the schema's name:
 * several nodes may start at once, and CREATE … IF NOT EXISTS is not safe against itself. The log's
 * store and the cluster's lease table both create their tables this way.
 */
export async function applySchemaExclusively(pool: pg.Pool, schema: string, ddl: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`chronicle-schema:${schema}`]);
    await client.query(ddl);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
