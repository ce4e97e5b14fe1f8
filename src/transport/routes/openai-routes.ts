import { z } from 'zod';
import { postMessage } from '../../app/commands/messages.ts';
import { ensureDirectRoom } from '../../app/commands/rooms.ts';
import { parseInput } from '../../app/commands/validate.ts';
import { AppError, badRequest } from '../../app/errors.ts';
import type { AgentView } from '../../projections/read-model.ts';
import { newId } from '../../shared/ids.ts';
import { turnIds } from '../../actors/streams.ts';
import { stripControl } from '../sanitize.ts';
import type { AppRouter, Call, ServerContext } from '../call.ts';
import type { PostedEvent } from '../fanout.ts';

const ContentPart = z.object({ type: z.string(), text: z.string().optional() }).passthrough();
const ChatRequest = z
  .object({
    model: z.string().min(1, 'is required').max(200),
    messages: z
      .array(
        z
          .object({
            role: z.string().min(1),
            content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
          })
          .passthrough(),
      )
      .min(1, 'must contain at least one message'),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).passthrough().nullish(),
  })
  .passthrough();

/** The token usage the agent's turn recorded (reply.traced, written in the same batch as the reply). */
async function turnUsage(server: ServerContext, agentId: string, messageId: string): Promise<{ prompt_tokens: number; completion_tokens: number; total_tokens: number }> {
  const trace = await server.chronicle.store.getById(turnIds.trace(agentId, messageId));
  const u = trace?.type === 'reply.traced' ? trace.data.usage : { promptTokens: 0, completionTokens: 0 };
  return { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.promptTokens + u.completionTokens };
}

function findAgent(server: ServerContext, model: string): AgentView {
  const rm = server.chronicle.readModel;
  const lower = model.toLowerCase();
  const agent =
    rm.agentByName(model) ?? rm.agentById(model) ?? rm.listAgents().find((a) => !a.deleted && a.name.toLowerCase() === lower);
  if (!agent || agent.deleted) throw new AppError(404, 'model_not_found', `The model '${model}' does not exist (models are Chronicle agents: GET /v1/models)`);
  return agent;
}

function lastUserText(messages: z.infer<typeof ChatRequest>['messages']): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) return m.content.map((p) => (p.type === 'text' && p.text ? p.text : '')).join('');
    return '';
  }
  throw badRequest('messages: must contain a user message');
}

/**
 * OpenAI-compatible endpoint: each (caller, agent) pair has one room whose history is the agent's
 * memory; only the last user message of `messages` is posted (the rest is already in the room).
 */
export function openaiRoutes(router: AppRouter): void {
  router
    .add('GET', '/v1/models', { access: 'user', openai: true }, async ({ server }) => ({
      status: 200,
      body: {
        object: 'list',
        data: server.chronicle.readModel
          .listAgents()
          .filter((a) => !a.deleted)
          .map((a) => ({ id: a.name, object: 'model', created: Math.floor(Date.parse(a.createdAt) / 1000) || 0, owned_by: 'chronicle', agentId: a.id })),
      },
    }))
    .add('GET', '/v1/models/:model', { access: 'user', openai: true }, async ({ server, params }) => {
      const a = findAgent(server, params.model);
      return { status: 200, body: { id: a.name, object: 'model', created: Math.floor(Date.parse(a.createdAt) / 1000) || 0, owned_by: 'chronicle', agentId: a.id } };
    })
    .add('POST', '/v1/chat/completions', { access: 'user', body: true, openai: true }, chatCompletions);
}

async function chatCompletions(call: Call) {
  const { server, caller, reply } = call;
  const c = server.chronicle;
  const req = parseInput(ChatRequest, call.body);
  const agent = findAgent(server, req.model);
  if (agent.status !== 'running') throw new AppError(503, 'unavailable', `agent ${agent.name} is stopped`);
  const text = lastUserText(req.messages);
  const room = await ensureDirectRoom(c, caller, agent);

  const messageId = newId();
  const completionId = `chatcmpl-${messageId}`;
  const created = Math.floor(Date.now() / 1000);
  const cleanups: (() => void)[] = [];
  const cleanup = () => cleanups.splice(0).forEach((f) => f());
  reply.onAbort(cleanup);

  let settle!: (e: PostedEvent | AppError) => void;
  const outcome = new Promise<PostedEvent | AppError>((r) => (settle = r));
  cleanups.push(server.fanout.watchReplies(messageId, (e) => settle(e)));
  const timer = setTimeout(() => settle(new AppError(504, 'timeout', `agent ${agent.name} did not answer within ${server.options.replyTimeoutMs} ms`)), server.options.replyTimeoutMs);
  cleanups.push(() => clearTimeout(timer));
  reply.onAbort(() => settle(new AppError(499 as number, 'timeout', 'client went away')));
  const onShutdown = () => settle(new AppError(503, 'unavailable', 'server is shutting down'));
  if (server.shutdown.aborted) onShutdown();
  server.shutdown.addEventListener('abort', onShutdown);
  cleanups.push(() => server.shutdown.removeEventListener('abort', onShutdown));

  let streamed = '';
  // Deltas can arrive before the SSE headers are written (the agent may be quicker than our append's
  // waitFor): they wait here until the stream has started.
  let pending: string[] | null = [];
  const emit = (text: string) => (pending ? pending.push(text) : reply.write(text));
  const chunk = (delta: Record<string, string>, finish: string | null) =>
    `data: ${JSON.stringify({ id: completionId, object: 'chat.completion.chunk', created, model: agent.name, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  if (req.stream) {
    const sub = c.actors.ephemeral$.subscribe((e) => {
      if (e.type !== 'reply.delta' || e.replyTo !== messageId || e.agentId !== agent.id) return;
      const delta = stripControl(e.delta);
      streamed += delta;
      emit(chunk({ content: delta }, null));
    });
    cleanups.push(() => sub.unsubscribe());
  }

  try {
    await postMessage(c, caller, { roomId: room.id, text }, { messageId });
  } catch (err) {
    cleanup();
    throw err;
  }

  if (req.stream) {
    reply.startStream({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    reply.write(chunk({ role: 'assistant', content: '' }, null));
    for (const p of pending ?? []) reply.write(p);
    pending = null;
  }
  const result = await outcome;
  cleanup();
  if (reply.aborted) return undefined;
  if (result instanceof AppError) {
    if (!req.stream) throw result;
    reply.write(`data: ${JSON.stringify({ error: { message: result.message, type: 'server_error', code: result.code } })}\n\n`);
    reply.write('data: [DONE]\n\n');
    reply.endStream();
    return undefined;
  }
  const content = stripControl(result.data.text);
  const usage = await turnUsage(server, agent.id, messageId);
  if (reply.aborted) return undefined;
  if (req.stream) {
    // Deltas may be missing (a model that does not stream) or incomplete: send what the final text adds.
    if (content.startsWith(streamed) && content.length > streamed.length) reply.write(chunk({ content: content.slice(streamed.length) }, null));
    reply.write(chunk({}, 'stop'));
    // As OpenAI does: usage in a last chunk with no choices, only when asked for.
    if (req.stream_options?.include_usage) reply.write(`data: ${JSON.stringify({ id: completionId, object: 'chat.completion.chunk', created, model: agent.name, choices: [], usage })}\n\n`);
    reply.write('data: [DONE]\n\n');
    reply.endStream();
    return undefined;
  }
  return {
    status: 200,
    body: {
      id: completionId,
      object: 'chat.completion',
      created,
      model: agent.name,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
      usage,
      system_fingerprint: null,
    },
  };
}
