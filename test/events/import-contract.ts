/**
 * The raw import's contract (`importRaw`, reached through `importLog` as `chronicle events import`
 * reaches it): every store runs the very same cases (test/events/sqlite-store.test.ts,
 * postgres-store.test.ts). An import takes a valid export, real logs included, and refuses — writing
 * nothing — a broken chain, a duplicate id, and an event an append would refuse even when whoever
 * edited the file recomputed the hash chain (anyone can).
 */
import { PassThrough, Readable } from 'node:stream';
import { z } from 'zod';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import {
  exportLog,
  ImportRefusedError,
  importLog,
  SchemaRegistry,
  type EventStore,
  type NewEvent,
  type RawLogSource,
  type RawLogTarget,
  type StoredRow,
} from '../../src/events/index.ts';
import { QuantizedVector } from '../../src/events/quantized-vector.ts';
import { embedded, roomCreated, started } from './support/events.ts';
import { rechain, rowsOf } from './support/ndjson-rows.ts';
import { realLogExport } from './support/real-log.ts';

export type ImportableStore = EventStore & RawLogSource & RawLogTarget;

/** Opens an EMPTY log with `registry` (Chronicle's catalogue unless a case brings its own). */
export type MakeImportableStore = (registry: SchemaRegistry) => Promise<ImportableStore>;

/** A made-up type whose payload gained a field: v1 {text} → v2 {text, tags}, as in upcasting.test.ts. */
const notesV2 = new SchemaRegistry({
  'note.added': {
    schema: z.object({ text: z.string(), tags: z.array(z.string()) }),
    version: 2,
    upcasters: { 1: (d: { text: string }) => ({ ...d, tags: d.text.startsWith('#') ? [d.text.slice(1)] : [] }) },
  },
});

/** What the source log holds: one of each kind of payload the log encodes differently. */
const sourceEvents: [string, NewEvent[]][] = [
  ['room-r1', [roomCreated('e1'), { ...started('e2', 2), meta: { causationId: 'e1', author: { kind: 'user', id: 'u1' } } }]],
  [
    'agent-a1',
    [
      {
        id: 'e3',
        type: 'agent.created',
        data: { agentId: 'a1', name: 'Quill', character: { name: 'Quill', bio: ['writes things down'], settings: { nested: { $f32: 'not a vector' } } } },
      },
    ],
  ],
  [
    'room-r1',
    [
      {
        id: 'm1',
        type: 'message.posted',
        data: { messageId: 'm1', roomId: 'r1', authorId: 'u1', authorKind: 'user', text: 'hello', request: { system: 'be brief', temperature: 0.5 } },
      },
      embedded('v1', new Float32Array([0.5, -1.25, 3e-8])),
      {
        ...embedded('v2', new Float32Array(4)),
        data: { messageId: 'v2', roomId: 'r1', model: 'm', vector: QuantizedVector.quantize(new Float32Array([1, -0.5, 0.25, 0])) },
      },
    ],
  ],
  ['room-r2', [started('e7', 7)]],
];

async function exportText(store: RawLogSource): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await exportLog(store, out);
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

/** `count` hand-made rows of one valid type, chained: a log longer than an import's page. */
function longLog(count: number): StoredRow[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: i + 1,
    id: `e${i + 1}`,
    stream: `room-${i % 3}`,
    version: Math.floor(i / 3) + 1,
    type: 'agent.started',
    data: JSON.stringify({ agentId: `agent-${i}` }),
    meta: JSON.stringify({ timestamp: 1_700_000_000_000 + i, schemaVersion: 1 }),
    hash: '',
  }));
}

/** The real log is built once per test file (a first start and an exchange take a few seconds). */
let realLog: ReturnType<typeof realLogExport> | undefined;

