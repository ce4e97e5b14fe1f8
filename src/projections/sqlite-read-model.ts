import type Database from 'better-sqlite3';
import type { Character } from '../characters/schema.ts';
import type {
  AccountCredentials,
  AccountView,
  AgentView,
  FactView,
  KnowledgeDocumentView,
  KnowledgeHit,
  MessageView,
  ParticipantView,
  ReadModel,
  RefreshTokenView,
  RetrievalQuery,
  Role,
  RoomView,
  ScoredMessage,
} from './read-model.ts';
import { isoTime, type Projection } from './projection.ts';
import { ftsQuery, fuseHybrid, type LexicalCandidate } from './fusion.ts';
import type { VectorIndex, VectorKind } from './vector-index.ts';
import { RecentMessages } from './recent-messages.ts';
import { lineageWindow, roomLineage, type LineageSegment } from './room-lineage.ts';
import { ReadCache } from './read-cache.ts';
import { allProjections } from './tables/index.ts';
import { createMemoryReadModel, type MemoryReadModel } from './tables/memories.ts';

interface AccountRow {
  id: string;
  username: string;
  name: string;
  role: Role;
  created_at: number;
  password_hash: string;
  token_version: number;
}
interface AgentRow {
  id: string;
  name: string;
  status: 'running' | 'stopped';
  character: string;
  created_at: number;
  deleted: number;
}
interface RoomRow {
  id: string;
  name: string;
  created_by: string;
  created_at: number;
  fork_of: string | null;
  fork_seq: number | null;
  fork_message_id: string | null;
}
interface MessageRow {
  seq: number;
  id: string;
  room_id: string;
  author_id: string;
  author_kind: 'user' | 'agent';
  text: string;
  in_reply_to: string | null;
  created_at: number;
}
interface DocumentRow {
  id: string;
  agent_id: string;
  title: string;
  total_chunks: number;
  embedded: number;
  status: 'ingesting' | 'ready' | 'failed';
  created_at: number;
}
interface ChunkRow {
  rid: number;
  id: string;
  document_id: string;
  text: string;
  title: string;
}
interface FactRow {
  rid: number;
  id: string;
  agent_id: string;
  room_id: string;
  text: string;
  created_at: number;
}

const MESSAGE_COLS = 'seq, id, room_id, author_id, author_kind, text, in_reply_to, created_at';

/**
 * A room's messages by position, oldest first (`room_id = ? AND seq < ? AND seq > ?`, then a limit):
 * the WebSocket history replay and REST paging read through it. Served in order straight from the
 * messages_by_room (room_id, seq) index — no scan of the room, no sort (a test checks the plan).
 */
export const ROOM_MESSAGES_AFTER_SQL = `SELECT ${MESSAGE_COLS} FROM messages WHERE room_id = ? AND seq < ? AND seq > ? ORDER BY seq ASC LIMIT ?`;
/** The same window newest first (the latest page, and REST's `before` paging). */
export const ROOM_MESSAGES_BEFORE_SQL = `SELECT ${MESSAGE_COLS} FROM messages WHERE room_id = ? AND seq < ? AND seq > ? ORDER BY seq DESC LIMIT ?`;

/** How many candidates each ranking contributes to the fusion, relative to k. */
const CANDIDATES = (k: number) => Math.max(4 * k, 20);

/** The ReadModel over the projected tables. Every method is a few indexed SQLite reads. */
export class SqliteReadModel implements ReadModel {
  private readonly q;
  private readonly recent: RecentMessages;
  /** Per room, the seq of the last message.posted this process applied (see RecentMessagesSource). */
  private readonly postedThrough = new Map<string, number>();
  private readonly cache: ReadCache;
  readonly memories: MemoryReadModel;

