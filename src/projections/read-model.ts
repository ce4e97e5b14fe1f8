import type { Character } from '../characters/schema.ts';
import type { MemoryReadModel } from './tables/memories.ts';

/**
 * The read side: queries over the projected tables. Everything here is derived from the log and can be
 * rebuilt by replay. Synchronous because the tables are a local SQLite file (better-sqlite3): a read
 * costs microseconds and keeps the send → reply path short.
 */

export type Role = 'user' | 'operator' | 'admin';

export interface AccountView {
  id: string;
  username: string;
  name: string;
  role: Role;
  createdAt: string;
  /** Bumped by every event that ends access tokens early (see tables/accounts.ts); absent counts as 0. */
  tokenVersion?: number;
}

/** Only for the auth service: the sealed scrypt hash, never returned by any API. */
export interface AccountCredentials {
  account: AccountView;
  passwordHash: string;
}

export interface RefreshTokenView {
  tokenHash: string;
  accountId: string;
  familyId: string;
  used: boolean;
  familyRevoked: boolean;
}

export interface AgentView {
  id: string;
  name: string;
  status: 'running' | 'stopped';
  /** With secrets still sealed; the transport strips them before answering. */
  character: Character;
  createdAt: string;
  deleted: boolean;
}

export interface ParticipantView {
  id: string;
  kind: 'user' | 'agent';
  name: string;
}

export interface RoomView {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  participants: ParticipantView[];
  /** A branch (`room.forked`): its history is the source's up to atSeq (by reference), then its own. */
  forkOf?: { roomId: string; atSeq: number; atMessageId?: string };
}

export interface MessageView {
  id: string;
  seq: number;
  roomId: string;
  authorId: string;
  authorKind: 'user' | 'agent';
  text: string;
  inReplyTo?: string;
  createdAt: string;
}

export interface ScoredMessage {
  message: MessageView;
  /** Relevance in [0, 1] (fusion.ts: cosine similarity blended with saturated BM25); results stay in fused-rank order. */
  score: number;
}

export interface KnowledgeDocumentView {
  id: string;
  agentId: string;
  title: string;
  chunks: number;
  /** Chunks whose vectors are in so far: `chunks` once ready, fewer while ingesting (progress). */
  embeddedChunks: number;
  status: 'ingesting' | 'ready' | 'failed';
  createdAt: string;
}

export interface KnowledgeHit {
  chunkId: string;
  documentId: string;
  title: string;
  text: string;
  /** Relevance in [0, 1] (fusion.ts: cosine similarity blended with saturated BM25); results stay in fused-rank order. */
  score: number;
}

export interface FactView {
  id: string;
  agentId: string;
  roomId: string;
  text: string;
  createdAt: string;
}

/** A query for retrieval: the text (for BM25) and, when available, its embedding (for KNN). */
export interface RetrievalQuery {
  text: string;
  vector?: Float32Array;
  k: number;
}

export interface ReadModel {
  /** Seq of the last event every projection has applied. */
  checkpoint(): number;

  accountById(id: string): AccountView | undefined;
  credentialsByUsername(username: string): AccountCredentials | undefined;
  listAccounts(): AccountView[];
  refreshToken(tokenHash: string): RefreshTokenView | undefined;

  agentById(id: string): AgentView | undefined;
  agentByName(name: string): AgentView | undefined;
  listAgents(): AgentView[];

  roomById(id: string): RoomView | undefined;
  roomsOf(participantId: string): RoomView[];
  isMember(roomId: string, participantId: string): boolean;

  messageById(id: string): MessageView | undefined;
  /** The message this author already posted with this clientMessageId, if any (idempotent posts). */
  messageByClientId(authorId: string, clientMessageId: string): MessageView | undefined;
  /** Without `beforeSeq`: the latest `limit` messages; always oldest first. */
  listMessages(roomId: string, options: { beforeSeq?: number; afterSeq?: number; limit: number }): MessageView[];
  searchMessages(roomId: string, query: RetrievalQuery): ScoredMessage[];

  listDocuments(agentId: string): KnowledgeDocumentView[];
  documentById(id: string): KnowledgeDocumentView | undefined;
  /** Hybrid retrieval (vector KNN + FTS5 BM25, fused) over one agent's knowledge. */
  searchKnowledge(agentId: string, query: RetrievalQuery): KnowledgeHit[];

  facts(agentId: string, options: { roomId?: string; query?: RetrievalQuery; limit: number }): FactView[];

  /**
   * Ids of every knowledge document ever added to the agent at or before `upToSeq` (removed ones too):
   * which `document-<id>` streams an as-of read of the agent folds (src/time-travel). Absent in fakes.
   */
  documentIdsOf?(agentId: string, upToSeq: number): string[];

  /** ElizaOS plugin memories (runtime.createMemory …); absent from read models without that table (test fakes). */
  readonly memories?: MemoryReadModel;
}
