import { SchemaRegistry, type EventTypeDefinition } from '../events/schema-registry.ts';
import { eventSchemaBuilders, eventTypes } from './catalogue.ts';

/** Today's catalogue as a registry: every type at schema version 1 (no upcasters needed yet). */
export function chronicleSchemaRegistry(): SchemaRegistry {
  const defs: Record<string, EventTypeDefinition> = {};
  for (const type of eventTypes) defs[type] = { schema: eventSchemaBuilders[type], version: 1 };
  return new SchemaRegistry(defs);
}

/**
 * The registry every Chronicle event store is opened with (`new SqliteEventStore({ path, registry:
 * eventRegistry })`). Immutable, so one instance serves every store in the process.
 */
export const eventRegistry: SchemaRegistry = chronicleSchemaRegistry();
