import type { Subject } from 'rxjs';
import type { Character } from '../../characters/schema.ts';
import { characterSetting } from '../../characters/secrets.ts';
import type { NewEvent } from '../../events/envelope.ts';
import type { EventStore } from '../../events/store.ts';
import { embedderWithDefaults } from '../../models/call-defaults.ts';
import type { Embedder } from '../../models/embedder.ts';
import { ModelError, type GenerateTextParams, type GenerateTextResult, type ModelCallRecord, type ModelProvider, type ModelType } from '../../models/provider.ts';
import { createElizaRuntime, withLiveParts, worldIdOf, type ElizaRuntime } from '../../plugin-host/eliza-runtime/index.ts';
import type { PluginHost } from '../../plugin-host/host.ts';
import type { Action, Content, Memory, PluginEffect, PluginRuntime, ServiceInstance, State } from '../../plugin-host/types.ts';
import type { ReadModel } from '../../projections/read-model.ts';
import type { Logger } from '../../shared/logger.ts';
import { sha256Hex } from '../../shared/ids.ts';
import { parseShouldRespond, shouldRespondByRules } from '../should-respond.ts';
import { streams, turnIds } from '../streams.ts';
import type { ActorSettings, EphemeralEvent, ModelSource } from '../types.ts';
import { callerModelParams, structuredReply } from './caller-request.ts';
import { asModelError, streamReply, turnModel, TurnAbortedError } from './model-call.ts';
import { parseResponse } from './parse-response.ts';
import { buildMessages, buildPromptContext, shouldRespondMessages, type ProviderOutput } from './prompt.ts';
import { VisibleTextStream } from './text-stream.ts';
import type { TurnInput } from './turn-input.ts';

/** Everything a turn needs from the system; all of it is injected so tests can fake any part. */
export interface TurnDeps {
  store: EventStore;
  /** The indexes retrieval reads (recent messages, knowledge, facts); never the message or the character. */
  readModel: ReadModel;
  /** Resolves when the projections have folded the log up to seq (retrieval reads at the message's position). */
  waitFor(seq: number): Promise<void>;
  models: ModelSource;
  settings: ActorSettings;
  logger: Logger;
  ephemeral: Subject<EphemeralEvent>;
  /** The agent's plugin host for this character (from its events), with the secrets opened (in memory only). */
  agentContext(agentId: string, character: Character): Promise<{ character: Character; host: PluginHost; cache?: Map<string, unknown>; registeredServices?: Map<string, ServiceInstance> } | undefined>;
  /** A service by type: the agent's own (its plugins' services) first, then system-level ones. */
  service(type: string, agentId?: string): ServiceInstance | undefined;
  /** The agent's service and connector methods (getServicesByType, registerSendHandler, …), once built. */
  serviceApi?(agentId: string): Partial<PluginRuntime> | undefined;
  now?: () => number;
}

export type TurnOutcome = 'answered' | 'declined' | 'failed' | 'refused' | 'superseded' | 'abandoned' | 'skipped';

const PROVIDER_TIMEOUT_MS = 10_000;
const ACTION_TIMEOUT_MS = 30_000;

const withTimeout = <T>(p: Promise<T> | T, ms: number, what: string): Promise<T> => {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve(p),
    new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(t));
};

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

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

/**
 * One agent's handling of one message, from decision to the events that record it. It appends once
 * at the end (one atomic batch to the room's stream), so a crash before that leaves nothing behind and
 * the restarted system runs the turn again; a crash after it leaves the whole outcome, and the
 * deterministic ids make any repeat a no-op.
 */
