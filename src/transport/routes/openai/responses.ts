import { z } from 'zod';
import { ensureConversationRoom, accessibleRoom } from '../../../app/commands/rooms.ts';
import { parseInput } from '../../../app/commands/validate.ts';
import { AppError, badRequest, notFound } from '../../../app/errors.ts';
import { hasRole } from '../../../auth/roles.ts';
import type { AgentView } from '../../../projections/read-model.ts';
import { turnIds } from '../../../actors/turn/turn-ids.ts';
import { stripControl } from '../../sanitize.ts';
import type { Call, ServerContext } from '../../call.ts';
import { checkMessageLength, conversationFrom, converse, findAgent, messageIdFor, turnUsage } from './agent-turn.ts';
import { callerRequest, ModelParams, PositiveInt, refuseTools, responseFormatOf } from './request-options.ts';

/**
 * POST /v1/responses (OpenAI's Responses API, text only) and GET /v1/responses/:id. A response is the
 * agent's reply to the message the request posted: its id is `resp_<messageId>`, so nothing besides
 * the log is kept, `previous_response_id` names the room to continue in, and GET reads the reply back.
 */

const InputPart = z.object({ type: z.string(), text: z.string().optional() }).passthrough();
const InputItem = z
  .object({
    type: z.string().optional(),
    role: z.string().optional(),
    content: z.union([z.string(), z.array(InputPart)]).optional(),
  })
  .passthrough();
const ResponsesRequest = z
  .object({
    model: z.string().min(1, 'is required').max(200),
    input: z.union([z.string().min(1, 'must not be empty'), z.array(InputItem).min(1, 'must contain at least one item')]),
    instructions: z.string().nullish(),
    previous_response_id: z.string().min(1).max(220).nullish(),
    conversation: z.union([z.string().min(1).max(200), z.object({ id: z.string().min(1).max(200) }).passthrough()]).nullish(),
    stream: z.boolean().nullish(),
    max_output_tokens: PositiveInt.nullish(),
    text: z.object({ format: z.unknown().optional() }).passthrough().nullish(),
    ...ModelParams,
  })
  .passthrough();
type ResponsesInput = z.infer<typeof ResponsesRequest>;

const RESPONSE_PREFIX = 'resp_';
const responseId = (messageId: string) => `${RESPONSE_PREFIX}${messageId}`;

function itemText(item: z.infer<typeof InputItem>, i: number): string {
  if (typeof item.content === 'string') return item.content;
  return (item.content ?? [])
    .map((p, j) => {
      if (p.type !== 'input_text' && p.type !== 'output_text' && p.type !== 'text')
        throw badRequest(`input.${i}.content.${j}: only text parts are supported, not '${p.type}'`);
      return p.text ?? '';
    })
    .join('');
}

/** As for chat: system/developer items and `instructions` are the caller's instructions; the last item is the user's message, the ones before it the history. */
function conversationOf(req: ResponsesInput) {
  const system = req.instructions ? [req.instructions] : [];
  if (typeof req.input === 'string') return { system, history: [], text: req.input };
  return conversationFrom(
    'input',
    'item',
    req.input,
    (item, i) => {
      if (item.type !== undefined && item.type !== 'message') {
        throw badRequest(
          item.type.includes('function') || item.type.includes('tool')
            ? `tools are not supported: input.${i} is a ${item.type}`
            : `input.${i}.type: '${item.type}' is not supported (only message items)`,
        );
      }
      return { role: item.role, text: () => itemText(item, i) };
    },
    system,
  );
}

/** The message a response id names, if the caller may see it (its author, or an operator). */
async function messageOfResponse(server: ServerContext, call: Call, id: string) {
  const messageId = id.startsWith(RESPONSE_PREFIX) ? id.slice(RESPONSE_PREFIX.length) : '';
  const event = messageId ? await server.chronicle.store.getById(messageId) : undefined;
  if (event?.type !== 'message.posted' || (event.data.authorId !== call.caller.accountId && !hasRole(call.caller.role, 'operator'))) {
    throw new AppError(404, 'not_found', `Response with id '${id}' not found.`);
  }
  return event;
}

interface ResponseBody {
  id: string;
  status: 'in_progress' | 'completed' | 'failed';
  agent: AgentView;
  createdAt: number;
  text?: string;
  replyId?: string;
  usage?: { promptTokens: number; completionTokens: number };
  instructions?: string | null;
  previousResponseId?: string | null;
  error?: { code: string; message: string };
}

/** The Response object the openai SDK (v6) and the Vercel AI SDK parse. */
function responseObject(r: ResponseBody) {
  const output =
    r.text === undefined
      ? []
      : [
          {
            id: `msg_${r.replyId}`,
            type: 'message',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: r.text, annotations: [], logprobs: [] }],
          },
        ];
  return {
    id: r.id,
    object: 'response',
    created_at: r.createdAt,
    status: r.status,
    error: r.error ?? null,
    incomplete_details: null,
    instructions: r.instructions ?? null,
    max_output_tokens: null,
    model: r.agent.name,
    output,
    parallel_tool_calls: false,
    previous_response_id: r.previousResponseId ?? null,
    temperature: null,
    top_p: null,
    tool_choice: 'none',
    tools: [],
    text: { format: { type: 'text' } },
    truncation: 'disabled',
    usage: r.usage
      ? {
          input_tokens: r.usage.promptTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: r.usage.completionTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: r.usage.promptTokens + r.usage.completionTokens,
        }
      : null,
    metadata: {},
  };
}

