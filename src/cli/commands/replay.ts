import { openProjections } from '../../projections/index.ts';
import { dataPaths, secureDataFiles } from '../../app/data-dir.ts';
import { eventLogExists, openEventLog } from '../../app/event-log.ts';
import { type Command, say } from '../command.ts';
import { cliSettings, dataDirOption } from '../settings-from-env.ts';
import { progressPrinter } from '../progress.ts';

export const replayCommand: Command = {
  name: 'replay',
  usage: `Usage: chronicle replay [--verify] [--data-dir DIR]

Drops the read tables and vector indexes and rebuilds them by replaying the log from seq 0. Replay
never calls a model: embeddings and model outputs are in the log.

  --verify   rebuild into a temporary database beside the live one and report every difference;
             the live tables are left untouched. Exits 1 when they differ.

Run it with the server stopped.`,
  options: { ...dataDirOption, verify: { type: 'boolean' } },
  async run({ values }) {
    const settings = cliSettings(values);
    const paths = dataPaths(settings.dataDir);
    if (!eventLogExists(settings, paths)) throw new Error(`no event log at ${paths.events}`);
    secureDataFiles(paths); // read.db created owner-only, like the log
    const store = await openEventLog(settings, paths);
    const projections = openProjections({ path: paths.read, store });
    const progress = progressPrinter(values.verify ? 'verify rebuild' : 'rebuild');
    const started = Date.now();
    try {
      if (values.verify) {
        const result = await projections.verifyRebuild({ onProgress: (d, t) => progress.update(d, t) });
        progress.done(result.ok ? 'live tables equal a fresh rebuild' : `${result.differences.length} difference(s)`);
        for (const d of result.differences.slice(0, 100)) say(`  ${d}`);
        if (result.differences.length > 100) say(`  … and ${result.differences.length - 100} more`);
        return result.ok ? 0 : 1;
      }
      await projections.rebuild({ onProgress: (d, t) => progress.update(d, t) });
      const head = await store.head();
      const seconds = (Date.now() - started) / 1000;
      progress.done(`${head} events replayed in ${seconds.toFixed(2)} s (${Math.round(head / Math.max(seconds, 0.001))} events/s)`);
      return 0;
    } finally {
      await projections.close();
      await store.close();
    }
  },
};
