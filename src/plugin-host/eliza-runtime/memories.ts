import type { NewEvent } from '../../events/envelope.ts';
import type { MessageView } from '../../projections/read-model.ts';
import type { MemoryFilter, MemoryReadModel, MemoryView } from '../../projections/tables/memories.ts';
import { derivedId, sha256Hex } from '../../shared/ids.ts';
import type { ElizaRuntimeParts } from './types.ts';
import { streams } from '../../domain/streams.ts';

/**
 * ElizaOS memories on Chronicle's log. A memory a plugin creates is a `memory.created` event on the
 * agent's stream (projected into the `memories` table, its embedding into the vector index), never a row
 * written directly. The event id derives from the memory id — the plugin's own, or one derived from the
 * table, room, entity and content — so creating the same memory twice (a retried turn, a re-ingested
 * document) appends nothing. Each write waits until the read model has it: a plugin that creates a
 * memory and reads it back sees it.
 *
 * Table "messages" with a room is also Chronicle's conversation: getMemories/getMemoryById return the
 * room's messages (from the room stream) as ElizaOS Memories, merged with what plugins stored there.
 */

/** ElizaOS `Memory`, as these methods read and return it. */
export interface ElizaMemory {
  id?: string;
  entityId?: string;
  agentId?: string;
  roomId?: string;
  worldId?: string;
  content: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  embedding?: number[];
  createdAt?: number;
  unique?: boolean;
  similarity?: number;
}

const toFloat32 = (v: unknown): Float32Array | undefined =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? Float32Array.from(v as number[]) : undefined;

/** Plugin JSON as the log stores it (undefined dropped, functions refused by JSON). */
const plain = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (JSON.parse(JSON.stringify(v)) as Record<string, unknown>) : {});

export const memoryFromView = (m: MemoryView): ElizaMemory => ({
  id: m.id,
  agentId: m.agentId,
  entityId: m.entityId ?? m.agentId,
  roomId: m.roomId ?? m.agentId,
  ...(m.worldId ? { worldId: m.worldId } : {}),
  content: m.content,
  ...(m.metadata ? { metadata: m.metadata } : {}),
  createdAt: m.createdAt,
  unique: m.unique,
  ...(m.similarity !== undefined ? { similarity: m.similarity } : {}),
});

export const memoryFromMessage = (m: MessageView, agentId: string): ElizaMemory => ({
  id: m.id,
  agentId,
  entityId: m.authorId,
  roomId: m.roomId,
  content: { text: m.text, source: 'chronicle', ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}) },
  metadata: { type: 'message', seq: m.seq },
  createdAt: Date.parse(m.createdAt),
});

