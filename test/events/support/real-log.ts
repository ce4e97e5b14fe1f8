import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openChronicle } from '../../../src/app/chronicle.ts';
import { bootstrap } from '../../../src/app/bootstrap.ts';
import { createRoom, login, postMessage, type Caller } from '../../../src/app/commands/index.ts';
import { eventRegistry } from '../../../src/domain/event-registry.ts';
import { exportLog } from '../../../src/events/ndjson.ts';
import { SqliteEventStore } from '../../../src/events/sqlite/sqlite-event-store.ts';
import { readSettings } from '../../../src/settings/settings.ts';
import { silentLogger } from '../../../src/shared/logger.ts';
import { builtIns } from '../../../plugins/built-in.ts';
import { startFakeOpenAI } from '../../support/fake-model-servers.ts';
import { rowsOf } from './ndjson-rows.ts';

/**
 * Writes into `dataDir` a log made by Chronicle's own code: a first start (openChronicle and
 * bootstrap: the admin account, the default agent with its character), a login (refresh-token
 * events), a room with the agent, a message and the agent's real turn against an instant fake OpenAI
 * server (reply.decided, model.called, message.posted, reply.traced — trusted appends, never parsed at
 * append), both messages' embeddings (message.embedded, int8 vectors) and a knowledge document
 * (knowledge.* with chunk vectors). The store is closed when it returns; `data.key` is in `dataDir`.
 */
export async function writeRealLog(dataDir: string): Promise<void> {
  const fake = await startFakeOpenAI();
  try {
    const settings = readSettings({
      DATA_DIR: dataDir,
      ADMIN_PASSWORD: 'admin-password-1',
      MODEL_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: 'x',
      EMBEDDING_PROVIDER: 'openai',
      LOG_LEVEL: 'silent',
    });
    const chronicle = await openChronicle(settings, builtIns, { logger: silentLogger });
    try {
      const { defaultAgentId } = await bootstrap(chronicle);
      if (!defaultAgentId) throw new Error('a first start creates the default agent');
      const session = await login(chronicle, { username: 'admin', password: 'admin-password-1' });
      const caller: Caller = { accountId: session.account.id, role: 'admin' };
      const room = await createRoom(chronicle, caller, { name: 'real log', agentIds: [defaultAgentId] });
      await postMessage(chronicle, caller, { roomId: room.id, text: 'Hello, who are you?' });
      await chronicle.knowledge.ingest({
        agentId: defaultAgentId,
        title: 'Opening hours',
        text: 'The shop opens at nine.\n\nIt closes at five on working days and at noon on Saturdays.',
      });
      const count = async (type: string) => (await chronicle.store.readAll({ types: [type], limit: 100 })).length;
      // The turn and the embeddings land in the background: wait for them (bounded: ~15 s).
      for (let i = 0; ; i++) {
        if ((await count('reply.traced')) >= 1 && (await count('message.embedded')) >= 2) break;
        if (i >= 750) throw new Error('timed out waiting for the agent reply and both message embeddings');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await chronicle.close();
    }
  } finally {
    await fake.close();
  }
}

/** writeRealLog's log exported as `chronicle events export` writes it, and the event types in it. */
export async function realLogExport(): Promise<{ ndjson: string; types: Set<string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'chronicle-real-log-'));
  try {
    await writeRealLog(dir);
    const store = new SqliteEventStore({ registry: eventRegistry, path: join(dir, 'events.db'), readonly: true });
    try {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      await exportLog(store, out);
      out.end();
      const ndjson = Buffer.concat(chunks).toString('utf8');
      return { ndjson, types: new Set(rowsOf(ndjson).map((r) => r.type)) };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
