import { z } from 'zod';
import type { AgentView, RoomView } from '../../projections/read-model.ts';
import { hasRole } from '../../auth/roles.ts';
import { derivedId, newId } from '../../shared/ids.ts';
import { forbidden, notFound } from '../errors.ts';
import { liveAgent } from './agents.ts';
import { authorOf, catchUp, type Caller, type CommandContext } from './context.ts';
import { streams } from '../../domain/streams.ts';
import { parseInput } from './validate.ts';

const IdSchema = z.string().min(1, 'must not be empty').max(200, 'is too long');

/**
 * The room if the caller may reach it: members always; operators and admins any room (they can read
 * the whole log anyway). Otherwise 404 — a user cannot even learn that a room exists.
 */
export async function accessibleRoom(ctx: CommandContext, caller: Caller, roomId: string): Promise<RoomView> {
  let room = ctx.readModel.roomById(roomId);
  if (!room || !isMemberOrElevated(ctx, caller, roomId)) {
    // The read model may lag another writer by a few ms: catch up once before saying no.
    await catchUp(ctx);
    room = ctx.readModel.roomById(roomId);
  }
  if (!room || !isMemberOrElevated(ctx, caller, roomId)) throw notFound('room');
  return room;
}

function isMemberOrElevated(ctx: CommandContext, caller: Caller, roomId: string): boolean {
  return hasRole(caller.role, 'operator') || ctx.readModel.isMember(roomId, caller.accountId);
}

/**
 * A room's owner is the account that created it (room.created's createdBy). The owner — or an admin —
 * adds accounts and removes other participants; any member may add an agent, post, read, and leave.
 */
function mayManage(caller: Caller, room: RoomView): boolean {
  return caller.accountId === room.createdBy || hasRole(caller.role, 'admin');
}

function callerName(ctx: CommandContext, caller: Caller): string {
  const account = ctx.readModel.accountById(caller.accountId);
  return account?.name || account?.username || caller.accountId;
}

const NewRoomSchema = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  agentIds: z.array(IdSchema).max(50, 'at most 50 agents').optional(),
});

/** Creates a room; the caller joins it, and so does every listed agent (unknown agent → 404). */
export async function createRoom(ctx: CommandContext, caller: Caller, input: unknown): Promise<RoomView> {
  const data = parseInput(NewRoomSchema, input);
  await catchUp(ctx);
  const agents = [...new Set(data.agentIds ?? [])].map((id) => liveAgent(ctx, id));
  const roomId = newId();
  const meta = { author: authorOf(caller) };
  const result = await ctx.store.append(
    streams.room(roomId),
    [
      { id: newId(), type: 'room.created', data: { roomId, name: data.name, createdBy: caller.accountId }, meta },
      { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: caller.accountId, kind: 'user', name: callerName(ctx, caller) }, meta },
      ...agents.map((a) => ({
        id: newId(),
        type: 'room.participant_joined' as const,
        data: { roomId, participantId: a.id, kind: 'agent' as const, name: a.name },
        meta,
      })),
    ],
    { expectedVersion: 'no_stream' },
  );
  await ctx.projections.waitFor(result.lastSeq);
  return ctx.readModel.roomById(roomId)!;
}

const ParticipantSchema = z
  .object({ accountId: IdSchema.optional(), agentId: IdSchema.optional() })
  .refine((v) => (v.accountId === undefined) !== (v.agentId === undefined), 'give exactly one of accountId or agentId');

/**
 * Adds an agent (any member) or an account (the owner or an admin) to a room the caller reaches
 * (unknown id → 404; already in → unchanged).
 */
