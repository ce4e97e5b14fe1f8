import { characterSetting } from '../../characters/secrets.ts';
import { parseShouldRespond, shouldRespondByRules, type RuleDecision } from '../should-respond.ts';
import { asModelError } from './model-call.ts';
import { shouldRespondMessages } from './prompt.ts';
import type { AgentTurn } from './turn-state.ts';

export type Decision = Exclude<RuleDecision, { kind: 'ask_model' }>;

/**
 * Should the agent answer? ElizaOS's rules on what the events carried (the message, the room's
 * participants and the agent's mode there); only a character that asks for it (SHOULD_RESPOND_MODEL)
 * consults TEXT_SMALL, with the room's recent messages (retrieval). Undefined when the turn was aborted.
 */
export async function decide(turn: AgentTurn): Promise<Decision | undefined> {
  const { deps, agentId, roomId, message, character, provider, participants, mode, signal } = { ...turn, ...turn.input };
  const decision = shouldRespondByRules({
    agentId,
    agentName: character.name,
    message: { authorKind: message.authorKind, text: message.text, depth: turn.input.pending.depth },
    participants,
    mode,
    useModel: String(characterSetting(character, 'SHOULD_RESPOND_MODEL') ?? '') === 'true',
  });
  if (decision.kind !== 'ask_model') return decision;
  try {
    await turn.indexesAtMessage();
    const recent = deps.readModel
      .listMessages(roomId, { beforeSeq: message.seq, limit: 8 })
      .map((m) => `${m.authorId === agentId ? character.name : m.authorKind}: ${m.text}`)
      .join('\n');
    const r = await provider.generateText({
      modelType: 'TEXT_SMALL',
      messages: shouldRespondMessages(character.name, turn.senderName, message.text, recent, character.templates?.shouldRespondTemplate),
      maxTokens: 20,
    });
    return parseShouldRespond(r.text)
      ? { kind: 'respond', reason: 'the small model chose RESPOND' }
      : { kind: 'ignore', reason: 'the small model chose IGNORE' };
  } catch (err) {
    if (signal.aborted) return undefined;
    const me = asModelError(err, provider.name);
    const first = participants.find((p) => p.kind === 'agent')?.id === agentId;
    return first
      ? { kind: 'respond', reason: `should-respond model failed (${me.code}); the room's first agent answers` }
      : { kind: 'ignore', reason: `should-respond model failed (${me.code})` };
  }
}
