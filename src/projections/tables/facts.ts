import type { Projection } from '../projection.ts';

/** Facts an agent recorded (its long-term memory), with FTS5 and vectors partitioned by agent. */
export const factsProjection: Projection = {
  name: 'facts',
  version: 5, // 2: vec0 chunk_size 64; 3: k-means cells; 4: one partition per scope again (big scopes searched in memory); 5: int8 vectors
  tables: ['facts', 'facts_fts'],
  vectorKinds: ['fact'],
  handles: ['agent.fact_recorded'],
  ddl: `
    CREATE TABLE IF NOT EXISTS facts (
      rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, agent_id TEXT NOT NULL, room_id TEXT NOT NULL, text TEXT NOT NULL,
      source_message_ids TEXT NOT NULL, model TEXT, created_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS facts_by_agent ON facts (agent_id, room_id, rid);
    CREATE VIRTUAL TABLE IF NOT EXISTS facts_fts USING fts5 (text, tokenize = 'porter unicode61');
  `,
  prepare({ db, vectors }) {
    const insert = db.prepare(
      'INSERT OR IGNORE INTO facts (rid, id, agent_id, room_id, text, source_message_ids, model, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const fts = db.prepare('INSERT INTO facts_fts (rowid, text) VALUES (?, ?)');
    return (e) => {
      if (e.type !== 'agent.fact_recorded') return;
      const d = e.data;
      const r = insert.run(e.seq, d.factId, d.agentId, d.roomId, d.text, JSON.stringify(d.sourceMessageIds), d.model ?? null, e.meta.timestamp);
      if (r.changes === 0) return;
      fts.run(e.seq, d.text);
      if (d.vector) vectors.put('fact', e.seq, d.agentId, d.vector);
    };
  },
};
