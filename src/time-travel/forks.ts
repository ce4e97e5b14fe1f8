import { z } from 'zod';
import { assertNameFree, serialised } from '../app/commands/agents.ts';
import { authorOf, catchUp, type Caller, type CommandContext } from '../app/commands/context.ts';
import { streams } from '../domain/streams.ts';
import { accessibleRoom } from '../app/commands/rooms.ts';
import { parseInput } from '../app/commands/validate.ts';
import { badRequest, notFound } from '../app/errors.ts';
import type { AnyRecordedEvent, NewEvent, RecordedEvent } from '../events/envelope.ts';
import type { Character } from '../characters/schema.ts';
import type { AgentView, RoomView } from '../projections/read-model.ts';
import { derivedId, newId } from '../shared/ids.ts';
import { asOfReads } from './reads.ts';

const RoomForkSchema = z.object({
  atMessageId: z.string().min(1, 'is required').max(200, 'is too long'),
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
});

/**
 * Branches a room at one of its messages (issue 18 item 2): a new room whose history is the source's
 * up to and including that message, by reference (`room.forked`; the read model and the as-of fold
 * read through to the source), joined by the source's participants in the same append.
 */
export async function forkRoom(ctx: CommandContext, caller: Caller, sourceRoomId: string, input: unknown): Promise<RoomView> {
  const data = parseInput(RoomForkSchema, input);
  const source = await accessibleRoom(ctx, caller, sourceRoomId);
  const at = ctx.readModel.messageById(data.atMessageId);
  // In the room's history = this room's listing around the message holds it (a branch's source counts too).
  const inHistory = at && ctx.readModel.listMessages(source.id, { afterSeq: at.seq - 1, beforeSeq: at.seq + 1, limit: 1 })[0]?.id === at.id;
  if (!at || !inHistory) throw badRequest(`atMessageId: ${data.atMessageId} is not a message of room ${source.id}`);
  const roomId = newId();
  const meta = { author: authorOf(caller), correlationId: roomId };
  const name = data.name ?? `${source.name} (branch)`.slice(0, 200);
  const result = await ctx.store.append(
    streams.room(roomId),
    [
      {
        id: newId(),
        type: 'room.forked',
        data: { roomId, name, createdBy: caller.accountId, sourceRoomId: source.id, atMessageId: at.id, atSeq: at.seq },
        meta,
      },
      ...source.participants.map((p) => ({
        id: newId(),
        type: 'room.participant_joined' as const,
        data: { roomId, participantId: p.id, kind: p.kind, name: p.name },
        meta,
      })),
    ],
    { expectedVersion: 'no_stream' },
  );
  await ctx.projections.waitFor(result.lastSeq);
  return ctx.readModel.roomById(roomId)!;
}

const AgentForkSchema = z.object({
  atSeq: z.number({ error: 'must be a number' }).int('must be an integer').nonnegative('must not be negative'),
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
});

export interface AgentForkResult {
  agent: AgentView;
  copied: { documents: number; chunks: number; facts: number };
}

/**
 * Forks an agent as of a position (issue 18 item 3): a new, stopped agent with the source's character,
 * knowledge documents (chunks and vectors as recorded: nothing re-embedded) and facts as they were at
 * atSeq. Copies, not references: from here the two diverge, and the copy's own search indexes work
 * unchanged. Which documents and facts existed is read from the as-of fold; their content from the log.
 * Plugin memories (memory.*) are not copied.
 */
export async function forkAgent(ctx: CommandContext, caller: Caller, sourceId: string, input: unknown): Promise<AgentForkResult> {
  return forkAgentAt(ctx, caller, sourceId, parseInput(AgentForkSchema, input));
}

/**
 * The fork itself; a re-ask (reask.ts) passes the character to use (the source's then, with its
 * changes, already validated) and starts the copy.
 */
