import { assign, setup } from 'xstate';
import type { Character } from '../../characters/schema.ts';
import type { CallerRequest } from '../turn/caller-request.ts';

/**
 * The agent actor's machine: lifecycle plus one mailbox per room. Pure: it never calls a model or
 * touches the log. Effects are the provided actions `startTurns` / `abortTurn` / `abortAll`, which the system
 * implements (and which are no-ops while replaying the log at start-up).
 *
 * A message leaves the mailbox only when its outcome is in the log (SETTLED is sent when the reply,
 * refusal or decision event is consumed), so a crash at any point leaves it in `current` and the
 * restored actor resumes it: no lost reply. The outcome's id is derived from (agent, message), so a
 * resumed turn that had in fact already written it is dropped by the log: no duplicate reply.
 */

// v2: a mailbox entry carries the message, the context the agent's character (v1 snapshots are replayed).
export const AGENT_MACHINE_VERSION = 'agent-v2';

export type MailboxPolicy = 'enqueue' | 'reject' | 'interrupt';
export type RoomMode = 'followed' | 'unfollowed' | 'muted' | 'unmuted';

/**
 * What the agent needs to remember about a message until it is settled: everything its turn needs from
 * the message.posted event, so a turn never reads the message back from the projections.
 */
export interface Pending {
  messageId: string;
  roomId: string;
  seq: number;
  /** Reply depth: 0 for a user's message, n+1 for an agent's reply to depth n. */
  depth: number;
  text: string;
  authorId: string;
  authorKind: 'user' | 'agent';
  inReplyTo?: string;
  /** An OpenAI-compatible caller's system message, history and parameters (turn/caller-request.ts). */
  request?: CallerRequest;
  /** How the turn ends: answer it, or (mailbox policy) refuse it / record it as superseded. */
  disposition: 'answer' | 'reject' | 'supersede';
}

export interface AgentRoom {
  current?: Pending;
  queue: Pending[];
  /** Refusals and supersessions waiting for their event (they run beside the current turn). */
  side: Pending[];
  mode?: RoomMode;
}

export interface AgentContext {
  agentId: string;
  name: string;
  /** The character as agent.created / agent.updated carried it (secrets still sealed). */
  character: Character;
  mailbox: MailboxPolicy;
  rooms: Record<string, AgentRoom>;
}

export type AgentEvent =
  | { type: 'CONFIGURED'; name: string; character: Character; mailbox: MailboxPolicy }
  | { type: 'STARTED' }
  | { type: 'STOPPED' }
  | { type: 'DELETED' }
  | { type: 'TOLD'; message: Omit<Pending, 'disposition'> }
  | { type: 'SETTLED'; roomId: string; messageId: string }
  | { type: 'MODE'; roomId: string; mode: RoomMode };

export interface AgentInput {
  agentId: string;
  name: string;
  character?: Character;
  mailbox?: MailboxPolicy;
}

const room = (ctx: AgentContext, roomId: string): AgentRoom => ctx.rooms[roomId] ?? { queue: [], side: [] };
const withRoom = (ctx: AgentContext, roomId: string, r: AgentRoom) => ({ ...ctx.rooms, [roomId]: r });
const isTracked = (r: AgentRoom, id: string) =>
  r.current?.messageId === id || r.queue.some((p) => p.messageId === id) || r.side.some((p) => p.messageId === id);
/** Rooms with nothing pending and no mode are dropped, so an idle agent's context stays tiny. */
const compact = (rooms: Record<string, AgentRoom>) => {
  const out: Record<string, AgentRoom> = {};
  for (const [id, r] of Object.entries(rooms))
    if (r.current || r.queue.length || r.side.length || (r.mode && r.mode !== 'unfollowed' && r.mode !== 'unmuted')) out[id] = r;
  return out;
};