export function importContract(name: string, makeStore: MakeImportableStore): void {
  describe(`import contract: ${name}`, () => {
    const open: ImportableStore[] = [];
    const fresh = async (registry = eventRegistry) => {
      const s = await makeStore(registry);
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    let exported = '';
    beforeAll(async () => {
      const source = await makeStore(eventRegistry);
      try {
        for (const [stream, events] of sourceEvents) await source.append(stream, events);
        exported = await exportText(source);
      } finally {
        await source.close();
      }
    });

    /** Imports `text` into a fresh log, expects a refusal, and checks that nothing was written. */
    async function refused(text: string, registry = eventRegistry): Promise<ImportRefusedError> {
      const target = await fresh(registry);
      const err = await importLog(target, Readable.from([text])).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ImportRefusedError);
      expect(await target.head()).toBe(0);
      expect(await target.readAll()).toEqual([]);
      expect(await target.verify()).toEqual({ ok: true, checked: 0 });
      return err as ImportRefusedError;
    }

    it('a valid export imports, verifies, reads back as the source and re-exports byte for byte', async () => {
      const rows = rowsOf(exported);
      expect(rows).toHaveLength(7);
      const target = await fresh();
      expect(await importLog(target, Readable.from([exported]))).toBe(7);
      expect(await target.verify()).toEqual({ ok: true, checked: 7 });
      expect(await exportText(target)).toBe(exported);
      const events = await target.readAll();
      expect(events.map((e) => e.id)).toEqual(rows.map((r) => r.id));
      expect((await target.getById('v1'))!.data).toMatchObject({ vector: new Float32Array([0.5, -1.25, 3e-8]) });
      expect((await target.getById('v2'))!.data).toMatchObject({ vector: expect.any(QuantizedVector) });
      // An imported log is an ordinary log: appends continue its chain.
      await target.append('room-r2', [started('after')], { expectedVersion: 1 });
      expect(await target.verify()).toEqual({ ok: true, checked: 8 });
    });

    it('an edited payload whose chain was not recomputed: broken_chain at its line and seq', async () => {
      const text = exported.replace('"text\\":\\"hello\\"', '"text\\":\\"HELLO\\"');
      expect(text).not.toBe(exported);
      expect(await refused(text)).toMatchObject({ reason: 'broken_chain', line: 4, seq: 4, message: expect.stringMatching(/hash_mismatch/) });
    });

    it('a duplicate id, the chain recomputed around it: duplicate_id', async () => {
      const rows = rowsOf(exported);
      rows[6].id = rows[1].id;
      expect(await refused(rechain(rows))).toMatchObject({ reason: 'duplicate_id', line: 7, seq: 7 });
    });

    describe('payloads an append would refuse, in a re-chained export: invalid_payload, nothing written', () => {
      const edit = (seq: number, change: (data: Record<string, unknown>) => void) => {
        const rows = rowsOf(exported);
        const row = rows[seq - 1];
        const data = JSON.parse(row.data) as Record<string, unknown>;
        change(data);
        row.data = JSON.stringify(data);
        return rechain(rows);
      };

      it('a field of the wrong type names the seq, the type and the field', async () => {
        const err = await refused(
          edit(4, (d) => {
            d.text = 42;
          }),
        );
        expect(err).toMatchObject({ reason: 'invalid_payload', line: 4, seq: 4, eventType: 'message.posted', field: 'text' });
        expect(err.message).toMatch(/^line 4: seq 4: invalid payload message\.posted \(id m1\): text: .*expected string, received number/);
      });

      it('a missing field, a nested field, a value out of range', async () => {
        expect(await refused(edit(1, (d) => delete d.roomId))).toMatchObject({ reason: 'invalid_payload', seq: 1, eventType: 'room.created', field: 'roomId' });
        expect(
          await refused(
            edit(3, (d) => {
              (d.character as { name: unknown }).name = 7;
            }),
          ),
        ).toMatchObject({ reason: 'invalid_payload', seq: 3, eventType: 'agent.created', field: 'character.name' });
        expect(
          await refused(
            edit(4, (d) => {
              (d.request as { temperature: number }).temperature = 9;
            }),
          ),
        ).toMatchObject({ reason: 'invalid_payload', seq: 4, field: 'request.temperature' });
      });

      it('a vector written as a JSON array, and a vector tag that does not decode', async () => {
        expect(
          await refused(
            edit(5, (d) => {
              d.vector = [0.5, -1.25];
            }),
          ),
        ).toMatchObject({ reason: 'invalid_payload', seq: 5, eventType: 'message.embedded', field: 'vector' });
        const undecodable = await refused(
          edit(6, (d) => {
            d.vector = { $i8: 'AAA' };
          }),
        );
        expect(undecodable).toMatchObject({ reason: 'invalid_payload', seq: 6, field: '(data)', message: expect.stringMatching(/does not decode/) });
      });

      it('a payload that is not an object, and one that is not JSON', async () => {
        const rows = rowsOf(exported);
        rows[6].data = '"agent-7"';
        expect(await refused(rechain(rows))).toMatchObject({ reason: 'invalid_payload', seq: 7, eventType: 'agent.started', field: '(data)' });
        rows[6].data = '{"agentId":';
        expect(await refused(rechain(rows))).toMatchObject({ reason: 'invalid_payload', seq: 7, message: expect.stringMatching(/does not decode/) });
      });

      it('the bad row last in a log longer than a page: the rows before it are rolled back too', async () => {
        const rows = longLog(2_100);
        rows[rows.length - 1].data = JSON.stringify({ agentId: '' });
        const err = await refused(rechain(rows));
        expect(err).toMatchObject({ reason: 'invalid_payload', seq: 2_100, eventType: 'agent.started', field: 'agentId' });
      });
    });

    it('what an append refuses before the payload: invalid_envelope (an unknown type is refused, as append refuses it)', async () => {
      const envelope = async (change: (r: StoredRow) => void) => {
        const rows = rowsOf(exported);
        change(rows[6]);
        return refused(rechain(rows));
      };
      expect(
        await envelope((r) => {
          r.type = 'plugin.own_type';
        }),
      ).toMatchObject({
        reason: 'invalid_envelope',
        seq: 7,
        eventType: 'plugin.own_type',
        field: 'type',
        message: expect.stringMatching(/unknown event type "plugin\.own_type"/),
      });
      expect(
        await envelope((r) => {
          r.stream = 'room r2; drop';
        }),
      ).toMatchObject({ reason: 'invalid_envelope', seq: 7, field: 'stream' });
      expect(
        await envelope((r) => {
          r.id = 'x'.repeat(201);
        }),
      ).toMatchObject({ reason: 'invalid_envelope', seq: 7, field: 'id' });
      expect(
        await envelope((r) => {
          r.meta = '[1]';
        }),
      ).toMatchObject({ reason: 'invalid_envelope', seq: 7, field: 'meta' });
      expect(
        await envelope((r) => {
          r.meta = JSON.stringify({ timestamp: 1, schemaVersion: 2 });
        }),
      ).toMatchObject({ reason: 'invalid_envelope', seq: 7, field: 'meta.schemaVersion', message: expect.stringMatching(/not 1\.\.1/) });
    });

    describe('old payloads are upcast as reads upcast them, then validated', () => {
      const note = (seq: number, data: unknown, schemaVersion: number): StoredRow => ({
        seq,
        id: `n${seq}`,
        stream: 'notes-1',
        version: seq,
        type: 'note.added',
        data: JSON.stringify(data),
        meta: JSON.stringify({ timestamp: 1_700_000_000_000 + seq, schemaVersion }),
        hash: '',
      });

      it('a v1 event in a v2 catalogue imports verbatim and reads upcast', async () => {
        const text = rechain([note(1, { text: '#todo' }, 1), note(2, { text: 'plain', tags: ['x'] }, 2)]);
        const target = await fresh(notesV2);
        expect(await importLog(target, Readable.from([text]))).toBe(2);
        expect((await target.readAll()).map((e) => e.data)).toEqual([
          { text: '#todo', tags: ['todo'] },
          { text: 'plain', tags: ['x'] },
        ]);
        expect(await exportText(target)).toBe(text); // kept as written: v1 stays v1 in the log
        expect(await target.verify()).toEqual({ ok: true, checked: 2 });
      });

      it('refuses a v2 event in the v1 shape, a v1 event the upcaster cannot take, and a version from a newer catalogue', async () => {
        expect(await refused(rechain([note(1, { text: 'no tags' }, 2)]), notesV2)).toMatchObject({
          reason: 'invalid_payload',
          eventType: 'note.added',
          field: 'tags',
        });
        expect(await refused(rechain([note(1, { text: 5 }, 1)]), notesV2)).toMatchObject({
          reason: 'invalid_payload',
          message: expect.stringMatching(/cannot be upcast from schema version 1/),
        });
        expect(await refused(rechain([note(1, { text: 'x', tags: [] }, 3)]), notesV2)).toMatchObject({
          reason: 'invalid_envelope',
          field: 'meta.schemaVersion',
        });
      });
    });

    it("a real log, written by Chronicle's own code on a first start and an exchange, imports and verifies", async () => {
      realLog ??= realLogExport();
      const { ndjson, types } = await realLog;
      for (const type of [
        'account.registered',
        'auth.refresh_issued',
        'agent.created',
        'room.created',
        'message.posted',
        'reply.traced',
        'model.called',
        'message.embedded',
        'knowledge.chunk_embedded',
      ])
        expect([...types]).toContain(type);
      const count = rowsOf(ndjson).length;
      const target = await fresh();
      expect(await importLog(target, Readable.from([ndjson]))).toBe(count);
      expect(await target.verify()).toEqual({ ok: true, checked: count });
      expect(await exportText(target)).toBe(ndjson);
    }, 60_000);
  });
}
