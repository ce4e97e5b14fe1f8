import type Database from 'better-sqlite3';
import type { Projection } from '../projection.ts';
import type { VectorIndex } from '../vector-index.ts';

/**
 * Memories ElizaOS plugins create through `runtime.createMemory` (plugin-knowledge's documents and
 * fragments, a plugin's own notes), from `memory.created/updated/deleted` on the agent's stream. Vectors
 * go to the VectorIndex (kind 'memory', partitioned by agent) so `searchMemories` is a KNN in the
 * agent's own partition. A deleted memory leaves the tables (the log keeps it).
 */
export const memoriesProjection: Projection = {
  name: 'memories',
  version: 2, // 2: int8 vectors
  tables: ['memories'],
  vectorKinds: ['memory'],
  handles: ['memory.created', 'memory.updated', 'memory.deleted'],
  ddl: `
    CREATE TABLE IF NOT EXISTS memories (
      rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, agent_id TEXT NOT NULL, table_name TEXT NOT NULL,
      room_id TEXT, world_id TEXT, entity_id TEXT, content TEXT NOT NULL, metadata TEXT, is_unique INTEGER NOT NULL,
      created_at INTEGER NOT NULL, has_vector INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS memories_by_table ON memories (agent_id, table_name, rid);
    CREATE INDEX IF NOT EXISTS memories_by_room ON memories (room_id, table_name, rid);
  `,
  prepare({ db, vectors }) {
    const insert = db.prepare(
      `INSERT OR IGNORE INTO memories (rid, id, agent_id, table_name, room_id, world_id, entity_id, content, metadata, is_unique, created_at, has_vector)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const row = db.prepare('SELECT rid, agent_id AS agentId, content, metadata FROM memories WHERE id = ?');
    const update = db.prepare('UPDATE memories SET content = ?, metadata = ?, has_vector = has_vector OR ? WHERE rid = ?');
    const remove = db.prepare('DELETE FROM memories WHERE rid = ?');
    return (e) => {
      switch (e.type) {
        case 'memory.created': {
          const d = e.data;
          const r = insert.run(
            e.seq,
            d.memoryId,
            d.agentId,
            d.table,
            d.roomId ?? null,
            d.worldId ?? null,
            d.entityId ?? null,
            JSON.stringify(d.content),
            d.metadata ? JSON.stringify(d.metadata) : null,
            d.unique ? 1 : 0,
            d.createdAt ?? e.meta.timestamp,
            d.vector ? 1 : 0,
          );
          if (r.changes > 0 && d.vector) vectors.put('memory', e.seq, d.agentId, d.vector);
          break;
        }
        case 'memory.updated': {
          const d = e.data;
          const old = row.get(d.memoryId) as { rid: number; agentId: string; content: string; metadata: string | null } | undefined;
          // Only the agent that created a memory changes it.
          if (!old || old.agentId !== d.agentId) break;
          const content = d.content ? JSON.stringify({ ...JSON.parse(old.content), ...d.content }) : old.content;
          const metadata = d.metadata ? JSON.stringify({ ...(old.metadata ? JSON.parse(old.metadata) : {}), ...d.metadata }) : old.metadata;
          update.run(content, metadata, d.vector ? 1 : 0, old.rid);
          if (d.vector) vectors.put('memory', old.rid, d.agentId, d.vector);
          break;
        }
        case 'memory.deleted': {
          const old = row.get(e.data.memoryId) as { rid: number; agentId: string } | undefined;
          if (!old || old.agentId !== e.data.agentId) break;
          remove.run(old.rid);
          vectors.remove('memory', old.rid);
          break;
        }
        default:
          break;
      }
    };
  },
};

/** A memory as the read side returns it (ElizaOS `Memory` fields; `similarity` on search hits). */
export interface MemoryView {
  id: string;
  agentId: string;
  table: string;
  roomId?: string;
  worldId?: string;
  entityId?: string;
  content: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  unique: boolean;
  createdAt: number;
  /** Position of the memory.created event in the log. */
  seq: number;
  similarity?: number;
}

export interface MemoryFilter {
  agentId: string;
  table: string;
  roomId?: string;
  worldId?: string;
  entityId?: string;
  unique?: boolean;
  start?: number;
  end?: number;
  count?: number;
  offset?: number;
}

/** Queries over the memories table (optional part of the ReadModel: `readModel.memories`). */
export interface MemoryReadModel {
  byId(id: string): MemoryView | undefined;
  /** Newest first, as ElizaOS's getMemories. */
  list(filter: MemoryFilter): MemoryView[];
  count(filter: Pick<MemoryFilter, 'agentId' | 'table' | 'roomId' | 'unique'>): number;
  /** KNN over the agent's memory vectors of that dimension, best first, then filtered. */
  search(filter: MemoryFilter & { vector: Float32Array; threshold?: number }): MemoryView[];
}

interface MemoryRow {
  rid: number;
  id: string;
  agent_id: string;
  table_name: string;
  room_id: string | null;
  world_id: string | null;
  entity_id: string | null;
  content: string;
  metadata: string | null;
  is_unique: number;
  created_at: number;
}

const view = (r: MemoryRow, similarity?: number): MemoryView => ({
  id: r.id,
  agentId: r.agent_id,
  table: r.table_name,
  ...(r.room_id ? { roomId: r.room_id } : {}),
  ...(r.world_id ? { worldId: r.world_id } : {}),
  ...(r.entity_id ? { entityId: r.entity_id } : {}),
  content: JSON.parse(r.content) as Record<string, unknown>,
  ...(r.metadata ? { metadata: JSON.parse(r.metadata) as Record<string, unknown> } : {}),
  unique: r.is_unique === 1,
  createdAt: r.created_at,
  seq: r.rid,
  ...(similarity !== undefined ? { similarity } : {}),
});

export function createMemoryReadModel(db: Database.Database, vectors: VectorIndex): MemoryReadModel {
  const byId = db.prepare('SELECT * FROM memories WHERE id = ?');
  const byRid = db.prepare('SELECT * FROM memories WHERE rid = ?');
  // Optional filters as "(? IS NULL OR col = ?)": one statement for every combination.
  const where = `agent_id = ? AND table_name = ? AND (? IS NULL OR room_id = ?) AND (? IS NULL OR world_id = ?) AND (? IS NULL OR entity_id = ?)
    AND (? IS NULL OR is_unique = ?) AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at <= ?)`;
  const list = db.prepare(`SELECT * FROM memories WHERE ${where} ORDER BY rid DESC LIMIT ? OFFSET ?`);
  const count = db.prepare(`SELECT count(*) FROM memories WHERE ${where}`).pluck();
  const args = (f: MemoryFilter) => {
    const pair = (v: unknown) => [v ?? null, v ?? null];
    return [
      f.agentId,
      f.table,
      ...pair(f.roomId),
      ...pair(f.worldId),
      ...pair(f.entityId),
      ...pair(f.unique === undefined ? undefined : f.unique ? 1 : 0),
      ...pair(f.start),
      ...pair(f.end),
    ];
  };
  const matches = (r: MemoryRow, f: MemoryFilter) =>
    r.table_name === f.table &&
    (!f.roomId || r.room_id === f.roomId) &&
    (!f.worldId || r.world_id === f.worldId) &&
    (!f.entityId || r.entity_id === f.entityId) &&
    (!f.unique || r.is_unique === 1);
  return {
    byId: (id) => {
      const r = byId.get(id) as MemoryRow | undefined;
      return r && view(r);
    },
    list: (f) => (list.all(...args(f), Math.max(0, f.count ?? 1000), Math.max(0, f.offset ?? 0)) as MemoryRow[]).map((r) => view(r)),
    count: (f) => count.get(...args(f)) as number,
    search(f) {
      const k = Math.max(1, Math.min(f.count ?? 10, 1000));
      const out: MemoryView[] = [];
      // Candidates from the agent's partition; table/room filters after (a few times k, like facts).
      for (const hit of vectors.knn('memory', f.agentId, f.vector, Math.max(4 * k, 20))) {
        const similarity = 1 - hit.distance;
        if (f.threshold !== undefined && similarity < f.threshold) continue;
        const r = byRid.get(hit.rowid) as MemoryRow | undefined;
        if (r && matches(r, f)) out.push(view(r, similarity));
        if (out.length >= k) break;
      }
      return out;
    },
  };
}
