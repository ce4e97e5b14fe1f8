import { z } from 'zod';
import type { EventData } from '../../domain/catalogue.ts';
import type { RecordedEvent } from '../../events/envelope.ts';
import type { MessageView } from '../../projections/read-model.ts';
import { derivedId, newId } from '../../shared/ids.ts';
import { AppError, badRequest } from '../errors.ts';
import { authorOf, type Caller, type CommandContext } from './context.ts';
import { streams } from '../../domain/streams.ts';
import { accessibleRoom } from './rooms.ts';
import { parseInput } from './validate.ts';

const schemaCache = new Map<number, ReturnType<typeof buildMessageSchema>>();
/** Built once per limit: constructing a zod schema costs more than using it (seen in the profile). */
export function messageSchema(maxChars: number) {
  let s = schemaCache.get(maxChars);
  if (!s) schemaCache.set(maxChars, (s = buildMessageSchema(maxChars)));
  return s;
}

function buildMessageSchema(maxChars: number) {
  return z.object({
    roomId: z.string().min(1, 'is required').max(200, 'is too long'),
    text: z
      .string({ error: 'must be a string' })
      .refine((t) => t.trim().length > 0, 'must not be empty')
      .refine((t) => t.length <= maxChars, `must be at most ${maxChars} characters`),
    clientMessageId: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
  });
}

/** The API's message view, straight from its event (the same fields the messages projection serves). */
export function messageFromEvent(e: RecordedEvent<'message.posted'>): MessageView {
  return {
    id: e.data.messageId,
    seq: e.seq,
    roomId: e.data.roomId,
    authorId: e.data.authorId,
    authorKind: e.data.authorKind,
    text: e.data.text,
    ...(e.data.inReplyTo !== undefined ? { inReplyTo: e.data.inReplyTo } : {}),
    createdAt: new Date(e.meta.timestamp).toISOString(),
  };
}

/**
 * Posts a user message. Idempotent by (author, clientMessageId): the same pair again returns the first
 * message and appends nothing. The message id is derived from that pair, so even two concurrent
 * posts end as one event (the log drops the duplicate id).
 */
export async function postMessage(
  ctx: CommandContext,
  caller: Caller,
  input: unknown,
  /**
   * waitForProjection (default true): return only once the read model has the message (REST's
   * read-your-writes). The WebSocket ack passes false: "it is in the log" is what an ack means, and
   * the view then comes from the event itself, without waiting for the projections.
   */
  options: { messageId?: string; waitForProjection?: boolean; request?: EventData<'message.posted'>['request'] } = {},
): Promise<{ message: MessageView; duplicate: boolean }> {
  const data = parseInput(messageSchema(ctx.settings.maxMessageChars), input);
  // No lookup by clientMessageId first: the id derived from it makes a repeat a duplicate the log
  // refuses (positions[0].duplicate), and the first message is then read back below.
  const room = await accessibleRoom(ctx, caller, data.roomId);
  if (!room.participants.some((p) => p.id === caller.accountId)) {
    throw new AppError(403, 'forbidden', 'only participants of a room can post in it');
  }
  const messageId = data.clientMessageId !== undefined ? derivedId('message', caller.accountId, data.clientMessageId) : (options.messageId ?? newId());
  // The time is set here, not by the store, so the answer can be built from what was appended.
  const timestamp = Date.now();
  const result = await ctx.store.append(streams.room(room.id), [
    {
      id: messageId,
      type: 'message.posted',
      data: {
        messageId,
        roomId: room.id,
        authorId: caller.accountId,
        authorKind: 'user',
        text: data.text,
        ...(data.clientMessageId !== undefined ? { clientMessageId: data.clientMessageId } : {}),
        ...(options.request ? { request: options.request } : {}),
      },
      meta: { author: authorOf(caller), correlationId: messageId, timestamp },
    },
  ]);
  const { seq, duplicate } = result.positions[0];
  if (options.waitForProjection !== false) await ctx.projections.waitFor(result.lastSeq);
  if (!duplicate) {
    // The answer is what was committed: the append result's position and the event as written.
    const message: MessageView = {
      id: messageId,
      seq,
      roomId: room.id,
      authorId: caller.accountId,
      authorKind: 'user',
      text: data.text,
      createdAt: new Date(timestamp).toISOString(),
    };
    return { message, duplicate };
  }
  // A repeat appended nothing: the answer is the first message, committed earlier (its text may differ).
  const first = options.waitForProjection === false ? await ctx.store.getById(messageId) : undefined;
  const message = first?.type === 'message.posted' ? messageFromEvent(first) : ctx.readModel.messageById(messageId);
  if (!message) throw new AppError(500, 'internal_error', 'message was written but is not readable');
  return { message, duplicate };
}

export function parseLimit(raw: string | undefined, dflt: number, max: number, name = 'limit'): number {
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) throw badRequest(`${name} must be an integer from 1 to ${max}`);
  const n = Number(raw);
  if (n < 1 || n > max) throw badRequest(`${name} must be an integer from 1 to ${max}`);
  return n;
}

export function parseSeq(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw badRequest(`${name} must be a non-negative integer seq`);
  return Number(raw);
}

export async function listMessages(ctx: CommandContext, caller: Caller, roomId: string, query: { before?: string; limit?: string }): Promise<MessageView[]> {
  const limit = parseLimit(query.limit, 50, 200);
  const before = parseSeq(query.before, 'before');
  await accessibleRoom(ctx, caller, roomId);
  return ctx.readModel.listMessages(roomId, { beforeSeq: before, limit });
}
