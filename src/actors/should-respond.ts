import { mentions, type Participant } from './machines/room.machine.ts';
import type { RoomMode } from './machines/agent.machine.ts';

export type RuleDecision = { kind: 'respond'; reason: string } | { kind: 'ignore'; reason: string } | { kind: 'ask_model'; reason: string };

/**
 * ElizaOS's should-respond rules, made deterministic. A one-agent room always gets an answer (API.md:
 * "in a room with one user and one agent, the agent answers every user message"); with several
 * agents, the one named answers, else a follower, else (optionally) a TEXT_SMALL call, else the
 * room's first agent — so a user's unaddressed message is never left without any answer.
 */
export function shouldRespondByRules(input: {
  agentId: string;
  agentName: string;
  message: { authorKind: 'user' | 'agent'; text: string; depth: number };
  participants: readonly Participant[];
  mode?: RoomMode;
  useModel: boolean;
}): RuleDecision {
  const { agentId, agentName, message, participants, mode } = input;
  const named = mentions(message.text, agentName);
  if (message.authorKind === 'agent') {
    return named
      ? { kind: 'respond', reason: `addressed by name by another agent (depth ${message.depth})` }
      : { kind: 'ignore', reason: 'agents answer agents only when addressed by name' };
  }
  if (mode === 'muted') return named ? { kind: 'respond', reason: 'room is muted but the agent was named' } : { kind: 'ignore', reason: 'room is muted' };
  if (named) return { kind: 'respond', reason: 'addressed by name' };
  const agents = participants.filter((p) => p.kind === 'agent');
  if (agents.length <= 1) return { kind: 'respond', reason: 'the only agent in the room' };
  if (mode === 'followed') return { kind: 'respond', reason: 'following the room' };
  const other = agents.find((a) => a.id !== agentId && mentions(message.text, a.name));
  if (other) return { kind: 'ignore', reason: `message addressed to ${other.name}` };
  if (input.useModel) return { kind: 'ask_model', reason: 'several agents and nobody named' };
  return agents[0]?.id === agentId
    ? { kind: 'respond', reason: "nobody named: the room's first agent answers" }
    : { kind: 'ignore', reason: "nobody named: the room's first agent answers" };
}

/** Parses ElizaOS's should-respond answer: `<action>RESPOND|IGNORE|STOP</action>` (or a bare word). */
export function parseShouldRespond(text: string): boolean {
  const m = /<action>\s*([A-Z_]+)\s*<\/action>/i.exec(text);
  const word = (m ? m[1] : text).trim().toUpperCase();
  return word.startsWith('RESPOND') || word === 'YES';
}
