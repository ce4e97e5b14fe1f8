import { z } from 'zod';
import { parseInput } from '../../../app/commands/validate.ts';
import { AppError } from '../../../app/errors.ts';
import type { Call } from '../../call.ts';
import { findAgent } from './agent-turn.ts';

const MAX_INPUTS = 2048;

const EmbeddingsRequest = z
  .object({
    model: z.string().min(1, 'is required').max(200),
    input: z.union(
      [
        z.string().min(1, 'must not be empty'),
        z
          .array(z.string().min(1, 'must not be empty'), { error: 'must be a string or an array of strings (token arrays are not supported)' })
          .min(1, 'must not be empty')
          .max(MAX_INPUTS, `at most ${MAX_INPUTS} inputs`),
      ],
      { error: 'must be a string or an array of strings (token arrays are not supported)' },
    ),
    encoding_format: z.enum(['float', 'base64'], "must be 'float' or 'base64'").nullish(),
    dimensions: z.number().int().positive().nullish(),
    user: z.string().max(200).nullish(),
  })
  .passthrough();

/** Float32 little-endian bytes in base64: what OpenAI sends, and what its SDK decodes by default. */
function base64Of(v: Float32Array): string {
  const le = new Float32Array(v); // a copy: the embedder's vectors may be shared (its cache)
  return Buffer.from(le.buffer, le.byteOffset, le.byteLength).toString('base64');
}

/**
 * POST /v1/embeddings: `model` is an agent (name or id, as for chat) and the vectors come from the
 * embedder that agent's knowledge and memory use, so a client can embed queries in the same space.
 * Usage is an estimate (4 characters a token): the embedder does not report tokens.
 */
export async function createEmbeddings(call: Call) {
  const { server } = call;
  const req = parseInput(EmbeddingsRequest, call.body);
  const agent = findAgent(server, req.model);
  const texts = typeof req.input === 'string' ? [req.input] : req.input;
  const tooLong = texts.findIndex((t) => t.length > server.chronicle.settings.maxMessageChars);
  if (tooLong >= 0)
    throw new AppError(
      400,
      'validation_error',
      `input${typeof req.input === 'string' ? '' : `.${tooLong}`}: must be at most ${server.chronicle.settings.maxMessageChars} characters`,
    );
  let vectors: Float32Array[];
  try {
    vectors = await server.chronicle.models.embedder().embed(texts);
  } catch (err) {
    throw new AppError(503, 'unavailable', `the embedder failed: ${(err instanceof Error ? err.message : String(err)).slice(0, 300)}`);
  }
  if (req.dimensions != null && vectors[0] && req.dimensions !== vectors[0].length) {
    throw new AppError(400, 'validation_error', `dimensions: this embedder gives ${vectors[0].length} dimensions and cannot shorten them`);
  }
  const tokens = texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
  return {
    status: 200,
    body: {
      object: 'list',
      data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: req.encoding_format === 'base64' ? base64Of(v) : Array.from(v) })),
      model: agent.name,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}