export async function runTurn(deps: TurnDeps, input: TurnInput, signal: AbortSignal): Promise<TurnOutcome> {
  const { agent, pending, participants, mode } = input;
  const { agentId } = agent;
  const { messageId, roomId } = pending;
  const now = deps.now ?? (() => performance.now());
  const started = now();
  // The message as its event carried it (the mailbox entry): nothing is read back from the projections.
  const message = { id: messageId, seq: pending.seq, text: pending.text, authorId: pending.authorId, authorKind: pending.authorKind, inReplyTo: pending.inReplyTo };
  // Retrieval (recent messages, documents, facts) reads the indexes as of the message's position at least.
  let indexed: Promise<void> | undefined;
  const indexesAtMessage = () => (indexed ??= deps.waitFor(pending.seq));
  const meta = { author: { kind: 'agent' as const, id: agentId }, causationId: messageId, correlationId: messageId };
  const replyId = turnIds.reply(agentId, messageId);
  const appendRoom = async (events: NewEvent[]) => {
    if (signal.aborted) throw new TurnAbortedError('aborted');
    await deps.store.append(streams.room(roomId), events.map((e) => ({ ...e, meta: { ...meta, ...e.meta } })));
  };

  // Mailbox dispositions that need no model.
  if (pending.disposition === 'supersede') {
    await appendRoom([{ id: turnIds.decision(agentId, messageId), type: 'reply.decided', data: { agentId, roomId, messageId, respond: false, reason: 'superseded by a newer message (mailbox policy: interrupt)' } }]);
    return 'superseded';
  }
  if (pending.disposition === 'reject') {
    await appendRoom([
      { id: turnIds.failure(agentId, messageId), type: 'reply.failed', data: { agentId, roomId, messageId, code: 'busy', message: 'the agent was answering another message in this room (mailbox policy: reject)', attempts: 0 } },
      {
        id: replyId,
        type: 'message.posted',
        data: { messageId: replyId, roomId, authorId: agentId, authorKind: 'agent', text: `${agent.name} is still answering an earlier message here and did not take this one. Please send it again in a moment.`, inReplyTo: messageId },
      },
    ]);
    return 'refused';
  }

  const ctx = await deps.agentContext(agentId, agent.character);
  if (!ctx) {
    deps.logger.warn('turn skipped: the agent has no plugin context', { agentId, messageId });
    // Still an outcome in the log, so the message never stays pending forever.
    await appendRoom([{ id: turnIds.decision(agentId, messageId), type: 'reply.decided', data: { agentId, roomId, messageId, respond: false, reason: 'agent not found' } }]);
    return 'skipped';
  }
  const { character, host } = ctx;
  // An OpenAI-compatible caller's system message, history and parameters (none for other clients).
  const { request } = pending;
  // An agent renamed after it joined is addressed by its current name (the room actor follows renames).
  const senderName = participants.find((p) => p.id === message.authorId)?.name ?? (message.authorKind === 'agent' ? 'Agent' : 'User');
  // Assigned below; the plugin model provider reads it only when called (after assignment).
  let runtime: ElizaRuntime | undefined;
  // Every model call of this turn, whoever makes it (the turn, plugins, the runtime bridge): one layer
  // retries it (src/models/resilient.ts) and tells `calls` of each attempt, appended as model.called.
  const calls: ModelCallRecord[] = [];
  const record = (r: ModelCallRecord) => void calls.push(r);
  const provider = turnModel(pluginModelProvider(host, () => runtime!) ?? deps.models.forCharacter(character), {
    attempts: deps.settings.modelAttempts,
    retryBaseMs: deps.settings.retryBaseMs,
    attemptTimeoutMs: deps.settings.modelTimeoutMs,
    signal,
    record,
  });
  const embedder = (): Embedder => embedderWithDefaults(deps.models.embedder(), { signal, record });
  const effects: PluginEffect[] = [];
  const pluginFailures: { plugin: string; component: string; error: string }[] = [];
  const memory: Memory = { id: message.id, entityId: message.authorId, agentId, roomId, content: { text: message.text, inReplyTo: message.inReplyTo }, seq: message.seq, entityName: senderName };

  // The ElizaOS runtime plugins receive (src/plugin-host/eliza-runtime), around this turn's facade.
  const eliza = (base: PluginRuntime): ElizaRuntime =>
    createElizaRuntime({
      base,
      host,
      store: deps.store,
      readModel: deps.readModel,
      waitFor: (seq) => deps.waitFor(seq),
      embedder,
      textProvider: () => provider,
      logger: deps.logger.child({ agentId }),
      cache: ctx.cache ?? new Map(),
      services: ctx.registeredServices ?? new Map(),
      conversationLength: deps.settings.recentMessages,
      onPluginFailure: (f) => void pluginFailures.push(f),
      signal,
    });
  // One runtime per turn: what retrieval finds (the message's embedding, whether there are documents)
  // is set on it once known, rather than building a second runtime for the answer.
  const retrieval: Retrieval = { hasKnowledge: true };
  runtime = eliza(makeRuntime(deps, agentId, character, provider, retrieval, effects, signal, participants, indexesAtMessage, host));
  const replies: string[] = [];
  const callback = async (content: Content) => {
    if (typeof content?.text === 'string' && content.text.trim()) replies.push(content.text.trim());
    return [];
  };

  // ── should respond? ──
  let decision = shouldRespondByRules({
    agentId,
    agentName: character.name,
    message: { authorKind: message.authorKind, text: message.text, depth: pending.depth },
    participants,
    mode,
    useModel: String(characterSetting(character, 'SHOULD_RESPOND_MODEL') ?? '') === 'true',
  });
  if (decision.kind === 'ask_model') {
    try {
      await indexesAtMessage();
      const recent = deps.readModel.listMessages(roomId, { beforeSeq: message.seq, limit: 8 }).map((m) => `${m.authorId === agentId ? character.name : m.authorKind}: ${m.text}`).join('\n');
      const r = await provider.generateText({ modelType: 'TEXT_SMALL', messages: shouldRespondMessages(character.name, senderName, message.text, recent, character.templates?.shouldRespondTemplate), maxTokens: 20 });
      decision = parseShouldRespond(r.text) ? { kind: 'respond', reason: 'the small model chose RESPOND' } : { kind: 'ignore', reason: 'the small model chose IGNORE' };
    } catch (err) {
      if (signal.aborted) return 'abandoned';
      const me = asModelError(err, provider.name);
      const first = participants.find((p) => p.kind === 'agent')?.id === agentId;
      decision = first ? { kind: 'respond', reason: `should-respond model failed (${me.code}); the room's first agent answers` } : { kind: 'ignore', reason: `should-respond model failed (${me.code})` };
    }
  }

  // Whether the agent has knowledge at all is read once per turn: with no documents there is nothing
  // to embed the message for and nothing to search (the KNOWLEDGE provider skips its query).
  if (decision.kind === 'respond') {
    await indexesAtMessage();
    retrieval.hasKnowledge = deps.readModel.listDocuments(agentId).length > 0;
    if (retrieval.hasKnowledge) retrieval.vector = await embedForKnowledge(deps, embedder(), agentId, message.text);
  }
  const modelEvents = () =>
    calls.map(
      (a, i): NewEvent => ({
        id: turnIds.modelCall(agentId, messageId, i),
        type: 'model.called',
        data: { agentId, provider: a.provider, model: a.model, kind: a.kind, ok: a.ok, ...(a.usage ? { usage: a.usage } : {}), latencyMs: Math.round(a.latencyMs), ...(a.error ? { error: `${a.error.code}: ${a.error.message}`.slice(0, 1000) } : {}) },
      }),
    );

  if (decision.kind !== 'respond') {
    await runEvaluators(deps, host, runtime, memory, undefined, false, pluginFailures);
    await appendAgentEffects(deps, agentId, messageId, effects, pluginFailures, meta);
    await appendRoom([...modelEvents(), { id: turnIds.decision(agentId, messageId), type: 'reply.decided', data: { agentId, roomId, messageId, respond: false, reason: decision.reason } }]);
    return 'declined';
  }

  deps.ephemeral.next({ type: 'typing', roomId, agentId });
  // ElizaOS payloads ({ runtime, message, source, callback, … }) with Chronicle's ids alongside.
  const startTime = Date.now();
  await emitIfHeard(host, runtime, 'MESSAGE_RECEIVED', () => withLiveParts({ message: memory, source: 'chronicle', agentId, roomId, messageId, text: message.text, authorId: message.authorId }, { callback }));
  await emitIfHeard(host, runtime, 'RUN_STARTED', () => ({ runId: messageId, messageId, roomId, entityId: message.authorId, agentId, startTime, status: 'started', source: 'chronicle' }));

  // ── compose state from providers ──
  const outputs = await composeProviders(host, runtime, memory, pluginFailures);
  const state: State = {
    values: Object.assign({}, ...outputs.map((o) => o.values)),
    data: Object.fromEntries(outputs.map((o) => [o.name, o.data])),
    text: outputs.map((o) => o.text).filter(Boolean).join('\n\n'),
  };

  // ── model call, streamed ──
  let raw: string;
  let model = 'unknown';
  let usage = { promptTokens: 0, completionTokens: 0 };
  // Deltas that arrive in one tick (one network read can carry many SSE events) leave as one
  // reply.delta: each delta was a frame and a socket write per subscriber, the top transport cost of
  // a reply. A model streaming over time still streams (each read is its own tick).
  let unsent = '';
  let deltaFlush: NodeJS.Immediate | undefined;
  const flushDeltas = () => {
    if (deltaFlush) clearImmediate(deltaFlush);
    deltaFlush = undefined;
    if (!unsent) return;
    const delta = unsent;
    unsent = '';
    deps.ephemeral.next({ type: 'reply.delta', roomId, agentId, replyTo: messageId, delta });
  };
  try {
    let visible = new VisibleTextStream();
    let sent = '';
    let attemptText = '';
    const xml = !request?.responseFormat && String(characterSetting(character, 'RESPONSE_FORMAT') ?? 'xml') !== 'text';
    const messages = buildMessages({ character, providers: outputs, actions: host.actions(), senderName, text: message.text, xml, request });
    const timeoutMs = Number(characterSetting(character, 'MODEL_TIMEOUT_MS')) || deps.settings.modelTimeoutMs;
    // response_format: the provider's structured output, its JSON as the reply (not streamed).
    const result = request?.responseFormat ? await structuredReply(provider, { messages, request, timeoutMs }) : await streamReply(
      provider,
      {
        modelType: 'TEXT_LARGE',
        messages,
        context: buildPromptContext({ character, providers: outputs, senderName, text: message.text, request }),
        ...(typeof characterSetting(character, 'TEXT_LARGE_TEMPERATURE') === 'number' ? { temperature: characterSetting(character, 'TEXT_LARGE_TEMPERATURE') as number } : {}),
        ...callerModelParams(request),
        attemptTimeoutMs: timeoutMs,
        // A stream that fails after some text is retried from the start: the visible text restarts.
        onStreamRestart: () => {
          visible = new VisibleTextStream();
          attemptText = '';
        },
      },
      (d) => {
          const delta = visible.push(d);
          if (!delta) return;
          // After a retry, subscribers already have `sent`: only what goes beyond it is new to them.
          attemptText += delta;
          if (attemptText.length <= sent.length) return;
          const fresh = attemptText.slice(sent.length);
          sent = attemptText;
          unsent += fresh;
          deltaFlush ??= setImmediate(flushDeltas);
      },
    );
    flushDeltas();
    raw = result.text;
    model = result.model;
    usage = result.usage;
    if (!raw.trim()) throw new ModelError('malformed', 'empty answer', provider.name, false);
  } catch (err) {
    flushDeltas();
    if (err instanceof TurnAbortedError || signal.aborted) return 'abandoned';
    const me = asModelError(err, provider.name);
    const code = me.message === 'empty answer' ? 'empty' : me.code;
    await appendAgentEffects(deps, agentId, messageId, effects, pluginFailures, meta);
    await appendFailure(appendRoom, agent.name, { agentId, roomId, messageId, replyId }, code, me.message, calls.length, modelEvents());
    return 'failed';
  }

  // ── parse; providers the model asked for (dynamic ones) join the state before actions run ──
  // A JSON answer is the reply as it is, never read as the XML envelope.
  const parsed = request?.responseFormat ? { actions: ['REPLY'], providers: [], text: raw, structured: false } : parseResponse(raw);
  const missing = parsed.providers.filter((n) => !outputs.some((o) => o.name.toUpperCase() === n.toUpperCase()));
  if (missing.length) {
    const extra = await composeProviders(host, runtime, memory, pluginFailures, missing);
    outputs.push(...extra);
    for (const o of extra) {
      Object.assign(state.values, o.values);
      state.data[o.name] = o.data;
      if (o.text) state.text += `\n\n${o.text}`;
    }
  }
  const participantsAgents = participants.filter((p) => p.kind === 'agent').length;
  let actionNames = parsed.actions;
  // In a one-agent room every user message gets an answer (API.md): IGNORE with text becomes REPLY.
  if (actionNames.includes('IGNORE') && actionNames.length > 1) actionNames = actionNames.filter((a) => a !== 'IGNORE');
  if (actionNames.includes('IGNORE') && participantsAgents <= 1 && message.authorKind === 'user' && parsed.text.trim()) actionNames = ['REPLY'];
  const actionEvents: NewEvent[] = [];
  const performed: string[] = [];
  let actionFailure: string | undefined;
  // ElizaOS `responses`: the agent's parsed answer as a Memory (what actions and evaluators are told it said).
  const responses: Memory[] = [{ id: replyId, entityId: agentId, agentId, roomId, content: { text: parsed.text, thought: parsed.thought, actions: parsed.actions, providers: parsed.providers, inReplyTo: messageId } }];
  for (const [i, name] of actionNames.entries()) {
    if (signal.aborted) return 'abandoned';
    const action: Action | undefined = host.findAction(name);
    if (!action) {
      actionEvents.push({ id: turnIds.action(agentId, messageId, i), type: 'action.completed', data: { agentId, roomId, messageId, action: name, success: false, error: 'unknown action' } });
      continue;
    }
    try {
      const rt = runtime.forPlugin(host.pluginOf(action));
      if (!(await withTimeout(action.validate(rt, memory, state), ACTION_TIMEOUT_MS, `${action.name}.validate`))) {
        actionEvents.push({ id: turnIds.action(agentId, messageId, i), type: 'action.completed', data: { agentId, roomId, messageId, action: action.name, success: false, error: 'validate returned false' } });
        continue;
      }
      const actionEvent = (actionStatus: string, extra: Record<string, unknown> = {}) => ({ agentId, roomId, messageId, world: worldIdOf(agentId), source: 'chronicle', content: { actions: [action.name], actionStatus, actionId: turnIds.action(agentId, messageId, i), runId: messageId, source: 'chronicle', ...extra } });
      await emitIfHeard(host, runtime, 'ACTION_STARTED', () => actionEvent('executing'));
      const result = await withTimeout(action.handler(rt, memory, state, { responseText: parsed.text, thought: parsed.thought, actionIndex: i }, callback, responses), ACTION_TIMEOUT_MS, action.name);
      const r = typeof result === 'object' && result !== null ? result : { success: result !== false };
      await emitIfHeard(host, runtime, 'ACTION_COMPLETED', () => actionEvent(r.success !== false ? 'completed' : 'failed'));
      performed.push(action.name);
      actionEvents.push({
        id: turnIds.action(agentId, messageId, i),
        type: 'action.completed',
        data: { agentId, roomId, messageId, action: action.name, success: r.success !== false, ...(r.text ? { text: String(r.text).slice(0, 4000) } : {}), ...(r.error ? { error: errText(r.error) } : {}) },
      });
    } catch (err) {
      actionFailure = `${action.name}: ${errText(err)}`;
      pluginFailures.push({ plugin: host.pluginOf(action), component: `action:${action.name}`, error: errText(err) });
      actionEvents.push({ id: turnIds.action(agentId, messageId, i), type: 'action.completed', data: { agentId, roomId, messageId, action: action.name, success: false, error: errText(err) } });
    }
  }
  const ignored = actionNames.length === 1 && actionNames[0] === 'IGNORE';
  let text = replies.join('\n\n');
  if (!text && !ignored && !actionFailure) text = parsed.text.trim();

  await appendAgentEffects(deps, agentId, messageId, effects, pluginFailures.splice(0), meta);
  if (!text) {
    if (ignored) {
      await appendRoom([...modelEvents(), ...actionEvents, { id: turnIds.decision(agentId, messageId), type: 'reply.decided', data: { agentId, roomId, messageId, respond: false, reason: 'the model chose IGNORE' } }]);
      await runEvaluators(deps, host, runtime, memory, state, false, pluginFailures, responses);
      await appendAgentEffects(deps, agentId, messageId, effects, pluginFailures, meta);
      return 'declined';
    }
    await appendFailure(appendRoom, agent.name, { agentId, roomId, messageId, replyId }, actionFailure ? 'action_failed' : 'empty', actionFailure ?? 'no reply text', calls.length, [...modelEvents(), ...actionEvents]);
    return 'failed';
  }

  // ── the reply: one atomic batch ──
  const data = (name: string) => state.data[name] as Record<string, unknown> | undefined;
  const ids = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  await appendRoom([
    ...modelEvents(),
    { id: turnIds.decision(agentId, messageId), type: 'reply.decided', data: { agentId, roomId, messageId, respond: true, reason: decision.reason } },
    ...actionEvents,
    { id: replyId, type: 'message.posted', data: { messageId: replyId, roomId, authorId: agentId, authorKind: 'agent', text, inReplyTo: messageId } },
    {
      id: turnIds.trace(agentId, messageId),
      type: 'reply.traced',
      data: {
        agentId,
        roomId,
        messageId,
        replyId,
        provider: provider.name,
        model,
        usage,
        latencyMs: Math.round(now() - started),
        sources: {
          // A caller's history replaced the room's recent messages in the prompt: they were not a source.
          messageIds: [messageId, ...(request?.history ? [] : ids(data('RECENT_MESSAGES')?.messageIds))],
          knowledgeChunkIds: ids(data('KNOWLEDGE')?.chunkIds),
          factIds: ids(data('FACTS')?.factIds),
        },
        providers: outputs.map((o) => ({ name: o.name, sha256: sha256Hex(o.text), chars: o.text.length })),
        actions: performed,
        ...(parsed.thought ? { thought: parsed.thought.slice(0, 2000) } : {}),
      },
    },
  ]);

  // ── evaluators, after the reply is visible ──
  await runEvaluators(deps, host, runtime, memory, state, true, pluginFailures, responses);
  await emitIfHeard(host, runtime, 'RUN_ENDED', () => ({ runId: messageId, messageId, roomId, entityId: message.authorId, agentId, replyId, actions: performed, startTime, endTime: Date.now(), duration: Date.now() - startTime, durationMs: Math.round(now() - started), status: 'completed', source: 'chronicle' }));
  await appendAgentEffects(deps, agentId, messageId, effects, pluginFailures, meta).catch((err) => deps.logger.warn('evaluator effects not recorded', { agentId, messageId, error: errText(err) }));
  return 'answered';
}

