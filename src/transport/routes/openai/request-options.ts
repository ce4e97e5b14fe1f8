import { z } from 'zod';
import { badRequest } from '../../../app/errors.ts';
import type { CallerRequest } from './agent-turn.ts';

/**
 * What chat completions and responses share: the model parameters Chronicle passes on, the response
 * formats it answers with structured output, and a clear 400 for what it does not do (tools, n > 1),
 * instead of silently answering something else.
 */

export const ModelParams = {
  temperature: z.number().min(0).max(2).nullish(),
  /** Accepted and ignored: the agent's model decides (OpenAI's top_p has no Chronicle equivalent yet). */
  top_p: z.number().min(0).max(1).nullish(),
  user: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
};

export const PositiveInt = z.number().int('must be an integer').positive('must be positive').max(1_000_000, 'is too large');

/** A JSON Schema object as OpenAI takes it (the provider checks the answer against it). */
const JsonSchemaObject = z.record(z.string(), z.unknown());

/** `response_format` (chat) or `text.format` (responses): type text | json_object | json_schema. */
export function responseFormatOf(value: unknown, where: string, shape: 'chat' | 'responses'): CallerRequest['responseFormat'] {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${where}: must be an object with a type`);
  const v = value as Record<string, unknown>;
  if (v.type === 'text') return undefined;
  if (v.type === 'json_object') return { type: 'json_object' };
  if (v.type === 'json_schema') {
    // chat: { type, json_schema: { name, schema, strict } }; responses: { type, name, schema, strict }
    const spec = (shape === 'chat' ? v.json_schema : v) as Record<string, unknown> | undefined;
    const specWhere = shape === 'chat' ? `${where}.json_schema` : where;
    if (!spec || typeof spec !== 'object') throw badRequest(`${specWhere}: is required for type json_schema`);
    const name = spec.name === undefined ? undefined : z.string().max(200).safeParse(spec.name);
    if (name && !name.success) throw badRequest(`${specWhere}.name: must be a string of at most 200 characters`);
    if (spec.schema === undefined) return { type: 'json_schema', ...(name?.data ? { name: name.data } : {}) };
    const schema = JsonSchemaObject.safeParse(spec.schema);
    if (!schema.success) throw badRequest(`${specWhere}.schema: must be a JSON Schema object`);
    return { type: 'json_schema', ...(name?.data ? { name: name.data } : {}), schema: schema.data };
  }
  throw badRequest(`${where}.type: '${String(v.type)}' is not supported (text, json_object or json_schema)`);
}

/**
 * Agents act through their own actions, not the caller's functions: a request that brings tools
 * gets a 400 that says so, rather than an answer that ignored them (a client would then loop).
 */
export function refuseTools(body: Record<string, unknown>): void {
  const given = (k: string) => body[k] !== undefined && body[k] !== null && !(Array.isArray(body[k]) && (body[k] as unknown[]).length === 0);
  const named = ['tools', 'functions'].filter(given);
  // 'none' and 'auto' without tools ask for nothing; a forced or named tool does.
  if (given('tool_choice') && body.tool_choice !== 'none' && body.tool_choice !== 'auto') named.push('tool_choice');
  if (given('function_call') && body.function_call !== 'none' && body.function_call !== 'auto') named.push('function_call');
  if (named.length)
    throw badRequest(`tools are not supported: Chronicle agents act through their own actions, not the caller's functions (remove ${named.join(', ')})`);
}

/** The caller request recorded with the message; only the fields that are set. */
export function callerRequest(fields: {
  system?: string[];
  history?: { role: 'user' | 'assistant'; content: string }[];
  maxTokens?: number | null;
  temperature?: number | null;
  responseFormat?: CallerRequest['responseFormat'];
}): CallerRequest | undefined {
  const system = (fields.system ?? [])
    .map((s) => s.trim())
    .filter(Boolean)
    .join('\n\n');
  const history = (fields.history ?? []).filter((h) => h.content.trim()).slice(-200);
  const r: CallerRequest = {
    ...(system ? { system } : {}),
    ...(history.length ? { history } : {}),
    ...(fields.maxTokens != null ? { maxTokens: fields.maxTokens } : {}),
    ...(fields.temperature != null ? { temperature: fields.temperature } : {}),
    ...(fields.responseFormat ? { responseFormat: fields.responseFormat } : {}),
  };
  return Object.keys(r).length ? r : undefined;
}
