import type { EventData } from '../../domain/catalogue.ts';
import { type ChatMessage, type GenerateTextResult, type ModelProvider } from '../../models/provider.ts';

/**
 * What an OpenAI-compatible caller asked for with its message (message.posted `request`): its system
 * message, its earlier turns, model parameters and a response format. It travels from the message's
 * own event in the agent's mailbox entry, so a resumed turn sees exactly what the first one saw.
 */
export type CallerRequest = NonNullable<EventData<'message.posted'>['request']>;

/** The model parameters the caller set (they win over the character's TEXT_LARGE_TEMPERATURE). */
export function callerModelParams(request: CallerRequest | undefined): { maxTokens?: number; temperature?: number } {
  return {
    ...(request?.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
    ...(request?.temperature !== undefined ? { temperature: request.temperature } : {}),
  };
}

/** json_schema answers to the caller's schema; json_object to "any JSON object". */
function formatSchema(format: NonNullable<CallerRequest['responseFormat']>): Record<string, unknown> {
  return format.type === 'json_schema' && format.schema ? format.schema : { type: 'object' };
}

/**
 * A structured-output turn: the provider's generateObject (native JSON mode where it has one, the
 * schema instruction and a check against the schema otherwise), its object as the reply text. Not
 * streamed: a half-written JSON value is of no use to the caller, who gets the whole text at once.
 * Retries, deadline and the model.called record come from the turn's model (model-call.ts).
 */
export async function structuredReply(
  provider: ModelProvider,
  input: { messages: ChatMessage[]; request: CallerRequest; timeoutMs: number },
): Promise<GenerateTextResult> {
  const schema = formatSchema(input.request.responseFormat!);
  const r = await provider.generateObject({ modelType: 'OBJECT_LARGE', messages: input.messages, schema, attemptTimeoutMs: input.timeoutMs });
  return { text: JSON.stringify(r.object), model: r.model, usage: r.usage };
}
