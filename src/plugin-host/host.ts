import type { Action, Evaluator, ModelHandler, Plugin, PluginEventHandler, Provider, ServiceClass } from './types.ts';

/**
 * The components an agent's plugins contribute, in ElizaOS registration order. This is the seam for
 * isolation: an in-process host holds the objects; a worker-thread host (later) would hold proxies
 * with the same shape whose calls cross a message port.
 */
export interface PluginHost {
  readonly plugins: readonly Plugin[];
  actions(): readonly Action[];
  providers(): readonly Provider[];
  evaluators(): readonly Evaluator[];
  services(): readonly { plugin: string; service: ServiceClass }[];
  /** ElizaOS name matching: exact → similes → fuzzy (case and punctuation insensitive). */
  findAction(name: string): Action | undefined;
  /** The highest-priority handler for a model type, if any plugin registered one. */
  modelHandler(type: string): { plugin: string; handler: ModelHandler } | undefined;
  /** The plugin a component came from (for plugin.failed events). */
  pluginOf(component: Action | Provider | Evaluator): string;
  /** Event handlers registered for an ElizaOS-style event name, with their plugin. */
  eventHandlers(event: string): readonly { plugin: string; handler: PluginEventHandler }[];
  /**
   * ElizaOS runtime.register*: components a plugin adds while running (in its init, its service). They
   * join this agent's lists as if the plugin had declared them, until the agent's context is rebuilt.
   */
  register(
    plugin: string,
    component:
      | { action: Action }
      | { provider: Provider }
      | { evaluator: Evaluator }
      | { event: string; handler: PluginEventHandler }
      | { model: string; handler: ModelHandler; priority?: number },
  ): void;
}

const norm = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '');

export function createPluginHost(plugins: readonly Plugin[]): PluginHost {
  // ElizaOS skips a plugin whose name is already registered.
  const unique: Plugin[] = [];
  const seen = new Set<string>();
  for (const p of plugins) {
    if (seen.has(p.name)) continue;
    seen.add(p.name);
    unique.push(p);
  }
  const owner = new Map<object, string>();
  const actions: Action[] = [];
  const providers: Provider[] = [];
  const evaluators: Evaluator[] = [];
  const services: { plugin: string; service: ServiceClass }[] = [];
  const models = new Map<string, { plugin: string; handler: ModelHandler; priority: number; order: number }[]>();
  const events = new Map<string, { plugin: string; handler: PluginEventHandler }[]>();
  let order = 0;
  const addEvent = (plugin: string, name: string, handler: unknown) => {
    if (typeof handler !== 'function') return;
    const list = events.get(name) ?? [];
    list.push({ plugin, handler: handler as PluginEventHandler });
    events.set(name, list);
  };
  const addModel = (plugin: string, type: string, handler: ModelHandler, priority: number) => {
    const list = models.get(type) ?? [];
    list.push({ plugin, handler, priority, order: order++ });
    list.sort((a, b) => b.priority - a.priority || a.order - b.order);
    models.set(type, list);
  };
  const byPosition = () => providers.sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  // A provider named like one registered before replaces it: state is keyed by provider name, so two
  // of one name would overwrite each other's data. Plugins come after Chronicle's stand-in bootstrap, so
  // a real plugin's KNOWLEDGE (plugin-knowledge) or RECENT_MESSAGES takes the place of Chronicle's.
  const addProvider = (plugin: string, pr: Provider) => {
    const i = providers.findIndex((x) => x.name === pr.name);
    if (i >= 0) providers.splice(i, 1);
    providers.push(pr);
    owner.set(pr, plugin);
  };
  for (const p of unique) {
    for (const [name, handlers] of Object.entries(p.events ?? {})) for (const handler of handlers ?? []) addEvent(p.name, name, handler);
    for (const a of p.actions ?? []) actions.push(a), owner.set(a, p.name);
    for (const pr of p.providers ?? []) addProvider(p.name, pr);
    for (const e of p.evaluators ?? []) evaluators.push(e), owner.set(e, p.name);
    for (const s of p.services ?? []) services.push({ plugin: p.name, service: s });
    for (const [type, handler] of Object.entries(p.models ?? {})) if (handler) addModel(p.name, type, handler, p.priority ?? 0);
  }
  byPosition();

  return {
    plugins: unique,
    actions: () => actions,
    providers: () => providers,
    evaluators: () => evaluators,
    services: () => services,
    findAction(name) {
      const n = norm(name);
      if (!n) return undefined;
      return (
        actions.find((a) => norm(a.name) === n) ??
        actions.find((a) => (a.similes ?? []).some((s) => norm(s) === n)) ??
        actions.find((a) => norm(a.name).includes(n) || n.includes(norm(a.name)))
      );
    },
    modelHandler(type) {
      const first = models.get(type)?.[0];
      return first && { plugin: first.plugin, handler: first.handler };
    },
    pluginOf: (c) => owner.get(c) ?? 'unknown',
    eventHandlers: (event) => events.get(event) ?? [],
    register(plugin, c) {
      // A component registered twice (an init run again) is kept once, like ElizaOS's name check.
      if ('action' in c) {
        if (!actions.some((a) => a.name === c.action.name)) actions.push(c.action), owner.set(c.action, plugin);
      } else if ('provider' in c) {
        if (!providers.includes(c.provider)) addProvider(plugin, c.provider), byPosition();
      } else if ('evaluator' in c) {
        if (!evaluators.some((e) => e.name === c.evaluator.name)) evaluators.push(c.evaluator), owner.set(c.evaluator, plugin);
      } else if ('event' in c) {
        if (!(events.get(c.event) ?? []).some((h) => h.handler === c.handler)) addEvent(plugin, c.event, c.handler);
      } else if (!(models.get(c.model) ?? []).some((h) => h.handler === c.handler)) addModel(plugin, c.model, c.handler, c.priority ?? 0);
    },
  };
}