  constructor(
    private readonly db: Database.Database,
    private readonly vectors: VectorIndex,
    private readonly currentCheckpoint: () => number,
    /** The projections writing the tables (their `handles` say which events invalidate which cache). */
    projections: readonly Projection[] = allProjections,
  ) {
    this.cache = new ReadCache(projections, ['accounts', 'agents', 'rooms', 'facts', 'knowledge']);
    this.memories = createMemoryReadModel(db, vectors);
    const p = (sql: string) => db.prepare(sql);
    this.q = {
      account: p('SELECT * FROM accounts WHERE id = ?'),
      accountByName: p('SELECT * FROM accounts WHERE username = ? COLLATE NOCASE ORDER BY seq LIMIT 1'),
      accounts: p('SELECT * FROM accounts ORDER BY seq'),
      token: p(
        `SELECT t.token_hash, t.account_id, t.family_id, t.used, COALESCE(f.revoked, 0) AS revoked
         FROM refresh_tokens t LEFT JOIN refresh_families f ON f.family_id = t.family_id WHERE t.token_hash = ?`,
      ),
      agent: p('SELECT * FROM agents WHERE id = ?'),
      agentByName: p('SELECT * FROM agents WHERE name = ? COLLATE NOCASE AND deleted = 0 ORDER BY seq LIMIT 1'),
      agents: p('SELECT * FROM agents ORDER BY seq'),
      room: p('SELECT * FROM rooms WHERE id = ?'),
      participants: p('SELECT participant_id AS id, kind, name FROM participants WHERE room_id = ? ORDER BY seq'),
      roomsOf: p('SELECT r.* FROM participants pa JOIN rooms r ON r.id = pa.room_id WHERE pa.participant_id = ? ORDER BY r.seq'),
      member: p('SELECT 1 FROM participants WHERE room_id = ? AND participant_id = ?').pluck(),
      message: p(`SELECT ${MESSAGE_COLS} FROM messages WHERE id = ?`),
      messageBySeq: p(`SELECT ${MESSAGE_COLS} FROM messages WHERE seq = ?`),
      messageByClient: p(`SELECT ${MESSAGE_COLS} FROM messages WHERE author_id = ? AND client_message_id = ? ORDER BY seq LIMIT 1`),
      latest: p(ROOM_MESSAGES_BEFORE_SQL),
      after: p(ROOM_MESSAGES_AFTER_SQL),
      messageFts: p(
        `SELECT f.rowid AS id, bm25(messages_fts) AS bm25 FROM messages_fts f JOIN messages m ON m.seq = f.rowid
         WHERE messages_fts MATCH ? AND m.room_id = ? ORDER BY bm25(messages_fts) LIMIT ?`,
      ),
      // A branch's source, searched only up to the fork position.
      messageFtsUpTo: p(
        `SELECT f.rowid AS id, bm25(messages_fts) AS bm25 FROM messages_fts f JOIN messages m ON m.seq = f.rowid
         WHERE messages_fts MATCH ? AND m.room_id = ? AND m.seq <= ? ORDER BY bm25(messages_fts) LIMIT ?`,
      ),
      factsLatestUpTo: p('SELECT * FROM facts WHERE agent_id = ? AND room_id = ? AND rid <= ? ORDER BY rid DESC LIMIT ?'),
      factFtsUpTo: p(
        `SELECT f.rowid AS id, bm25(facts_fts) AS bm25 FROM facts_fts f JOIN facts x ON x.rid = f.rowid
         WHERE facts_fts MATCH ? AND x.agent_id = ? AND x.room_id = ? AND x.rid <= ? ORDER BY bm25(facts_fts) LIMIT ?`,
      ),
      forkOf: p('SELECT fork_of AS sourceRoomId, fork_seq AS atSeq FROM rooms WHERE id = ? AND fork_of IS NOT NULL'),
      documents: p(
        `SELECT *, (SELECT count(*) FROM chunks c WHERE c.document_id = d.id) AS embedded FROM documents d WHERE agent_id = ? AND removed = 0 ORDER BY seq`,
      ),
      document: p(`SELECT *, (SELECT count(*) FROM chunks c WHERE c.document_id = d.id) AS embedded FROM documents d WHERE id = ? AND removed = 0`),
      documentIds: p('SELECT id FROM documents WHERE agent_id = ? AND seq <= ? ORDER BY seq').pluck(),
      chunk: p('SELECT c.rid, c.id, c.document_id, c.text, d.title FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.rid = ? AND c.agent_id = ?'),
      chunkFts: p(
        `SELECT f.rowid AS id, bm25(chunks_fts) AS bm25 FROM chunks_fts f JOIN chunks c ON c.rid = f.rowid
         WHERE chunks_fts MATCH ? AND c.agent_id = ? ORDER BY bm25(chunks_fts) LIMIT ?`,
      ),
      fact: p('SELECT * FROM facts WHERE rid = ?'),
      factsLatest: p('SELECT * FROM facts WHERE agent_id = ? AND (? IS NULL OR room_id = ?) ORDER BY rid DESC LIMIT ?'),
      factFts: p(
        `SELECT f.rowid AS id, bm25(facts_fts) AS bm25 FROM facts_fts f JOIN facts x ON x.rid = f.rowid
         WHERE facts_fts MATCH ? AND x.agent_id = ? AND (? IS NULL OR x.room_id = ?) ORDER BY bm25(facts_fts) LIMIT ?`,
      ),
    };
    const frozen = (rows: MessageRow[]) => rows.map((r) => Object.freeze(messageView(r)));
    this.recent = new RecentMessages({
      checkpoint: () => this.currentCheckpoint(),
      newest: (roomId, limit) => frozen((this.q.latest.all(roomId, Number.MAX_SAFE_INTEGER, 0, limit) as MessageRow[]).reverse()),
      after: (roomId, afterSeq, limit) => frozen(this.q.after.all(roomId, Number.MAX_SAFE_INTEGER, afterSeq, limit) as MessageRow[]),
      postedThrough: (roomId) => this.postedThrough.get(roomId) ?? 0,
    });
  }

