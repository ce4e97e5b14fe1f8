import type { Projection } from '../projection.ts';

/**
 * Rooms and who is in them (membership is what the transport checks before any room read). A branch
 * (`room.forked`) is a room row with `fork_of`/`fork_seq`: its history before its own messages is the
 * source's up to fork_seq, read through (room-lineage.ts), never copied.
 */
export const roomsProjection: Projection = {
  name: 'rooms',
  version: 2, // 2: fork_of, fork_seq, fork_message_id (room.forked)
  tables: ['rooms', 'participants'],
  vectorKinds: [],
  handles: ['room.created', 'room.forked', 'room.participant_joined', 'room.participant_left'],
  ddl: `
    CREATE TABLE IF NOT EXISTS rooms (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, created_by TEXT NOT NULL, created_at INTEGER NOT NULL, seq INTEGER NOT NULL,
      fork_of TEXT, fork_seq INTEGER, fork_message_id TEXT);
    CREATE TABLE IF NOT EXISTS participants (
      room_id TEXT NOT NULL, participant_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, seq INTEGER NOT NULL,
      PRIMARY KEY (room_id, participant_id));
    CREATE INDEX IF NOT EXISTS participants_by_participant ON participants (participant_id, room_id);
  `,
  prepare({ db }) {
    const create = db.prepare(
      `INSERT INTO rooms (id, name, created_by, created_at, seq) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
    );
    const fork = db.prepare(
      `INSERT INTO rooms (id, name, created_by, created_at, seq, fork_of, fork_seq, fork_message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    );
    // Joining twice keeps the first join (its position in the participant list).
    const join = db.prepare('INSERT OR IGNORE INTO participants (room_id, participant_id, kind, name, seq) VALUES (?, ?, ?, ?, ?)');
    const leave = db.prepare('DELETE FROM participants WHERE room_id = ? AND participant_id = ?');
    return (e) => {
      switch (e.type) {
        case 'room.created':
          create.run(e.data.roomId, e.data.name, e.data.createdBy, e.meta.timestamp, e.seq);
          break;
        case 'room.forked':
          fork.run(e.data.roomId, e.data.name, e.data.createdBy, e.meta.timestamp, e.seq, e.data.sourceRoomId, e.data.atSeq, e.data.atMessageId ?? null);
          break;
        case 'room.participant_joined':
          join.run(e.data.roomId, e.data.participantId, e.data.kind, e.data.name, e.seq);
          break;
        case 'room.participant_left':
          leave.run(e.data.roomId, e.data.participantId);
          break;
        default:
          break;
      }
    };
  },
};