/** An ElizaOS event whose payload is built only when some plugin of the agent listens to it. */
async function emitIfHeard(host: PluginHost, runtime: ElizaRuntime, event: string, payload: () => Record<string, unknown>): Promise<void> {
  if (host.eventHandlers(event).length) await runtime.emitEvent(event, payload());
}

async function appendFailure(
  appendRoom: (events: NewEvent[]) => Promise<void>,
  agentName: string,
  ids: { agentId: string; roomId: string; messageId: string; replyId: string },
  code: string,
  detail: string,
  attempts: number,
  extra: NewEvent[],
): Promise<void> {
  const { agentId, roomId, messageId, replyId } = ids;
  await appendRoom([
    ...extra,
    { id: turnIds.failure(agentId, messageId), type: 'reply.failed', data: { agentId, roomId, messageId, code, message: detail.slice(0, 1000), attempts } },
    // The person sees an outcome, never silence: a short message from the agent saying why.
    { id: replyId, type: 'message.posted', data: { messageId: replyId, roomId, authorId: agentId, authorKind: 'agent', text: visibleFailure(agentName, code), inReplyTo: messageId } },
  ]);
}

/**
 * ElizaOS composeState: by default every provider that is neither dynamic nor private, in parallel,
 * in `position` order; with `only`, just the named ones (how dynamic and private providers run).
 */