  checkpoint(): number {
    return this.currentCheckpoint();
  }

  /** The projector committed these events: cached lookups they change are dropped. */
  applied(events: readonly { type: string; seq: number; data?: unknown }[]): void {
    this.cache.applied(events);
    for (const e of events) {
      const roomId = e.type === 'message.posted' ? (e.data as { roomId?: unknown } | undefined)?.roomId : undefined;
      if (typeof roomId === 'string') this.postedThrough.set(roomId, e.seq);
    }
  }

  /** The read tables were reset (a rebuild starts). */
  reset(): void {
    this.cache.clear();
  }

  // ── accounts ──────────────────────────────────────────────────────────────────────────────────
  /** Cached: every WebSocket frame and authenticated request checks the caller's account (role, token version). */
  accountById(id: string): AccountView | undefined {
    return this.cache.get('accounts', id, () => {
      const r = this.q.account.get(id) as AccountRow | undefined;
      return r && accountView(r);
    });
  }

  credentialsByUsername(username: string): AccountCredentials | undefined {
    const r = this.q.accountByName.get(username) as AccountRow | undefined;
    return r && { account: accountView(r), passwordHash: r.password_hash };
  }

  listAccounts(): AccountView[] {
    return (this.q.accounts.all() as AccountRow[]).map(accountView);
  }

  refreshToken(tokenHash: string): RefreshTokenView | undefined {
    const r = this.q.token.get(tokenHash) as { token_hash: string; account_id: string; family_id: string; used: number; revoked: number } | undefined;
    return r && { tokenHash: r.token_hash, accountId: r.account_id, familyId: r.family_id, used: r.used === 1, familyRevoked: r.revoked === 1 };
  }

  // ── agents ────────────────────────────────────────────────────────────────────────────────────
  agentById(id: string): AgentView | undefined {
    return this.cache.get('agents', id, () => {
      const r = this.q.agent.get(id) as AgentRow | undefined;
      return r && agentView(r);
    });
  }

  agentByName(name: string): AgentView | undefined {
    const r = this.q.agentByName.get(name) as AgentRow | undefined;
    return r && agentView(r);
  }

  listAgents(): AgentView[] {
    return (this.q.agents.all() as AgentRow[]).map(agentView);
  }

  // ── rooms ─────────────────────────────────────────────────────────────────────────────────────
  roomById(id: string): RoomView | undefined {
    return this.cache.get('rooms', id, () => {
      const r = this.q.room.get(id) as RoomRow | undefined;
      return r && this.roomView(r);
    });
  }

  roomsOf(participantId: string): RoomView[] {
    return (this.q.roomsOf.all(participantId) as RoomRow[]).map((r) => this.roomView(r));
  }

  isMember(roomId: string, participantId: string): boolean {
    return this.q.member.get(roomId, participantId) === 1;
  }

  private roomView(r: RoomRow): RoomView {
    return {
      id: r.id,
      name: r.name,
      createdAt: isoTime(r.created_at),
      createdBy: r.created_by,
      participants: this.q.participants.all(r.id) as ParticipantView[],
      ...(r.fork_of !== null
        ? { forkOf: { roomId: r.fork_of, atSeq: r.fork_seq!, ...(r.fork_message_id !== null ? { atMessageId: r.fork_message_id } : {}) } }
        : {}),
    };
  }

  /** The room's history segments (room-lineage.ts): one for a room, more for a branch. */
  lineage(roomId: string): readonly LineageSegment[] {
    return this.cache.get('rooms', `lineage\u0000${roomId}`, () =>
      roomLineage(roomId, (id) => this.q.forkOf.get(id) as { sourceRoomId: string; atSeq: number } | undefined),
    );
  }

