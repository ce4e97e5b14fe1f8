import { expect, it } from 'vitest';
import { loadPlugin } from '../../src/plugin-host/loader.ts';

it('characters listing the ElizaOS model plugins still load: each folder exports a plugin descriptor', async () => {
  for (const name of ['@elizaos/plugin-openai', '@elizaos/plugin-anthropic', '@elizaos/plugin-ollama', 'local']) {
    const p = await loadPlugin(name);
    expect(p?.name).toBe(name.replace('@elizaos/plugin-', ''));
    expect(p?.actions ?? []).toEqual([]);
  }
});
