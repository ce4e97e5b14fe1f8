import { embedderWithDefaults } from '../../models/call-defaults.ts';
import type { Embedder } from '../../models/embedder.ts';
import type { ModelCallRecord } from '../../models/provider.ts';
import type { ElizaRuntime } from '../../plugin-host/eliza-runtime/index.ts';
import { withLiveParts } from '../../plugin-host/eliza-runtime/index.ts';
import type { Content, Memory } from '../../plugin-host/types.ts';
import { act } from './act.ts';
import { decide } from './decide.ts';
import { runEvaluators } from './evaluators.ts';
import { generate } from './generate.ts';
import { settleByMailbox } from './mailbox-outcomes.ts';
import { asModelError, turnModel, TurnAbortedError } from './model-call.ts';
import { appendAgentEffects, appendFailure, decidedEvent, modelEvents, replyEvents } from './outcome-events.ts';
import { parseResponse } from './parse-response.ts';
import { emitIfHeard, pluginModelProvider, turnRuntime } from './plugin-runtime.ts';
import { addAskedProviders, composeProviders, retrieve, stateOf } from './retrieve.ts';
import type { TurnDeps, TurnOutcome } from './turn-deps.ts';
import type { TurnInput } from './turn-input.ts';
import { startTurn, type AgentTurn, type Retrieval } from './turn-state.ts';

export type { TurnDeps, TurnOutcome } from './turn-deps.ts';

/**
 * One agent's handling of one message, from decision to the events that record it, by stage:
 * mailbox disposition → decide (events only) → retrieve (indexes) → providers → generate (streamed) →
 * act → outcome events → evaluators. It appends once at the end (one atomic batch to the room's
 * stream), so a crash before that leaves nothing behind and the restarted system runs the turn again;
 * a crash after it leaves the whole outcome, and the deterministic ids make any repeat a no-op.
 */
