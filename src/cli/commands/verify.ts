import { dataPaths } from '../../app/data-dir.ts';
import { type Command, say } from '../command.ts';
import { cliSettings, dataDirOption } from '../settings-from-env.ts';
import { eventLogExists, eventLogName, openEventLog } from '../../app/event-log.ts';

export const verifyCommand: Command = {
  name: 'verify',
  usage: `Usage: chronicle verify [--data-dir DIR] [--json]

Re-computes every event's hash from its predecessor and checks that seqs and per-stream versions
have no gaps. Exits 0 when the log is intact, 1 at the first edited, deleted or reordered event.`,
  options: { ...dataDirOption, json: { type: 'boolean' } },
  async run({ values }) {
    const settings = cliSettings(values);
    const paths = dataPaths(settings.dataDir);
    if (!eventLogExists(settings, paths)) throw new Error(`no event log at ${paths.events}`);
    const path = eventLogName(settings, paths);
    const store = await openEventLog(settings, paths, { readonly: true, rawRowsOnly: true });
    try {
      const report = await store.verify();
      if (values.json) process.stdout.write(JSON.stringify(report) + '\n');
      if (report.ok) say(`ok: ${report.checked} events verified in ${path}`);
      else say(`BROKEN at seq ${report.problem!.seq} (${report.problem!.kind}): ${report.problem!.detail} — ${report.checked} events before it are intact`);
      return report.ok ? 0 : 1;
    } finally {
      await store.close();
    }
  },
};