async function composeProviders(
  host: PluginHost,
  runtime: ElizaRuntime,
  memory: Memory,
  failures: { plugin: string; component: string; error: string }[],
  only?: readonly string[],
): Promise<ProviderOutput[]> {
  const wanted = only && new Set(only.map((n) => n.toUpperCase()));
  const selected = host.providers().filter((p) => (wanted ? wanted.has(p.name.toUpperCase()) : !p.dynamic && !p.private));
  const empty: State = { values: {}, data: {}, text: '' };
  const results = await Promise.all(
    selected.map(async (p): Promise<ProviderOutput | undefined> => {
      try {
        const r = await withTimeout(p.get(runtime.forPlugin(host.pluginOf(p)), memory, empty), PROVIDER_TIMEOUT_MS, `provider ${p.name}`);
        return { name: p.name, text: r?.text ?? '', data: r?.data ?? {}, values: r?.values ?? {} };
      } catch (err) {
        failures.push({ plugin: host.pluginOf(p), component: `provider:${p.name}`, error: errText(err) });
        return undefined;
      }
    }),
  );
  return results.filter((r): r is ProviderOutput => r !== undefined);
}

async function runEvaluators(
  deps: TurnDeps,
  host: PluginHost,
  runtime: ElizaRuntime,
  memory: Memory,
  state: State | undefined,
  responded: boolean,
  failures: { plugin: string; component: string; error: string }[],
  responses: Memory[] = [],
): Promise<void> {
  // The reply is already in the log when evaluators run: what they pass to the callback is logged only.
  const callback = async (content: Content) => void deps.logger.debug('evaluator callback after the reply (not posted)', { text: String(content?.text ?? '').slice(0, 200) });
  for (const ev of host.evaluators()) {
    if (!responded && !ev.alwaysRun) continue;
    try {
      const rt = runtime.forPlugin(host.pluginOf(ev));
      if (!(await withTimeout(ev.validate(rt, memory, state), ACTION_TIMEOUT_MS, `${ev.name}.validate`))) continue;
      await withTimeout(ev.handler(rt, memory, state, { didRespond: responded }, callback, responses), ACTION_TIMEOUT_MS, `evaluator ${ev.name}`);
    } catch (err) {
      deps.logger.warn('evaluator failed', { evaluator: ev.name, error: errText(err) });
      failures.push({ plugin: host.pluginOf(ev), component: `evaluator:${ev.name}`, error: errText(err) });
    }
  }
}

