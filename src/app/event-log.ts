import { existsSync } from 'node:fs';
import type { RawLogSource, RawLogTarget } from '../events/ndjson.ts';
import type { AppendFence } from '../events/postgres/postgres-event-store.ts';
import { SqliteEventStore } from '../events/sqlite/sqlite-event-store.ts';
import type { EventStore } from '../events/store.ts';
import { SchemaRegistry } from '../events/schema-registry.ts';
import type { Logger } from '../shared/logger.ts';
import type { DataPaths } from './data-dir.ts';
import type { Settings } from '../settings/settings.ts';

/** A log the server and the CLI can use: the EventStore, plus the raw rows export and import move. */
export type EventLog = EventStore & RawLogSource & RawLogTarget;

/**
 * Where the event log lives: PostgreSQL when DATABASE_URL is set (shared by every node that has it),
 * otherwise DATA_DIR/events.db. Read models stay in DATA_DIR either way.
 * `rawRowsOnly`: the caller reads stored rows as they are (`chronicle verify` re-hashes them) and never
 * appends or decodes a payload, so the store gets no event schemas and the catalogue (zod and ~100
 * modules) is not loaded.
 */
export async function openEventLog(
  settings: Settings,
  paths: DataPaths,
  options: { readonly?: boolean; rawRowsOnly?: boolean; logger?: Logger; fence?: AppendFence } = {},
): Promise<EventLog> {
  const registry = options.rawRowsOnly ? new SchemaRegistry({}) : (await import('../domain/event-registry.ts')).eventRegistry;
  if (settings.databaseUrl) {
    // Loaded only here: a SQLite deployment (and every CLI command on one) never loads pg.
    const { PostgresEventStore } = await import('../events/postgres/postgres-event-store.ts');
    const logger = options.logger;
    return PostgresEventStore.open(settings.databaseUrl, {
      registry,
      fence: options.fence,
      onError: (err) => logger?.warn('event log connection', { error: String(err) }),
    });
  }
  return new SqliteEventStore({ registry, path: paths.events, durability: settings.durability, readonly: options.readonly });
}

/** False only for a SQLite log file that does not exist yet (a PostgreSQL log is created on open). */
export function eventLogExists(settings: Settings, paths: DataPaths): boolean {
  return settings.databaseUrl !== undefined || existsSync(paths.events);
}

/** The log's name for messages: the file, or the database with its password left out. */
export function eventLogName(settings: Settings, paths: DataPaths): string {
  if (!settings.databaseUrl) return paths.events;
  try {
    const url = new URL(settings.databaseUrl);
    if (url.password) url.password = '***';
    return `${url.toString()} (PostgreSQL)`;
  } catch {
    return 'DATABASE_URL (PostgreSQL)';
  }
}
