import { sep } from 'node:path';
import type { Character } from '../../characters/schema.ts';
import { characterSetting, openCharacterSecrets } from '../../characters/secrets.ts';
import { createPluginHost, type PluginHost } from '../../plugin-host/host.ts';
import { loadPlugins, PLUGINS_DIR, pluginSource } from '../../plugin-host/loader.ts';
import { scopedPlugin } from '../../plugin-host/process-errors.ts';
import { classifyRoutes } from '../../plugin-host/routes.ts';
import type { Plugin, ServiceInstance } from '../../plugin-host/types.ts';
import type { AgentContext, AgentContextDeps } from '../agent-contexts.ts';
import { ConnectorBridge } from '../connectors.ts';
import { ServiceManager, startableServices } from '../services.ts';
import { resolveNameClashes } from './name-clashes.ts';
import type { PluginFailureLog } from './plugin-failures.ts';
import { agentRuntime, serviceApi } from './runtimes.ts';
import { actorIds } from '../../domain/streams.ts';

/**
 * Builds an agent's context for one version of its character (`key`): its plugins loaded and
 * initialised (ElizaOS registerPlugin), name clashes resolved, its plugins' services started in
 * dependency order (waited for a bounded time), its routes classified. Failures are plugin.failed.
 */
export async function buildAgentContext(
  deps: AgentContextDeps,
  failures: PluginFailureLog,
  agentId: string,
  key: string,
  stored: Character,
): Promise<AgentContext> {
  // A copy: the actor's character is shared (and snapshotted), and plugins may write to runtime.character.
  const character = openCharacterSecrets(structuredClone(stored), deps.secrets);
  const prefer = deps.preferInstalled ?? [];
  const { plugins, failures: loadFailures, report, sources } = await loadPlugins(character.plugins ?? [], deps.pluginsDir, prefer, deps.shippedPlugins);
  deps.logger.debug('agent plugins loaded', { agentId, report });
  await failures.recordFailures(agentId, key, 'load', loadFailures);
  // A plugin the composition root gives every agent (e.g. a real @elizaos/plugin-bootstrap, named
  // "bootstrap") or an installed package the operator preferred replaces Chronicle's stand-in of its name.
  const { kept, dropped } = resolveNameClashes([deps.bootstrap, ...(deps.plugins ?? []), ...plugins], (p) => {
    if (deps.plugins?.includes(p)) return true;
    const name = sources.get(p);
    return name !== undefined && pluginSource(name, deps.pluginsDir, prefer).kind === 'package';
  });
  // Chronicle's own stand-in giving way to the real plugin is the choice that was asked for, not a failure.
  const clashes = dropped.filter((d) => d.plugin !== deps.bootstrap);
  for (const d of clashes) {
    const name = sources.get(d.plugin) ?? d.plugin.name;
    const line = report.find((r) => r.name === name);
    if (line) Object.assign(line, { status: 'dropped', detail: d.why });
    else report.push({ name, status: 'dropped', detail: d.why });
  }
  await failures.recordFailures(
    agentId,
    key,
    'load',
    clashes.map((d) => ({ name: sources.get(d.plugin) ?? d.plugin.name, error: `dropped: ${d.why}` })),
  );

  const services = new ServiceManager({
    runtime: () => runtime,
    idPrefix: actorIds.servicesOf(agentId),
    logger: deps.logger,
    inspect: deps.inspect,
    restartBaseMs: deps.restartBaseMs ?? 200,
    restartMaxMs: deps.restartMaxMs ?? 30_000,
    onFailure: (type, error, restartInMs) => void failures.recordServiceFailure(agentId, services, type, error, restartInMs),
  });
  const connectors = new ConnectorBridge({ agentId, store: deps.store, readModel: deps.readModel, logger: deps.logger, runtime: () => runtime });
  const api = serviceApi(deps, services, connectors);
  const cache = new Map<string, unknown>();
  const registeredServices = new Map<string, ServiceInstance>();
  // Chronicle's own plugins (the bootstrap stand-in, plugins/*) are core code and are not scoped: an
  // error of theirs nobody caught is Chronicle's (process-errors.ts policy), and without a scoped
  // plugin Node never turns on the promise hooks AsyncLocalStorage needs (~5 % of a reply's CPU).
  const shipped = (p: Plugin) =>
    p === deps.bootstrap || (sources.has(p) && pluginSource(sources.get(p)!, deps.pluginsDir, prefer).dir?.startsWith(PLUGINS_DIR + sep) === true);
  const scoped = kept.map((original) => ({ original, plugin: shipped(original) ? original : scopedPlugin(original, agentId) }));
  // What inits register (registerProvider, registerEvent …) is replayed onto the final host for the
  // plugins that are kept.
  const initHost = createPluginHost(scoped.map((s) => s.plugin));
  const registered: [string, Parameters<PluginHost['register']>[1]][] = [];
  const recordingHost: PluginHost = { ...initHost, register: (plugin, c) => (registered.push([plugin, c]), initHost.register(plugin, c)) };
  const runtimeOf = (host: PluginHost) => agentRuntime(deps, failures, { agentId, character, host, cache, registeredServices, api });
  let runtime = runtimeOf(recordingHost);

  // ElizaOS registerPlugin: init(config, runtime) first; a plugin whose init throws is left out.
  // Every plugin function runs in the plugin's scope, so errors nobody catches are attributed to it.
  const ready: Plugin[] = [];
  const initFailures: { name: string; error: string }[] = [];
  for (const { original, plugin } of scoped) {
    if (plugin.init) {
      // The character's settings, else the plugin's own default: never the server's environment
      // (a `settings:*` grant would otherwise hand a plugin ADMIN_PASSWORD or JWT_SECRET).
      const config = Object.fromEntries(Object.entries(plugin.config ?? {}).map(([k, v]) => [k, String(characterSetting(character, k) ?? v ?? '')]));
      try {
        await plugin.init(config, runtime.forPlugin(plugin.name));
      } catch (err) {
        const error = `init failed: ${(err as Error)?.message ?? String(err)}`;
        initFailures.push({ name: plugin.name, error });
        const line = report.find((r) => r.name === sources.get(original));
        if (line) Object.assign(line, { status: 'failed', detail: error });
        continue;
      }
    }
    ready.push(plugin);
  }
  await failures.recordFailures(agentId, key, 'init', initFailures);
  const host = createPluginHost(ready);
  for (const [plugin, c] of registered) if (ready.some((p) => p.name === plugin)) host.register(plugin, c);
  // Services, routes and later calls see the final host (the components of the plugins kept).
  runtime = runtimeOf(host);

  const routes: AgentContext['routes'] = { mounted: [], refused: [] };
  for (const p of host.plugins) {
    const r = classifyRoutes(p.name, p.routes);
    routes.mounted.push(...r.mounted);
    routes.refused.push(...r.refused);
  }

  // The character's plugins' services run per agent; the built-in and system-level plugins' services
  // run once, system-wide (ServiceManager in system.ts), and are found by getService as a fallback.
  const own = new Set(kept.filter((p) => sources.has(p)).map((p) => p.name));
  const { startable, dropped: noDeps } = startableServices(host.services().filter((s) => own.has(s.plugin)));
  await failures.recordFailures(
    agentId,
    key,
    'service',
    noDeps.map((d) => ({ name: d.plugin, error: d.reason })),
  );
  const started = services.start(startable).catch(async (err) => {
    // A dependency cycle: nothing of this agent's services starts; the agent still answers.
    await failures.recordFailures(agentId, key, 'service', [{ name: startable.map((s) => s.plugin).join(', '), error: (err as Error).message }]);
  });
  // Turns wait for the services a bounded time (a slow one keeps starting in the background).
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([started, new Promise<void>((resolve) => (waited = setTimeout(resolve, deps.serviceStartWaitMs ?? 10_000)))]);
  clearTimeout(waited);
  return { character, host, services, connectors, plugins: report, routes, runtime, cache, registeredServices };
}
