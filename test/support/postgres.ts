/**
 * PostgreSQL for tests: the server test/support/postgres-server.ts started (or none), and a fresh
 * database per suite so suites never see each other's logs.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** The admin URL of the run's PostgreSQL server, or '' when this machine has none. */
export function postgresUrl(): string {
  return inject('postgresUrl') ?? '';
}

export const hasPostgres = (): boolean => postgresUrl() !== '';

/** Creates an empty database and returns its URL. */
export async function createTestDatabase(prefix = 'chronicle'): Promise<string> {
  const admin = postgresUrl();
  if (!admin) throw new Error('no PostgreSQL server in this test run (see test/support/postgres-server.ts)');
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`.toLowerCase();
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
