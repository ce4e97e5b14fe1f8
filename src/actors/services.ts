import { fromPromise, type Actor } from 'xstate';
import type { PluginRuntime, ServiceClass, ServiceInstance } from '../plugin-host/types.ts';
import type { Logger } from '../shared/logger.ts';
import { serviceMachine } from './machines/service.machine.ts';
import { spawnActor, stateName, type Inspector } from './runtime.ts';

export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
}

/**
 * Orders services so each starts after its dependencies. A missing dependency or a cycle is a start-up
 * error naming the services involved (never a hang or a half-started system).
 */
export function startOrder(services: readonly { plugin: string; service: ServiceClass }[]): { plugin: string; service: ServiceClass }[] {
  const byType = new Map<string, { plugin: string; service: ServiceClass }>();
  for (const s of services) {
    if (byType.has(s.service.serviceType)) continue; // first registration wins, like ElizaOS
    byType.set(s.service.serviceType, s);
  }
  for (const s of byType.values())
    for (const dep of s.service.dependencies ?? [])
      if (!byType.has(dep))
        throw new ServiceStartError(`service "${s.service.serviceType}" (plugin ${s.plugin}) depends on "${dep}", which no plugin provides`);
  const order: { plugin: string; service: ServiceClass }[] = [];
  const mark = new Map<string, 'visiting' | 'done'>();
  const visit = (type: string, path: string[]) => {
    const m = mark.get(type);
    if (m === 'done') return;
    if (m === 'visiting') throw new ServiceStartError(`service dependency cycle: ${[...path.slice(path.indexOf(type)), type].join(' → ')}`);
    mark.set(type, 'visiting');
    const s = byType.get(type)!;
    for (const dep of s.service.dependencies ?? []) visit(dep, [...path, type]);
    mark.set(type, 'done');
    order.push(s);
  };
  for (const type of byType.keys()) visit(type, []);
  return order;
}

/**
 * Splits services into those that can start and those whose dependency no plugin provides (directly
 * or through another dropped one), each with the reason: one agent's missing dependency drops that
 * service, not the agent's other services.
 */
export function startableServices(services: readonly { plugin: string; service: ServiceClass }[]): {
  startable: { plugin: string; service: ServiceClass }[];
  dropped: { plugin: string; serviceType: string; reason: string }[];
} {
  let startable = [...services];
  const dropped: { plugin: string; serviceType: string; reason: string }[] = [];
  for (;;) {
    const types = new Set(startable.map((s) => s.service.serviceType));
    const missing = startable.filter((s) => (s.service.dependencies ?? []).some((d) => !types.has(d)));
    if (missing.length === 0) return { startable, dropped };
    for (const s of missing) {
      const dep = (s.service.dependencies ?? []).find((d) => !types.has(d));
      dropped.push({
        plugin: s.plugin,
        serviceType: s.service.serviceType,
        reason: `service "${s.service.serviceType}" depends on "${dep}", which no plugin of this agent provides (or it could not start)`,
      });
    }
    startable = startable.filter((s) => !missing.includes(s));
  }
}

export interface ServiceManagerOptions {
  runtime: () => PluginRuntime;
  /** Prefix of the service actors' ids (an agent's services: "agent-<id>-"). */
  idPrefix?: string;
  logger: Logger;
  inspect?: Inspector;
  onFailure(serviceType: string, error: string, restartInMs?: number): void;
  restartBaseMs: number;
  restartMaxMs: number;
}

/** Service actors: started in dependency order, stopped in reverse, restarted with backoff on failure. */
export class ServiceManager {
  private readonly actors = new Map<string, { actor: Actor<typeof serviceMachine>; plugin: string }>();
  private readonly instances = new Map<string, ServiceInstance>();
  private order: { plugin: string; service: ServiceClass }[] = [];
  private readonly waiting = new Map<string, ((instance: ServiceInstance) => void)[]>();

  constructor(private readonly options: ServiceManagerOptions) {}

