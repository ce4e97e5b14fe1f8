import { z } from 'zod';
import type { EventType } from '../events/envelope.ts';
import { CharacterSchema } from '../characters/schema.ts';
import { MAX_VECTOR_DIMENSIONS } from '../events/quantized-vector.ts';

/**
 * The event catalogue: every event type Chronicle writes, its payload schema and its current schema
 * version. This is the one place event types are declared; everything else imports from here. The log
 * (src/events) knows none of them: the store is handed a SchemaRegistry built from this catalogue
 * (event-registry.ts) and its types through EventTypeMap.
 *
 * Streams (named by streams.ts):
 *   account-<accountId>   accounts, refresh-token families
 *   agent-<agentId>       agent lifecycle, per-room agent state, facts, plugin grants, plugin memories
 *   room-<roomId>         room lifecycle, participants, messages, reply decisions/traces/failures
 *   document-<docId>      knowledge documents and their embedded chunks
 *   system                supervision and plugin failures
 *
 * Vectors are Float32Array in memory and compact base64 in the log (see codec.ts), never JSON arrays.
 *
 * Each type's schema is a builder the registry calls on that type's first validation: reading the log
 * (catch-up, upcasting) and trusted appends need no schema, so a start builds none of them.
 */

const id = z.string().min(1).max(200);
const vector = z
  .instanceof(Float32Array)
  .refine((v) => v.length > 0 && v.length <= MAX_VECTOR_DIMENSIONS, `vector must have 1..${MAX_VECTOR_DIMENSIONS} dimensions`);
const role = z.enum(['user', 'operator', 'admin']);
const participantKind = z.enum(['user', 'agent']);
const usage = z.object({ promptTokens: z.number().int().nonnegative(), completionTokens: z.number().int().nonnegative() });
/** Secrets are stored encrypted: "enc:v1:<iv>:<tag>:<ciphertext>" (see src/shared/secrets.ts). */
const encrypted = z.string().startsWith('enc:v1:');

