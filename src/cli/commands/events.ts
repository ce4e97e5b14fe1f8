import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { SqliteEventStore } from '../../events/sqlite/sqlite-event-store.ts';
import { exportLog, importLog } from '../../events/ndjson.ts';
import { dataPaths, ensureDataDir } from '../../app/data-dir.ts';
import { type Command, UsageError } from '../command.ts';
import { cliSettings, dataDirOption } from '../settings-from-env.ts';
import { progressPrinter } from '../progress.ts';

export const eventsCommand: Command = {
  name: 'events',
  summary: 'export the log as NDJSON, or import an NDJSON log into an empty data directory',
  usage: `Usage: chronicle events export [--out FILE] [--data-dir DIR]
       chronicle events import [--in FILE] [--data-dir DIR]

export  writes one JSON object per event, in seq order, exactly as stored (hashes included, so the
        export can be verified on its own). To stdout unless --out is given.
import  reads such a file (stdin unless --in is given) into a data directory whose log is EMPTY,
        verifying the hash chain as it goes. A broken chain, bad JSON or a duplicate id refuses the
        whole import and writes nothing. Then run \`chronicle replay\` to build the read tables.`,
  options: { ...dataDirOption, out: { type: 'string' }, in: { type: 'string' } },
  allowPositionals: true,
  async run({ values, positionals }) {
    const [action, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const settings = cliSettings(values);
    const paths = dataPaths(settings.dataDir);
    if (action === 'export') {
      if (!existsSync(paths.events)) throw new Error(`no event log at ${paths.events}`);
      // Read-only: an export may run beside a live server (the writer keeps its lock).
      const store = new SqliteEventStore({ path: paths.events, readonly: true });
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
        return 0;
      } finally {
        await store.close();
      }
    }
    if (action === 'import') {
      ensureDataDir(settings.dataDir);
      const store = new SqliteEventStore({ path: paths.events });
      const progress = progressPrinter('import');
      try {
        const input = typeof values.in === 'string' ? createReadStream(values.in) : process.stdin;
        const count = await importLog(store, input, { onProgress: (p) => progress.update(p.events) });
        progress.done(`${count} events imported and verified; run \`chronicle replay\` next`);
        return 0;
      } finally {
        await store.close();
      }
    }
    throw new UsageError(action ? `unknown action "${action}" (export or import)` : 'missing action: export or import');
  },
};
