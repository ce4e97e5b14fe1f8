import type { EventStore } from '../../events/store.ts';
import type { PluginFailure } from '../../plugin-host/eliza-runtime/index.ts';
import { derivedId, newId } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ServiceManager } from '../services.ts';
import { streams } from '../../domain/streams.ts';

/** Plugin failures outside a turn (load, init, services, event handlers) as plugin.failed events. */
export class PluginFailureLog {
  constructor(private readonly deps: { store: EventStore; logger: Logger }) {}

  /** A plugin's failure at run time (a service, an error nobody caught): each occurrence is an event. */
  async recordPluginError(agentId: string | undefined, plugin: string, component: string, error: string): Promise<void> {
    await this.deps.store
      .append(agentId ? streams.agent(agentId) : streams.system, [
        {
          id: newId(),
          type: 'plugin.failed' as const,
          data: { plugin, ...(agentId ? { agentId } : {}), component, error: error.slice(0, 1000) },
          meta: { author: { kind: 'system' as const, id: 'system' } },
        },
      ])
      .catch((err) => this.deps.logger.warn('could not record plugin failure', { agentId, plugin, error: String(err) }));
  }

  /** plugin.failed events, with ids derived from the character version so a retry does not repeat them. */
  async recordFailures(
    agentId: string,
    characterKey: string,
    component: 'load' | 'init' | 'service',
    failures: { name: string; error: string }[],
  ): Promise<void> {
    if (failures.length === 0) return;
    await this.deps.store
      .append(
        streams.agent(agentId),
        failures.map((f) => ({
          id: derivedId(agentId, `plugin-${component}`, characterKey, f.name),
          type: 'plugin.failed' as const,
          data: { plugin: f.name, agentId, component, error: f.error },
          meta: { author: { kind: 'system' as const, id: 'system' } },
        })),
      )
      .catch((err) => this.deps.logger.warn('could not record plugin failure', { agentId, error: String(err) }));
  }

  async recordServiceFailure(agentId: string, services: ServiceManager, type: string, error: string, restartInMs?: number): Promise<void> {
    const plugin = services.states().find((s) => s.type === type)?.plugin ?? 'unknown';
    await this.recordPluginError(
      agentId,
      plugin,
      `service:${type}`,
      restartInMs !== undefined ? `${error} (restarting in ${Math.round(restartInMs)} ms)` : error,
    );
  }

  /** A plugin failure outside a turn (an event handler, a provider of composeState): plugin.failed. */
  async recordPluginFailure(agentId: string, f: PluginFailure): Promise<void> {
    this.deps.logger.warn('plugin failed outside a turn', { agentId, ...f });
    await this.recordPluginError(agentId, f.plugin, f.component, f.error);
  }
}
