import { characterSetting } from '../../characters/secrets.ts';
import { ModelError, type GenerateTextResult } from '../../models/provider.ts';
import { callerModelParams, structuredReply } from './caller-request.ts';
import { streamReply } from './model-call.ts';
import { buildMessages, buildPromptContext, type ProviderOutput } from './prompt.ts';
import { VisibleTextStream } from './text-stream.ts';
import type { AgentTurn } from './turn-state.ts';

/**
 * The model's answer: streamed to the room as reply.delta (the visible text only, never the XML
 * envelope), or, for a caller's response_format, the provider's structured output as one JSON text
 * (not streamed). Throws a ModelError (or TurnAbortedError) when no usable answer came.
 */
export async function generate(turn: AgentTurn, outputs: readonly ProviderOutput[]): Promise<GenerateTextResult> {
  const { deps, character, host, provider, request, roomId, agentId, messageId } = turn;
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
    const messages = buildMessages({
      character,
      providers: outputs,
      actions: host.actions(),
      senderName: turn.senderName,
      text: turn.message.text,
      xml,
      request,
    });
    const timeoutMs = Number(characterSetting(character, 'MODEL_TIMEOUT_MS')) || deps.settings.modelTimeoutMs;
    // response_format: the provider's structured output, its JSON as the reply (not streamed).
    const result = request?.responseFormat
      ? await structuredReply(provider, { messages, request, timeoutMs })
      : await streamReply(
          provider,
          {
            modelType: 'TEXT_LARGE',
            messages,
            context: buildPromptContext({ character, providers: outputs, senderName: turn.senderName, text: turn.message.text, request }),
            ...(typeof characterSetting(character, 'TEXT_LARGE_TEMPERATURE') === 'number'
              ? { temperature: characterSetting(character, 'TEXT_LARGE_TEMPERATURE') as number }
              : {}),
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
    if (!result.text.trim()) throw new ModelError('malformed', 'empty answer', provider.name, false);
    return result;
  } finally {
    flushDeltas();
  }
}