export async function forkAgentAt(
  ctx: CommandContext,
  caller: Caller,
  sourceId: string,
  data: { atSeq: number; name: string; character?: (then: Character) => Character; start?: boolean },
): Promise<AgentForkResult> {
  const head = await ctx.store.head();
  if (data.atSeq > head) throw badRequest(`atSeq ${data.atSeq} is beyond the log's head (${head})`);
  await catchUp(ctx);
  if (!ctx.readModel.agentById(sourceId)) throw notFound('agent');
  const past = (await asOfReads(ctx).at({ kind: 'agent', agentId: sourceId }, data.atSeq)).readModel;
  const then = past.agentById(sourceId);
  if (!then || then.deleted) throw notFound(`agent at seq ${data.atSeq}`);
  return serialised(async () => {
    await catchUp(ctx);
    assertNameFree(ctx, data.name);
    const agentId = newId();
    const meta = { author: authorOf(caller), correlationId: agentId };
    const copyId = (id: string) => derivedId('fork', agentId, id);
    const keptFacts = new Set(past.facts(sourceId, { limit: 1_000_000 }).map((f) => f.id));
    const facts = (await readStreamUpTo(ctx, streams.agent(sourceId), data.atSeq)).flatMap((e): NewEvent[] =>
      e.type === 'agent.fact_recorded' && keptFacts.delete(e.data.factId)
        ? [{ id: copyId(e.id), type: 'agent.fact_recorded', data: { ...e.data, agentId, factId: copyId(e.data.factId) }, meta }]
        : [],
    );
    await ctx.store.append(
      streams.agent(agentId),
      [
        {
          id: copyId('created'),
          type: 'agent.created',
          data: { agentId, name: data.name, character: { ...(data.character?.(then.character) ?? then.character), name: data.name } },
          meta,
        },
        ...facts,
      ],
      { expectedVersion: 'no_stream' },
    );
    let chunks = 0;
    const documents = past.listDocuments(sourceId);
    for (const doc of documents) {
      const events = await copyDocument(ctx, doc.id, doc.status, data.atSeq, agentId, copyId, meta);
      chunks += events.filter((e) => e.type === 'knowledge.chunk_embedded').length;
      await ctx.store.append(streams.document(copyId(doc.id)), events, { expectedVersion: 'no_stream' });
    }
    // Started last: it answers only once its knowledge is in.
    if (data.start) await ctx.store.append(streams.agent(agentId), [{ id: copyId('started'), type: 'agent.started', data: { agentId }, meta }]);
    await catchUp(ctx);
    return { agent: ctx.readModel.agentById(agentId)!, copied: { documents: documents.length, chunks, facts: facts.length } };
  });
}

/**
 * The document's events for the copy: its (last) `document_added`, the chunks it held at atSeq (the
 * latest version of each; a removal empties it, as the knowledge projection does), then ready/failed.
 */
async function copyDocument(
  ctx: CommandContext,
  documentId: string,
  status: 'ingesting' | 'ready' | 'failed',
  atSeq: number,
  agentId: string,
  copyId: (id: string) => string,
  meta: NewEvent['meta'],
): Promise<NewEvent[]> {
  let added: RecordedEvent<'knowledge.document_added'> | undefined;
  let ended: RecordedEvent<'knowledge.document_ready'> | RecordedEvent<'knowledge.document_failed'> | undefined;
  const chunks = new Map<string, RecordedEvent<'knowledge.chunk_embedded'>>();
  for (const e of await readStreamUpTo(ctx, streams.document(documentId), atSeq)) {
    if (e.type === 'knowledge.document_added') {
      added = e as RecordedEvent<'knowledge.document_added'>;
      ended = undefined;
    } else if (e.type === 'knowledge.chunk_embedded') chunks.set(e.data.chunkId, e as RecordedEvent<'knowledge.chunk_embedded'>);
    else if (e.type === 'knowledge.document_removed') chunks.clear();
    else if (e.type === 'knowledge.document_ready') ended = e as RecordedEvent<'knowledge.document_ready'>;
    else if (e.type === 'knowledge.document_failed') ended = e as RecordedEvent<'knowledge.document_failed'>;
  }
  if (!added) return [];
  const docId = copyId(documentId);
  return [
    { id: copyId(added.id), type: 'knowledge.document_added', data: { ...added.data, documentId: docId, agentId }, meta },
    ...[...chunks.values()].map(
      (c): NewEvent => ({
        id: copyId(c.id),
        type: 'knowledge.chunk_embedded',
        data: { ...c.data, documentId: docId, agentId, chunkId: copyId(c.data.chunkId) },
        meta,
      }),
    ),
    ...(ended && status !== 'ingesting'
      ? [{ id: copyId(ended.id), type: ended.type, data: { ...ended.data, documentId: docId, agentId }, meta } as NewEvent]
      : []),
  ];
}

async function readStreamUpTo(ctx: CommandContext, stream: string, upTo: number): Promise<AnyRecordedEvent[]> {
  const out: AnyRecordedEvent[] = [];
  for (let version = 1; ; ) {
    const page = await ctx.store.readStream(stream, { fromVersion: version, limit: 1000 });
    for (const e of page) if (e.seq <= upTo) out.push(e);
    if (page.length < 1000 || page[page.length - 1].seq > upTo) return out;
    version = page[page.length - 1].version + 1;
  }
}