export const agentMachine = setup({
  types: {
    context: {} as AgentContext,
    events: {} as AgentEvent,
    input: {} as AgentInput,
  },
  actions: {
    // Effects, provided by the system (src/actors/system.ts). Defaults do nothing: tests run the pure machine.
    startTurns: (_, _params: { pendings: Pending[] }) => {},
    abortTurn: (_, _params: { roomId: string; messageId: string }) => {},
    abortAll: () => {},
  },
  guards: {
    roomIdle: ({ context, event }) => event.type === 'TOLD' && !room(context, event.message.roomId).current,
    alreadyTracked: ({ context, event }) => event.type === 'TOLD' && isTracked(room(context, event.message.roomId), event.message.messageId),
    policyReject: ({ context }) => context.mailbox === 'reject',
    policyInterrupt: ({ context }) => context.mailbox === 'interrupt',
    settlesCurrent: ({ context, event }) => event.type === 'SETTLED' && room(context, event.roomId).current?.messageId === event.messageId,
  },
}).createMachine({
  id: 'agent',
  context: ({ input }) => ({
    agentId: input.agentId,
    name: input.name,
    character: input.character ?? { name: input.name, bio: [] },
    mailbox: input.mailbox ?? 'enqueue',
    rooms: {},
  }),
  initial: 'stopped',
  on: {
    CONFIGURED: { actions: assign(({ event }) => ({ name: event.name, character: event.character, mailbox: event.mailbox })) },
    MODE: {
      actions: assign({ rooms: ({ context, event }) => compact(withRoom(context, event.roomId, { ...room(context, event.roomId), mode: event.mode })) }),
    },
    DELETED: { target: '.deleted' },
  },
  states: {
    stopped: {
      on: {
        STARTED: { target: 'running' },
        // A stopped agent hears nothing: what arrives while it is stopped is never answered.
      },
    },
    running: {
      on: {
        STOPPED: { target: 'stopped' },
        TOLD: [
          { guard: 'alreadyTracked' },
          {
            guard: 'roomIdle',
            actions: [
              assign({
                rooms: ({ context, event }) =>
                  withRoom(context, event.message.roomId, { ...room(context, event.message.roomId), current: { ...event.message, disposition: 'answer' } }),
              }),
              { type: 'startTurns', params: ({ event }) => ({ pendings: [{ ...event.message, disposition: 'answer' as const }] }) },
            ],
          },
          {
            guard: 'policyReject',
            actions: [
              assign({
                rooms: ({ context, event }) => {
                  const r = room(context, event.message.roomId);
                  return withRoom(context, event.message.roomId, { ...r, side: [...r.side, { ...event.message, disposition: 'reject' }] });
                },
              }),
              { type: 'startTurns', params: ({ event }) => ({ pendings: [{ ...event.message, disposition: 'reject' as const }] }) },
            ],
          },
          {
            guard: 'policyInterrupt',
            actions: [
              {
                type: 'abortTurn',
                params: ({ context, event }) => ({ roomId: event.message.roomId, messageId: room(context, event.message.roomId).current!.messageId }),
              },
              // The queue is superseded too: only the newest message is answered.
              assign({
                rooms: ({ context, event }) => {
                  const r = room(context, event.message.roomId);
                  const superseded = [r.current!, ...r.queue].map((p) => ({ ...p, disposition: 'supersede' as const }));
                  return withRoom(context, event.message.roomId, {
                    ...r,
                    current: { ...event.message, disposition: 'answer' },
                    queue: [],
                    side: [...r.side, ...superseded],
                  });
                },
              }),
              {
                type: 'startTurns',
                params: ({ context, event }) => {
                  const r = room(context, event.message.roomId);
                  return { pendings: [r.current!, ...r.side.filter((p) => p.disposition === 'supersede')] };
                },
              },
            ],
          },
          {
            actions: assign({
              rooms: ({ context, event }) => {
                const r = room(context, event.message.roomId);
                return withRoom(context, event.message.roomId, { ...r, queue: [...r.queue, { ...event.message, disposition: 'answer' }] });
              },
            }),
          },
        ],
        SETTLED: [
          {
            guard: 'settlesCurrent',
            actions: [
              assign({
                rooms: ({ context, event }) => {
                  const r = room(context, event.roomId);
                  const [next, ...rest] = r.queue;
                  return compact(withRoom(context, event.roomId, { ...r, current: next, queue: rest }));
                },
              }),
              {
                type: 'startTurns',
                params: ({ context, event }) => ({ pendings: room(context, event.roomId).current ? [room(context, event.roomId).current!] : [] }),
              },
            ],
          },
          {
            actions: assign({
              rooms: ({ context, event }) => {
                const r = room(context, event.roomId);
                return compact(
                  withRoom(context, event.roomId, {
                    ...r,
                    queue: r.queue.filter((p) => p.messageId !== event.messageId),
                    side: r.side.filter((p) => p.messageId !== event.messageId),
                  }),
                );
              },
            }),
          },
        ],
      },
      // Leaving `running` (stop or delete) abandons the mailbox: a stopped agent answers nothing.
      exit: [
        'abortAll',
        assign({
          rooms: ({ context }) => compact(Object.fromEntries(Object.entries(context.rooms).map(([id, r]) => [id, { queue: [], side: [], mode: r.mode }]))),
        }),
      ],
    },
    deleted: { type: 'final' },
  },
});
