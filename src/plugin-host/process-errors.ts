import { AsyncLocalStorage } from 'node:async_hooks';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../shared/logger.ts';
import type { Plugin, ServiceClass } from './types.ts';

/**
 * Who caused an error nobody caught. Every call into a plugin (init, service start/stop, actions,
 * providers, evaluators, model and event handlers) runs inside `pluginScope` with the plugin's name,
 * and Node carries that context into every promise, timer and callback the plugin creates from there
 * (AsyncLocalStorage), so a rejection nobody awaits or a throw inside a setTimeout is still
 * attributed when it reaches `process.on('unhandledRejection' | 'uncaughtException')`. Code that ran
 * outside any scope (a module's top level, an event emitter the plugin created before) is matched by
 * the stack: a frame inside a folder registered for the plugin names it.
 *
 * Policy (README "Coming from ElizaOS"): a plugin's error is recorded (plugin.failed) and the server
 * keeps serving; an error from Chronicle's own code (first non-Node frame under src/ or plugins/
 * shipped with Chronicle, outside any plugin scope) ends the process with code 1, as Node would —
 * its state may be inconsistent, and the log lets a restart resume; anything else (a library's
 * frame, no stack) is logged and the server keeps serving.
 */

export interface PluginOwner {
  plugin: string;
  agentId?: string;
}

export const pluginScope = new AsyncLocalStorage<PluginOwner>();

/** Runs fn (and everything it schedules) as the plugin's own code. */
export function runAsPlugin<T>(owner: PluginOwner, fn: () => T): T {
  return pluginScope.run(owner, fn);
}

const SRC_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Chronicle's own code: src/ (dist/src/ compiled), and dist/bundle/, where the compiled program runs (scripts/build-server.mjs). */
const CORE_DIRS = [SRC_DIR, resolve(SRC_DIR, '..', 'bundle')].map((d) => d + sep);
/** Folders whose code belongs to one plugin (a package folder, a plugins/<name> folder): stack fallback. */
const pluginFolders = new Map<string, string>();

export function registerPluginFolder(plugin: string, folder: string): void {
  pluginFolders.set(resolve(folder) + sep, plugin);
}

export type ErrorOrigin = { kind: 'plugin'; owner: PluginOwner; by: 'scope' | 'stack' } | { kind: 'core' } | { kind: 'unknown' };

const framePaths = (stack: string): string[] =>
  stack
    .split('\n')
    .slice(1)
    .map((line) => /\(?((?:file:\/\/)?\/[^():]+)(?::\d+){0,2}\)?\s*$/.exec(line)?.[1])
    .filter((p): p is string => !!p)
    .map((p) => (p.startsWith('file://') ? fileURLToPath(p) : p));

/** Attributes an error: the plugin scope it was raised in, else a plugin folder on its stack, else core or unknown. */
export function attributeError(error: unknown): ErrorOrigin {
  const owner = pluginScope.getStore();
  if (owner) return { kind: 'plugin', owner, by: 'scope' };
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  const frames = framePaths(stack);
  for (const frame of frames)
    for (const [folder, plugin] of pluginFolders) if (frame.startsWith(folder)) return { kind: 'plugin', owner: { plugin }, by: 'stack' };
  const first = frames.find((f) => !f.includes(`${sep}node_modules${sep}`));
  if (first && CORE_DIRS.some((d) => first.startsWith(d))) return { kind: 'core' };
  return { kind: 'unknown' };
}

export interface ProcessErrorOptions {
  logger: Logger;
  /** Records a plugin's error (plugin.failed); must not throw. */
  onPluginError(owner: PluginOwner, component: 'unhandledRejection' | 'uncaughtException', error: string): void;
  /** What happens to the process on a core error (default: exit 1 after logging). */
  onCoreError?(error: unknown): void;
}

let installed: (() => void) | undefined;

/**
 * Installs the process-level handlers once (a second call replaces the first). Returns the uninstall.
 * The same plugin error repeated is recorded at most once a minute (a plugin failing in a tight timer
 * must not flood the log); every occurrence is still logged at debug.
 */
