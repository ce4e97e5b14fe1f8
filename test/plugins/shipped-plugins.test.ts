import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { shippedPlugins } from '../../plugins/built-in.ts';
import { checkPluginShape } from '../../src/plugin-host/host.ts';
import { loadPlugin } from '../../src/plugin-host/loader.ts';

// The composition root names every folder of plugins/, so the compiled program (one bundle) never
// falls back to importing a folder from dist/'s per-file tree (test/cli/one-module-graph.test.ts).
const pluginsDir = fileURLToPath(new URL('../../plugins', import.meta.url));

describe('the shipped plugins handed to the core', () => {
  it('are exactly the folders of plugins/, each an ElizaOS plugin', async () => {
    const folders = readdirSync(pluginsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(pluginsDir, d.name, 'index.ts')))
      .map((d) => d.name);
    expect(Object.keys(shippedPlugins).sort()).toEqual(folders.sort());
    for (const [name, load] of Object.entries(shippedPlugins)) {
      const mod = await load();
      expect(checkPluginShape(mod.default).ok, name).toBe(true);
    }
  });

  it('are what the loader returns for a stand-in of plugins/, not a fresh import of its folder', async () => {
    const marker = { name: 'bootstrap', description: 'the one the program imported' };
    const loaded = await loadPlugin('@elizaos/plugin-bootstrap', undefined, [], { bootstrap: async () => ({ default: marker }) });
    expect(loaded?.description).toBe(marker.description);
  });
});