/** Turns what plugins asked for (room modes, facts) and plugin failures into agent-stream events. */
async function appendAgentEffects(
  deps: TurnDeps,
  agentId: string,
  messageId: string,
  effects: PluginEffect[],
  failures: { plugin: string; component: string; error: string }[],
  meta: NewEvent['meta'],
): Promise<void> {
  const events: NewEvent[] = [];
  let modeN = 0;
  for (const e of effects.splice(0)) {
    if (e.kind === 'room_mode') events.push({ id: turnIds.roomMode(agentId, messageId, modeN++), type: 'agent.room_mode_changed', data: { agentId, roomId: e.roomId, mode: e.mode, messageId } });
    else {
      const factId = turnIds.fact(agentId, messageId, e.text);
      events.push({ id: factId, type: 'agent.fact_recorded', data: { agentId, roomId: e.roomId, factId, text: e.text, sourceMessageIds: e.sourceMessageIds } });
    }
  }
  for (const f of failures.splice(0))
    events.push({ id: turnIds.pluginFailed(agentId, messageId, f.component), type: 'plugin.failed', data: { plugin: f.plugin, agentId, component: f.component, error: f.error } });
  if (events.length) await deps.store.append(streams.agent(agentId), events.map((e) => ({ ...e, meta })));
}

