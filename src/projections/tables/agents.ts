import type { Projection } from '../projection.ts';

/** Agents: character (secrets still sealed), running/stopped, deleted. */
export const agentsProjection: Projection = {
  name: 'agents',
  version: 1,
  tables: ['agents'],
  vectorKinds: [],
  handles: ['agent.created', 'agent.updated', 'agent.started', 'agent.stopped', 'agent.deleted'],
  ddl: `
    CREATE TABLE IF NOT EXISTS agents (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, character TEXT NOT NULL,
      created_at INTEGER NOT NULL, deleted INTEGER NOT NULL, seq INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS agents_name ON agents (name COLLATE NOCASE);
  `,
  prepare({ db }) {
    const create = db.prepare(
      `INSERT INTO agents (id, name, status, character, created_at, deleted, seq) VALUES (?, ?, 'stopped', ?, ?, 0, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, character = excluded.character, deleted = 0`,
    );
    const update = db.prepare('UPDATE agents SET name = ?, character = ? WHERE id = ?');
    const status = db.prepare('UPDATE agents SET status = ? WHERE id = ?');
    // A deleted agent is also stopped: nothing may answer for it any more.
    const del = db.prepare(`UPDATE agents SET deleted = 1, status = 'stopped' WHERE id = ?`);
    return (e) => {
      switch (e.type) {
        case 'agent.created':
          create.run(e.data.agentId, e.data.name, JSON.stringify(e.data.character), e.meta.timestamp, e.seq);
          break;
        case 'agent.updated':
          update.run(e.data.name, JSON.stringify(e.data.character), e.data.agentId);
          break;
        case 'agent.started':
          status.run('running', e.data.agentId);
          break;
        case 'agent.stopped':
          status.run('stopped', e.data.agentId);
          break;
        case 'agent.deleted':
          del.run(e.data.agentId);
          break;
        default:
          break;
      }
    };
  },
};
