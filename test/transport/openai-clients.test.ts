import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';
import { fakeVector, type RecordedRequest } from '../support/fake-model-servers.ts';

/**
 * The OpenAI-compatible endpoint with the official `openai` client, through real sockets, on the real
 * actor system whose model is the fake OpenAI server: what the caller sends (system message, earlier
 * turns, parameters, response format) is asserted where it lands — the model's request and the log.
 */
let t: TestServer;
let api: ApiClient;
let token: string;
let client: OpenAI;

beforeAll(async () => {
  t = await startTestServer({}, { actors: 'real' });
  api = apiClient(t.url);
  const admin = (await api.login('admin', t.adminPassword)).accessToken;
  await api.post('/api/v1/agents', { name: 'Eliza', bio: 'helpful' }, { token: admin });
  token = (await api.register('oa-clients')).accessToken;
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: token, maxRetries: 0, timeout: 15_000 });
}, 30_000);
afterAll(async () => t?.close());

/** The fake model's chat requests made after `from` (index into its request log). */
const chatRequestsSince = (from: number): RecordedRequest[] => t.modelServer!.requests.slice(from).filter((r) => r.path.endsWith('/chat/completions'));
const userMessagesIn = async (roomId: string) =>
  (await t.store.readStream(`room-${roomId}`)).filter((e) => e.type === 'message.posted' && e.data.authorKind === 'user');
const myRooms = async () => (await api.get('/api/v1/rooms', { token })).body.rooms as { id: string; name: string }[];

describe('chat completions: the conversation the agent sees', () => {
  it('the system message joins the character’s prompt and the earlier turns are the history; max_tokens and temperature reach the model', async () => {
    const from = t.modelServer!.requests.length;
    const r = await client.chat.completions.create({
      model: 'Eliza',
      max_tokens: 42,
      temperature: 0.3,
      messages: [
        { role: 'system', content: 'Always answer in French.' },
        { role: 'user', content: 'my cat is called Tom' },
        { role: 'assistant', content: 'Nice name!' },
        { role: 'user', content: 'what is my cat called?' },
      ],
    });
    expect(r.choices[0].message.content).toContain('what is my cat called?');
    const [sent] = chatRequestsSince(from);
    const messages = sent.body.messages as { role: string; content: string }[];
    expect(messages[0].role).toBe('system');
    expect(messages[0].content).toContain('# Instructions from the caller\nAlways answer in French.');
    expect(messages.slice(1)).toEqual([
      { role: 'user', content: 'my cat is called Tom' },
      { role: 'assistant', content: 'Nice name!' },
      { role: 'user', content: expect.stringMatching(/: what is my cat called\?$/) },
    ]);
    expect(sent.body).toMatchObject({ max_completion_tokens: 42, temperature: 0.3 });
    // The log holds what the turn read: only the last message is posted, the rest rides on it.
    const room = (await myRooms()).find((x) => x.name === 'chat with Eliza')!;
    const posted = await userMessagesIn(room.id);
    expect(posted.at(-1)!.data).toMatchObject({
      text: 'what is my cat called?',
      request: {
        system: 'Always answer in French.',
        history: [
          { role: 'user', content: 'my cat is called Tom' },
          { role: 'assistant', content: 'Nice name!' },
        ],
        maxTokens: 42,
        temperature: 0.3,
      },
    });
  });

  it('response_format json_schema is answered with structured output: parseable JSON that matches the schema', async () => {
    const from = t.modelServer!.requests.length;
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' } },
      required: ['name', 'age'],
      additionalProperties: false,
    };
    const r = await client.chat.completions.create({
      model: 'Eliza',
      messages: [{ role: 'user', content: 'who wrote the first program?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
    });
    const value = z.object({ name: z.string(), age: z.number().int() }).strict().parse(JSON.parse(r.choices[0].message.content!));
    expect(value).toEqual({ name: 'Ada', age: 36 }); // the fake model's object answer
    // The agent's model was asked for that schema (the provider's structured output), not for prose.
    const [sent] = chatRequestsSince(from);
    expect(sent.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema } });
    // The SDK's own structured-output helper parses the answer.
    const parsed = await client.chat.completions.parse({
      model: 'Eliza',
      messages: [{ role: 'user', content: 'and who else?' }],
      response_format: zodResponseFormat(z.object({ name: z.string(), age: z.number() }), 'person'),
    });
    expect(parsed.choices[0].message.parsed).toEqual({ name: 'Ada', age: 36 });
  });

  it('response_format json_object gives a JSON object, streamed too', async () => {
    const stream = await client.chat.completions.create({
      model: 'Eliza',
      stream: true,
      messages: [{ role: 'user', content: 'as JSON please' }],
      response_format: { type: 'json_object' },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(typeof JSON.parse(text)).toBe('object');
  });

  it('what it cannot do is a 400 that names it, and nothing is appended: tools, n > 1, an unknown response_format, tool messages', async () => {
    const head = await t.store.head();
    const ask = (extra: Record<string, unknown>, messages: unknown[] = [{ role: 'user', content: 'hi' }]) =>
      client.chat.completions.create({ model: 'Eliza', messages, ...extra } as never).catch((e) => e);
    const tools = await ask({ tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }] });
    expect(tools).toBeInstanceOf(OpenAI.BadRequestError);
    expect(tools.error.message).toMatch(/^tools are not supported: .*tools/);
    expect((await ask({ tool_choice: 'required' })).error.message).toMatch(/^tools are not supported: .*tool_choice/);
    expect((await ask({ functions: [{ name: 'f', parameters: {} }] })).error.message).toMatch(/^tools are not supported/);
    const toolResult = await ask({}, [
      { role: 'user', content: 'hi' },
      { role: 'tool', tool_call_id: 'x', content: '42' },
    ]);
    expect(toolResult.error.message).toMatch(/^tools are not supported/);
    const n2 = await ask({ n: 2 });
    expect(n2).toBeInstanceOf(OpenAI.BadRequestError);
    expect(n2.error.message).toMatch(/^n: only n = 1/);
    const fmt = await ask({ response_format: { type: 'yaml' } });
    expect(fmt.status).toBe(400);
    expect(fmt.error.message).toBe("response_format.type: 'yaml' is not supported (text, json_object or json_schema)");
    const long = await ask({ user: 'never-created' }, [{ role: 'user', content: 'x'.repeat(16_001) }]);
    expect(long.error.message).toMatch(/^messages: the message must be at most 16000 characters/);
    const image = await ask({}, [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] }]);
    expect(image.error.message).toMatch(/only text parts are supported/);
    // tool_choice 'auto' and empty tools ask for nothing and are accepted (clients send them by default).
    expect((await ask({ tools: [], tool_choice: 'none' })).choices[0].message.content).toContain('hi');
    // Only the last request appended anything (its room and message).
    const after = await t.store.readAll({ afterSeq: head, limit: 1000 } as never);
    expect(after.filter((e) => e.type === 'message.posted' && e.data.authorKind === 'user')).toHaveLength(1);
  });
});

