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
      if (!byType.has(dep)) throw new ServiceStartError(`service "${s.service.serviceType}" (plugin ${s.plugin}) depends on "${dep}", which no plugin provides`);
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

export interface ServiceManagerOptions {
  runtime: () => PluginRuntime;
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
            instance.onError?.((err) => this.actors.get(type)?.actor.send({ type: 'FAILED', error: err.message }));
          }),
          stopService: fromPromise(async () => {
            const instance = this.instances.get(type);
            this.instances.delete(type);
            await instance?.stop();
            await service.stop?.(this.options.runtime());
          }),
        },
        actions: {
          reportFailure: (_, params) => {
            this.instances.delete(type);
            this.options.onFailure(type, params.error, params.restartInMs);
          },
        },
      });
      const { actor } = spawnActor({ machine, input: { serviceType: type, baseMs: this.options.restartBaseMs, maxMs: this.options.restartMaxMs }, inspect: this.options.inspect, id: `service-${type}` });
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

  /** Reports a failure of a running service (for supervisors and tests). */
  fail(type: string, error: string): void {
    this.actors.get(type)?.actor.send({ type: 'FAILED', error });
  }

  nodes(): { id: string; state: string }[] {
    return [...this.actors.entries()].map(([type, { actor }]) => ({ id: `service-${type}`, state: stateName(actor) }));
  }
}