/**
 * The message's embedding for knowledge search (called only when the agent has documents). A slow or
 * failing embedder does not fail the turn: retrieval falls back to text (BM25) alone.
 */
async function embedForKnowledge(deps: TurnDeps, embedder: Embedder, agentId: string, text: string): Promise<Float32Array | undefined> {
  try {
    const [v] = await withTimeout(embedder.embed([text]), 5_000, 'embedding');
    return v;
  } catch (err) {
    deps.logger.debug('message embedding for retrieval failed; using text search only', { agentId, error: errText(err) });
    return undefined;
  }
}

/**
 * What retrieval found for this turn, set once the agent decided to answer: whether it has documents
 * at all (no documents: no knowledge search) and the message's embedding (absent: text search only).
 */
interface Retrieval {
  hasKnowledge: boolean;
  vector?: Float32Array;
}

function makeRuntime(
  deps: TurnDeps,
  agentId: string,
  character: Character,
  provider: ModelProvider,
  retrieval: Retrieval,
  effects: PluginEffect[],
  signal: AbortSignal,
  participants: readonly { id: string; name: string }[],
  indexesAtMessage: () => Promise<void>,
  host?: PluginHost,
): PluginRuntime {
  const rm = deps.readModel;
  const names = new Map<string, string>();
  const nameOf = (id: string, kind: string) => {
    if (!names.has(id)) names.set(id, id === agentId ? character.name : (participants.find((p) => p.id === id)?.name ?? rm.accountById(id)?.name ?? rm.agentById(id)?.name ?? kind));
    return names.get(id)!;
  };
  const services = deps.serviceApi?.(agentId);
  const self: PluginRuntime = {
    getServicesByType: services?.getServicesByType,
    getAllServices: services?.getAllServices,
    hasService: services?.hasService,
    getServiceLoadPromise: services?.getServiceLoadPromise,
    registerSendHandler: services?.registerSendHandler,
    sendMessageToTarget: services?.sendMessageToTarget,
    messageService: services?.messageService,
    agentId,
    character,
    getSetting: (key) => characterSetting(character, key),
    async useModel(type: ModelType, params) {
      const handler = host?.modelHandler(type);
      if (handler) return String(await handler.handler(self, { ...params }));
      const messages = params.messages ?? [{ role: 'user' as const, content: params.prompt ?? '' }];
      // The turn's model: retried once by the one layer, recorded as model.called with the turn's events.
      const r = await provider.generateText({ ...params, modelType: type === 'TEXT_SMALL' ? 'TEXT_SMALL' : 'TEXT_LARGE', messages });
      return r.text;
    },
    getService: <T>(type: string) => deps.service(type, agentId) as T | undefined,
    record: (effect) => void effects.push(effect),
    queries: {
      async recentMessages(roomId, limit, beforeSeq) {
        await indexesAtMessage();
        return rm.listMessages(roomId, { beforeSeq, limit }).map((m) => ({ id: m.id, authorId: m.authorId, authorKind: m.authorKind, authorName: nameOf(m.authorId, m.authorKind), text: m.text, seq: m.seq }));
      },
      async knowledge(text, k) {
        if (!retrieval.hasKnowledge) return [];
        await indexesAtMessage();
        const { vector } = retrieval;
        return rm.searchKnowledge(agentId, { text, k, ...(vector ? { vector } : {}) }).map((h) => ({ chunkId: h.chunkId, documentId: h.documentId, title: h.title, text: h.text, score: h.score }));
      },
      async facts(roomId, text, limit) {
        // The facts most relevant to the message first, then the latest ones: a question like "what do
        // you know about me?" shares no words with the facts that answer it.
        // The latest first: when there are none, no fact can be relevant either and the hybrid search
        // (FTS + vector, the costlier query) is skipped — most turns of most agents have no facts.
        await indexesAtMessage();
        const latestAll = rm.facts(agentId, { roomId, limit });
        if (latestAll.length === 0) return [];
        const { vector } = retrieval;
        const relevant = text ? rm.facts(agentId, { roomId, query: { text, k: limit, ...(vector ? { vector } : {}) }, limit }) : [];
        const seen = new Set(relevant.map((f) => f.id));
        const latest = latestAll.filter((f) => !seen.has(f.id));
        return [...relevant, ...latest].slice(0, limit).map((f) => ({ id: f.id, text: f.text }));
      },
    },
  };
  return self;
}

