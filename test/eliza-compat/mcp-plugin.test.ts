import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import mcpPlugin from '@elizaos/plugin-mcp';
import type { Plugin } from '../../src/plugin-host/types.ts';
import type { ElizaRuntime } from '../../src/plugin-host/eliza-runtime/index.ts';
import type { GenerateObjectParams, ModelProvider } from '../../src/models/provider.ts';
import { FakeModel } from '../actors/support/fake-models.ts';
import { elizaWorld, type ElizaWorld } from './support.ts';

let world: ElizaWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const SERVER = fileURLToPath(new URL('../fixtures/mcp-server/forecast-server.mjs', import.meta.url));

/**
 * The model's side of plugin-mcp's CALL_MCP_TOOL: the turn picks the action, the tool-selection prompt
 * gets the server and tool, the argument prompt the city, and the final prompt (which carries the
 * tool's output) a sentence built from that output — so the reply proves the tool ran.
 */
function scriptedModel(): FakeModel {
  const model = new FakeModel('fake', (p) => {
    const text = p.messages.map((m) => m.content).join('\n');
    if (/Forecast for Paris: sunny, 21C/.test(text)) return 'MCP says Paris is sunny at 21C.';
    if (/toolInputSchema|toolArguments/.test(text)) return JSON.stringify({ toolArguments: { city: 'Paris' }, reasoning: 'the user asked about Paris' });
    if (/serverName/.test(text)) return JSON.stringify({ serverName: 'forecast', toolName: 'get_forecast', reasoning: 'weather question' });
    if (/weather in Paris/.test(text)) return '<response><actions>CALL_MCP_TOOL</actions><text>Let me check.</text></response>';
    return 'hi';
  });
  // plugin-mcp's retry path asks OBJECT_LARGE: answer with the same JSON the text path gives.
  (model as ModelProvider).generateObject = async (params: GenerateObjectParams) => {
    const text = params.messages.map((m) => m.content).join('\n');
    const object = /toolArguments|toolInputSchema/.test(text) ? { toolArguments: { city: 'Paris' } } : { serverName: 'forecast', toolName: 'get_forecast' };
    return { object, model: 'fake-object', usage: { promptTokens: 1, completionTokens: 1 } };
  };
  return model;
}

describe('@elizaos/plugin-mcp, unchanged', () => {
  it('its service connects to a stdio MCP server from the character settings and CALL_MCP_TOOL calls the tool in a chat turn', async () => {
    const seen: { runtime?: ElizaRuntime } = {};
    const probe: Plugin = { name: 'probe', description: 'keeps the runtime', init: (_c, rt) => void (seen.runtime = rt as ElizaRuntime) };
    world = await elizaWorld({
      plugins: [mcpPlugin as unknown as Plugin, probe],
      model: scriptedModel(),
      settings: { mcp: { servers: { forecast: { type: 'stdio', command: process.execPath, args: [SERVER] } } } },
    });
    await world.chat('hello'); // loads and initialises the agent's plugins (the service starts and connects)
    const service = seen.runtime!.getService<{ getServers(): { name: string; status: string; tools?: { name: string }[] }[] }>('mcp')!;
    expect(service).not.toBeNull();
    for (let i = 0; i < 100 && !service.getServers().some((s) => s.status === 'connected'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(service.getServers().map((s) => [s.name, s.status, s.tools?.map((t) => t.name)])).toEqual([['forecast', 'connected', ['get_forecast']]]);

    const reply = await world.chat('What is the weather in Paris? Use your forecast tool.');
    expect(reply).toContain('MCP says Paris is sunny at 21C.');
    const action = (await world.events('action.completed')).find((e) => e.data.action === 'CALL_MCP_TOOL')!;
    expect(action.data.success).toBe(true);
    // plugin-mcp stores its answer with createMemory(…, 'messages'): a memory.created event on the agent's stream.
    const stored = (await world.events('memory.created')).filter((e) => e.data.table === 'messages');
    expect(stored.map((e) => String(e.data.content.text))).toContain('MCP says Paris is sunny at 21C.');
    expect(await world.events('plugin.failed')).toEqual([]);
  });
});