describe('conversations and retries', () => {
  it('two `user` values are two rooms; the same value comes back to its room; no value is the direct room', async () => {
    const before = (await myRooms()).length;
    await client.chat.completions.create({ model: 'Eliza', user: 'alice', messages: [{ role: 'user', content: 'I am Alice' }] });
    await client.chat.completions.create({ model: 'Eliza', user: 'bob', messages: [{ role: 'user', content: 'I am Bob' }] });
    await client.chat.completions.create({ model: 'Eliza', user: 'alice', messages: [{ role: 'user', content: 'Alice again' }] });
    const rooms = await myRooms();
    expect(rooms.length).toBe(before + 2);
    const alice = rooms.find((r) => r.name === 'alice with Eliza')!;
    const bob = rooms.find((r) => r.name === 'bob with Eliza')!;
    expect((await userMessagesIn(alice.id)).map((e) => (e.data as { text: string }).text)).toEqual(['I am Alice', 'Alice again']);
    expect((await userMessagesIn(bob.id)).map((e) => (e.data as { text: string }).text)).toEqual(['I am Bob']);
  });

  it('a retried request with the same Idempotency-Key posts one message and gets the same reply', async () => {
    const body = { model: 'Eliza', user: 'retry', messages: [{ role: 'user' as const, content: 'charge my card once' }] };
    const first = await client.chat.completions.create(body, { headers: { 'Idempotency-Key': 'order-17' } });
    const second = await client.chat.completions.create(body, { headers: { 'Idempotency-Key': 'order-17' } });
    expect(second.id).toBe(first.id);
    expect(second.choices[0].message.content).toBe(first.choices[0].message.content);
    const room = (await myRooms()).find((r) => r.name === 'retry with Eliza')!;
    const posted = (await userMessagesIn(room.id)).filter((e) => (e.data as { text: string }).text === 'charge my card once');
    expect(posted).toHaveLength(1);
    // One reply too: the agent answered once.
    const replies = (await t.store.readStream(`room-${room.id}`)).filter((e) => e.type === 'message.posted' && e.data.authorKind === 'agent');
    expect(replies).toHaveLength(1);
    // The same key for another request is a conflict, not a wrong answer.
    const reused = await client.chat.completions
      .create({ ...body, messages: [{ role: 'user', content: 'something else' }] }, { headers: { 'Idempotency-Key': 'order-17' } })
      .catch((e) => e);
    expect(reused.status).toBe(409);
  });

  it('without a key, the same request again within seconds (a client’s retry) posts one message; a streamed retry gets the whole text', async () => {
    const body = { model: 'Eliza', user: 'no-key', messages: [{ role: 'user' as const, content: 'say it once' }] };
    const first = await client.chat.completions.create(body);
    const stream = await client.chat.completions.create({ ...body, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(first.choices[0].message.content);
    const room = (await myRooms()).find((r) => r.name === 'no-key with Eliza')!;
    expect(await userMessagesIn(room.id)).toHaveLength(1);
  });
});

describe('responses', () => {
  it('responses.create answers text; previous_response_id continues in the same room with the earlier exchange in the prompt; GET reads it back', async () => {
    const first = await client.responses.create({ model: 'Eliza', input: 'my dog is called Rex', conversation: 'dogs', instructions: 'Be brief.' });
    expect(first.object).toBe('response');
    expect(first.status).toBe('completed');
    expect(first.output_text).toContain('my dog is called Rex');
    expect(first.usage?.input_tokens).toBeGreaterThan(0);
    const from = t.modelServer!.requests.length;
    const second = await client.responses.create({
      model: 'Eliza',
      input: [{ role: 'user', content: 'what is my dog called?' }],
      previous_response_id: first.id,
    });
    expect(second.output_text).toContain('what is my dog called?');
    expect(second.previous_response_id).toBe(first.id);
    const [sent] = chatRequestsSince(from);
    const system = (sent.body.messages as { role: string; content: string }[])[0].content;
    expect(system).toContain('my dog is called Rex'); // the room's conversation so far
    const room = (await myRooms()).find((r) => r.name === 'dogs with Eliza')!;
    expect((await userMessagesIn(room.id)).map((e) => (e.data as { text: string }).text)).toEqual(['my dog is called Rex', 'what is my dog called?']);
    const again = await client.responses.retrieve(second.id);
    expect(again.output_text).toBe(second.output_text);
    expect((await client.responses.retrieve('resp_nope').catch((e) => e)).status).toBe(404);
    // Another account cannot continue or read someone else's response.
    const other = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: (await api.register('oa-other')).accessToken, maxRetries: 0 });
    expect((await other.responses.retrieve(first.id).catch((e) => e)).status).toBe(404);
    expect((await other.responses.create({ model: 'Eliza', input: 'hi', previous_response_id: first.id }).catch((e) => e)).status).toBe(404);
  });

  it('stream: true sends the events the SDK parses, deltas adding up to the final text', async () => {
    const stream = await client.responses.create({ model: 'Eliza', input: 'stream a response', stream: true });
    const types: string[] = [];
    let deltas = '';
    let done = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'response.output_text.delta') deltas += e.delta;
      if (e.type === 'response.output_text.done') done = e.text;
      if (e.type === 'response.completed') completed = e.response;
    }
    expect(types[0]).toBe('response.created');
    expect(types).toEqual(
      expect.arrayContaining([
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.output_item.done',
      ]),
    );
    expect(types.at(-1)).toBe('response.completed');
    expect(deltas).toBe(done);
    expect(done).toContain('stream a response');
    expect(completed?.status).toBe('completed');
    // The SDK's own accumulating helper agrees.
    const helper = client.responses.stream({ model: 'Eliza', input: 'stream with the helper' });
    expect((await helper.finalResponse()).output_text).toContain('stream with the helper');
  });

  it('text.format json_schema gives structured output; tools → 400', async () => {
    const r = await client.responses.create({
      model: 'Eliza',
      input: 'who?',
      text: {
        format: {
          type: 'json_schema',
          name: 'person',
          schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] },
        },
      },
    });
    expect(JSON.parse(r.output_text)).toEqual({ name: 'Ada', age: 36 });
    const err = await client.responses
      .create({ model: 'Eliza', input: 'weather?', tools: [{ type: 'function', name: 'w', parameters: {}, strict: false }] })
      .catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.message).toMatch(/^tools are not supported/);
  });
});

