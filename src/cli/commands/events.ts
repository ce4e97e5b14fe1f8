import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { exportLog, importLog } from '../../events/ndjson.ts';
import { dataPaths, ensureDataDir, existingDataKey, secureDataFiles } from '../../app/data-dir.ts';
import { forgetVerifiedHead } from '../../app/log-check.ts';
import { eventLogExists, eventLogName, openEventLog } from '../../app/event-log.ts';
import { SecretBox } from '../../shared/secrets.ts';
import { type Command, say, UsageError } from '../command.ts';
import { cliSettings, dataDirOption } from '../settings-from-env.ts';
import { progressPrinter } from '../progress.ts';

export const eventsCommand: Command = {
  name: 'events',
  usage: `Usage: chronicle events export [--out FILE] [--data-dir DIR]
       chronicle events import [--in FILE] [--data-dir DIR] [--without-key]

The log is DATA_DIR/events.db, or the PostgreSQL database of DATABASE_URL when it is set: export
from one and import into the other to move a log between them (both ways).

export  writes one JSON object per event, in seq order, exactly as stored (hashes included, so the
        export can be verified on its own). To stdout unless --out is given. Passwords and agent
        secrets in it are sealed with DATA_DIR/data.key: keep that file with the export.
import  reads such a file (stdin unless --in is given) into a data directory whose log is EMPTY,
        verifying the hash chain and checking every event as an append would (a known type, a
        payload its schema accepts) as it goes. A broken chain, bad JSON, a duplicate id or an event
        an append would refuse (naming its line, seq, type and field) refuses the whole import and
        writes nothing. So does sealed data the target's key (DATA_KEY, or
        DATA_DIR/data.key — copy the source's there first) cannot open, unless --without-key is
        given (then nobody can log in and sealed secrets stay unreadable).
        Then run \`chronicle replay\` to build the read tables.`,
  options: { ...dataDirOption, out: { type: 'string' }, in: { type: 'string' }, 'without-key': { type: 'boolean' } },
  allowPositionals: true,
  async run({ values, positionals }) {
    const [action, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const settings = cliSettings(values);
    const paths = dataPaths(settings.dataDir);
    if (action === 'export') {
      if (!eventLogExists(settings, paths)) throw new Error(`no event log at ${paths.events}`);
      // Read-only: an export may run beside a live server (the writer keeps its lock). It copies stored
      // rows as they are, so the event schemas are never built.
      const store = await openEventLog(settings, paths, { readonly: true, rawRowsOnly: true });
      const progress = progressPrinter('export');
      try {
        const out = typeof values.out === 'string' ? createWriteStream(values.out) : process.stdout;
        const total = await store.head();
        const count = await exportLog(store, out, { onProgress: (p) => progress.update(p.events, total) });
        if (out !== process.stdout) {
          out.end();
          await finished(out);
        }
        progress.done(`${count} events exported`);
        say(
          `note: account passwords and agent secrets in this export are sealed with the data key ${settings.dataKey !== undefined ? '(DATA_KEY)' : paths.dataKey}. ` +
            'Back it up with the export and put it in the target DATA_DIR (or DATA_KEY) before `chronicle events import`: without it nobody can log in.',
        );
        return 0;
      } finally {
        await store.close();
      }
    }
    if (action === 'import') {
      const withoutKey = values['without-key'] === true;
      const key = existingDataKey(settings, paths);
      if (!key && !withoutKey) {
        throw new Error(
          `no data key for ${settings.dataDir}: copy the source's data.key to ${paths.dataKey} (or set DATA_KEY to its content) first; ` +
            '--without-key imports anyway, and then nobody can log in and sealed secrets stay unreadable',
        );
      }
      ensureDataDir(settings.dataDir);
      secureDataFiles(paths);
      const store = await openEventLog(settings, paths);
      const progress = progressPrinter('import');
      try {
        const raw = typeof values.in === 'string' ? createReadStream(values.in) : process.stdin;
        const box = key && !withoutKey ? new SecretBox(key.key) : undefined;
        const input = box ? checkingFirstSealedValue(raw, box, key!.source) : raw;
        const count = await importLog(store, input, { onProgress: (p) => progress.update(p.events) });
        forgetVerifiedHead(paths); // a new log: the next start checks all of it
        progress.done(`${count} events imported into ${eventLogName(settings, paths)} and verified; run \`chronicle replay\` next`);
        if (withoutKey) say('warning: imported --without-key: sealed passwords and secrets were not checked against a data key');
        return 0;
      } finally {
        await store.close();
      }
    }
    throw new UsageError(action ? `unknown action "${action}" (export or import)` : 'missing action: export or import');
  },
};

/** A sealed value ("enc:v1:<iv>:<tag>:<ciphertext>") inside an exported row's encoded data, closing quote included. */
const SEALED = /enc:v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+(?=\\?")/;

/**
 * Passes the export through, opening the first sealed value met with the target's key: a log sealed
 * under another key fails the import (which then writes nothing) with a message naming data.key.
 */
function checkingFirstSealedValue(input: Readable, box: SecretBox, keySource: string): Readable {
  let carry = '';
  let checked = false;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (!checked) {
        const text = carry + chunk.toString('utf8');
        const match = SEALED.exec(text);
        if (match) {
          checked = true;
          try {
            box.open(match[0]);
          } catch {
            done(
              new Error(
                `this log's sealed data (passwords, secrets) cannot be opened with ${keySource}: it was sealed with another data.key. Copy the source's data.key there (or set DATA_KEY), or import with --without-key (nobody could log in)`,
              ),
            );
            return;
          }
        } else {
          carry = text.slice(-1024); // a sealed value may straddle two chunks
        }
      }
      done(null, chunk);
    },
  });
  input.on('error', (err) => out.destroy(err));
  return input.pipe(out);
}
