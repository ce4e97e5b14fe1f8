import type { Projection } from '../projection.ts';

/**
 * Knowledge documents and their chunks, with FTS5 over chunk text and chunk vectors partitioned by
 * agent. Removing a document deletes its chunks from every index (the log keeps them, of course).
 * Chunk rows are keyed by the seq of their first `knowledge.chunk_embedded` (deterministic on replay).
 */
export const knowledgeProjection: Projection = {
  name: 'knowledge',
  version: 5, // 2: vec0 chunk_size 64; 3: k-means cells; 4: one partition per scope again (big scopes searched in memory); 5: int8 vectors
  tables: ['documents', 'chunks', 'chunks_fts'],
  vectorKinds: ['chunk'],
  handles: ['knowledge.document_added', 'knowledge.chunk_embedded', 'knowledge.document_ready', 'knowledge.document_failed', 'knowledge.document_removed'],
  ddl: `
    CREATE TABLE IF NOT EXISTS documents (
      id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, title TEXT NOT NULL, source TEXT NOT NULL, content_hash TEXT NOT NULL,
      chars INTEGER NOT NULL, total_chunks INTEGER NOT NULL, status TEXT NOT NULL, error TEXT, removed INTEGER NOT NULL,
      created_at INTEGER NOT NULL, seq INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS documents_by_agent ON documents (agent_id, seq);
    CREATE TABLE IF NOT EXISTS chunks (
      rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL, agent_id TEXT NOT NULL,
      idx INTEGER NOT NULL, text TEXT NOT NULL, content_hash TEXT NOT NULL, model TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks (document_id, idx);
    CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (text, tokenize = 'porter unicode61');
  `,
  prepare({ db, vectors }) {
    const add = db.prepare(
      `INSERT INTO documents (id, agent_id, title, source, content_hash, chars, total_chunks, status, error, removed, created_at, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'ingesting', NULL, 0, ?, ?)
       ON CONFLICT (id) DO UPDATE SET title = excluded.title, source = excluded.source, content_hash = excluded.content_hash,
         chars = excluded.chars, total_chunks = excluded.total_chunks, status = 'ingesting', error = NULL, removed = 0`,
    );
    const doc = db.prepare('SELECT agent_id AS agentId, removed FROM documents WHERE id = ?');
    const chunkRid = db.prepare('SELECT rid FROM chunks WHERE id = ?').pluck();
    const insertChunk = db.prepare('INSERT INTO chunks (rid, id, document_id, agent_id, idx, text, content_hash, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const updateChunk = db.prepare('UPDATE chunks SET text = ?, content_hash = ?, model = ? WHERE rid = ?');
    const ftsInsert = db.prepare('INSERT INTO chunks_fts (rowid, text) VALUES (?, ?)');
    const ftsDelete = db.prepare('DELETE FROM chunks_fts WHERE rowid = ?');
    const ready = db.prepare(`UPDATE documents SET status = 'ready', total_chunks = ? WHERE id = ? AND removed = 0`);
    const failed = db.prepare(`UPDATE documents SET status = 'failed', error = ? WHERE id = ? AND removed = 0`);
    const chunksOf = db.prepare('SELECT rid FROM chunks WHERE document_id = ?').pluck();
    const deleteChunks = db.prepare('DELETE FROM chunks WHERE document_id = ?');
    const remove = db.prepare('UPDATE documents SET removed = 1 WHERE id = ?');
    return (e) => {
      switch (e.type) {
        case 'knowledge.document_added': {
          const d = e.data;
          add.run(d.documentId, d.agentId, d.title, d.source, d.contentHash, d.chars, d.totalChunks, e.meta.timestamp, e.seq);
          break;
        }
        case 'knowledge.chunk_embedded': {
          const d = e.data;
          const owner = doc.get(d.documentId) as { agentId: string; removed: number } | undefined;
          // A chunk that arrives after its document was removed (ingestion racing a delete) stays out.
          if (!owner || owner.removed) break;
          const existing = chunkRid.get(d.chunkId) as number | undefined;
          const rid = existing ?? e.seq;
          if (existing === undefined) {
            insertChunk.run(rid, d.chunkId, d.documentId, owner.agentId, d.index, d.text, d.contentHash, d.model);
          } else {
            updateChunk.run(d.text, d.contentHash, d.model, rid);
            ftsDelete.run(rid);
          }
          ftsInsert.run(rid, d.text);
          vectors.put('chunk', rid, owner.agentId, d.vector);
          break;
        }
        case 'knowledge.document_ready':
          ready.run(e.data.chunks, e.data.documentId);
          break;
        case 'knowledge.document_failed':
          failed.run(e.data.error, e.data.documentId);
          break;
        case 'knowledge.document_removed': {
          for (const rid of chunksOf.all(e.data.documentId) as number[]) {
            ftsDelete.run(rid);
            vectors.remove('chunk', rid);
          }
          deleteChunks.run(e.data.documentId);
          remove.run(e.data.documentId);
          break;
        }
        default:
          break;
      }
    };
  },
};