export async function addParticipant(ctx: CommandContext, caller: Caller, roomId: string, input: unknown): Promise<RoomView> {
  const data = parseInput(ParticipantSchema, input);
  const room = await accessibleRoom(ctx, caller, roomId);
  let participant: { id: string; kind: 'user' | 'agent'; name: string };
  if (data.agentId !== undefined) {
    const agent = liveAgent(ctx, data.agentId);
    participant = { id: agent.id, kind: 'agent', name: agent.name };
  } else {
    if (!mayManage(caller, room)) throw forbidden("only the room's owner or an admin may add accounts to it");
    const account = ctx.readModel.accountById(data.accountId!);
    if (!account) throw notFound('account');
    participant = { id: account.id, kind: 'user', name: account.name || account.username };
  }
  if (room.participants.some((p) => p.id === participant.id)) return room;
  const result = await ctx.store.append(streams.room(roomId), [
    {
      id: newId(),
      type: 'room.participant_joined',
      data: { roomId, participantId: participant.id, kind: participant.kind, name: participant.name },
      meta: { author: authorOf(caller) },
    },
  ]);
  await ctx.projections.waitFor(result.lastSeq);
  return ctx.readModel.roomById(roomId)!;
}

/** Removes a participant: the caller itself (leaving) always; anyone else only as the owner or an admin. */
export async function removeParticipant(ctx: CommandContext, caller: Caller, roomId: string, participantId: string): Promise<void> {
  const room = await accessibleRoom(ctx, caller, roomId);
  if (!room.participants.some((p) => p.id === participantId)) throw notFound('participant');
  if (participantId !== caller.accountId && !mayManage(caller, room)) {
    throw forbidden("only the room's owner or an admin may remove other participants; a member may remove only itself (leave)");
  }
  const result = await ctx.store.append(streams.room(roomId), [
    { id: newId(), type: 'room.participant_left', data: { roomId, participantId }, meta: { author: authorOf(caller) } },
  ]);
  await ctx.projections.waitFor(result.lastSeq);
}

/**
 * The room of the OpenAI-compatible endpoint: one per (caller, agent) pair, its id derived from both so
 * concurrent first calls converge on one room (the log drops the duplicate events by id).
 */
export async function ensureDirectRoom(ctx: CommandContext, caller: Caller, agent: AgentView): Promise<RoomView> {
  return ensureAgentRoom(ctx, caller, agent, derivedId('openai-room', caller.accountId, agent.id), `chat with ${agent.name}`);
}

/**
 * A named conversation of the OpenAI-compatible endpoint (chat's `user`, responses' `conversation`):
 * its own room per (caller, agent, conversation), derived like the direct room; no name → the direct room.
 */
export async function ensureConversationRoom(ctx: CommandContext, caller: Caller, agent: AgentView, conversation?: string): Promise<RoomView> {
  if (conversation === undefined) return ensureDirectRoom(ctx, caller, agent);
  const roomId = derivedId('openai-conversation', caller.accountId, agent.id, conversation);
  return ensureAgentRoom(ctx, caller, agent, roomId, `${conversation} with ${agent.name}`);
}

async function ensureAgentRoom(ctx: CommandContext, caller: Caller, agent: AgentView, roomId: string, name: string): Promise<RoomView> {
  const room = ctx.readModel.roomById(roomId);
  const has = (id: string) => room?.participants.some((p) => p.id === id) ?? false;
  if (room && has(caller.accountId) && has(agent.id)) return room;
  const meta = { author: authorOf(caller) };
  // Re-joining after a leave needs a fresh event id; a first join uses a derived one.
  const joinId = (pid: string) => (room ? newId() : derivedId(roomId, 'joined', pid));
  const events = [
    ...(room
      ? []
      : [{ id: derivedId(roomId, 'created'), type: 'room.created' as const, data: { roomId, name: name.slice(0, 200), createdBy: caller.accountId }, meta }]),
    ...(has(caller.accountId)
      ? []
      : [
          {
            id: joinId(caller.accountId),
            type: 'room.participant_joined' as const,
            data: { roomId, participantId: caller.accountId, kind: 'user' as const, name: callerName(ctx, caller) },
            meta,
          },
        ]),
    ...(has(agent.id)
      ? []
      : [
          {
            id: joinId(agent.id),
            type: 'room.participant_joined' as const,
            data: { roomId, participantId: agent.id, kind: 'agent' as const, name: agent.name },
            meta,
          },
        ]),
  ];
  const result = await ctx.store.append(streams.room(roomId), events);
  await ctx.projections.waitFor(result.lastSeq);
  return ctx.readModel.roomById(roomId)!;
}
