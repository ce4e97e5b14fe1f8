import { dataPaths } from '../../app/data-dir.ts';
import { type Command, say } from '../command.ts';
import { cliSettings, dataDirOption } from '../settings-from-env.ts';
import { eventLogExists, eventLogName, openEventLog } from '../../app/event-log.ts';
import type { EventStore } from '../../events/store.ts';
import { type RawLogSource, rawPages } from '../../events/ndjson.ts';

export const verifyCommand: Command = {
  name: 'verify',
  usage: `Usage: chronicle verify [--data-dir DIR] [--payloads] [--json]

Re-computes every event's hash from its predecessor and checks that seqs and per-stream versions
have no gaps. Exits 0 when the log is intact, 1 at the first edited, deleted or reordered event.

--payloads  also checks every event as an import checks it: its envelope and its payload, upcast
            as reads do, against the event catalogue (a hash chain can be recomputed by anyone, and
            a log imported before imports were checked may hold what no append would accept).
            Exits 1 at the first event refused, naming its seq, type and field.`,
  options: { ...dataDirOption, json: { type: 'boolean' }, payloads: { type: 'boolean' } },
  async run({ values }) {
    const settings = cliSettings(values);
    const paths = dataPaths(settings.dataDir);
    if (!eventLogExists(settings, paths)) throw new Error(`no event log at ${paths.events}`);
    const path = eventLogName(settings, paths);
    const store = await openEventLog(settings, paths, { readonly: true, rawRowsOnly: true });
    try {
      const report: Awaited<ReturnType<EventStore['verify']>> & { payloads?: PayloadReport } = await store.verify();
      if (report.ok && values.payloads) report.payloads = await checkPayloads(store);
      if (values.json) process.stdout.write(JSON.stringify(report) + '\n');
      if (!report.ok) {
        say(`BROKEN at seq ${report.problem!.seq} (${report.problem!.kind}): ${report.problem!.detail} — ${report.checked} events before it are intact`);
        return 1;
      }
      const refused = report.payloads?.problem;
      if (refused) {
        say(`REFUSED at seq ${refused.seq} (${refused.reason}): ${refused.detail} — the chain is intact; ${report.payloads!.checked} events before it pass`);
        return 1;
      }
      say(`ok: ${report.checked} events verified${report.payloads ? ', every payload valid' : ''} in ${path}`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

interface PayloadReport {
  checked: number;
  problem?: { seq: number; reason: string; type?: string; field?: string; detail: string };
}

/**
 * Walks the log through the import's event check (src/events/import-check.ts) with the event catalogue;
 * the chain was verified by the store just before, so it is not hashed again.
 */
async function checkPayloads(store: RawLogSource): Promise<PayloadReport> {
  // Loaded here: the catalogue's schemas (zod) are what a plain `verify` never needs.
  const [{ checkStoredEvent }, { ImportRefusedError }, { eventRegistry }] = await Promise.all([
    import('../../events/import-check.ts'),
    import('../../events/errors.ts'),
    import('../../domain/event-registry.ts'),
  ]);
  let checked = 0;
  for await (const rows of rawPages(store)) {
    for (const row of rows) {
      try {
        checkStoredEvent(eventRegistry, row);
      } catch (err) {
        if (!(err instanceof ImportRefusedError)) throw err;
        return { checked, problem: { seq: row.seq, reason: err.reason, type: err.eventType, field: err.field, detail: err.message } };
      }
      checked++;
    }
  }
  return { checked };
}