export function installProcessErrorHandlers(options: ProcessErrorOptions): () => void {
  installed?.();
  const lastRecorded = new Map<string, number>();
  const handle = (component: 'unhandledRejection' | 'uncaughtException') => (error: unknown) => {
    const origin = attributeError(error);
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (origin.kind === 'plugin') {
      const key = `${origin.owner.agentId ?? ''}\u0000${origin.owner.plugin}\u0000${message}`;
      const now = Date.now();
      options.logger.warn('plugin error caught at process level; the server keeps serving', {
        plugin: origin.owner.plugin,
        agentId: origin.owner.agentId,
        component,
        error: message,
        attributedBy: origin.by,
      });
      if ((lastRecorded.get(key) ?? -Infinity) > now - 60_000) return;
      lastRecorded.set(key, now);
      if (lastRecorded.size > 1000) lastRecorded.delete(lastRecorded.keys().next().value!);
      try {
        options.onPluginError(origin.owner, component, `${component}: ${message}`.slice(0, 1000));
      } catch {
        /* recording must never turn into a second uncaught error */
      }
      return;
    }
    const stack = error instanceof Error ? error.stack : undefined;
    if (origin.kind === 'unknown') {
      options.logger.error(`${component} from no known plugin (not Chronicle's code either); the server keeps serving`, { error: message, stack });
      return;
    }
    options.logger.error(`${component} in Chronicle's own code; exiting so a restart resumes from the log`, { error: message, stack });
    (options.onCoreError ?? (() => process.exit(1)))(error);
  };
  const onRejection = handle('unhandledRejection');
  const onException = handle('uncaughtException');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  const uninstall = () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
    if (installed === uninstall) installed = undefined;
  };
  installed = uninstall;
  return uninstall;
}

/**
 * The plugin with every function it hands Chronicle wrapped to run in its scope. A new object (the
 * original is shared between agents and must not change); service classes become ServiceClass
 * records whose start/stop run in scope and whose instances are the plugin's own.
 */
export function scopedPlugin(plugin: Plugin, agentId?: string): Plugin {
  const owner: PluginOwner = { plugin: plugin.name, ...(agentId ? { agentId } : {}) };
  const wrap = <F extends (...args: never[]) => unknown>(fn: F): F => ((...args: Parameters<F>) => pluginScope.run(owner, () => fn(...args))) as F;
  const methods = <T extends object>(item: T, keys: readonly string[]): T => {
    const copy = { ...item } as Record<string, unknown>;
    for (const k of keys) if (typeof copy[k] === 'function') copy[k] = wrap((copy[k] as (...a: never[]) => unknown).bind(item));
    return copy as T;
  };
  return {
    ...plugin,
    ...(plugin.init ? { init: wrap(plugin.init.bind(plugin)) } : {}),
    ...(plugin.actions ? { actions: plugin.actions.map((a) => methods(a, ['validate', 'handler'])) } : {}),
    ...(plugin.providers ? { providers: plugin.providers.map((p) => methods(p, ['get'])) } : {}),
    ...(plugin.evaluators ? { evaluators: plugin.evaluators.map((e) => methods(e, ['validate', 'handler'])) } : {}),
    ...(plugin.models ? { models: Object.fromEntries(Object.entries(plugin.models).map(([k, h]) => [k, h && wrap(h)])) } : {}),
    ...(plugin.events
      ? { events: Object.fromEntries(Object.entries(plugin.events).map(([k, hs]) => [k, (hs ?? []).map((h) => (typeof h === 'function' ? wrap(h) : h))])) }
      : {}),
    ...(plugin.services ? { services: plugin.services.map((s) => scopedService(s, owner)) } : {}),
  };
}

function scopedService(service: ServiceClass, owner: PluginOwner): ServiceClass {
  return {
    serviceType: service.serviceType,
    ...(service.dependencies ? { dependencies: service.dependencies } : {}),
    start: (runtime) => pluginScope.run(owner, () => service.start(runtime)),
    ...(service.stop ? { stop: (runtime) => pluginScope.run(owner, () => service.stop!(runtime)) } : {}),
  };
}
