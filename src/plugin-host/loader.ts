import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkPluginShape } from './host.ts';
import { isolation } from './isolation/defaults.ts';
import { startIsolatedPlugin, type IsolatedPlugin } from './isolation/isolated-plugin.ts';
import type { Plugin } from './types.ts';

/** plugins/ at the repository root: trusted plugins that ship with Chronicle and run in-process. */
export const PLUGINS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../plugins');

/**
 * ElizaOS plugin names whose job Chronicle's core already does (the log replaces plugin-sql, the model
 * registry replaces the model-provider plugins, knowledge ingestion is built in). A character naming
 * them loads unchanged; they contribute nothing extra.
 */
export const PROVIDED_BY_CORE = new Set([
  '@elizaos/plugin-sql',
  '@elizaos/plugin-openai',
  '@elizaos/plugin-anthropic',
  '@elizaos/plugin-openrouter',
  '@elizaos/plugin-ollama',
  '@elizaos/plugin-local-ai',
  '@elizaos/plugin-local-embedding',
  '@elizaos/plugin-knowledge',
  '@elizaos/plugin-google-genai',
  '@elizaos/plugin-groq',
]);

/**
 * "@elizaos/plugin-bootstrap" and "bootstrap" both mean plugins/bootstrap. A custom directory is
 * searched first, then Chronicle's own plugins/.
 */
export function localPluginDir(name: string, dir = PLUGINS_DIR): string | undefined {
  const short = name.replace(/^@elizaos\/plugin-/, '').replace(/^plugin-/, '');
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(short)) return undefined;
  for (const base of dir === PLUGINS_DIR ? [dir] : [dir, PLUGINS_DIR]) {
    const candidate = join(base, short);
    if (existsSync(join(candidate, 'index.ts')) || existsSync(join(candidate, 'index.js'))) return candidate;
  }
  return undefined;
}

export class PluginLoadError extends Error {
  override readonly name = 'PluginLoadError';
  constructor(
    readonly plugin: string,
    message: string,
  ) {
    super(message);
  }
}

const cache = new Map<string, Promise<Plugin | null>>();
/** The isolated plugins behind cached proxies: a stopped one (server shutdown) is started afresh. */
const isolatedByKey = new Map<string, IsolatedPlugin>();

/**
 * Resolves one plugin name: a local plugins/<name> folder first, then an npm package. `null` means
 * "provided by core, nothing to load". Throws PluginLoadError with a reason a person can act on.
 */
export function loadPlugin(name: string, dir = PLUGINS_DIR): Promise<Plugin | null> {
  const key = `${dir}\u0000${name}`;
  let p = cache.get(key);
  if (isolatedByKey.get(key)?.status === 'stopped') {
    isolatedByKey.delete(key);
    p = undefined;
  }
  if (!p) {
    p = doLoad(name, dir, key);
    cache.set(key, p);
    // A failure is not cached forever: the package may be installed later.
    p.catch(() => cache.delete(key));
  }
  return p;
}

async function doLoad(name: string, dir: string, key: string): Promise<Plugin | null> {
  const local = localPluginDir(name, dir);
  if (!local && PROVIDED_BY_CORE.has(name)) return null;
  let mod: Record<string, unknown>;
  try {
    if (local) {
      const file = existsSync(join(local, 'index.ts')) ? join(local, 'index.ts') : join(local, 'index.js');
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } else {
      if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name)) throw new PluginLoadError(name, `"${name}" is not a valid plugin or npm package name`);
      if (isolation.trusted.has(name)) {
        // The operator vouched for it (PLUGINS_TRUSTED): in process, like plugins/, with full access.
        mod = (await import(name)) as Record<string, unknown>;
      } else {
        // Third-party code: an npm package runs in its own sandboxed child process behind the same Plugin shape.
        const isolated = await startIsolatedPlugin({
          entry: name,
          kind: 'package',
          grants: isolation.ledger.source,
          limits: isolation.limits,
          onFailure: (f) => isolation.onFailure(f),
          protectedPaths: isolation.protectedPaths,
          allowWeak: isolation.allowWeak,
        });
        isolatedByKey.set(key, isolated);
        return isolated.plugin;
      }
    }
  } catch (err) {
    if (err instanceof PluginLoadError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      throw new PluginLoadError(name, `plugin "${name}" is not installed (no plugins/${name} folder and no npm package of that name)`);
    throw new PluginLoadError(name, `plugin "${name}" failed to load: ${(err as Error).message ?? String(err)}`);
  }
  const candidate = mod.default ?? mod.plugin ?? Object.values(mod).find((v) => v && typeof v === 'object' && 'name' in (v as object));
  const shape = checkPluginShape(candidate);
  if (!shape.ok) throw new PluginLoadError(name, `plugin "${name}" does not export an ElizaOS plugin: ${shape.problems.join('; ')}`);
  return shape.plugin;
}

/** Loads every named plugin; failures are collected, never thrown, so one bad plugin cannot stop an agent. */
export async function loadPlugins(names: readonly string[], dir = PLUGINS_DIR): Promise<{ plugins: Plugin[]; failures: { name: string; error: string }[] }> {
  const plugins: Plugin[] = [];
  const failures: { name: string; error: string }[] = [];
  for (const name of names) {
    try {
      const p = await loadPlugin(name, dir);
      if (p) plugins.push(p);
    } catch (err) {
      failures.push({ name, error: (err as Error).message });
    }
  }
  return { plugins, failures };
}
