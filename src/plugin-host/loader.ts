import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkPluginShape } from './host.ts';
import { isolation } from './isolation/defaults.ts';
import { startIsolatedPlugin, type IsolatedPlugin } from './isolation/isolated-plugin.ts';
import { inProcessPluginFile } from './isolation/child-bundle.ts';
import { registerPluginFolder } from './process-errors.ts';
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
const REPO_ROOT = resolve(PLUGINS_DIR, '..');
const PACKAGE_NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;

/** The folder of an installed npm package (the working directory's node_modules, then Chronicle's), if any. */
export function installedPackageDir(name: string): string | undefined {
  if (!PACKAGE_NAME.test(name)) return undefined;
  for (const base of [process.cwd(), REPO_ROOT]) {
    const dir = join(base, 'node_modules', name);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

/** Whether the operator asked for the installed package over Chronicle's stand-in (PLUGINS_PREFER_INSTALLED). */
export const prefersInstalled = (name: string, prefer: readonly string[] = []) => prefer.includes('*') || prefer.includes(name);

/**
 * Which implementation a plugin name runs, and why — the plugins section of the agent's answer:
 *   stand-in          Chronicle's own plugins/<x> (or the operator's PLUGINS_DIR) for @elizaos/plugin-x
 *   provided-by-core  Chronicle's core does the job (log, model registry, knowledge); nothing loads
 *   package           the npm package (sandboxed, or in process when PLUGINS_TRUSTED names it), e.g. an installed @elizaos/plugin-x the
 *                     operator prefers (PLUGINS_PREFER_INSTALLED), or any other package name
 */
export function pluginSource(
  name: string,
  dir = PLUGINS_DIR,
  prefer: readonly string[] = [],
): { kind: 'stand-in' | 'provided-by-core' | 'package'; dir?: string; why: string } {
  const local = localPluginDir(name, dir);
  const installed = installedPackageDir(name);
  if (installed && (local || PROVIDED_BY_CORE.has(name)) && prefersInstalled(name, prefer))
    return { kind: 'package', dir: installed, why: 'the installed package, preferred over the stand-in (PLUGINS_PREFER_INSTALLED)' };
  const hint = installed ? `; set PLUGINS_PREFER_INSTALLED=${name} to run the installed package instead` : '';
  if (local) return { kind: 'stand-in', dir: local, why: `${name.startsWith('@') ? "Chronicle's stand-in" : 'a trusted local plugin'} in ${local}${hint}` };
  if (PROVIDED_BY_CORE.has(name))
    return { kind: 'provided-by-core', why: `Chronicle's core does this job (the log, the model registry, knowledge), nothing to load${hint}` };
  return { kind: 'package', dir: installed, why: installed ? `the npm package in ${installed}` : 'an npm package' };
}

/**
 * The plugins that ship in plugins/, by folder name, each imported through the program's own module
 * graph (handed in by the composition root, plugins/built-in.ts). The compiled program is one bundle:
 * importing plugins/<name>/index.js from dist/'s per-file tree instead would load second copies of the
 * core modules a plugin imports (a second ModelError class, say), beside the bundle's.
 */
export type ShippedPlugins = Readonly<Record<string, () => Promise<Record<string, unknown>>>>;

/**
 * Resolves one plugin name (see pluginSource). `null` means "provided by core, nothing to load".
 * Throws PluginLoadError with a reason a person can act on.
 */
/** True when this process loads TypeScript itself (tests, tsx); false when it runs the compiled dist/. */
const RUNS_TYPESCRIPT = import.meta.url.endsWith('.ts');

export function loadPlugin(name: string, dir = PLUGINS_DIR, prefer: readonly string[] = [], shipped: ShippedPlugins = {}): Promise<Plugin | null> {
  const key = `${dir}\u0000${name}\u0000${prefersInstalled(name, prefer)}`;
  let p = cache.get(key);
  if (isolatedByKey.get(key)?.status === 'stopped') {
    isolatedByKey.delete(key);
    p = undefined;
  }
  if (!p) {
    p = doLoad(name, dir, prefer, key, shipped);
    cache.set(key, p);
    // A failure is not cached forever: the package may be installed later.
    p.catch(() => cache.delete(key));
  }
  return p;
}

async function doLoad(name: string, dir: string, prefer: readonly string[], key: string, shipped: ShippedPlugins): Promise<Plugin | null> {
  const source = pluginSource(name, dir, prefer);
  if (source.kind === 'provided-by-core') return null;
  const local = source.kind === 'stand-in' ? source.dir : undefined;
  let mod: Record<string, unknown>;
  try {
    const fromProgram = local && dirname(local) === PLUGINS_DIR ? shipped[basename(local)] : undefined;
    if (fromProgram) {
      mod = await fromProgram();
    } else if (local) {
      const file = existsSync(join(local, 'index.ts')) ? join(local, 'index.ts') : join(local, 'index.js');
      // Errors raised outside any plugin call (module-level timers, emitters) are attributed by folder.
      registerPluginFolder(name, local);
      if (file.endsWith('.ts') && !RUNS_TYPESCRIPT) {
        const bundled = await inProcessPluginFile(file);
        registerPluginFolder(name, bundled.folder);
        mod = (await import(pathToFileURL(bundled.file).href)) as Record<string, unknown>;
      } else {
        mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      }
    } else {
      if (!PACKAGE_NAME.test(name)) throw new PluginLoadError(name, `"${name}" is not a valid plugin or npm package name`);
      if (isolation.trusted.has(name)) {
        // The operator vouched for it (PLUGINS_TRUSTED): in process, like plugins/, with full access.
        if (source.dir) registerPluginFolder(name, source.dir);
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

/** One line of the plugins section of an agent's answer. */
export interface PluginReport {
  name: string;
  status: 'loaded' | 'stand-in' | 'provided-by-core' | 'not-installed' | 'failed' | 'dropped';
  detail: string;
}

/**
 * Loads every named plugin; failures are collected, never thrown, so one bad plugin cannot stop an
 * agent. `report` says, per name, what runs and why (or why nothing does).
 */
export async function loadPlugins(
  names: readonly string[],
  dir = PLUGINS_DIR,
  prefer: readonly string[] = [],
  shipped: ShippedPlugins = {},
): Promise<{ plugins: Plugin[]; failures: { name: string; error: string }[]; report: PluginReport[]; sources: Map<Plugin, string> }> {
  const plugins: Plugin[] = [];
  const failures: { name: string; error: string }[] = [];
  const report: PluginReport[] = [];
  const sources = new Map<Plugin, string>();
  for (const name of names) {
    const source = pluginSource(name, dir, prefer);
    try {
      const p = await loadPlugin(name, dir, prefer, shipped);
      if (p) plugins.push(p), sources.set(p, name);
      report.push({ name, status: source.kind === 'package' ? 'loaded' : source.kind, detail: source.why });
    } catch (err) {
      const error = (err as Error).message;
      failures.push({ name, error });
      report.push({ name, status: /is not installed/.test(error) ? 'not-installed' : 'failed', detail: error });
    }
  }
  return { plugins, failures, report, sources };
}
