import { postMessage } from '../../../app/commands/messages.ts';
import { AppError, badRequest } from '../../../app/errors.ts';
import type { EventData } from '../../../domain/catalogue.ts';
import type { AgentView } from '../../../projections/read-model.ts';
import { derivedId, sha256Hex } from '../../../shared/ids.ts';
import { turnIds } from '../../../actors/turn/turn-ids.ts';
import { stripControl } from '../../sanitize.ts';
import type { Call, ServerContext } from '../../call.ts';
import type { PostedEvent } from '../../fanout.ts';

export type CallerRequest = NonNullable<EventData<'message.posted'>['request']>;

/** A model (an agent) by name, id or case-insensitive name; 404 in OpenAI's words otherwise. */
export function findAgent(server: ServerContext, model: string): AgentView {
  const rm = server.chronicle.readModel;
  const lower = model.toLowerCase();
  const agent = rm.agentByName(model) ?? rm.agentById(model) ?? rm.listAgents().find((a) => !a.deleted && a.name.toLowerCase() === lower);
  if (!agent || agent.deleted) throw new AppError(404, 'model_not_found', `The model '${model}' does not exist (models are Chronicle agents: GET /v1/models)`);
  return agent;
}

/** The message must fit the room's limit: checked before a conversation room is created for it. */
export function checkMessageLength(server: ServerContext, text: string, where: string): void {
  const max = server.chronicle.settings.maxMessageChars;
  if (text.length > max) throw new AppError(400, 'validation_error', `${where}: the message must be at most ${max} characters`);
}

/**
 * How a request's list (chat `messages`, Responses `input`) becomes the conversation the agent sees:
 * system and developer entries (wherever they are) join the caller's instructions; the last entry
 * must be the user's — it is what is posted in the room; the user and assistant entries before it
 * are the history. `read` refuses what the API does not support (tools) and gives each entry's role
 * and text; `noun` is what the API calls an entry.
 */
export function conversationFrom<T>(
  field: 'messages' | 'input',
  noun: 'message' | 'item',
  entries: readonly T[],
  read: (entry: T, i: number) => { role: string | undefined; text: () => string },
  system: string[] = [],
): { system: string[]; history: { role: 'user' | 'assistant'; content: string }[]; text: string } {
  const turns: { role: 'user' | 'assistant'; content: string }[] = [];
  entries.forEach((entry, i) => {
    const { role, text } = read(entry, i);
    if (role === 'system' || role === 'developer') system.push(text());
    else if (role === 'user' || role === 'assistant') turns.push({ role, content: text() });
    else throw badRequest(`${field}.${i}.role: '${String(role)}' is not one of system, developer, user, assistant`);
  });
  const last = turns.pop();
  if (!last || last.role !== 'user') throw badRequest(`${field}: the last ${noun} must be a user message`);
  if (!last.content.trim()) throw badRequest(`${field}: the last user message is empty`);
  return { system, history: turns, text: last.content };
}

export type Usage = { promptTokens: number; completionTokens: number };
const NO_USAGE: Usage = { promptTokens: 0, completionTokens: 0 };

/**
 * The token usage an earlier turn recorded (its reply.traced), for answers about the past: a retry,
 * GET /v1/responses/{id}. A live answer takes it from the trace that passed through the fan-out.
 */
export async function turnUsage(server: ServerContext, agentId: string, messageId: string): Promise<Usage> {
  const trace = await server.chronicle.store.getById(turnIds.trace(agentId, messageId));
  return trace?.type === 'reply.traced' ? trace.data.usage : NO_USAGE;
}

/** How long a request without an Idempotency-Key counts as a retry of the same one (see messageIdFor). */
export const RETRY_WINDOW_MS = 10_000;

/**
 * The id of the message a request posts, derived so that a retry posts nothing new (the log drops an
 * event whose id it has): from the caller and its Idempotency-Key when there is one; otherwise from
 * the caller, the room and a hash of the whole request, per 10-second window — the previous window's
 * id is reused when that message exists, so a retry within 10 s is always recognised. A stateless
 * chat client's next turn carries a longer `messages`, so it never collides with the previous one.
 */
export async function messageIdFor(server: ServerContext, call: Call, roomId: string, fingerprint: unknown): Promise<string> {
  const key = call.info.idempotencyKey;
  if (key) return derivedId('openai-idempotency', call.caller.accountId, key);
  const hash = sha256Hex(JSON.stringify(fingerprint));
  const window = Math.floor(Date.now() / RETRY_WINDOW_MS);
  const previous = derivedId('openai-retry', call.caller.accountId, roomId, hash, String(window - 1));
  if (await server.chronicle.store.getById(previous)) return previous;
  return derivedId('openai-retry', call.caller.accountId, roomId, hash, String(window));
}

