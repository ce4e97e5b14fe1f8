import type { Observable } from 'rxjs';
import type { CommandContext } from '../app/commands/context.ts';
import type { Settings } from '../settings/settings.ts';
import type { Logger } from '../shared/logger.ts';
import type { IngestInput, RemoveInput } from '../knowledge/ingest.ts';
import type { ActorNode as SystemActorNode } from '../actors/types.ts';

export type Ephemeral =
  | { type: 'reply.delta'; roomId: string; agentId: string; replyTo: string; delta: string }
  | { type: 'typing'; roomId: string; agentId: string };

/** The actor system's graph node (src/actors/types.ts); `kind` loosened so test harnesses can fake it. */
export type ActorNode = Omit<SystemActorNode, 'kind'> & { kind: string };

/**
 * The part of the Chronicle composition root (src/app/chronicle.ts) the transport uses, spelled out so
 * the server can be tested with a harness built from the pieces that exist.
 */
export interface TransportChronicle extends CommandContext {
  settings: Settings;
  logger: Logger;
  actors: { graph(): ActorNode[]; ephemeral$: Observable<Ephemeral> };
  models: { embedder(): { embed(texts: string[]): Promise<Float32Array[]> } };
  knowledge: {
    /** The document's fields of src/knowledge/ingest.ts's input: the routes set no progress, chunking or batch. */
    ingest(
      input: Pick<IngestInput, 'agentId' | 'documentId' | 'title' | 'text' | 'source' | 'url' | 'author'>,
    ): Promise<{ documentId: string; chunks: number }>;
    remove(input: RemoveInput): Promise<void>;
  };
  startedAt: number;
  /** With DATABASE_URL: this node of the cluster (health shows it). */
  cluster?: { health(head: number): object };
}

export interface ServerOptions {
  /** Milliseconds an unauthenticated WebSocket may stay open (API.md: 10 s). */
  wsAuthTimeoutMs?: number;
  /** Bytes a socket may have queued before it is disconnected as a slow consumer. */
  wsMaxBufferedBytes?: number;
  /**
   * Frames a socket may have waiting to be handled (they are handled one after another); past it, or
   * past wsMaxQueuedBytes, the socket is closed with 1008: a client that sends without waiting for
   * answers must not make the server hold its frames without bound.
   */
  wsMaxQueuedFrames?: number;
  wsMaxQueuedBytes?: number;
  /**
   * History replay (subscribe with afterSeq): messages a socket, and an account over all its sockets,
   * may have replayed per minute (token buckets; 0 = unlimited). Past either, the client gets a
   * `history_limit` error frame and pages through REST; the subscription goes on live.
   */
  wsReplayPerSocketPerMin?: number;
  wsReplayPerAccountPerMin?: number;
  /** Messages per replay page, and the longest the replay work may hold the event loop per turn. */
  wsReplayPageSize?: number;
  wsReplaySliceMs?: number;
  /** A request body must arrive within bodyTimeoutMs in all, with no pause over bodyIdleTimeoutMs: else 408. */
  bodyTimeoutMs?: number;
  bodyIdleTimeoutMs?: number;
  /** How long /v1/chat/completions waits for the agent's reply. */
  replyTimeoutMs?: number;
  /** Directory of the built web client served at / (default web/dist when it exists). */
  webRoot?: string | false;
}
