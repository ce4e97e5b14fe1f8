import type { Character } from '../../characters/schema.ts';
import type { Pending, RoomMode } from '../machines/agent.machine.ts';
import type { Participant } from '../machines/room.machine.ts';

/**
 * What the actor system hands a turn when it launches it, all of it folded from the log: the message
 * (the agent's mailbox entry, filled from message.posted), the agent's name and character (from its
 * agent.created / agent.updated), the room's participants with current names (the room actor) and the
 * agent's mode in that room. A turn decides from this alone; only retrieval reads the indexes.
 */
export interface TurnInput {
  agent: { agentId: string; name: string; character: Character };
  pending: Pending;
  participants: readonly Participant[];
  mode?: RoomMode;
}