export const eventSchemaBuilders = {
  // ── accounts and auth ────────────────────────────────────────────────────────────────────────
  'account.registered': () =>
    z.object({
      accountId: id,
      username: z.string().min(1).max(64),
      name: z.string().max(200),
      role,
      passwordHash: encrypted,
    }),
  'account.role_changed': () => z.object({ accountId: id, role }),
  'auth.refresh_issued': () => z.object({ accountId: id, familyId: id, tokenHash: z.string().length(64) }),
  'auth.refresh_used': () => z.object({ accountId: id, familyId: id, tokenHash: z.string().length(64) }),
  'auth.family_revoked': () => z.object({ accountId: id, familyId: id, reason: z.string() }),
  /** A new (sealed) password: `changed` by the account itself (its other sessions end), `reset` by an operator (all end). */
  'account.password_changed': () =>
    z.object({
      accountId: id,
      passwordHash: encrypted,
      reason: z.enum(['changed', 'reset']),
      keepFamilyId: id.optional(),
    }),
  /** Sign-out everywhere: every refresh family of the account revoked, every access token refused. */
  'auth.sessions_revoked': () => z.object({ accountId: id, reason: z.string() }),

  // ── agents ───────────────────────────────────────────────────────────────────────────────────
  'agent.created': () => z.object({ agentId: id, name: z.string().min(1), character: CharacterSchema }),
  'agent.updated': () => z.object({ agentId: id, name: z.string().min(1), character: CharacterSchema }),
  'agent.started': () => z.object({ agentId: id }),
  'agent.stopped': () => z.object({ agentId: id }),
  'agent.deleted': () => z.object({ agentId: id }),
  'agent.room_mode_changed': () =>
    z.object({
      agentId: id,
      roomId: id,
      mode: z.enum(['followed', 'unfollowed', 'muted', 'unmuted']),
      messageId: id.optional(),
    }),
  'agent.fact_recorded': () =>
    z.object({
      agentId: id,
      roomId: id,
      factId: id,
      text: z.string().min(1),
      sourceMessageIds: z.array(id),
      model: z.string().optional(),
      vector: vector.optional(),
    }),
  'plugin.permissions_granted': () =>
    z.object({
      agentId: id,
      plugin: z.string().min(1),
      permissions: z.array(z.string()),
      grantedBy: id,
    }),
  'plugin.permissions_revoked': () => z.object({ agentId: id, plugin: z.string().min(1), permissions: z.array(z.string()), revokedBy: id }),

  // ── rooms and messages ───────────────────────────────────────────────────────────────────────
  'room.created': () => z.object({ roomId: id, name: z.string().min(1).max(200), createdBy: id }),
  'room.participant_joined': () => z.object({ roomId: id, participantId: id, kind: participantKind, name: z.string() }),
  'room.participant_left': () => z.object({ roomId: id, participantId: id }),
  /**
   * A branch of sourceRoomId: its history is the source's messages with seq ≤ atSeq, by reference (no
   * copied rows). atMessageId: the message it was branched at (absent for a re-ask, branched just before the question).
   */
  'room.forked': () =>
    z.object({
      roomId: id,
      name: z.string().min(1).max(200),
      createdBy: id,
      sourceRoomId: id,
      atMessageId: id.optional(),
      atSeq: z.number().int().nonnegative(),
    }),
  'message.posted': () =>
    z.object({
      messageId: id,
      roomId: id,
      authorId: id,
      authorKind: participantKind,
      text: z.string().min(1),
      inReplyTo: id.optional(),
      clientMessageId: z.string().max(200).optional(),
      /**
       * What an OpenAI-compatible caller asked for beyond the message (docs/API.md, "OpenAI-compatible
       * endpoint"): its system message, its earlier turns, and model parameters. The turn reads it from
       * this event, so replay answers from the same input. Optional: messages from other clients and
       * older logs have none.
       */
      request: z
        .object({
          system: z.string().optional(),
          history: z
            .array(z.object({ role: z.enum(['user', 'assistant']), content: z.string() }))
            .max(200)
            .optional(),
          maxTokens: z.number().int().positive().optional(),
          temperature: z.number().min(0).max(2).optional(),
          responseFormat: z
            .object({
              type: z.enum(['json_object', 'json_schema']),
              name: z.string().max(200).optional(),
              schema: z.record(z.string(), z.unknown()).optional(),
            })
            .optional(),
        })
        .optional(),
    }),
  'message.embedded': () => z.object({ messageId: id, roomId: id, model: z.string(), vector }),

  // ── the agent's turn: decision, trace, failure, actions, model calls ─────────────────────────
  'reply.decided': () =>
    z.object({
      agentId: id,
      roomId: id,
      messageId: id,
      respond: z.boolean(),
      reason: z.string(),
    }),
  'reply.traced': () =>
    z.object({
      agentId: id,
      roomId: id,
      messageId: id,
      replyId: id,
      provider: z.string(),
      model: z.string(),
      usage,
      latencyMs: z.number().nonnegative(),
      sources: z.object({
        messageIds: z.array(id),
        knowledgeChunkIds: z.array(id),
        factIds: z.array(id),
      }),
      /** Provider outputs by name: a hash and a length, not the whole prompt (see DESIGN.md). */
      providers: z.array(z.object({ name: z.string(), sha256: z.string().length(64), chars: z.number().int() })),
      actions: z.array(z.string()),
      thought: z.string().optional(),
    }),
  'reply.failed': () =>
    z.object({
      agentId: id,
      roomId: id,
      messageId: id,
      code: z.string(),
      message: z.string(),
      attempts: z.number().int().nonnegative(),
    }),
  'action.completed': () =>
    z.object({
      agentId: id,
      roomId: id,
      messageId: id,
      action: z.string(),
      success: z.boolean(),
      text: z.string().optional(),
      error: z.string().optional(),
      data: z.record(z.string(), z.unknown()).optional(),
    }),
  'model.called': () =>
    z.object({
      agentId: id.optional(),
      provider: z.string(),
      model: z.string(),
      kind: z.enum(['text', 'object', 'embedding']),
      ok: z.boolean(),
      usage: usage.optional(),
      latencyMs: z.number().nonnegative(),
      error: z.string().optional(),
    }),

  // ── knowledge ────────────────────────────────────────────────────────────────────────────────
  'knowledge.document_added': () =>
    z.object({
      documentId: id,
      agentId: id,
      title: z.string().min(1).max(500),
      source: z.enum(['text', 'url', 'file', 'character']),
      /** Where a `url` document was fetched from (after redirects). */
      url: z.string().max(4096).optional(),
      contentHash: z.string().length(64),
      chars: z.number().int().nonnegative(),
      totalChunks: z.number().int().nonnegative(),
    }),
  'knowledge.chunk_embedded': () =>
    z.object({
      documentId: id,
      agentId: id,
      chunkId: id,
      index: z.number().int().nonnegative(),
      text: z.string().min(1),
      contentHash: z.string().length(64),
      model: z.string(),
      vector,
    }),
  'knowledge.document_ready': () => z.object({ documentId: id, agentId: id, chunks: z.number().int().nonnegative() }),
  'knowledge.document_failed': () => z.object({ documentId: id, agentId: id, error: z.string() }),
  'knowledge.document_removed': () => z.object({ documentId: id, agentId: id }),

  // ── ElizaOS plugin memories (runtime.createMemory …; agent stream) ──────────────────────────────
  // `content` and `metadata` are the plugin's own JSON; `table` is ElizaOS's tableName ("messages",
  // "documents", "knowledge", "facts" …). The id is the plugin's memory id or one derived from its content.
  'memory.created': () =>
    z.object({
      agentId: id,
      memoryId: id,
      table: z.string().min(1).max(100),
      roomId: id.optional(),
      worldId: id.optional(),
      entityId: id.optional(),
      content: z.record(z.string(), z.unknown()),
      metadata: z.record(z.string(), z.unknown()).optional(),
      unique: z.boolean().optional(),
      createdAt: z.number().optional(),
      vector: vector.optional(),
    }),
  'memory.updated': () =>
    z.object({
      agentId: id,
      memoryId: id,
      content: z.record(z.string(), z.unknown()).optional(),
      metadata: z.record(z.string(), z.unknown()).optional(),
      vector: vector.optional(),
    }),
  'memory.deleted': () => z.object({ agentId: id, memoryId: id }),

  // ── supervision ──────────────────────────────────────────────────────────────────────────────
  'actor.failed': () =>
    z.object({
      actorId: z.string(),
      kind: z.enum(['agent', 'room', 'service', 'system']),
      error: z.string(),
      restartInMs: z.number().int().nonnegative().optional(),
    }),
  'plugin.failed': () =>
    z.object({
      plugin: z.string(),
      agentId: id.optional(),
      component: z.string().optional(),
      error: z.string(),
    }),
} as const;

export type EventDataMap = { [T in keyof typeof eventSchemaBuilders]: z.infer<ReturnType<(typeof eventSchemaBuilders)[T]>> };
// One EventType and one EventData, the log's, which the augmentation below fills with this catalogue.
export type { EventType, EventData } from '../events/envelope.ts';

// Hands the catalogue's types to the log (see EventTypeMap in src/events/envelope.ts).
declare module '../events/envelope.ts' {
  interface EventTypeMap extends EventDataMap {}
}

export const eventTypes = Object.keys(eventSchemaBuilders) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventSchemaBuilders, type);
}
