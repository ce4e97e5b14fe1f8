import { z } from 'zod';
import { authorOf, catchUp, type Caller, type CommandContext } from '../app/commands/context.ts';
import { streams } from '../domain/streams.ts';
import { accessibleRoom } from '../app/commands/rooms.ts';
import { parseInput } from '../app/commands/validate.ts';
import { badRequest, notFound } from '../app/errors.ts';
import { CharacterSchema, type Character } from '../characters/schema.ts';
import type { EventData } from '../domain/catalogue.ts';
import { newId } from '../shared/ids.ts';
import { forkAgentAt } from './forks.ts';

const ReaskSchema = z.object({
  model: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
  character: z.record(z.string(), z.unknown()).optional(),
});

export interface ReaskResult {
  roomId: string;
  agentId: string;
  /** The copy of the question in the branch: the new reply answers it (`inReplyTo`). */
  questionId: string;
  sourceReplyId: string;
  sourceRoomId: string;
  /** The original turn's trace (`reply.traced` data), to show beside the new one. */
  sourceTrace: EventData<'reply.traced'>;
}

/**
 * Re-asks a recorded turn (issue 18 item 4) with another model or character settings, without touching
 * the turn's code: the turn's inputs are rebuilt from the log instead of replayed from the trace.
 * - the agent is forked as of the question (forkAgentAt): the character, knowledge and facts it had
 *   then, with the requested changes, started;
 * - the room is branched just before the question (`room.forked`, atSeq = question.seq − 1), joined by
 *   its users and the forked agent (not the other agents: only the re-asked one answers);
 * - the question is posted again in the branch, by its author, with the OpenAI caller's recorded
 *   request if it had one.
 * The forked agent then runs an ordinary turn: the same history, the same corpus and the same query
 * give the same retrieved messages, knowledge and facts (the trace shows it), with another model or
 * character. The answer is 202: the reply arrives in the branch like any other.
 */
export async function reask(ctx: CommandContext, caller: Caller, replyId: string, input: unknown): Promise<ReaskResult> {
  const data = parseInput(ReaskSchema, input);
  if (data.character && 'settings' in data.character && JSON.stringify(data.character.settings ?? {}).includes('"secrets"'))
    throw badRequest('character.settings.secrets cannot be given in a re-ask (secrets stay those of the agent)');
  await catchUp(ctx);
  const reply = ctx.readModel.messageById(replyId);
  if (!reply || reply.authorKind !== 'agent' || !reply.inReplyTo) throw notFound('reply');
  const room = await accessibleRoom(ctx, caller, reply.roomId);
  const question = ctx.readModel.messageById(reply.inReplyTo);
  if (!question) throw notFound('question of the reply');
  const trace = await traceOf(ctx, reply.roomId, replyId);
  if (!trace) throw badRequest(`reply ${replyId} has no reply.traced (it was not a model's answer): nothing to re-ask`);
  const source = ctx.readModel.agentById(reply.authorId);
  if (!source) throw notFound('agent of the reply');

  const character = (then: Character): Character => {
    const merged = {
      ...then,
      ...(data.character ?? {}),
      settings: {
        ...(then.settings ?? {}),
        ...((data.character?.settings as object | undefined) ?? {}),
        ...(data.model ? { TEXT_LARGE_MODEL: data.model } : {}),
      },
    };
    const parsed = CharacterSchema.safeParse(merged);
    if (!parsed.success) throw badRequest(`character: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    return parsed.data;
  };
  // Checked before anything is written: a bad character is a 400 with nothing appended.
  character(source.character);

  const name = `${source.name} (re-ask ${newId().slice(-6)})`.slice(0, 200);
  const { agent } = await forkAgentAt(ctx, caller, source.id, { atSeq: question.seq, name, character, start: true });
  const original = await ctx.store.getById(question.id);
  const request = original?.type === 'message.posted' ? original.data.request : undefined;
  const roomId = newId();
  const questionId = newId();
  const meta = { author: authorOf(caller), correlationId: roomId, causationId: replyId };
  const users = room.participants.filter((p) => p.kind === 'user');
  const result = await ctx.store.append(
    streams.room(roomId),
    [
      {
        id: newId(),
        type: 'room.forked',
        data: { roomId, name: `${room.name} (re-ask)`.slice(0, 200), createdBy: caller.accountId, sourceRoomId: room.id, atSeq: question.seq - 1 },
        meta,
      },
      ...[...users, { id: agent.id, kind: 'agent' as const, name: agent.name }].map((p) => ({
        id: newId(),
        type: 'room.participant_joined' as const,
        data: { roomId, participantId: p.id, kind: p.kind, name: p.name },
        meta,
      })),
      {
        id: questionId,
        type: 'message.posted',
        data: {
          messageId: questionId,
          roomId,
          authorId: question.authorId,
          authorKind: question.authorKind,
          text: question.text,
          ...(question.inReplyTo ? { inReplyTo: question.inReplyTo } : {}),
          ...(request ? { request } : {}),
        },
        meta,
      },
    ],
    { expectedVersion: 'no_stream' },
  );
  await ctx.projections.waitFor(result.lastSeq);
  return { roomId, agentId: agent.id, questionId, sourceReplyId: replyId, sourceRoomId: room.id, sourceTrace: trace };
}

/** The reply's `reply.traced`, from its room's stream (newest first: it is right after the reply). */
async function traceOf(ctx: CommandContext, roomId: string, replyId: string): Promise<EventData<'reply.traced'> | undefined> {
  const stream = streams.room(roomId);
  const version = await ctx.store.streamVersion(stream);
  for (let from = Math.max(1, version - 999); ; from = Math.max(1, from - 1000)) {
    const page = await ctx.store.readStream(stream, { fromVersion: from, limit: 1000 });
    for (const e of page) if (e.type === 'reply.traced' && e.data.replyId === replyId) return e.data;
    if (from === 1) return undefined;
  }
}
