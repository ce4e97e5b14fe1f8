import Database from 'better-sqlite3';
import { join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry, SqliteEventStore } from '../../src/events/index.ts';
import { storedText } from './support/row-sql.ts';
import { tempDir } from './support/temp-dir.ts';

/** A made-up event type whose payload gained a field: v1 {text} → v2 {text, tags}. */
const v1 = new SchemaRegistry({ 'note.added': { schema: z.object({ text: z.string() }), version: 1 } });
const v2 = new SchemaRegistry({
  'note.added': {
    schema: z.object({ text: z.string(), tags: z.array(z.string()) }),
    version: 2,
    upcasters: { 1: (d: { text: string }) => ({ ...d, tags: d.text.startsWith('#') ? [d.text.slice(1)] : [] }) },
  },
});
const dir = tempDir();

describe('upcasting', () => {
  it('v1 events read as v2 through every read path, and the file keeps what was written', async () => {
    const path = join(dir, 'notes.db');
    const old = new SqliteEventStore({ path, registry: v1 });
    await old.append('notes-1', [{ id: 'n1', type: 'note.added' as never, data: { text: '#todo' } as never }]);
    await old.close();

    const store = new SqliteEventStore({ path, registry: v2 });
    await store.append('notes-1', [{ id: 'n2', type: 'note.added' as never, data: { text: 'plain', tags: ['x'] } as never }]);
    const expected = [
      { id: 'n1', data: { text: '#todo', tags: ['todo'] }, schemaVersion: 1 },
      { id: 'n2', data: { text: 'plain', tags: ['x'] }, schemaVersion: 2 },
    ];
    const shape = (es: { id: string; data: unknown; meta: { schemaVersion: number } }[]) =>
      es.map((e) => ({ id: e.id, data: e.data, schemaVersion: e.meta.schemaVersion }));
    expect(shape(await store.readAll())).toEqual(expected);
    expect(shape(await store.readStream('notes-1'))).toEqual(expected);
    expect(shape([(await store.getById('n1'))!])).toEqual([expected[0]]);
    expect(shape(await firstValueFrom(store.subscribe().pipe(take(2), toArray())))).toEqual(expected);
    // A v1 payload is refused on the way in now.
    await expect(store.append('notes-1', [{ id: 'n3', type: 'note.added' as never, data: { text: 'old' } as never }])).rejects.toThrow(/tags/);
    expect((await store.verify()).ok).toBe(true);
    await store.close();

    const raw = new Database(path, { readonly: true });
    expect(storedText(raw, 1, 'data')).toBe('{"text":"#todo"}');
    raw.close();
  });

  it('a missing upcaster is an error, not a silent pass-through', () => {
    const broken = new SchemaRegistry({ 'note.added': { schema: z.object({}), version: 3, upcasters: { 1: (d) => d } } });
    expect(() => broken.upcast('note.added', 1, {})).toThrow(/no upcaster for note.added from schema version 2/);
  });
});
