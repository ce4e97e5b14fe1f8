import type { Projection } from '../projection.ts';

/**
 * Messages (keyed by their seq: pagination is by seq and the FTS/vec rowids are the seq), the FTS5
 * index for lexical search, and message vectors (from `message.embedded`) partitioned by room.
 *
 * The FTS5 table is external-content (content='messages'): it keeps only its index and reads a
 * message's text from `messages`, instead of a second copy of every text. That is safe because a
 * message's text is written once and never changed or deleted here (FTS5 would need the old text to
 * un-index it).
 */
export const messagesProjection: Projection = {
  name: 'messages',
  version: 6, // 2: vec0 chunk_size 64; 3: k-means cells; 4: one partition per scope again (big scopes searched in memory); 5: int8 vectors; 6: external-content FTS
  tables: ['messages', 'messages_fts'],
  vectorKinds: ['message'],
  handles: ['message.posted', 'message.embedded'],
  ddl: `
    CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, room_id TEXT NOT NULL, author_id TEXT NOT NULL,
      author_kind TEXT NOT NULL, text TEXT NOT NULL, in_reply_to TEXT, client_message_id TEXT,
      created_at INTEGER NOT NULL, embedded_model TEXT);
    CREATE INDEX IF NOT EXISTS messages_by_room ON messages (room_id, seq);
    CREATE INDEX IF NOT EXISTS messages_by_client_id ON messages (author_id, client_message_id) WHERE client_message_id IS NOT NULL;
    CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5 (text, content = 'messages', content_rowid = 'seq', tokenize = 'porter unicode61');
  `,
  prepare({ db, vectors }) {
    const insert = db.prepare(
      `INSERT OR IGNORE INTO messages (seq, id, room_id, author_id, author_kind, text, in_reply_to, client_message_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const fts = db.prepare('INSERT INTO messages_fts (rowid, text) VALUES (?, ?)');
    const bySeq = db.prepare('SELECT seq FROM messages WHERE id = ?').pluck();
    const model = db.prepare('UPDATE messages SET embedded_model = ? WHERE seq = ?');
    return (e) => {
      switch (e.type) {
        case 'message.posted': {
          const d = e.data;
          const r = insert.run(
            e.seq,
            d.messageId,
            d.roomId,
            d.authorId,
            d.authorKind,
            d.text,
            d.inReplyTo ?? null,
            d.clientMessageId ?? null,
            e.meta.timestamp,
          );
          if (r.changes > 0) fts.run(e.seq, d.text);
          break;
        }
        case 'message.embedded': {
          // The embedder reacts to message.posted, so the message is always earlier in the log.
          const seq = bySeq.get(e.data.messageId) as number | undefined;
          if (seq === undefined) break;
          vectors.put('message', seq, e.data.roomId, e.data.vector);
          model.run(e.data.model, seq);
          break;
        }
        default:
          break;
      }
    };
  },
};