describe('embeddings', () => {
  it('embeddings.create uses the agent’s embedder: one vector per input, base64 (the SDK’s default) and float agree', async () => {
    const r = await client.embeddings.create({ model: 'Eliza', input: ['barn owls', 'tawny owls'] });
    expect(r.object).toBe('list');
    expect(r.model).toBe('Eliza');
    expect(r.data.map((d) => d.index)).toEqual([0, 1]);
    // The harness's embedder is the fake OpenAI server: 8 dimensions, a known vector per text.
    expect(r.data[0].embedding).toEqual(Array.from(fakeVector('barn owls', 8)));
    expect(r.data[1].embedding).toEqual(Array.from(fakeVector('tawny owls', 8)));
    const float = await client.embeddings.create({ model: 'Eliza', input: 'barn owls', encoding_format: 'float' });
    expect(float.data[0].embedding).toEqual(r.data[0].embedding);
    expect(r.usage).toMatchObject({ prompt_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    expect(r.usage.prompt_tokens).toBeGreaterThan(0);
    expect((await client.embeddings.create({ model: 'nobody', input: 'x' }).catch((e) => e)).status).toBe(404);
    expect((await client.embeddings.create({ model: 'Eliza', input: [1, 2, 3] as never }).catch((e) => e)).status).toBe(400);
    expect((await client.embeddings.create({ model: 'Eliza', input: '' }).catch((e) => e)).status).toBe(400);
  });
});

describe('the log', () => {
  it('messages carrying a caller request (schemas, history) verify: hash chain intact, every event decodable', async () => {
    const withRequest = (await t.store.readAll({ limit: 10_000 })).filter((e) => e.type === 'message.posted' && e.data.request);
    expect(withRequest.some((e) => (e.data as { request?: { responseFormat?: unknown } }).request?.responseFormat)).toBe(true);
    const report = await t.store.verify();
    expect(report.problem).toBeUndefined();
    expect(report.ok).toBe(true);
  });
});
