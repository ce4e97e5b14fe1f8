// Shapes of the public API (/work/shared/API.md). The client depends on nothing else of the server.

export type Role = 'user' | 'operator' | 'admin';

export interface Account {
  id: string;
  username: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface TokenPair {
  account?: Account;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface Agent {
  id: string;
  name: string;
  status: 'running' | 'stopped';
  character: Record<string, unknown>;
  createdAt: string;
}

export interface Participant {
  id: string;
  kind: 'user' | 'agent';
  name: string;
}

/** A branch's origin (docs/API.md, "Time travel and forks"): its history is the source's up to `atSeq`. */
export interface ForkOf {
  roomId: string;
  atMessageId?: string;
  atSeq: number;
}

export interface Room {
  id: string;
  name: string;
  createdAt: string;
  participants: Participant[];
  forkOf?: ForkOf;
}

/** `POST /api/v1/replies/:id/reask` → 202: the branch where the question is asked again, and the original trace. */
export interface ReaskResult {
  roomId: string;
  agentId: string;
  questionId: string;
  sourceReplyId: string;
  sourceRoomId: string;
  sourceTrace: Record<string, unknown>;
}

export interface Message {
  id: string;
  seq: number;
  roomId: string;
  authorId: string;
  authorKind: 'user' | 'agent';
  text: string;
  inReplyTo?: string;
  createdAt: string;
}

export interface KnowledgeDocument {
  id: string;
  title: string;
  chunks: number;
  /** In the list: how many chunks are embedded so far (progress while `status` is "ingesting"). */
  embeddedChunks?: number;
  status?: 'ingesting' | 'ready' | 'failed';
}

/** What `POST /api/v1/agents` did with the character's `knowledge`. */
/** How the server read a character: a v0.x one is converted to 1.x, field by field (paths dotted). */
export interface ConversionReport {
  generation: 'v0' | 'v1';
  markers: string[];
  converted: { path: string; to: string; note?: string }[];
  dropped: { path: string; reason: string }[];
  warnings: { path: string; message: string }[];
}

export interface CharacterKnowledgeReport {
  documents: { id: string; title: string; origin: string; chunks: number; alreadyKnown: boolean }[];
  skipped: { item: string; reason: string }[];
  failed: { title: string; origin: string; error: string }[];
}

export interface KnowledgeHit {
  documentId: string;
  title: string;
  text: string;
  score: number;
}

export interface LogEvent {
  seq: number;
  id: string;
  stream: string;
  version: number;
  type: string;
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
}

export interface ActorNode {
  id: string;
  kind: string;
  state: unknown;
  /** The XState value (the statechart lights it). */
  value?: unknown;
  name?: string;
  /** An agent's mailbox depth. */
  mailbox?: number;
  /** A room's participants: the membership edges. */
  participants?: Participant[];
  /** The cluster node that owns the actor, where there is a cluster. */
  owner?: string;
  parent?: string;
  children: string[];
}

/** GET /api/v1/actors/:id/machine: the statechart of the actor's machine, the states it is in, its last events. */
export interface ChartState {
  id: string;
  key: string;
  type: string;
  initial?: string;
  transitions: { event: string; targets: string[]; guard?: string }[];
  states: ChartState[];
}
export interface ActorMachine {
  actor: { id: string; kind: string; name?: string; state: string; value: unknown };
  machine: ChartState;
  active: string[];
  lastEvents: LogEvent[];
}

/** Frames the server sends on /ws. */
export type ServerFrame =
  | { type: 'message'; message: Message }
  | { type: 'reply.delta'; roomId: string; agentId: string; replyTo: string; delta: string }
  | { type: 'typing'; roomId: string; agentId: string }
  | { type: 'ack'; clientMessageId: string; messageId: string }
  | { type: 'subscribed'; roomId: string; seq: number }
  | { type: 'pong' }
  /** `roomId` when the error concerns one room (a refused subscribe, a subscription ended by leaving it). */
  | { type: 'error'; code: string; message: string; roomId?: string; clientMessageId?: string | null; retryAfter?: number };
