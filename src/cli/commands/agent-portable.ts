import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { SqliteEventStore } from '../../events/sqlite/sqlite-event-store.ts';
import { eventRegistry } from '../../domain/event-registry.ts';
import { dataPaths, existingDataKey } from '../../app/data-dir.ts';
import { openChronicle } from '../../app/chronicle.ts';
import { SecretBox } from '../../shared/secrets.ts';
import { exportAgent } from '../../portable/export-agent.ts';
import { importAgent } from '../../portable/import-agent.ts';
import { passphraseFrom, sealKeyFrom, trustKeyFrom, type KeyOptions } from '../../portable/keys.ts';
import { connectApi } from '../api-client.ts';
import { type CommandDeps, say, UsageError } from '../command.ts';
import { cliSettings } from '../settings-from-env.ts';

type Values = Record<string, string | boolean | undefined>;

export const portableOptions = {
  out: { type: 'string' as const },
  'with-rooms': { type: 'boolean' as const },
  'key-file': { type: 'string' as const },
  'sign-key': { type: 'string' as const },
  'verify-key': { type: 'string' as const },
  'passphrase-file': { type: 'string' as const },
  remap: { type: 'boolean' as const },
  name: { type: 'string' as const },
};

export const portableUsage = `       chronicle agent export NAME [--out FILE] [--with-rooms] (--key-file FILE | --sign-key PEM) [--passphrase-file FILE] [--data-dir DIR]
       chronicle agent import FILE (--key-file FILE | --verify-key PEM) [--passphrase-file FILE] [--remap] [--name NEW] [--url URL | --data-dir DIR]

export writes the agent's events, its knowledge with its vectors, its facts and memories (and with
--with-rooms its rooms' messages) as a self-verifying NDJSON file (a hash chain over its lines, then an
HMAC-SHA256 with the key in --key-file or EXPORT_KEY, or an Ed25519 signature with --sign-key). Reads
DATA_DIR read-only, so it may run beside the server. Secrets are left out unless a passphrase is given
(--passphrase-file or EXPORT_PASSPHRASE): then they travel sealed under scrypt(passphrase) + AES-GCM.
import verifies the whole file first (a damaged, truncated or unauthenticated file is refused, nothing
written), then appends its events keeping their ids (--remap gives them all new ones); importing the
same file twice adds nothing. Secrets are re-sealed with the target's data key. With --url it goes
through a running server (admin account); without, into DATA_DIR directly (stop the server first).`;

const keyOptions = (v: Values): KeyOptions => ({
  keyFile: typeof v['key-file'] === 'string' ? v['key-file'] : undefined,
  signKey: typeof v['sign-key'] === 'string' ? v['sign-key'] : undefined,
  verifyKey: typeof v['verify-key'] === 'string' ? v['verify-key'] : undefined,
});

export async function runAgentExport(values: Values, args: string[]): Promise<number> {
  if (args.length !== 1) throw new UsageError('expected: agent export NAME');
  const key = sealKeyFrom(keyOptions(values));
  const passphrase = passphraseFrom(typeof values['passphrase-file'] === 'string' ? values['passphrase-file'] : undefined);
  const settings = cliSettings(values);
  const paths = dataPaths(settings.dataDir);
  if (!existsSync(paths.events)) throw new Error(`no event log at ${paths.events}`);
  const dataKey = existingDataKey(settings, paths);
  if (passphrase !== undefined && !dataKey) throw new Error('exporting secrets needs the data key (DATA_KEY or DATA_DIR/data.key) that sealed them');
  const store = new SqliteEventStore({ registry: eventRegistry, path: paths.events, readonly: true });
  try {
    const out = typeof values.out === 'string' ? createWriteStream(values.out, { mode: 0o600 }) : process.stdout;
    const count = await exportAgent(store, args[0], out, {
      key,
      withRooms: values['with-rooms'] === true,
      passphrase,
      sourceSecrets: dataKey && new SecretBox(dataKey.key),
    });
    if (out !== process.stdout) {
      out.end();
      await finished(out);
    }
    say(`${count} events exported${passphrase !== undefined ? ' (secrets sealed under the passphrase)' : ' (secrets left out: no passphrase)'}`);
    return 0;
  } finally {
    await store.close();
  }
}

export async function runAgentImport(values: Values, args: string[], deps: CommandDeps): Promise<number> {
  if (args.length !== 1) throw new UsageError('expected: agent import FILE');
  let text: string;
  try {
    text = readFileSync(args[0], 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${args[0]}: ${(err as Error).message}`);
  }
  const trust = trustKeyFrom(keyOptions(values));
  const passphrase = passphraseFrom(typeof values['passphrase-file'] === 'string' ? values['passphrase-file'] : undefined);
  const name = typeof values.name === 'string' ? values.name : undefined;
  const remap = values.remap === true;
  let report: { agentId: string; name: string; events: number; appended: number };
  if (typeof values.url === 'string') {
    const api = await connectApi(values);
    const body = { file: text, ...('hmacKey' in trust ? { key: String(trust.hmacKey) } : { publicKey: trust.publicKeyPem }), passphrase, remap, name };
    report = ((await api.post('/api/v1/admin/agents/import', body)) as { import: typeof report }).import;
  } else {
    const chronicle = await openChronicle(cliSettings(values), await deps.builtIns(), { actors: false });
    try {
      report = await importAgent(chronicle.store, text, {
        trust,
        targetSecrets: chronicle.secrets,
        passphrase,
        remap,
        name,
        agentByName: (n) => chronicle.readModel.agentByName(n),
      });
    } finally {
      await chronicle.close();
    }
  }
  say(`${report.appended} of ${report.events} events appended${report.appended < report.events ? ` (${report.events - report.appended} already here)` : ''}`);
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  return 0;
}