/** A plugin object must at least have a name and a description; components must have their functions. */
export function checkPluginShape(value: unknown): { ok: true; plugin: Plugin } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  if (value === null || typeof value !== 'object') return { ok: false, problems: ['not an object'] };
  const p = value as Record<string, unknown>;
  if (typeof p.name !== 'string' || !p.name) problems.push('name: must be a non-empty string');
  if (p.description !== undefined && typeof p.description !== 'string') problems.push('description: must be a string');
  const list = (key: string, check: (x: Record<string, unknown>) => string | undefined) => {
    if (p[key] === undefined) return;
    if (!Array.isArray(p[key])) return void problems.push(`${key}: must be an array`);
    (p[key] as unknown[]).forEach((x, i) => {
      const why = x && typeof x === 'object' ? check(x as Record<string, unknown>) : 'must be an object';
      if (why) problems.push(`${key}[${i}]: ${why}`);
    });
  };
  // Actions and evaluators have the same shape: a name, a handler and a validate.
  const handlerWithValidate = (a: Record<string, unknown>) =>
    typeof a.name !== 'string'
      ? 'name missing'
      : typeof a.handler !== 'function'
        ? 'handler must be a function'
        : typeof a.validate !== 'function'
          ? 'validate must be a function'
          : undefined;
  list('actions', handlerWithValidate);
  list('providers', (a) => (typeof a.name !== 'string' ? 'name missing' : typeof a.get !== 'function' ? 'get must be a function' : undefined));
  list('evaluators', handlerWithValidate);
  if (p.services !== undefined) {
    if (!Array.isArray(p.services)) problems.push('services: must be an array');
    else
      (p.services as unknown[]).forEach((s, i) => {
        const svc = s as Record<string, unknown> | undefined;
        if (!svc || typeof svc.serviceType !== 'string' || typeof svc.start !== 'function')
          problems.push(`services[${i}]: needs static serviceType and start()`);
      });
  }
  if (problems.length) return { ok: false, problems };
  // The module's own object when it is complete, so the same plugin loaded twice is the same object.
  return { ok: true, plugin: (typeof p.description === 'string' ? p : { ...p, description: '' }) as unknown as Plugin };
}
