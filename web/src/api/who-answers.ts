import type { Agent, Participant } from './types.ts';

/** When an agent of a multi-agent room answers a person's message that names no agent. */
export type AnswerRule = 'always' | 'decides' | 'named' | 'stopped';

/**
 * The server's should-respond rules (src/actors/should-respond.ts) read for one room, for a person's
 * message in a room of default mode: an agent named in it answers; with nobody named, an agent whose
 * character sets SHOULD_RESPOND_MODEL asks its small model ("decides"), else the room's first agent
 * answers ("always") and the others wait to be named. Undefined for a room of one agent or none
 * (that agent answers every message).
 */
export function answerRules(participants: readonly Participant[], agents: readonly Agent[]): { id: string; name: string; rule: AnswerRule }[] | undefined {
  const inRoom = participants.filter((p) => p.kind === 'agent');
  if (inRoom.length < 2) return undefined;
  const byId = new Map(agents.map((a) => [a.id, a]));
  return inRoom.map((p, i) => {
    const agent = byId.get(p.id);
    const settings = (agent?.character.settings ?? {}) as Record<string, unknown>;
    const rule: AnswerRule =
      agent?.status === 'stopped' ? 'stopped' : String(settings.SHOULD_RESPOND_MODEL ?? '') === 'true' ? 'decides' : i === 0 ? 'always' : 'named';
    return { id: p.id, name: p.name, rule };
  });
}

export const RULE_TEXT: Record<AnswerRule, string> = {
  always: 'always (every message that names no other agent; the room’s first agent)',
  decides: 'decides (its small model chooses whether to answer)',
  named: 'when named',
  stopped: 'stopped: does not answer',
};