  // ── messages ──────────────────────────────────────────────────────────────────────────────────
  messageById(id: string): MessageView | undefined {
    const r = this.q.message.get(id) as MessageRow | undefined;
    return r && messageView(r);
  }

  messageByClientId(authorId: string, clientMessageId: string): MessageView | undefined {
    const r = this.q.messageByClient.get(authorId, clientMessageId) as MessageRow | undefined;
    return r && messageView(r);
  }

  listMessages(roomId: string, o: { beforeSeq?: number; afterSeq?: number; limit: number }): MessageView[] {
    const before = o.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    const after = o.afterSeq ?? 0;
    const limit = Math.max(0, Math.floor(o.limit));
    const lineage = this.lineage(roomId);
    if (lineage.length > 1) {
      // A branch: its own messages after the source's up to the fork (no recent-window cache: it is per room).
      const rows = lineageWindow(
        lineage,
        { beforeSeq: before, afterSeq: after, limit, ascending: o.afterSeq !== undefined },
        (room, b, a, n) => this.q.after.all(room, b, a, n) as MessageRow[],
        (room, b, a, n) => this.q.latest.all(room, b, a, n) as MessageRow[],
      );
      return rows.map(messageView);
    }
    if (o.afterSeq !== undefined) return (this.q.after.all(roomId, before, after, limit) as MessageRow[]).map(messageView);
    const cached = this.recent.before(roomId, before, limit);
    if (cached) return cached;
    return (this.q.latest.all(roomId, before, after, limit) as MessageRow[]).reverse().map(messageView);
  }

  searchMessages(roomId: string, query: RetrievalQuery): ScoredMessage[] {
    const lineage = this.lineage(roomId);
    // A branch: each segment searched in its own room's scope, the source's only up to the fork; best scores first.
    const fused =
      lineage.length === 1
        ? this.hybrid('message', roomId, query, (fts, n) => this.q.messageFts.all(fts, roomId, n) as LexicalCandidate[])
        : lineage
            .flatMap((s) =>
              this.hybrid(
                'message',
                s.roomId,
                query,
                (fts, n) => this.q.messageFtsUpTo.all(fts, s.roomId, s.upTo, n) as LexicalCandidate[],
                (rowid) => rowid <= s.upTo,
              ),
            )
            .sort((a, b) => b.score - a.score)
            .slice(0, Math.max(0, Math.floor(query.k)));
    return fused.flatMap(({ id, score }) => {
      const r = this.q.messageBySeq.get(id) as MessageRow | undefined;
      return r ? [{ message: messageView(r), score }] : [];
    });
  }

  // ── knowledge ─────────────────────────────────────────────────────────────────────────────────
  listDocuments(agentId: string): KnowledgeDocumentView[] {
    return this.cache.get('knowledge', agentId, () => (this.q.documents.all(agentId) as DocumentRow[]).map(documentView));
  }

  documentIdsOf(agentId: string, upToSeq: number): string[] {
    return this.q.documentIds.all(agentId, upToSeq) as string[];
  }

  documentById(id: string): KnowledgeDocumentView | undefined {
    const r = this.q.document.get(id) as DocumentRow | undefined;
    return r && documentView(r);
  }

  searchKnowledge(agentId: string, query: RetrievalQuery): KnowledgeHit[] {
    const fused = this.hybrid('chunk', agentId, query, (fts, n) => this.q.chunkFts.all(fts, agentId, n) as LexicalCandidate[]);
    return fused.flatMap(({ id, score }) => {
      const r = this.q.chunk.get(id, agentId) as ChunkRow | undefined;
      return r ? [{ chunkId: r.id, documentId: r.document_id, title: r.title, text: r.text, score }] : [];
    });
  }

  // ── facts ─────────────────────────────────────────────────────────────────────────────────────
  facts(agentId: string, o: { roomId?: string; query?: RetrievalQuery; limit: number }): FactView[] {
    const room = o.roomId ?? null;
    const lineage = room !== null ? this.lineage(room) : undefined;
    if (lineage && lineage.length > 1) return this.branchFacts(agentId, lineage, o);
    if (!o.query) {
      const limit = Math.max(0, o.limit);
      return this.cache.get('facts', `${agentId}\u0000${room ?? ''}\u0000${limit}`, () =>
        (this.q.factsLatest.all(agentId, room, room, limit) as FactRow[]).reverse().map(factView),
      );
    }
    const query = { ...o.query, k: Math.min(o.query.k, o.limit) };
    // Facts are partitioned by agent; a room filter is applied to the vector candidates afterwards.
    const fused = this.hybrid(
      'fact',
      agentId,
      query,
      (fts, n) => this.q.factFts.all(fts, agentId, room, room, n) as LexicalCandidate[],
      (rid) => {
        if (room === null) return true;
        return (this.q.fact.get(rid) as FactRow | undefined)?.room_id === room;
      },
    );
    return fused.flatMap(({ id }) => {
      const r = this.q.fact.get(id) as FactRow | undefined;
      return r ? [factView(r)] : [];
    });
  }

