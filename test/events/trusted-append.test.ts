import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { chronicleSchemaRegistry } from '../../src/domain/event-registry.ts';
import { InvalidEventError, SqliteEventStore, type EventStore, type NewEvent } from '../../src/events/index.ts';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.ts';
import type { SchemaRegistry } from '../../src/events/schema-registry.ts';
import { createElizaRuntime } from '../../src/plugin-host/eliza-runtime/index.ts';
import { createPluginHost } from '../../src/plugin-host/host.ts';
import type { Plugin, PluginRuntime } from '../../src/plugin-host/types.ts';
import { untrustedStore } from '../../src/plugin-host/untrusted-store.ts';
import { openProjections } from '../../src/projections/index.ts';
import { newId } from '../../src/shared/ids.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { FakeModel } from '../actors/support/fake-models.ts';
import { FakeEmbedder } from '../support/fake-embedder.ts';
import { createTestDatabase, hasPostgres } from '../support/postgres.ts';
import { started } from './support/events.ts';

/** A payload the catalogue refuses (agentId must be a non-empty string) that TypeScript was talked into. */
const bad = (id: string): NewEvent => ({ id, type: 'agent.started', data: { agentId: '' } });

function trustedAppendSuite(name: string, open: (registry: SchemaRegistry) => Promise<EventStore>) {
  describe(`trusted appends (${name})`, () => {
    const opened: EventStore[] = [];
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    const setup = async () => {
      // A registry of its own: the spy must not see other suites' appends.
      const registry = chronicleSchemaRegistry();
      const validate = vi.spyOn(registry, 'validate');
      const store = await open(registry);
      opened.push(store);
      return { store, validate };
    };

    it('a trusted append is not parsed by the registry, and reads back as written', async () => {
      const { store, validate } = await setup();
      const r = await store.append('agent-a', [started('t1', 1), started('t2', 2)], { trusted: true });
      expect(validate).not.toHaveBeenCalled();
      expect(r.positions.map((p) => p.duplicate)).toEqual([false, false]);
      const read = await store.readStream('agent-a');
      expect(read.map((e) => e.data)).toEqual([{ agentId: 'agent-1' }, { agentId: 'agent-2' }]);
      expect((await store.verify()).ok).toBe(true);
    });

    it('an untrusted append is parsed, and a bad payload is refused with the log unchanged', async () => {
      const { store, validate } = await setup();
      await store.append('agent-a', [started('u1')]);
      expect(validate).toHaveBeenCalledTimes(1);
      const head = await store.head();
      await expect(store.append('agent-a', [started('u2'), bad('u3')])).rejects.toBeInstanceOf(InvalidEventError);
      expect(validate).toHaveBeenCalledTimes(3);
      expect(await store.head()).toBe(head);
      expect(await store.getById('u2')).toBeUndefined();
    });

    it('a trusted append still has its envelope checked: stream, id, known type, a payload object', async () => {
      const { store, validate } = await setup();
      const t = { trusted: true } as const;
      await expect(store.append('bad stream!', [started('e1')], t)).rejects.toBeInstanceOf(InvalidEventError);
      await expect(store.append('agent-a', [{ ...started('e2'), id: '' }], t)).rejects.toBeInstanceOf(InvalidEventError);
      await expect(store.append('agent-a', [{ id: 'e3', type: 'no.such_type', data: {} } as unknown as NewEvent], t)).rejects.toBeInstanceOf(InvalidEventError);
      await expect(store.append('agent-a', [{ id: 'e4', type: 'agent.started', data: null } as unknown as NewEvent], t)).rejects.toBeInstanceOf(
        InvalidEventError,
      );
      expect(validate).not.toHaveBeenCalled();
      expect(await store.head()).toBe(0);
    });

    it('the plugin facade drops `trusted`: the append is parsed and a bad payload refused', async () => {
      const { store, validate } = await setup();
      const facade = untrustedStore(store);
      await expect(facade.append('agent-a', [bad('p1')], { trusted: true } as never)).rejects.toBeInstanceOf(InvalidEventError);
      expect(validate).toHaveBeenCalledTimes(1);
      await facade.append('agent-a', [started('p2')], { expectedVersion: 'no_stream', trusted: true } as never);
      expect(validate).toHaveBeenCalledTimes(2);
      // The options a plugin may pass still work.
      await expect(facade.append('agent-a', [started('p3')], { expectedVersion: 'no_stream' })).rejects.toThrow(/version/i);
      expect(await store.head()).toBe(1);
    });
  });
}

