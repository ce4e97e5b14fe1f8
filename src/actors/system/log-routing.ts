import type { Character } from '../../characters/schema.ts';
import { characterSetting } from '../../characters/secrets.ts';
import type { AnyRecordedEvent } from '../../events/envelope.ts';
import type { MailboxPolicy } from '../machines/agent.machine.ts';
import { depthOf, recipients } from '../machines/room.machine.ts';
import type { ActorTable } from './actor-table.ts';

/** What routing an event may do besides sending to actors: effects that only run once live. */
export interface RoutingEffects {
  table: ActorTable;
  /** Caught up with the log: effects may run (replay never starts plugins or turns). */
  live(): boolean;
  maxAgentDepth: number;
  /** Builds the agent's context (plugins, services) for the character its actor holds (if it runs). */
  warm(agentId: string): void;
  /** Stops and drops the agent's context (plugins, services). */
  forget(agentId: string): void;
}

export const mailboxOf = (c: Character | undefined): MailboxPolicy => {
  const v = String((c && characterSetting(c, 'MAILBOX')) ?? 'enqueue').toLowerCase();
  return v === 'reject' || v === 'interrupt' ? v : 'enqueue';
};

/**
 * Folds one event of the log into the room and agent actors it concerns. Pure routing: which actor
 * hears what; the actors decide, and the effects they ask for run elsewhere.
 */
export function routeEvent(e: AnyRecordedEvent, fx: RoutingEffects): void {
  const { table } = fx;
  switch (e.type) {
    case 'agent.created': {
      const { agentId, name, character } = e.data;
      if (!table.agents.has(agentId)) table.spawnAgent(agentId, name, character, mailboxOf(character));
      else table.sendAgent(agentId, { type: 'CONFIGURED', name, character, mailbox: mailboxOf(character) });
      if (fx.live()) fx.warm(agentId);
      return;
    }
    case 'agent.updated':
      // The context is rebuilt (old services stopped first) when the character really changed.
      if (!table.running(e.data.agentId)) fx.forget(e.data.agentId);
      // Agents address each other by name: the rooms learn the new one.
      for (const [roomId, { actor }] of table.rooms)
        if (actor.getSnapshot().context.participants.some((p) => p.id === e.data.agentId && p.name !== e.data.name))
          table.sendRoom(roomId, { type: 'RENAMED', participantId: e.data.agentId, name: e.data.name });
      table.sendAgent(e.data.agentId, { type: 'CONFIGURED', name: e.data.name, character: e.data.character, mailbox: mailboxOf(e.data.character) });
      if (fx.live()) fx.warm(e.data.agentId);
      return;
    case 'agent.started':
      table.sendAgent(e.data.agentId, { type: 'STARTED' });
      // The agent's plugin services run while it runs.
      if (fx.live()) fx.warm(e.data.agentId);
      return;
    case 'agent.stopped':
      table.sendAgent(e.data.agentId, { type: 'STOPPED' });
      fx.forget(e.data.agentId);
      return;
    case 'agent.deleted': {
      table.sendAgent(e.data.agentId, { type: 'DELETED' });
      table.removeAgent(e.data.agentId);
      fx.forget(e.data.agentId);
      return;
    }
    case 'agent.room_mode_changed':
      return table.sendAgent(e.data.agentId, { type: 'MODE', roomId: e.data.roomId, mode: e.data.mode });
    case 'room.created':
      if (!table.rooms.has(e.data.roomId)) table.spawnRoom(e.data.roomId);
      return;
    case 'room.participant_joined':
      if (!table.rooms.has(e.data.roomId)) table.spawnRoom(e.data.roomId);
      return table.sendRoom(e.data.roomId, { type: 'JOINED', participant: { id: e.data.participantId, kind: e.data.kind, name: e.data.name } });
    case 'room.participant_left':
      return table.sendRoom(e.data.roomId, { type: 'LEFT', participantId: e.data.participantId });
    case 'message.posted': {
      const d = e.data;
      const room = table.rooms.get(d.roomId);
      if (d.authorKind === 'agent' && d.inReplyTo) table.sendAgent(d.authorId, { type: 'SETTLED', roomId: d.roomId, messageId: d.inReplyTo });
      if (!room) return;
      const ctx = room.actor.getSnapshot().context;
      const depth = depthOf(ctx, d.authorKind, d.inReplyTo);
      const told = recipients(ctx, { authorId: d.authorId, authorKind: d.authorKind, text: d.text, depth }, fx.maxAgentDepth);
      // Only agents' messages change the room's context (their reply depth).
      if (d.authorKind === 'agent') table.sendRoom(d.roomId, { type: 'POSTED', messageId: d.messageId, authorKind: d.authorKind, inReplyTo: d.inReplyTo });
      // The mailbox entry carries what the turn needs from the message: it never reads it back.
      const message = {
        messageId: d.messageId,
        roomId: d.roomId,
        seq: e.seq,
        depth,
        text: d.text,
        authorId: d.authorId,
        authorKind: d.authorKind,
        ...(d.inReplyTo ? { inReplyTo: d.inReplyTo } : {}),
        ...(d.request ? { request: d.request } : {}),
      };
      for (const agent of told) table.sendAgent(agent.id, { type: 'TOLD', message });
      return;
    }
    case 'reply.decided':
      if (!e.data.respond) table.sendAgent(e.data.agentId, { type: 'SETTLED', roomId: e.data.roomId, messageId: e.data.messageId });
      return;
    default:
      return;
  }
}