  /**
   * A branch's facts: those recorded in it, then in each source room up to where the branch was taken
   * (a fact's rid is its seq) — what the agent knew of that conversation at the fork, nothing later.
   */
  private branchFacts(agentId: string, lineage: readonly LineageSegment[], o: { query?: RetrievalQuery; limit: number }): FactView[] {
    const limit = Math.max(0, Math.floor(o.limit));
    if (!o.query) {
      const rows = lineage.flatMap((s) => this.q.factsLatestUpTo.all(agentId, s.roomId, s.upTo, limit) as FactRow[]);
      return rows
        .sort((a, b) => b.rid - a.rid)
        .slice(0, limit)
        .reverse()
        .map(factView);
    }
    const query = { ...o.query, k: Math.min(o.query.k, limit) };
    const fused = lineage
      .flatMap((s) =>
        this.hybrid(
          'fact',
          agentId,
          query,
          (fts, n) => this.q.factFtsUpTo.all(fts, agentId, s.roomId, s.upTo, n) as LexicalCandidate[],
          (rid) => {
            const r = this.q.fact.get(rid) as FactRow | undefined;
            return r?.room_id === s.roomId && rid <= s.upTo;
          },
        ),
      )
      .sort((a, b) => b.score - a.score)
      .slice(0, query.k);
    return fused.flatMap(({ id }) => {
      const r = this.q.fact.get(id) as FactRow | undefined;
      return r ? [factView(r)] : [];
    });
  }

  /**
   * Hybrid retrieval: exact KNN in the scope's vec0 partition and FTS5 BM25 in the same scope, fused by
   * reciprocal rank, each result scored in [0, 1] (fusion.ts). Either side alone works (no vector →
   * lexical only; no words → vector only).
   */
  private hybrid(
    kind: VectorKind,
    scope: string,
    query: RetrievalQuery,
    lexical: (fts: string, n: number) => LexicalCandidate[],
    keep: (rowid: number) => boolean = () => true,
  ): { id: number; score: number }[] {
    const k = Math.max(0, Math.floor(query.k));
    if (k === 0) return [];
    const n = CANDIDATES(k);
    const vector =
      query.vector && query.vector.length > 0
        ? this.vectors
            .knn(kind, scope, query.vector, n)
            .filter((h) => keep(h.rowid))
            .map((h) => ({ id: h.rowid, distance: h.distance }))
        : undefined;
    const fts = ftsQuery(query.text);
    return fuseHybrid(vector, fts ? lexical(fts, n) : undefined, k);
  }
}

const accountView = (r: AccountRow): AccountView => ({
  id: r.id,
  username: r.username,
  name: r.name,
  role: r.role,
  createdAt: isoTime(r.created_at),
  tokenVersion: r.token_version,
});

const agentView = (r: AgentRow): AgentView => ({
  id: r.id,
  name: r.name,
  status: r.status,
  character: JSON.parse(r.character) as Character,
  createdAt: isoTime(r.created_at),
  deleted: r.deleted === 1,
});

const messageView = (r: MessageRow): MessageView => ({
  id: r.id,
  seq: r.seq,
  roomId: r.room_id,
  authorId: r.author_id,
  authorKind: r.author_kind,
  text: r.text,
  ...(r.in_reply_to !== null ? { inReplyTo: r.in_reply_to } : {}),
  createdAt: isoTime(r.created_at),
});

const documentView = (r: DocumentRow): KnowledgeDocumentView => ({
  id: r.id,
  agentId: r.agent_id,
  title: r.title,
  chunks: r.total_chunks,
  embeddedChunks: r.embedded,
  status: r.status,
  createdAt: isoTime(r.created_at),
});

const factView = (r: FactRow): FactView => ({ id: r.id, agentId: r.agent_id, roomId: r.room_id, text: r.text, createdAt: isoTime(r.created_at) });
