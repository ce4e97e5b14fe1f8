import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrap } from '../../../src/app/bootstrap.ts';
import { openChronicle } from '../../../src/app/chronicle.ts';
import { readSettings } from '../../../src/settings/settings.ts';
import { startServer } from '../../../src/transport/server.ts';
import { startFakeOpenAI } from '../../support/fake-model-servers.ts';
import { builtIns } from '../../../plugins/built-in.ts';

export const ADMIN_PASSWORD = 'admin-password-1';

/** A real Chronicle server on 127.0.0.1 with an instant fake OpenAI-compatible model ("Echo: …"). */
export async function startRealServer(env: Record<string, string> = {}) {
  const fake = await startFakeOpenAI({ reply: (text) => `Echo: ${text}`, chunkDelayMs: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'chronicle-clients-'));
  const settings = readSettings({
    MODEL_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'x',
    EMBEDDING_PROVIDER: 'openai',
    DATA_DIR: dir,
    PORT: '0',
    HOST: '127.0.0.1',
    RATE_LIMIT_PER_MIN: '0',
    LOG_LEVEL: 'silent',
    ADMIN_PASSWORD,
    ...env,
  });
  const chronicle = await openChronicle(settings, builtIns);
  await bootstrap(chronicle);
  const server = await startServer(chronicle, { webRoot: false });
  return {
    url: server.url as string,
    async close() {
      await server.close();
      await chronicle.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
