import type { InspectionEvent } from 'xstate';
import { silentLogger } from '../shared/logger.ts';
import { createInspectionHub, startStatelyInspector } from './inspect.ts';
import { ChronicleActorSystem } from './system.ts';
import type { ActorSystem, ActorSystemDeps } from './types.ts';

export type { ActorNode, ActorSettings, ActorSystem, ActorSystemDeps, Embedder, EphemeralEvent, ModelSource } from './types.ts';
export { DEFAULT_ACTOR_SETTINGS } from './system.ts';
export { ServiceStartError, startOrder } from './services.ts';

export interface ActorSystemWithInspection extends ActorSystem {
  /** XState's inspection API: every actor event, snapshot and transition, live. Returns an unsubscribe. */
  inspect(observer: (event: InspectionEvent) => void): () => void;
  /** The inspection relay's address when settings.inspect is on and it started. */
  inspectorUrl(): string | undefined;
  /** An agent's plugins as loaded: the plugins report, mounted/refused routes, runtime (plugin routes use it). */
  agentPlugins(agentId: string): ReturnType<ChronicleActorSystem['agentPlugins']>;
}

/**
 * Creates the actor system (see src/actors/system.ts). With settings.inspect (INSPECT=true) it also
 * starts an inspection relay for @statelyai/inspect on 127.0.0.1:(settings.inspectPort ?? 8787).
 */
export function createActorSystem(deps: ActorSystemDeps & { settings?: ActorSystemDeps['settings'] & { inspectPort?: number } }): ActorSystemWithInspection {
  const hub = createInspectionHub();
  const system = new ChronicleActorSystem({ ...deps, inspect: hub.inspect });
  let stopInspector: (() => Promise<void>) | undefined;
  let url: string | undefined;
  return {
    ephemeral$: system.ephemeral$.asObservable(),
    graph: () => system.graph(),
    idle: () => system.idle(),
    recordPluginError: (owner, component, error) => system.recordPluginError(owner, component, error),
    agentPlugins: (agentId) => system.agentPlugins(agentId),
    inspect: (observer) => hub.add(observer),
    inspectorUrl: () => url,
    async start() {
      if (deps.settings?.inspect && !stopInspector) {
        try {
          const stately = await startStatelyInspector(deps.settings.inspectPort ?? 8787, deps.logger ?? silentLogger);
          hub.add(stately.inspect);
          stopInspector = stately.stop;
          url = `ws://127.0.0.1:${stately.port}`;
        } catch (err) {
          (deps.logger ?? silentLogger).warn('could not start the XState inspector', { error: String(err) });
        }
      }
      await system.start();
    },
    async stop() {
      await system.stop();
      await stopInspector?.();
      stopInspector = undefined;
      url = undefined;
    },
  };
}