/**
 * A plugin that registers a TEXT_LARGE model handler (ElizaOS `plugin.models`, ranked by priority)
 * answers the agent's turns instead of the configured provider. Handlers return whole text (ElizaOS
 * handlers do not stream), so the reply arrives as one delta.
 */
function pluginModelProvider(host: PluginHost, runtime: () => ElizaRuntime): ModelProvider | undefined {
  const large = host.modelHandler('TEXT_LARGE');
  if (!large) return undefined;
  const call = async (params: GenerateTextParams): Promise<GenerateTextResult> => {
    const type = params.modelType ?? 'TEXT_LARGE';
    const handler = host.modelHandler(type) ?? large;
    const prompt = params.messages.map((m) => (m.role === 'system' ? m.content : `${m.role}: ${m.content}`)).join('\n\n');
    // A plugin's own error is its code failing, not a flaky network: the model-call layer does not retry it.
    const text = await Promise.resolve(handler.handler(runtime().forPlugin(handler.plugin), { prompt, messages: params.messages, maxTokens: params.maxTokens, temperature: params.temperature, stopSequences: params.stopSequences })).catch((err: unknown) => {
      throw err instanceof ModelError ? err : new ModelError('unavailable', `model handler of plugin ${handler.plugin} failed: ${errText(err)}`, handler.plugin, false);
    });
    if (typeof text !== 'string') throw new ModelError('malformed', `model handler of plugin ${handler.plugin} returned ${typeof text}, not text`, handler.plugin, false);
    return { text, model: `${handler.plugin}:${type}`, usage: { promptTokens: 0, completionTokens: 0 } };
  };
  return {
    name: large.plugin,
    capabilities: { text: true, embeddings: false },
    generateText: call,
    async *streamText(params) {
      const result = await call(params);
      yield { type: 'delta', text: result.text };
      yield { type: 'done', result };
    },
    generateObject: async () => {
      throw new ModelError('unsupported', 'plugin model handlers produce text only', large.plugin, false);
    },
    embed: async () => {
      throw new ModelError('unsupported', 'plugin model handlers produce text only', large.plugin, false);
    },
  };
}
