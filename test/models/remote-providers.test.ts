import { expect, it } from 'vitest';
import { runProviderContract } from './contract.ts';
import { startFakeAnthropic, startFakeOllama, startFakeOpenAI } from '../support/fake-model-servers.ts';
import { OpenAIProvider, createOpenRouterProvider } from '../../plugins/openai/index.ts';
import { AnthropicProvider } from '../../plugins/anthropic/index.ts';
import { OllamaProvider } from '../../plugins/ollama/index.ts';

const expectedObject = { name: 'Ada', age: 36 };

runProviderContract('openai', async () => {
  const server = await startFakeOpenAI();
  return {
    provider: new OpenAIProvider({ baseURL: server.url, apiKey: 'sk-test', model: 'gpt-test', embeddingModel: 'embed-test' }),
    server,
    expectedObject,
    close: server.close,
  };
});

runProviderContract('openrouter', async () => {
  const server = await startFakeOpenAI();
  return { provider: createOpenRouterProvider({ baseURL: server.url, apiKey: 'or-test' }), server, expectedObject, close: server.close };
});

runProviderContract('anthropic', async () => {
  const server = await startFakeAnthropic();
  return { provider: new AnthropicProvider({ baseURL: server.url, apiKey: 'ant-test' }), server, expectedObject, close: server.close };
});

runProviderContract('ollama', async () => {
  const server = await startFakeOllama();
  return { provider: new OllamaProvider({ host: server.url, model: 'llama-test', embeddingModel: 'embed-test' }), server, expectedObject, close: server.close };
});

it('openai asks embeddings as base64 and sends the key as a Bearer token; openrouter adds its headers', async () => {
  const server = await startFakeOpenAI();
  try {
    await new OpenAIProvider({ baseURL: server.url, apiKey: 'sk-test' }).embed(['x']);
    expect(server.requests[0].path).toBe('/v1/embeddings');
    expect(server.requests[0].body.encoding_format).toBe('base64');
    expect(server.requests[0].headers.authorization).toBe('Bearer sk-test');
    await createOpenRouterProvider({ baseURL: server.url, apiKey: 'or-test' }).generateText({ messages: [{ role: 'user', content: 'hi' }] });
    expect(server.requests[1].headers['x-title']).toBe('Chronicle');
    expect(server.requests[1].headers['http-referer']).toBeTruthy();
    expect(server.requests[1].body.model).toBe('openai/gpt-4o');
  } finally {
    await server.close();
  }
});

it('anthropic sends system text apart, max_tokens, and the key', async () => {
  const server = await startFakeAnthropic();
  try {
    await new AnthropicProvider({ baseURL: server.url, apiKey: 'ant-test', model: 'claude-test' }).generateText({
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
      ],
      maxTokens: 99,
    });
    const req = server.requests[0];
    expect(req.path).toBe('/v1/messages');
    expect(req.body).toMatchObject({ model: 'claude-test', system: 'be brief', max_tokens: 99, messages: [{ role: 'user', content: 'hi' }] });
    expect(req.headers['x-api-key']).toBe('ant-test');
  } finally {
    await server.close();
  }
});

it('ollama passes the JSON schema as format and options through', async () => {
  const server = await startFakeOllama();
  try {
    const p = new OllamaProvider({ host: server.url, model: 'm' });
    await p.generateText({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 7, stopSequences: ['\n'] });
    expect(server.requests[0].body).toMatchObject({ model: 'm', stream: false, options: { num_predict: 7, stop: ['\n'] } });
    const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'number' } }, required: ['name', 'age'] };
    await p.generateObject({ messages: [{ role: 'user', content: 'hi' }], schema });
    expect(server.requests[1].body.format).toEqual(schema);
  } finally {
    await server.close();
  }
});
