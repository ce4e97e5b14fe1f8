import { turnIds } from './turn-ids.ts';
import type { TurnOutcome } from './turn-deps.ts';
import type { Turn } from './turn-state.ts';

/**
 * Mailbox dispositions that need no model: a message superseded by a newer one (policy interrupt) is
 * recorded as declined; one that arrived while the agent was busy (policy reject) gets a refusal the
 * person sees. Undefined when the message is to be answered.
 */
export async function settleByMailbox(turn: Turn): Promise<TurnOutcome | undefined> {
  const { agentId, roomId, messageId, replyId } = turn;
  const { disposition } = turn.input.pending;
  if (disposition === 'supersede') {
    await turn.appendRoom([
      {
        id: turnIds.decision(agentId, messageId),
        type: 'reply.decided',
        data: { agentId, roomId, messageId, respond: false, reason: 'superseded by a newer message (mailbox policy: interrupt)' },
      },
    ]);
    return 'superseded';
  }
  if (disposition === 'reject') {
    await turn.appendRoom([
      {
        id: turnIds.failure(agentId, messageId),
        type: 'reply.failed',
        data: {
          agentId,
          roomId,
          messageId,
          code: 'busy',
          message: 'the agent was answering another message in this room (mailbox policy: reject)',
          attempts: 0,
        },
      },
      {
        id: replyId,
        type: 'message.posted',
        data: {
          messageId: replyId,
          roomId,
          authorId: agentId,
          authorKind: 'agent',
          text: `${turn.input.agent.name} is still answering an earlier message here and did not take this one. Please send it again in a moment.`,
          inReplyTo: messageId,
        },
      },
    ]);
    return 'refused';
  }
  return undefined;
}
