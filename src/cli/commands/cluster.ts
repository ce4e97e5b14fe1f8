import pg from 'pg';
import { dataPaths } from '../../app/data-dir.ts';
import { openEventLog } from '../../app/event-log.ts';
import { ownerOf, readNodeRows, type NodeRow } from '../../cluster/index.ts';
import { type Command, say, UsageError } from '../command.ts';
import { cliSettings, dataDirOption } from '../settings-from-env.ts';
import { actorIds } from '../../domain/streams.ts';

/** Agents in the log (created and not deleted), by id, with their names. */
async function agentsOf(store: Awaited<ReturnType<typeof openEventLog>>): Promise<Map<string, string>> {
  const agents = new Map<string, string>();
  for (let after = 0; ; ) {
    const page = await store.readAll({ afterSeq: after, limit: 5000, types: ['agent.created', 'agent.deleted'] });
    if (page.length === 0) return agents;
    for (const e of page) {
      if (e.type === 'agent.created') agents.set(e.data.agentId, e.data.name);
      else if (e.type === 'agent.deleted') agents.delete(e.data.agentId);
    }
    after = page[page.length - 1].seq;
  }
}

export const clusterCommand: Command = {
  name: 'cluster',
  usage: `Usage: chronicle cluster status [--json]

The nodes sharing DATABASE_URL's log: each node's lease (live or expired, on PostgreSQL's clock), its
URL, fencing token, how far its read models are behind the log's head, and which agents it owns.`,
  options: { ...dataDirOption, json: { type: 'boolean' } },
  allowPositionals: true,
  async run({ values, positionals }) {
    if (positionals[0] !== 'status') throw new UsageError('chronicle cluster status');
    const settings = cliSettings(values);
    if (!settings.databaseUrl) throw new Error('DATABASE_URL is not set: a cluster shares one PostgreSQL log (see README, "A cluster of nodes")');
    const store = await openEventLog(settings, dataPaths(settings.dataDir), { readonly: true });
    const db = new pg.Client({ connectionString: settings.databaseUrl });
    await db.connect();
    try {
      const head = await store.head();
      let rows: NodeRow[] = [];
      try {
        rows = await readNodeRows(db, '"chronicle"');
      } catch (err) {
        if ((err as { code?: string }).code !== '42P01') throw err; // no cluster table: no node ever ran
      }
      const live = rows.filter((r) => r.live).map((r) => r.nodeId);
      const agents = await agentsOf(store);
      const owners = [...agents].map(([id, name]) => ({ agentId: id, name, owner: ownerOf(actorIds.agent(id), live) ?? null }));
      if (values.json) {
        process.stdout.write(JSON.stringify({ head, nodes: rows.map((r) => ({ ...r, lag: Math.max(0, head - r.position) })), agents: owners }) + '\n');
        return 0;
      }
      say(`log head: seq ${head}; ${live.length} live node(s) of ${rows.length}`);
      const table = [
        ['node', 'state', 'url', 'token', 'lag', 'owned', 'heartbeat'],
        ...rows.map((r) => [
          r.nodeId,
          r.live ? `live (${Math.round(r.expiresInMs / 100) / 10} s left)` : 'expired',
          r.url ?? '-',
          String(r.token),
          r.live ? String(Math.max(0, head - r.position)) : '-',
          String(r.owned),
          `${Math.round(r.heartbeatAgoMs / 100) / 10} s ago`,
        ]),
      ];
      const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
      for (const row of table)
        process.stdout.write(
          row
            .map((cell, c) => cell.padEnd(widths[c]))
            .join('  ')
            .trimEnd() + '\n',
        );
      if (owners.length) process.stdout.write('\n' + owners.map((o) => `${o.owner ?? '(no live node)'}  ${o.name}  agent-${o.agentId}`).join('\n') + '\n');
      return 0;
    } finally {
      await db.end();
      await store.close();
    }
  },
};
