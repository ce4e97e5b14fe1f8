import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient } from '../support/http-client.ts';

/**
 * Bad input on the OpenAI-compatible routes never crashes the server nor writes to the log: bodies
 * shaped like chat, responses and embeddings requests with wrong types, junk and extremes get a 4xx
 * and append nothing (or, when they happen to be valid, a 200).
 */
let t: TestServer;
let token: string;

beforeAll(async () => {
  t = await startTestServer({}, { replyTimeoutMs: 2_000 });
  const api = apiClient(t.url);
  token = (await api.login('admin', t.adminPassword)).accessToken;
  await api.post('/api/v1/agents', { name: 'Target', bio: 'fuzzed' }, { token });
});
afterAll(async () => t?.close());

const junk = () =>
  fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(''),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
    fc.jsonValue({ maxDepth: 2 }),
  );
const role = () => fc.oneof(fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'function', 'narrator'), junk());
const content = () =>
  fc.oneof(
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.constant('x'.repeat(16_001)),
    fc.array(
      fc.record(
        { type: fc.constantFrom('text', 'input_text', 'image_url', 'input_image'), text: fc.oneof(fc.string({ maxLength: 10 }), junk()) },
        { requiredKeys: ['type'] },
      ),
      { maxLength: 3 },
    ),
    junk(),
  );
const message = () =>
  fc.record(
    { role: role(), content: content(), tool_calls: junk(), type: fc.oneof(fc.constantFrom('message', 'function_call_output', 'reasoning'), junk()) },
    { requiredKeys: ['role'] },
  );
const format = () =>
  fc.oneof(
    fc.record(
      {
        type: fc.constantFrom('text', 'json_object', 'json_schema', 'yaml'),
        json_schema: fc.oneof(fc.record({ name: junk(), schema: fc.oneof(fc.constant({ type: 'object' }), junk()) }), junk()),
        name: junk(),
        schema: fc.oneof(fc.constant({ type: 'object' }), junk()),
      },
      { requiredKeys: ['type'] },
    ),
    junk(),
  );
const body = () =>
  fc.record(
    {
      model: fc.oneof(fc.constantFrom('Target', 'target', 'nobody'), junk()),
      messages: fc.oneof(fc.array(message(), { maxLength: 4 }), junk()),
      input: fc.oneof(fc.string({ maxLength: 30 }), fc.array(message(), { maxLength: 3 }), fc.array(fc.integer(), { maxLength: 3 }), junk()),
      instructions: junk(),
      previous_response_id: fc.oneof(fc.constantFrom('resp_x', 'resp_'), junk()),
      conversation: fc.oneof(fc.string({ maxLength: 10 }), fc.record({ id: junk() }), junk()),
      user: junk(),
      n: fc.oneof(fc.integer({ min: -1, max: 3 }), junk()),
      max_tokens: junk(),
      max_output_tokens: junk(),
      temperature: fc.oneof(fc.double({ min: -1, max: 3, noNaN: true }), junk()),
      tools: fc.oneof(fc.constant([]), fc.constant([{ type: 'function', function: { name: 'f' } }]), junk()),
      tool_choice: fc.oneof(fc.constantFrom('none', 'auto', 'required'), junk()),
      response_format: format(),
      text: fc.oneof(fc.record({ format: format() }), junk()),
      encoding_format: fc.oneof(fc.constantFrom('float', 'base64', 'hex'), junk()),
      dimensions: junk(),
      stream: fc.oneof(fc.boolean(), junk()),
    },
    { requiredKeys: [] },
  );

describe('the OpenAI-compatible routes under bad input', () => {
  it('answer 4xx and append nothing, or 200 — never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/chat/completions', '/v1/responses', '/v1/embeddings'),
        fc.oneof(
          body().map((b) => JSON.stringify(b)),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 50 }),
        ),
        async (path, raw) => {
          const head = await t.store.head();
          const res = await fetch(`${t.url}${path}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: raw,
          });
          const text = await res.text();
          expect(res.status, `${path} ${raw.slice(0, 300)} → ${text.slice(0, 300)}`).toBeLessThan(500);
          if (res.status >= 400) {
            expect(JSON.parse(text).error.message).toEqual(expect.any(String));
            expect(await t.store.head(), `${path} ${raw.slice(0, 300)} appended on ${res.status}`).toBe(head);
          }
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});