export function memoryMethods(parts: ElizaRuntimeParts, useEmbedding: (text: string) => Promise<number[]>) {
  const agentId = parts.base.agentId;
  const reads = (): MemoryReadModel => {
    const m = parts.readModel.memories;
    if (!m) throw new Error('memories need the SQLite read model (this read model has no memories table)');
    return m;
  };
  const append = async (events: NewEvent[]) => {
    const meta = { author: { kind: 'agent' as const, id: agentId } };
    const r = await parts.store.append(
      streams.agent(agentId),
      events.map((e) => ({ ...e, meta })),
    );
    await parts.waitFor(r.lastSeq);
  };
  const roomMessages = (roomId: string, count: number): ElizaMemory[] =>
    parts.readModel.listMessages(roomId, { limit: count }).map((m) => memoryFromMessage(m, agentId));

  return {
    async createMemory(memory: ElizaMemory, tableName: string, unique?: boolean): Promise<string> {
      if (!memory || typeof memory !== 'object') throw new TypeError('createMemory: memory must be an object');
      if (typeof tableName !== 'string' || !tableName) throw new TypeError('createMemory: tableName must be a non-empty string');
      const content = plain(memory.content);
      const memoryId = memory.id ?? derivedId(agentId, 'memory', tableName, memory.roomId ?? '', memory.entityId ?? '', sha256Hex(JSON.stringify(content)));
      const vector = toFloat32(memory.embedding);
      await append([
        {
          id: derivedId(agentId, 'memory.created', memoryId),
          type: 'memory.created',
          data: {
            agentId,
            memoryId,
            table: tableName,
            ...(memory.roomId ? { roomId: memory.roomId } : {}),
            ...(memory.worldId ? { worldId: memory.worldId } : {}),
            ...(memory.entityId ? { entityId: memory.entityId } : {}),
            content,
            ...(memory.metadata ? { metadata: plain(memory.metadata) } : {}),
            ...((unique ?? memory.unique) ? { unique: true } : {}),
            ...(typeof memory.createdAt === 'number' ? { createdAt: memory.createdAt } : {}),
            ...(vector ? { vector } : {}),
          },
        },
      ]);
      return memoryId;
    },

    async getMemories(params: Omit<MemoryFilter, 'agentId' | 'table'> & { tableName: string; agentId?: string }): Promise<ElizaMemory[]> {
      const { tableName, agentId: _ignored, ...filter } = params;
      const stored = reads()
        .list({ ...filter, agentId, table: tableName })
        .map(memoryFromView);
      if (tableName !== 'messages' || !params.roomId) return stored;
      const count = params.count ?? parts.conversationLength;
      // Newest first, as ElizaOS returns them.
      return [...roomMessages(params.roomId, count), ...stored].sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0)).slice(0, count);
    },

    async getMemoryById(id: string): Promise<ElizaMemory | null> {
      const m = reads().byId(id);
      if (m) return m.agentId === agentId ? memoryFromView(m) : null;
      const message = parts.readModel.messageById(id);
      return message && parts.readModel.isMember(message.roomId, agentId) ? memoryFromMessage(message, agentId) : null;
    },

    async getMemoriesByIds(ids: string[], tableName?: string): Promise<ElizaMemory[]> {
      const out: ElizaMemory[] = [];
      for (const id of ids) {
        const m = reads().byId(id);
        if (m && m.agentId === agentId && (!tableName || m.table === tableName)) out.push(memoryFromView(m));
      }
      return out;
    },

    async getMemoriesByRoomIds(params: { tableName: string; roomIds: string[]; limit?: number }): Promise<ElizaMemory[]> {
      const all = await Promise.all(params.roomIds.map((roomId) => this.getMemories({ tableName: params.tableName, roomId, count: params.limit })));
      return all
        .flat()
        .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))
        .slice(0, params.limit ?? Infinity);
    },

    async searchMemories(params: {
      embedding: number[];
      tableName: string;
      match_threshold?: number;
      count?: number;
      roomId?: string;
      worldId?: string;
      entityId?: string;
      unique?: boolean;
    }): Promise<ElizaMemory[]> {
      const vector = toFloat32(params.embedding);
      if (!vector) throw new TypeError('searchMemories: embedding must be a non-empty array of numbers');
      return reads()
        .search({
          agentId,
          table: params.tableName,
          vector,
          threshold: params.match_threshold,
          count: params.count,
          roomId: params.roomId,
          worldId: params.worldId,
          entityId: params.entityId,
          unique: params.unique,
        })
        .map(memoryFromView);
    },

    /** ElizaOS: computes the embedding of the memory's text and returns the memory with it (nothing stored). */
    async addEmbeddingToMemory(memory: ElizaMemory): Promise<ElizaMemory> {
      if (memory.embedding?.length) return memory;
      const text = typeof memory.content?.text === 'string' ? memory.content.text : '';
      if (!text) return memory;
      return { ...memory, embedding: await useEmbedding(text) };
    },

    async updateMemory(memory: Partial<ElizaMemory> & { id: string }): Promise<boolean> {
      const old = reads().byId(memory.id);
      if (!old || old.agentId !== agentId) return false;
      const update = {
        ...(memory.content ? { content: plain(memory.content) } : {}),
        ...(memory.metadata ? { metadata: plain(memory.metadata) } : {}),
      };
      const vector = toFloat32(memory.embedding);
      // The same update twice is one event; a different one is a new event.
      const key = sha256Hex(JSON.stringify(update) + (vector ? sha256Hex(new Uint8Array(vector.buffer)) : ''));
      await append([
        {
          id: derivedId(agentId, 'memory.updated', memory.id, key),
          type: 'memory.updated',
          data: { agentId, memoryId: memory.id, ...update, ...(vector ? { vector } : {}) },
        },
      ]);
      return true;
    },

    async deleteMemory(memoryId: string): Promise<void> {
      const old = reads().byId(memoryId);
      if (!old || old.agentId !== agentId) return;
      // Keyed by the creation's position, so a memory re-created after a delete can be deleted again.
      await append([{ id: derivedId(agentId, 'memory.deleted', memoryId, String(old.seq)), type: 'memory.deleted', data: { agentId, memoryId } }]);
    },

    async countMemories(roomId: string, unique?: boolean, tableName = 'messages'): Promise<number> {
      const stored = reads().count({ agentId, table: tableName, roomId, unique });
      return tableName === 'messages' ? stored + parts.readModel.listMessages(roomId, { limit: 10_000 }).length : stored;
    },
  };
}