  /** Throws ServiceStartError on a missing dependency or a cycle, before anything is started. */
  async start(services: readonly { plugin: string; service: ServiceClass }[]): Promise<void> {
    this.order = startOrder(services);
    for (const { plugin, service } of this.order) {
      const type = service.serviceType;
      const machine = serviceMachine.provide({
        actors: {
          startService: fromPromise(async () => {
            const instance = await service.start(this.options.runtime());
            this.instances.set(type, instance);
            for (const resolve of this.waiting.get(type) ?? []) resolve(instance);
            this.waiting.delete(type);
            instance.onError?.((err) => this.actors.get(type)?.actor.send({ type: 'FAILED', error: err.message }));
          }),
          stopService: fromPromise(async () => {
            const instance = this.instances.get(type);
            this.instances.delete(type);
            // ElizaOS stops the instance; the class's static stop (which @elizaos/core's Service base
            // makes throw "Not implemented") only when there is no instance to stop.
            if (instance) await instance.stop();
            else await service.stop?.(this.options.runtime());
          }),
        },
        actions: {
          reportFailure: (_, params) => {
            this.instances.delete(type);
            this.options.onFailure(type, params.error, params.restartInMs);
          },
        },
      });
      const { actor } = spawnActor({
        machine,
        input: { serviceType: type, baseMs: this.options.restartBaseMs, maxMs: this.options.restartMaxMs },
        inspect: this.options.inspect,
        id: `${this.options.idPrefix ?? ''}service-${type}`,
      });
      this.actors.set(type, { actor, plugin });
      actor.send({ type: 'START' });
      // Dependents wait until this one is up (or has failed once: it then retries on its own).
      await new Promise<void>((resolve) => {
        const sub = actor.subscribe((s) => {
          if (s.matches('running') || s.matches('failed') || s.matches('gaveUp')) {
            sub.unsubscribe();
            resolve();
          }
        });
      });
    }
  }

  /** Stops every service in reverse start order. */
  async stop(): Promise<void> {
    for (const { service } of [...this.order].reverse()) {
      const entry = this.actors.get(service.serviceType);
      if (!entry) continue;
      entry.actor.send({ type: 'STOP' });
      await new Promise<void>((resolve) => {
        const sub = entry.actor.subscribe((s) => {
          if (s.matches('stopped')) {
            sub.unsubscribe();
            resolve();
          }
        });
        if (entry.actor.getSnapshot().matches('stopped')) resolve();
      });
      entry.actor.stop();
    }
    this.actors.clear();
  }

  get(type: string): ServiceInstance | undefined {
    return this.instances.get(type);
  }

  /** Every running service with its type and plugin (ElizaOS getAllServices / getServicesByType). */
  running(): { type: string; plugin: string; instance: ServiceInstance }[] {
    return [...this.instances.entries()].map(([type, instance]) => ({ type, plugin: this.actors.get(type)?.plugin ?? 'unknown', instance }));
  }

  /** Whether a service of this type was registered (running or not). */
  has(type: string): boolean {
    return this.actors.has(type);
  }

  /**
   * ElizaOS getServiceLoadPromise: resolves with the instance once the service runs. Rejects at once
   * for a type no plugin registered, so a caller never waits for something that cannot come.
   */
  loadPromise(type: string): Promise<ServiceInstance> {
    const running = this.instances.get(type);
    if (running) return Promise.resolve(running);
    if (!this.actors.has(type) && !this.order.some((s) => s.service.serviceType === type))
      return Promise.reject(new Error(`no service "${type}" is registered`));
    return new Promise((resolve) => this.waiting.set(type, [...(this.waiting.get(type) ?? []), resolve]));
  }

  /** The states of the services, for status answers. */
  states(): { type: string; plugin: string; state: string }[] {
    return [...this.actors.entries()].map(([type, { actor, plugin }]) => ({ type, plugin, state: stateName(actor) }));
  }

  /** Reports a failure of a running service (for supervisors and tests). */
  fail(type: string, error: string): void {
    this.actors.get(type)?.actor.send({ type: 'FAILED', error });
  }

  nodes(): { id: string; state: string }[] {
    return [...this.actors.entries()].map(([type, { actor }]) => ({ id: `${this.options.idPrefix ?? ''}service-${type}`, state: stateName(actor) }));
  }
}