export async function runTurn(deps: TurnDeps, input: TurnInput, signal: AbortSignal): Promise<TurnOutcome> {
  const base = startTurn(deps, input, signal);
  const settled = await settleByMailbox(base);
  if (settled) return settled;

  const { agentId, messageId, message } = base;
  const ctx = await deps.agentContext(agentId, input.agent.character);
  if (!ctx) {
    deps.logger.warn('turn skipped: the agent has no plugin context', { agentId, messageId });
    // Still an outcome in the log, so the message never stays pending forever.
    await base.appendRoom([decidedEvent(base, false, 'agent not found')]);
    return 'skipped';
  }
  const { character, host } = ctx;
  // An agent renamed after it joined is addressed by its current name (the room actor follows renames).
  const senderName = input.participants.find((p) => p.id === message.authorId)?.name ?? (message.authorKind === 'agent' ? 'Agent' : 'User');
  // One runtime per turn: what retrieval finds is set on it once known (its knowledge search is
  // allowed until then, as evaluators of a declined message may search).
  const retrieval: Retrieval = { hasKnowledge: true };
  let runtime: ElizaRuntime | undefined;
  // Every model call of this turn, whoever makes it (the turn, plugins, the runtime bridge): one layer
  // retries it (src/models/resilient.ts) and tells `calls` of each attempt, appended as model.called.
  // The plugin model provider reads the runtime only when called (after it is built).
  const record = (r: ModelCallRecord) => void base.calls.push(r);
  const provider = turnModel(pluginModelProvider(host, () => runtime!) ?? deps.models.forCharacter(character), {
    attempts: deps.settings.modelAttempts,
    retryBaseMs: deps.settings.retryBaseMs,
    attemptTimeoutMs: deps.settings.modelTimeoutMs,
    signal,
    record,
  });
  const embedder = (): Embedder => embedderWithDefaults(deps.models.embedder(), { signal, record });
  runtime = turnRuntime(base, ctx, provider, embedder, retrieval);
  const memory: Memory = {
    id: message.id,
    entityId: message.authorId,
    agentId,
    roomId: base.roomId,
    content: { text: message.text, inReplyTo: message.inReplyTo },
    seq: message.seq,
    entityName: senderName,
  };
  // An OpenAI-compatible caller's system message, history and parameters travel in the mailbox entry.
  const turn: AgentTurn = { ...base, character, host, provider, embedder, runtime, retrieval, memory, senderName, request: input.pending.request };

  // ── decide ──
  const decision = await decide(turn);
  if (!decision) return 'abandoned';
  if (decision.kind !== 'respond') {
    await runEvaluators(deps.logger, host, runtime, memory, undefined, false, turn.pluginFailures);
    await appendAgentEffects(turn);
    await turn.appendRoom([...modelEvents(turn), decidedEvent(turn, false, decision.reason)]);
    return 'declined';
  }

  // ── retrieve, then compose state from providers ──
  await retrieve(turn);
  deps.ephemeral.next({ type: 'typing', roomId: turn.roomId, agentId });
  const replies: string[] = [];
  const callback = async (content: Content) => {
    if (typeof content?.text === 'string' && content.text.trim()) replies.push(content.text.trim());
    return [];
  };
  // ElizaOS payloads ({ runtime, message, source, callback, … }) with Chronicle's ids alongside.
  const startTime = Date.now();
  const run = { runId: messageId, messageId, roomId: turn.roomId, entityId: message.authorId, agentId, source: 'chronicle' };
  await emitIfHeard(host, runtime, 'MESSAGE_RECEIVED', () =>
    withLiveParts(
      { message: memory, source: 'chronicle', agentId, roomId: turn.roomId, messageId, text: message.text, authorId: message.authorId },
      { callback },
    ),
  );
  await emitIfHeard(host, runtime, 'RUN_STARTED', () => ({ ...run, startTime, status: 'started' }));
  const outputs = await composeProviders(host, runtime, memory, turn.pluginFailures);
  const state = stateOf(outputs);

  // ── generate, streamed ──
  let answer;
  try {
    answer = await generate(turn, outputs);
  } catch (err) {
    if (err instanceof TurnAbortedError || signal.aborted) return 'abandoned';
    const me = asModelError(err, provider.name);
    const code = me.message === 'empty answer' ? 'empty' : me.code;
    await appendAgentEffects(turn);
    await appendFailure(turn, code, me.message, modelEvents(turn));
    return 'failed';
  }

  // ── act: parse; providers the model asked for join the state; the actions it chose run ──
  // A JSON answer is the reply as it is, never read as the XML envelope.
  const parsed = turn.request?.responseFormat ? { actions: ['REPLY'], providers: [], text: answer.text, structured: false } : parseResponse(answer.text);
  await addAskedProviders(turn, parsed.providers, outputs, state);
  // ElizaOS `responses`: the agent's parsed answer as a Memory (what actions and evaluators are told it said).
  const responses: Memory[] = [
    {
      id: turn.replyId,
      entityId: agentId,
      agentId,
      roomId: turn.roomId,
      content: { text: parsed.text, thought: parsed.thought, actions: parsed.actions, providers: parsed.providers, inReplyTo: messageId },
    },
  ];
  const acted = await act(turn, parsed, state, responses, callback);
  if (!acted) return 'abandoned';
  const { actionEvents, performed, actionFailure, ignored } = acted;
  let text = replies.join('\n\n');
  if (!text && !ignored && !actionFailure) text = parsed.text.trim();

  // ── outcome events ──
  await appendAgentEffects(turn, turn.pluginFailures.splice(0));
  if (!text) {
    if (ignored) {
      await turn.appendRoom([...modelEvents(turn), ...actionEvents, decidedEvent(turn, false, 'the model chose IGNORE')]);
      await runEvaluators(deps.logger, host, runtime, memory, state, false, turn.pluginFailures, responses);
      await appendAgentEffects(turn);
      return 'declined';
    }
    await appendFailure(turn, actionFailure ? 'action_failed' : 'empty', actionFailure ?? 'no reply text', [...modelEvents(turn), ...actionEvents]);
    return 'failed';
  }
  await turn.appendRoom(
    replyEvents(turn, { text, reason: decision.reason, model: answer.model, usage: answer.usage, parsed, outputs, state, performed, actionEvents }),
  );

  // ── evaluators, after the reply is visible ──
  await runEvaluators(deps.logger, host, runtime, memory, state, true, turn.pluginFailures, responses);
  const endTime = Date.now();
  await emitIfHeard(host, runtime, 'RUN_ENDED', () => ({
    ...run,
    replyId: turn.replyId,
    actions: performed,
    startTime,
    endTime,
    duration: endTime - startTime,
    durationMs: Math.round(turn.now() - turn.started),
    status: 'completed',
  }));
  await appendAgentEffects(turn).catch((err) => deps.logger.warn('evaluator effects not recorded', { agentId, messageId, error: String(err) }));
  return 'answered';
}
