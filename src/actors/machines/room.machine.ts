import { assign, setup } from 'xstate';

/**
 * The room actor's machine: who is in the room, and the reply depth of recent agent messages (so an
 * agent-to-agent exchange stays bounded). Who is told about a message is the pure function
 * `recipients` below, applied to this context.
 */

// v2: depths became a bounded array (v1 snapshots held an object and are replayed instead).
export const ROOM_MACHINE_VERSION = 'room-v2';

export interface Participant {
  id: string;
  kind: 'user' | 'agent';
  name: string;
}

export interface RoomContext {
  roomId: string;
  participants: Participant[];
  /**
   * Depth of recent agent-authored messages, oldest first (bounded: the last DEPTH_MEMORY). An array,
   * not an object keyed by id: copying a 64-key object on every agent message (the context is
   * immutable) was ~4 % of a reply's CPU with 16 busy rooms.
   */
  depths: [messageId: string, depth: number][];
}

export type RoomEvent =
  | { type: 'JOINED'; participant: Participant }
  | { type: 'LEFT'; participantId: string }
  | { type: 'RENAMED'; participantId: string; name: string }
  | { type: 'POSTED'; messageId: string; authorKind: 'user' | 'agent'; inReplyTo?: string };

const DEPTH_MEMORY = 64;

export function depthOf(ctx: RoomContext, authorKind: 'user' | 'agent', inReplyTo?: string): number {
  if (authorKind === 'user') return 0;
  if (inReplyTo === undefined) return 1;
  for (let i = ctx.depths.length - 1; i >= 0; i--) if (ctx.depths[i][0] === inReplyTo) return ctx.depths[i][1] + 1;
  return 1;
}

export const roomMachine = setup({
  types: { context: {} as RoomContext, events: {} as RoomEvent, input: {} as { roomId: string } },
  guards: {
    hasAgents: ({ context }) => context.participants.some((p) => p.kind === 'agent'),
  },
}).createMachine({
  id: 'room',
  context: ({ input }) => ({ roomId: input.roomId, participants: [], depths: [] }),
  initial: 'empty',
  on: {
    JOINED: {
      target: '.check',
      actions: assign({
        participants: ({ context, event }) => [...context.participants.filter((p) => p.id !== event.participant.id), event.participant],
      }),
    },
    LEFT: { target: '.check', actions: assign({ participants: ({ context, event }) => context.participants.filter((p) => p.id !== event.participantId) }) },
    RENAMED: {
      actions: assign({
        participants: ({ context, event }) => context.participants.map((p) => (p.id === event.participantId ? { ...p, name: event.name } : p)),
      }),
    },
  },
  states: {
    check: { always: [{ guard: 'hasAgents', target: 'active' }, { target: 'empty' }] },
    /** No agent in the room: messages are stored but nobody is told. */
    empty: {},
    active: {
      on: {
        POSTED: {
          actions: assign({
            depths: ({ context, event }) => {
              if (event.authorKind !== 'agent') return context.depths;
              const kept = context.depths.length >= DEPTH_MEMORY ? context.depths.slice(1 - DEPTH_MEMORY) : context.depths.slice();
              kept.push([event.messageId, depthOf(context, 'agent', event.inReplyTo)]);
              return kept;
            },
          }),
        },
      },
    },
  },
});

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Compiling a Unicode-aware pattern costs far more than running it: one per name, kept.
const namePatterns = new Map<string, RegExp>();

/** True when the text names the agent as a word ("Ada, …", "@Ada", "… ask ada?"), case-insensitive. */
export function mentions(text: string, name: string): boolean {
  const n = name.trim();
  if (!n) return false;
  let re = namePatterns.get(n);
  if (!re) {
    if (namePatterns.size > 10_000) namePatterns.clear();
    re = new RegExp(`(^|[^\\p{L}\\p{N}_])@?${escapeRe(n)}($|[^\\p{L}\\p{N}_])`, 'iu');
    namePatterns.set(n, re);
  }
  return re.test(text);
}

/**
 * Which agents are told about a message. Users' messages go to every agent in the room (each decides
 * for itself); an agent's message goes only to the agents it names, and not past `maxDepth` — agents
 * answer agents only when addressed, so two agents cannot talk to each other forever.
 */
export function recipients(
  ctx: RoomContext,
  msg: { authorId: string; authorKind: 'user' | 'agent'; text: string; depth: number },
  maxDepth: number,
): Participant[] {
  const agents = ctx.participants.filter((p) => p.kind === 'agent' && p.id !== msg.authorId);
  if (msg.authorKind === 'user') return agents;
  if (msg.depth >= maxDepth) return [];
  return agents.filter((a) => mentions(msg.text, a.name));
}
