import type { NewEvent } from '../../events/envelope.ts';
import type { PluginFailure } from '../../plugin-host/eliza-runtime/index.ts';
import type { State } from '../../plugin-host/types.ts';
import { sha256Hex } from '../../shared/ids.ts';
import { streams } from '../../domain/streams.ts';
import { turnIds } from './turn-ids.ts';
import type { ParsedResponse } from './parse-response.ts';
import type { ProviderOutput } from './prompt.ts';
import type { AgentTurn, Turn } from './turn-state.ts';

/** Short, user-facing reasons for a failed turn; the full error is in reply.failed and model.called. */
function visibleFailure(agentName: string, code: string): string {
  const why: Record<string, string> = {
    timeout: 'the language model took too long to answer',
    rate_limited: 'the language model provider is rate-limiting requests',
    unavailable: 'the language model provider is unavailable',
    auth: 'the language model provider rejected the credentials',
    bad_request: 'the language model provider refused the request',
    malformed: 'the language model answered something I could not read',
    unsupported: 'the configured model cannot generate text',
    empty: 'the language model returned an empty answer',
    action_failed: 'the action I chose failed',
    internal: 'an internal error occurred',
  };
  return `Sorry — ${agentName} could not answer this message: ${why[code] ?? code}. Please try again in a moment.`;
}

/** model.called for every call attempt of the turn so far, with ids derived from (agent, message, n). */
export function modelEvents(turn: Turn): NewEvent[] {
  const { agentId, messageId } = turn;
  return turn.calls.map(
    (a, i): NewEvent => ({
      id: turnIds.modelCall(agentId, messageId, i),
      type: 'model.called',
      data: {
        agentId,
        provider: a.provider,
        model: a.model,
        kind: a.kind,
        ok: a.ok,
        ...(a.usage ? { usage: a.usage } : {}),
        latencyMs: Math.round(a.latencyMs),
        ...(a.error ? { error: `${a.error.code}: ${a.error.message}`.slice(0, 1000) } : {}),
      },
    }),
  );
}

export function decidedEvent(turn: Turn, respond: boolean, reason: string): NewEvent {
  const { agentId, roomId, messageId } = turn;
  return { id: turnIds.decision(agentId, messageId), type: 'reply.decided', data: { agentId, roomId, messageId, respond, reason } };
}

/** A failed turn: reply.failed, and a short message from the agent so the person never meets silence. */
export async function appendFailure(turn: Turn, code: string, detail: string, extra: NewEvent[]): Promise<void> {
  const { agentId, roomId, messageId, replyId } = turn;
  await turn.appendRoom([
    ...extra,
    {
      id: turnIds.failure(agentId, messageId),
      type: 'reply.failed',
      data: { agentId, roomId, messageId, code, message: detail.slice(0, 1000), attempts: turn.calls.length },
    },
    {
      id: replyId,
      type: 'message.posted',
      data: { messageId: replyId, roomId, authorId: agentId, authorKind: 'agent', text: visibleFailure(turn.input.agent.name, code), inReplyTo: messageId },
    },
  ]);
}

/**
 * Turns what plugins asked for (room modes, facts) and plugin failures into agent-stream events. Not a
 * trusted append: the effects are the plugins' own values, so the store validates them in full.
 */
export async function appendAgentEffects(turn: Turn, failures: PluginFailure[] = turn.pluginFailures): Promise<void> {
  const { agentId, messageId } = turn;
  const events: NewEvent[] = [];
  let modeN = 0;
  for (const e of turn.effects.splice(0)) {
    if (e.kind === 'room_mode')
      events.push({
        id: turnIds.roomMode(agentId, messageId, modeN++),
        type: 'agent.room_mode_changed',
        data: { agentId, roomId: e.roomId, mode: e.mode, messageId },
      });
    else {
      const factId = turnIds.fact(agentId, messageId, e.text);
      events.push({ id: factId, type: 'agent.fact_recorded', data: { agentId, roomId: e.roomId, factId, text: e.text, sourceMessageIds: e.sourceMessageIds } });
    }
  }
  for (const f of failures.splice(0))
    events.push({
      id: turnIds.pluginFailed(agentId, messageId, f.component),
      type: 'plugin.failed',
      data: { plugin: f.plugin, agentId, component: f.component, error: f.error },
    });
  if (events.length)
    await turn.deps.store.append(
      streams.agent(agentId),
      events.map((e) => ({ ...e, meta: turn.meta })),
    );
}

/** The answer as one atomic batch: model calls, the decision, the actions, the reply and its trace. */
export function replyEvents(
  turn: AgentTurn,
  reply: {
    text: string;
    reason: string;
    model: string;
    usage: { promptTokens: number; completionTokens: number };
    parsed: ParsedResponse;
    outputs: readonly ProviderOutput[];
    state: State;
    performed: string[];
    actionEvents: NewEvent[];
  },
): NewEvent[] {
  const { agentId, roomId, messageId, replyId, request } = turn;
  const data = (name: string) => reply.state.data[name] as Record<string, unknown> | undefined;
  // Provider data may come from a plugin: only ids the catalogue would accept (the room append is trusted).
  const ids = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 200) : []);
  return [
    ...modelEvents(turn),
    decidedEvent(turn, true, reply.reason),
    ...reply.actionEvents,
    {
      id: replyId,
      type: 'message.posted',
      data: { messageId: replyId, roomId, authorId: agentId, authorKind: 'agent', text: reply.text, inReplyTo: messageId },
    },
    {
      id: turnIds.trace(agentId, messageId),
      type: 'reply.traced',
      data: {
        agentId,
        roomId,
        messageId,
        replyId,
        provider: turn.provider.name,
        model: reply.model,
        usage: reply.usage,
        latencyMs: Math.round(turn.now() - turn.started),
        sources: {
          // A caller's history replaced the room's recent messages in the prompt: they were not a source.
          messageIds: [messageId, ...(request?.history ? [] : ids(data('RECENT_MESSAGES')?.messageIds))],
          knowledgeChunkIds: ids(data('KNOWLEDGE')?.chunkIds),
          factIds: ids(data('FACTS')?.factIds),
        },
        providers: reply.outputs.map((o) => ({ name: String(o.name), sha256: sha256Hex(o.text), chars: o.text.length })),
        actions: reply.performed.map(String),
        ...(reply.parsed.thought ? { thought: reply.parsed.thought.slice(0, 2000) } : {}),
      },
    },
  ];
}
