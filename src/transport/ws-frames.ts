import { z } from 'zod';

/** Client → server frames of API.md's WebSocket protocol. */
const id = z.string().min(1, 'is required').max(200, 'is too long');
export const clientFrameSchemas = {
  auth: z.object({ type: z.literal('auth'), token: z.string().min(1, 'is required').max(4096) }),
  subscribe: z.object({ type: z.literal('subscribe'), roomId: id, afterSeq: z.number().int().nonnegative().optional() }),
  unsubscribe: z.object({ type: z.literal('unsubscribe'), roomId: id }),
  message: z.object({ type: z.literal('message'), roomId: id, text: z.unknown(), clientMessageId: z.unknown().optional() }),
  ping: z.object({ type: z.literal('ping') }),
} as const;

export type ClientFrameType = keyof typeof clientFrameSchemas;

export type ParsedFrame =
  | { ok: true; frame: { [K in ClientFrameType]: z.infer<(typeof clientFrameSchemas)[K]> }[ClientFrameType] }
  | { ok: false; code: 'invalid_frame' | 'unknown_type' | 'validation_error'; message: string };

export function parseClientFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'invalid_frame', message: 'frame is not valid JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, code: 'invalid_frame', message: 'frame must be a JSON object with a "type"' };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') return { ok: false, code: 'invalid_frame', message: 'frame must have a string "type"' };
  if (!Object.hasOwn(clientFrameSchemas, type)) {
    return { ok: false, code: 'unknown_type', message: `unknown frame type "${type.slice(0, 50)}"; expected auth, subscribe, unsubscribe, message or ping` };
  }
  const result = clientFrameSchemas[type as ClientFrameType].safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, code: 'validation_error', message: `${type} frame: ${issue.path.join('.') || 'frame'}: ${issue.message}` };
  }
  return { ok: true, frame: result.data } as ParsedFrame;
}