export async function createResponse(call: Call) {
  const { server, caller, reply } = call;
  const c = server.chronicle;
  const req = parseInput(ResponsesRequest, call.body);
  refuseTools(req);
  const responseFormat = responseFormatOf(req.text?.format, 'text.format', 'responses');
  const { system, history, text } = conversationOf(req);
  checkMessageLength(server, text, 'input');
  const agent = findAgent(server, req.model);
  if (agent.status !== 'running') throw new AppError(503, 'unavailable', `agent ${agent.name} is stopped`);
  if (req.previous_response_id && req.conversation) throw badRequest('previous_response_id and conversation: give one of them, not both');

  // The conversation: the previous response's room, a named conversation's room, or the direct room.
  let roomId: string;
  if (req.previous_response_id) {
    const previous = await messageOfResponse(server, call, req.previous_response_id);
    const room = await accessibleRoom(c, caller, previous.data.roomId);
    if (!room.participants.some((p) => p.id === agent.id)) throw badRequest(`previous_response_id: ${agent.name} is not in that response's conversation`);
    roomId = room.id;
  } else {
    const conversation = typeof req.conversation === 'string' ? req.conversation : req.conversation?.id;
    roomId = (await ensureConversationRoom(c, caller, agent, conversation)).id;
  }
  const request = callerRequest({ system, history, maxTokens: req.max_output_tokens, temperature: req.temperature, responseFormat });
  const { stream: _s, ...fingerprint } = req;
  const messageId = await messageIdFor(server, call, roomId, fingerprint);
  const id = responseId(messageId);
  const createdAt = Math.floor(Date.now() / 1000);
  const base = { id, agent, createdAt, instructions: req.instructions, previousResponseId: req.previous_response_id };
  const itemId = `msg_${turnIds.reply(agent.id, messageId)}`;

  let seq = 0;
  const event = (type: string, data: Record<string, unknown>) =>
    reply.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
  const part = { output_index: 0, content_index: 0, item_id: itemId };
  const stream = req.stream
    ? {
        start: () => {
          reply.startStream({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
          event('response.created', { response: responseObject({ ...base, status: 'in_progress' }) });
          event('response.in_progress', { response: responseObject({ ...base, status: 'in_progress' }) });
          event('response.output_item.added', {
            output_index: 0,
            item: { id: itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
          });
          event('response.content_part.added', { ...part, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
        },
        delta: (d: string) => event('response.output_text.delta', { ...part, delta: d, logprobs: [] }),
      }
    : undefined;
  const outcome = await converse(call, { agent, roomId, text, request, messageId }, stream);
  if (reply.aborted) return undefined;
  if (outcome.error) {
    event('response.failed', { response: responseObject({ ...base, status: 'failed', error: { code: outcome.error.code, message: outcome.error.message } }) });
    reply.endStream();
    return undefined;
  }
  const content = stripControl(outcome.reply!.data.text);
  const usage = outcome.usage;
  if (reply.aborted) return undefined;
  const done = responseObject({ ...base, status: 'completed', text: content, replyId: outcome.reply!.data.messageId, usage });
  if (!req.stream) return { status: 200, body: done };
  // Deltas may be missing (no streaming model, structured output, a retry): send what the final text adds.
  if (content.startsWith(outcome.streamed) && content.length > outcome.streamed.length) stream!.delta(content.slice(outcome.streamed.length));
  event('response.output_text.done', { ...part, text: content, logprobs: [] });
  event('response.content_part.done', { ...part, part: { type: 'output_text', text: content, annotations: [], logprobs: [] } });
  event('response.output_item.done', { output_index: 0, item: done.output[0] });
  event('response.completed', { response: done });
  reply.endStream();
  return undefined;
}

/** GET /v1/responses/:id: the reply as it stands (in_progress until the agent has answered). */
export async function getResponse(call: Call) {
  const { server } = call;
  const message = await messageOfResponse(server, call, call.params.id);
  const room = server.chronicle.readModel.roomById(message.data.roomId);
  for (const p of room?.participants ?? []) {
    if (p.kind !== 'agent') continue;
    const replyEvent = await server.chronicle.store.getById(turnIds.reply(p.id, message.data.messageId));
    if (replyEvent?.type !== 'message.posted') continue;
    const agent = server.chronicle.readModel.agentById(p.id);
    if (!agent) continue;
    const usage = await turnUsage(server, agent.id, message.data.messageId);
    const createdAt = Math.floor(message.meta.timestamp / 1000);
    return {
      status: 200,
      body: responseObject({
        id: call.params.id,
        agent,
        createdAt,
        status: 'completed',
        text: stripControl(replyEvent.data.text),
        replyId: replyEvent.data.messageId,
        usage,
      }),
    };
  }
  const agentId = room?.participants.find((p) => p.kind === 'agent')?.id;
  const agent = agentId ? server.chronicle.readModel.agentById(agentId) : undefined;
  if (!agent) throw notFound('response');
  return { status: 200, body: responseObject({ id: call.params.id, agent, createdAt: Math.floor(message.meta.timestamp / 1000), status: 'in_progress' }) };
}
