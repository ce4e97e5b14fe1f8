import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { HumanMessage, SystemMessage, AIMessage } from '@langchain/core/messages';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient } from '../support/http-client.ts';

/**
 * LangChain's OpenAI integration (@langchain/openai 0.6, which wraps the openai SDK) against the
 * endpoint, through real sockets, on the real actor system with the fake model behind it. Before the
 * endpoint honoured response_format, `withStructuredOutput` got prose back, retried 7 times, and 7
 * copies of the question landed in the room.
 */
let t: TestServer;
let token: string;
let api: ReturnType<typeof apiClient>;
const chat = (options: Record<string, unknown> = {}) =>
  new ChatOpenAI({ model: 'Eliza', apiKey: token, configuration: { baseURL: `${t.url}/v1` }, maxRetries: 0, ...options });

beforeAll(async () => {
  t = await startTestServer({}, { actors: 'real' });
  api = apiClient(t.url);
  const admin = (await api.login('admin', t.adminPassword)).accessToken;
  await api.post('/api/v1/agents', { name: 'Eliza', bio: 'helpful' }, { token: admin });
  token = (await api.register('langchain')).accessToken;
}, 30_000);
afterAll(async () => t?.close());

async function questionsInRooms(text: string): Promise<number> {
  const { rooms } = (await api.get('/api/v1/rooms', { token })).body;
  let n = 0;
  for (const room of rooms as { id: string }[]) {
    const { messages } = (await api.get(`/api/v1/rooms/${room.id}/messages?limit=200`, { token })).body;
    n += (messages as { text: string; authorKind: string }[]).filter((m) => m.authorKind === 'user' && m.text.includes(text)).length;
  }
  return n;
}

describe('LangChain ChatOpenAI', () => {
  it('invoke with a system message and earlier turns: the system text and the history reach the model', async () => {
    const from = t.modelServer!.requests.length;
    const reply = await chat({ maxTokens: 48 }).invoke([
      new SystemMessage('Answer in one short sentence.'),
      new HumanMessage('My name is Grace.'),
      new AIMessage('Nice to meet you, Grace.'),
      new HumanMessage('hello from LangChain'),
    ]);
    expect(String(reply.content)).toContain('hello from LangChain');
    const sent = t.modelServer!.requests.slice(from).find((q) => q.path.endsWith('/chat/completions'))!;
    const prompt = JSON.stringify(sent.body.messages);
    expect(prompt).toContain('Answer in one short sentence.');
    expect(prompt).toContain('My name is Grace.');
    expect(sent.body.max_completion_tokens ?? sent.body.max_tokens).toBe(48);
  });

  it('stream yields chunks that add up to the reply', async () => {
    let text = '';
    for await (const chunk of await chat().stream('streamed through LangChain')) text += String(chunk.content);
    expect(text).toContain('streamed through LangChain');
  });

  it('withStructuredOutput (its default json_schema method) returns the parsed object, and the question lands once', async () => {
    const person = z.object({ name: z.string(), age: z.number() });
    const result = await chat({ maxRetries: 6 }).withStructuredOutput(person, { name: 'person' }).invoke('who is the structured person?');
    expect(result).toEqual({ name: 'Ada', age: 36 });
    expect(await questionsInRooms('who is the structured person?')).toBe(1);
  });

  it('tool binding is refused with a 400 naming `tools`, without retries, and nothing lands in a room', async () => {
    const llm = chat({ maxRetries: 6 }).bindTools([
      { type: 'function', function: { name: 'lookup', description: 'look up', parameters: { type: 'object', properties: {} } } },
    ]);
    await expect(llm.invoke('please call the lookup tool')).rejects.toThrow(/tools/);
    expect(await questionsInRooms('please call the lookup tool')).toBe(0);
  });
});

describe('LangChain OpenAIEmbeddings', () => {
  it('embedDocuments and embedQuery use the agent’s embedder and agree on the same text', async () => {
    const embeddings = new OpenAIEmbeddings({ model: 'Eliza', apiKey: token, configuration: { baseURL: `${t.url}/v1` }, maxRetries: 0 });
    const [a, b] = await embeddings.embedDocuments(['a cat', 'a dog']);
    const q = await embeddings.embedQuery('a cat');
    expect(a.length).toBeGreaterThan(0);
    expect(b).toHaveLength(a.length);
    expect(q.map((x) => x.toFixed(5))).toEqual(a.map((x) => x.toFixed(5)));
  });
});
