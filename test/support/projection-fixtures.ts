import type { NewEvent } from '../../src/events/envelope.ts';
import type { EventStore } from '../../src/events/store.ts';
import { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import { newId } from '../../src/shared/ids.ts';
import type { EventData, EventType } from '../../src/domain/catalogue.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

/** An in-memory log with a deterministic clock, for projection and knowledge tests. */
export function memoryStore(): SqliteEventStore {
  let t = Date.UTC(2026, 0, 1);
  return new SqliteEventStore({ registry: eventRegistry, path: ':memory:', now: () => (t += 1000) });
}

export function ev<T extends EventType>(type: T, data: EventData<T>, id = newId()): NewEvent<T> {
  return { id, type, data };
}

/** Appends one event to a stream and returns its seq. */
export async function put<T extends EventType>(store: EventStore, stream: string, type: T, data: EventData<T>): Promise<number> {
  const r = await store.append(stream, [ev(type, data)]);
  return r.lastSeq;
}

export const character = (name: string) => ({ name, bio: [`${name} is a test agent`] });
