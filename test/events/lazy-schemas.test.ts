import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it, vi } from 'vitest';
import { eventSchemaBuilders, eventTypes } from '../../src/domain/catalogue.ts';
import { InvalidEventError, SchemaRegistry, SqliteEventStore, type NewEvent } from '../../src/events/index.ts';
import { tempDir } from './support/temp-dir.ts';

// A payload schema is built on its type's first validation, not when the registry is made: reading the
// log (catch-up, upcasting) and trusted appends need none, so a start that only reads builds none.
const dir = tempDir();

function spiedRegistry() {
  const buildNote = vi.fn(() => z.object({ text: z.string(), tags: z.array(z.string()) }));
  const buildPin = vi.fn(() => z.object({ noteId: z.string().min(1) }));
  const registry = new SchemaRegistry({
    'note.added': { schema: buildNote, version: 2, upcasters: { 1: (d: { text: string }) => ({ ...d, tags: [] }) } },
    'note.pinned': { schema: buildPin, version: 1 },
  });
  return { registry, buildNote, buildPin };
}

const note = (id: string, data: unknown): NewEvent => ({ id, type: 'note.added' as never, data: data as never });
const pin = (id: string, noteId: string): NewEvent => ({ id, type: 'note.pinned' as never, data: { noteId } as never });

describe('event schemas built on first use', () => {
  it('reading a log, upcasting included, and trusted appends build no schema', async () => {
    const path = join(dir, 'read-only.db');
    // Written at note.added v1, so the reader below upcasts every note.
    const v1 = new SqliteEventStore({ path, registry: new SchemaRegistry({ 'note.added': { schema: z.object({ text: z.string() }), version: 1 } }) });
    await v1.append('notes-1', [note('n1', { text: 'a' }), note('n2', { text: 'b' })]);
    await v1.close();

    const { registry, buildNote, buildPin } = spiedRegistry();
    const store = new SqliteEventStore({ path, registry });
    await store.append('notes-1', [pin('p1', 'n1')], { trusted: true });
    expect((await store.readAll()).map((e) => e.data)).toEqual([{ text: 'a', tags: [] }, { text: 'b', tags: [] }, { noteId: 'n1' }]);
    expect((await store.readStream('notes-1')).length).toBe(3);
    expect((await store.verify()).ok).toBe(true);
    expect(buildNote).not.toHaveBeenCalled();
    expect(buildPin).not.toHaveBeenCalled();
    await store.close();
  });

  it('the first validation of a type builds its schema once, and it validates as before', async () => {
    const { registry, buildNote, buildPin } = spiedRegistry();
    const store = new SqliteEventStore({ path: ':memory:', registry });
    await store.append('notes-1', [pin('p1', 'n1')]);
    await store.append('notes-1', [pin('p2', 'n1')]);
    expect(buildPin).toHaveBeenCalledTimes(1);
    expect(buildNote).not.toHaveBeenCalled();

    await expect(store.append('notes-1', [pin('p3', '')])).rejects.toBeInstanceOf(InvalidEventError);
    await expect(store.append('notes-1', [note('n1', { text: 'no tags' })])).rejects.toThrow(/tags/);
    expect(buildPin).toHaveBeenCalledTimes(1);
    expect(buildNote).toHaveBeenCalledTimes(1);
    expect((await store.readAll()).map((e) => e.id)).toEqual(['p1', 'p2']);
    await store.close();
  });

  it('every builder of the catalogue builds a schema (none is built at load any more to show it)', () => {
    for (const type of eventTypes) expect(eventSchemaBuilders[type]().safeParse, type).toBeTypeOf('function');
  });
});
