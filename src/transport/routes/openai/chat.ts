import { z } from 'zod';
import { ensureConversationRoom } from '../../../app/commands/rooms.ts';
import { parseInput } from '../../../app/commands/validate.ts';
import { AppError, badRequest } from '../../../app/errors.ts';
import { stripControl } from '../../sanitize.ts';
import type { Call } from '../../call.ts';
import { checkMessageLength, conversationFrom, converse, findAgent, messageIdFor } from './agent-turn.ts';
import { callerRequest, ModelParams, PositiveInt, refuseTools, responseFormatOf } from './request-options.ts';

const ContentPart = z.object({ type: z.string(), text: z.string().optional() }).passthrough();
const ChatMessage = z
  .object({
    role: z.string().min(1),
    content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
  })
  .passthrough();
const ChatRequest = z
  .object({
    model: z.string().min(1, 'is required').max(200),
    messages: z.array(ChatMessage).min(1, 'must contain at least one message'),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).passthrough().nullish(),
    n: PositiveInt.nullish(),
    max_tokens: PositiveInt.nullish(),
    max_completion_tokens: PositiveInt.nullish(),
    ...ModelParams,
  })
  .passthrough();

/** A message's text: a string, or its text parts joined; any other part (image, audio) is refused. */
function textOf(m: z.infer<typeof ChatMessage>, i: number): string {
  if (typeof m.content === 'string') return m.content;
  if (!Array.isArray(m.content)) return '';
  return m.content
    .map((p, j) => {
      if (p.type !== 'text') throw badRequest(`messages.${i}.content.${j}: only text parts are supported, not '${p.type}'`);
      return p.text ?? '';
    })
    .join('');
}

/** Chat's `messages` as the conversation the agent sees (conversationFrom); tool calls and results are refused. */
function conversationOf(messages: z.infer<typeof ChatMessage>[]) {
  return conversationFrom('messages', 'message', messages, (m, i) => {
    if (m.role === 'tool' || m.role === 'function' || (m.role === 'assistant' && (m.tool_calls || m.function_call))) {
      throw badRequest(`tools are not supported: messages.${i} is a tool call or result (Chronicle agents act through their own actions)`);
    }
    return { role: m.role, text: () => textOf(m, i) };
  });
}

export async function chatCompletions(call: Call) {
  const { server, caller, reply } = call;
  const c = server.chronicle;
  const req = parseInput(ChatRequest, call.body);
  refuseTools(req);
  if (req.n != null && req.n > 1) throw badRequest('n: only n = 1 is supported (an agent gives one reply per message)');
  const responseFormat = responseFormatOf(req.response_format, 'response_format', 'chat');
  const { system, history, text } = conversationOf(req.messages);
  checkMessageLength(server, text, 'messages');
  const agent = findAgent(server, req.model);
  if (agent.status !== 'running') throw new AppError(503, 'unavailable', `agent ${agent.name} is stopped`);
  const request = callerRequest({ system, history, maxTokens: req.max_completion_tokens ?? req.max_tokens, temperature: req.temperature, responseFormat });
  const room = await ensureConversationRoom(c, caller, agent, req.user ?? undefined);
  const { stream: _s, stream_options: _o, ...fingerprint } = req;
  const messageId = await messageIdFor(server, call, room.id, fingerprint);

  const completionId = `chatcmpl-${messageId}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, string>, finish: string | null) =>
    `data: ${JSON.stringify({ id: completionId, object: 'chat.completion.chunk', created, model: agent.name, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const stream = req.stream
    ? {
        start: () => {
          reply.startStream({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
          reply.write(chunk({ role: 'assistant', content: '' }, null));
        },
        delta: (d: string) => reply.write(chunk({ content: d }, null)),
      }
    : undefined;
  const outcome = await converse(call, { agent, roomId: room.id, text, request, messageId }, stream);
  if (reply.aborted) return undefined;
  if (outcome.error) {
    reply.write(`data: ${JSON.stringify({ error: { message: outcome.error.message, type: 'server_error', code: outcome.error.code } })}\n\n`);
    reply.write('data: [DONE]\n\n');
    reply.endStream();
    return undefined;
  }
  const content = stripControl(outcome.reply!.data.text);
  const u = outcome.usage;
  const usage = { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.promptTokens + u.completionTokens };
  if (reply.aborted) return undefined;
  if (req.stream) {
    // Deltas may be missing (a model that does not stream, structured output, a retry) or incomplete:
    // send what the final text adds.
    if (content.startsWith(outcome.streamed) && content.length > outcome.streamed.length)
      reply.write(chunk({ content: content.slice(outcome.streamed.length) }, null));
    reply.write(chunk({}, 'stop'));
    // As OpenAI does: usage in a last chunk with no choices, only when asked for.
    if (req.stream_options?.include_usage)
      reply.write(`data: ${JSON.stringify({ id: completionId, object: 'chat.completion.chunk', created, model: agent.name, choices: [], usage })}\n\n`);
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
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage,
      system_fingerprint: null,
    },
  };
}