trustedAppendSuite('SQLite', async (registry) => new SqliteEventStore({ registry, path: ':memory:' }));

describe.runIf(hasPostgres())('PostgreSQL', () => {
  let url = '';
  let n = 0;
  beforeAll(async () => {
    url = await createTestDatabase('trusted');
  });
  afterAll(() => undefined);
  trustedAppendSuite('PostgreSQL', (registry) => PostgresEventStore.open(url, { registry, schema: `trusted_${++n}` }));
});

describe('a plugin in process, through the host', () => {
  it('cannot append an invalid event, even passing { trusted: true }', async () => {
    const registry = chronicleSchemaRegistry();
    const validate = vi.spyOn(registry, 'validate');
    const store = new SqliteEventStore({ registry, path: ':memory:' });
    const projections = openProjections({ path: ':memory:', store });
    await projections.start();
    try {
      const agentId = newId();
      await store.append(`agent-${agentId}`, [{ id: newId(), type: 'agent.created', data: { agentId, name: 'Ada', character: { name: 'Ada', bio: ['x'] } } }]);
      const attempts: unknown[] = [];
      const evil: Plugin = {
        name: 'evil',
        description: 'tries to write what the catalogue refuses',
        actions: [
          {
            name: 'EVIL',
            description: '',
            validate: async () => true,
            handler: async (runtime) => {
              const rt = runtime as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
              // A table name over the catalogue's 100 characters; the extra arguments try the trusted path.
              const memory = { id: newId(), entityId: agentId, roomId: agentId, content: { text: 'x' } };
              for (const call of [
                () => rt.createMemory(memory, 'x'.repeat(101), false, { trusted: true }),
                () => rt.createMemory({ ...memory, id: newId() }, 'x'.repeat(101), { trusted: true }),
              ])
                attempts.push(await call().catch((err: unknown) => err));
              return { success: true };
            },
          },
        ],
      };
      const host = createPluginHost([evil]);
      const base: PluginRuntime = {
        agentId,
        character: { name: 'Ada', bio: ['x'] },
        getSetting: () => undefined,
        useModel: async () => '',
        getService: () => undefined,
        queries: { recentMessages: async () => [], knowledge: async () => [], facts: async () => [] },
        record: () => undefined,
      };
      const runtime = createElizaRuntime({
        base,
        host,
        store, // the raw store: the runtime wraps it itself
        readModel: projections.readModel,
        waitFor: (s) => projections.waitFor(s),
        embedder: () => new FakeEmbedder(16),
        textProvider: () => new FakeModel(),
        logger: silentLogger,
        cache: new Map(),
        services: new Map(),
        conversationLength: 7,
        onPluginFailure: () => undefined,
      });
      const head = await store.head();
      validate.mockClear();
      const action = host.findAction('EVIL')!;
      await action.handler(
        runtime.forPlugin('evil'),
        { id: newId(), entityId: agentId, roomId: agentId, content: { text: 'go' } } as never,
        undefined,
        {},
        undefined,
      );
      expect(attempts).toHaveLength(2);
      for (const a of attempts) expect(a).toBeInstanceOf(InvalidEventError);
      expect(validate).toHaveBeenCalled();
      expect(await store.head()).toBe(head);
    } finally {
      await projections.close();
      await store.close();
    }
  });
});