/** Where a streamed answer goes: start() once the message is in the log, then the reply's deltas. */
export interface TurnStream {
  start(): void;
  delta(text: string): void;
}

export interface TurnOutcome {
  messageId: string;
  /** The agent's reply; undefined with `error` (timeout, shutdown, client gone) after the stream started. */
  reply?: PostedEvent;
  /** Token usage of the turn that replied (zero when it recorded none, e.g. a failure reply). */
  usage: Usage;
  error?: AppError;
  /** What the stream has sent so far (the route sends the rest of the final text). */
  streamed: string;
  /** True when this request was a retry: nothing was posted, the first request's reply is the answer. */
  duplicate: boolean;
}

/**
 * Posts the caller's message (with its `request`) into the room and waits for the agent's reply,
 * streaming its deltas when asked. A retry (same message id, see messageIdFor) posts nothing and gets
 * the reply the first request got — already in the log, or still to come. Errors before the message is
 * posted throw (a plain 4xx/5xx); after a stream started they come back in `error`.
 */
export async function converse(
  call: Call,
  input: { agent: AgentView; roomId: string; text: string; request?: CallerRequest; messageId: string },
  stream?: TurnStream,
): Promise<TurnOutcome> {
  const { server, caller, reply } = call;
  const c = server.chronicle;
  const { agent, messageId } = input;
  const cleanups: (() => void)[] = [];
  const cleanup = () => cleanups.splice(0).forEach((f) => f());
  reply.onAbort(cleanup);

  let settle!: (e: PostedEvent | AppError) => void;
  const outcome = new Promise<PostedEvent | AppError>((r) => (settle = r));
  // The answer is built from what the turn committed, as it passes through the fan-out: the reply,
  // and the trace written in the same append (heard before `await outcome` resumes).
  let usage: Usage = NO_USAGE;
  cleanups.push(
    server.fanout.watchReplies(messageId, (e) => {
      if (e.type === 'reply.traced') {
        if (e.data.agentId === agent.id) usage = e.data.usage;
      } else if (e.data.authorId === agent.id) settle(e);
    }),
  );
  const timer = setTimeout(
    () => settle(new AppError(504, 'timeout', `agent ${agent.name} did not answer within ${server.options.replyTimeoutMs} ms`)),
    server.options.replyTimeoutMs,
  );
  cleanups.push(() => clearTimeout(timer));
  reply.onAbort(() => settle(new AppError(499 as number, 'timeout', 'client went away')));
  const onShutdown = () => settle(new AppError(503, 'unavailable', 'server is shutting down'));
  if (server.shutdown.aborted) onShutdown();
  server.shutdown.addEventListener('abort', onShutdown);
  cleanups.push(() => server.shutdown.removeEventListener('abort', onShutdown));

  let streamed = '';
  // Deltas can arrive before the stream's headers are written (the agent may be quicker than our
  // append's waitFor): they wait here until the stream has started.
  let pending: string[] | null = [];
  let duplicate = false;
  if (stream) {
    const sub = c.actors.ephemeral$.subscribe((e) => {
      if (e.type !== 'reply.delta' || e.replyTo !== messageId || e.agentId !== agent.id || duplicate) return;
      const delta = stripControl(e.delta);
      streamed += delta;
      if (pending) pending.push(delta);
      else stream.delta(delta);
    });
    cleanups.push(() => sub.unsubscribe());
  }

  try {
    // No wait for the projections: the answer comes from the log, not from the read model.
    const posted = await postMessage(
      c,
      caller,
      { roomId: input.roomId, text: input.text },
      { messageId, waitForProjection: false, ...(input.request ? { request: input.request } : {}) },
    );
    duplicate = posted.duplicate;
    if (duplicate && (posted.message.roomId !== input.roomId || posted.message.text !== input.text)) {
      throw new AppError(409, 'conflict', 'Idempotency-Key was already used for a different request');
    }
  } catch (err) {
    cleanup();
    throw err;
  }
  if (duplicate) {
    // A retry: deltas it caught would be a fragment; it answers with the whole text at the end.
    streamed = '';
    pending = [];
    // The first request's reply and usage were committed earlier: read from the log.
    const earlier = await c.store.getById(turnIds.reply(agent.id, messageId));
    if (earlier?.type === 'message.posted') {
      usage = await turnUsage(server, agent.id, messageId);
      settle(earlier);
    }
  }
  if (stream) {
    stream.start();
    for (const d of pending ?? []) stream.delta(d);
    pending = null;
  }
  const result = await outcome;
  cleanup();
  if (result instanceof AppError) {
    if (!stream) throw result;
    return { messageId, error: result, streamed, duplicate, usage };
  }
  return { messageId, reply: result, streamed, duplicate, usage };
}
