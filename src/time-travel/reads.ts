import { AppError, badRequest, notFound } from '../app/errors.ts';
import { catchUp, type Caller, type CommandContext } from '../app/commands/context.ts';
import { parseLimit, parseSeq } from '../app/commands/messages.ts';
import { accessibleRoom } from '../app/commands/rooms.ts';
import type { AgentView, FactView, KnowledgeDocumentView, MessageView, ReadModel, RoomView } from '../projections/read-model.ts';
import { AsOfReads, type AsOfScope, type AsOfState } from './as-of.ts';
import { actorIds } from '../domain/streams.ts';

/**
 * The as-of versions of the read routes (docs/API.md, "Time travel and forks"): the same answers, from
 * the scope's state folded up to the position. Access is checked against the present.
 */

const instances = new WeakMap<object, AsOfReads>();

/** One AsOfReads (and its LRU of folds) per running Chronicle. */
export function asOfReads(ctx: CommandContext): AsOfReads {
  let r = instances.get(ctx.store);
  if (!r) {
    const rm = ctx.readModel;
    r = new AsOfReads(ctx.store, { documentIdsOf: rm.documentIdsOf ? (a, s) => rm.documentIdsOf!(a, s) : undefined });
    instances.set(ctx.store, r);
  }
  return r;
}

/**
 * `asOf` as given in a query: absent → undefined (the present); otherwise an integer 0 ≤ asOf ≤ head,
 * anything else a 400 naming it.
 */
export async function parseAsOf(ctx: CommandContext, raw: string | undefined | null, name = 'asOf'): Promise<number | undefined> {
  if (raw === undefined || raw === null) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw badRequest(`${name} must be a non-negative integer log position (seq)`);
  const seq = Number(raw);
  const head = await ctx.store.head();
  if (seq > head) throw badRequest(`${name} ${seq} is beyond the log's head (${head})`);
  // The read model answers which documents an agent had: it must have seen the position.
  await catchUp(ctx);
  return seq;
}

async function stateAt(ctx: CommandContext, scope: AsOfScope, seq: number): Promise<AsOfState> {
  return asOfReads(ctx).at(scope, seq);
}

const notYet = (what: string, seq: number) => new AppError(404, 'not_found', `${what} did not exist at seq ${seq}`);

export async function roomAsOf(ctx: CommandContext, caller: Caller, roomId: string, seq: number): Promise<RoomView> {
  await accessibleRoom(ctx, caller, roomId);
  const room = (await stateAt(ctx, { kind: 'room', roomId }, seq)).readModel.roomById(roomId);
  if (!room) throw notYet('room', seq);
  return room;
}

export async function messagesAsOf(
  ctx: CommandContext,
  caller: Caller,
  roomId: string,
  seq: number,
  query: { before?: string; limit?: string },
): Promise<MessageView[]> {
  const limit = parseLimit(query.limit, 50, 200);
  const before = parseSeq(query.before, 'before');
  await accessibleRoom(ctx, caller, roomId);
  const rm = (await stateAt(ctx, { kind: 'room', roomId }, seq)).readModel;
  if (!rm.roomById(roomId)) throw notYet('room', seq);
  return rm.listMessages(roomId, { beforeSeq: before, limit });
}

/** An agent the log knows now (deleted ones too: the past is still readable), at `seq`. */
async function agentState(ctx: CommandContext, agentId: string, seq: number): Promise<{ rm: ReadModel; agent: AgentView }> {
  if (!ctx.readModel.agentById(agentId)) throw notFound('agent');
  const rm = (await stateAt(ctx, { kind: 'agent', agentId }, seq)).readModel;
  const agent = rm.agentById(agentId);
  if (!agent || agent.deleted) throw notYet('agent', seq);
  return { rm, agent };
}

export async function agentAsOf(ctx: CommandContext, agentId: string, seq: number): Promise<AgentView> {
  return (await agentState(ctx, agentId, seq)).agent;
}

export async function documentsAsOf(ctx: CommandContext, agentId: string, seq: number): Promise<KnowledgeDocumentView[]> {
  const { rm } = await agentState(ctx, agentId, seq);
  return rm.listDocuments(agentId);
}

/** An agent's facts (newest last), now or at `seq`; `roomId` and `limit` as given in the query. */
export async function factsOf(ctx: CommandContext, agentId: string, seq: number | undefined, query: { roomId?: string; limit?: string }): Promise<FactView[]> {
  const limit = parseLimit(query.limit, 100, 1000);
  if (query.roomId !== undefined && (query.roomId.length === 0 || query.roomId.length > 200)) throw badRequest('roomId must be 1 to 200 characters');
  const opts = { ...(query.roomId !== undefined ? { roomId: query.roomId } : {}), limit };
  if (seq === undefined) {
    const agent = ctx.readModel.agentById(agentId);
    if (!agent || agent.deleted) throw notFound('agent');
    return ctx.readModel.facts(agentId, opts);
  }
  return (await agentState(ctx, agentId, seq)).rm.facts(agentId, opts);
}

/** The actor graph as the log describes it at `seq` (docs/API.md): rooms with their participants, agents with their status. */
export async function actorsAsOf(ctx: CommandContext, seq: number) {
  const state = await stateAt(ctx, { kind: 'actors' }, seq);
  const rooms = state.rooms();
  const agents = state.readModel.listAgents().filter((a) => !a.deleted);
  const roomNodes = rooms.map((r) => ({
    id: actorIds.room(r.id),
    kind: 'room' as const,
    name: r.name,
    state: 'open',
    parent: 'system',
    children: [] as string[],
    participants: r.participants.map((p) => ({ id: p.id, kind: p.kind, name: p.name })),
    ...(r.forkOf ? { forkOf: r.forkOf } : {}),
  }));
  const agentNodes = agents.map((a) => ({
    id: actorIds.agent(a.id),
    kind: 'agent' as const,
    name: a.name,
    state: a.status,
    parent: 'system',
    children: [] as string[],
  }));
  return [
    { id: 'system', kind: 'system' as const, state: 'running', children: [...roomNodes.map((n) => n.id), ...agentNodes.map((n) => n.id)] },
    ...roomNodes,
    ...agentNodes,
  ];
}
