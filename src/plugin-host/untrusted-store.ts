import type { AppendOptions } from '../events/envelope.ts';
import type { EventStore } from '../events/store.ts';

/** Append options a plugin's append may carry: everything but `trusted`. */
export type UntrustedAppendOptions = Omit<AppendOptions, 'trusted'>;

/** A store whose appends cannot skip validation, whatever options reach it. */
export type UntrustedEventStore = Omit<EventStore, 'append'> & {
  append(stream: string, events: Parameters<EventStore['append']>[1], options?: UntrustedAppendOptions): ReturnType<EventStore['append']>;
};

/**
 * The store as anything acting for a plugin holds it (the ElizaOS runtime's memories, rooms and
 * entities; connectors). Every plugin is treated as an attacker: the options it could hand over are
 * rebuilt from the fields a plugin append may carry, so `trusted` never reaches the store and every
 * event a plugin causes is validated in full (docs/DESIGN.md, "Where appends are validated"). The
 * rebuild is by allow-list, so an option added to AppendOptions later is dropped here until someone
 * decides a plugin may pass it.
 */
export function untrustedStore(store: EventStore | UntrustedEventStore): UntrustedEventStore {
  if (wrapped.has(store)) return store as UntrustedEventStore;
  const inner = store as EventStore;
  const facade = new Proxy(inner, {
    get(target, key) {
      if (key === 'append')
        return (stream: string, events: Parameters<EventStore['append']>[1], options?: unknown) => target.append(stream, events, allowed(options));
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as UntrustedEventStore;
  wrapped.add(facade);
  return facade;
}

const wrapped = new WeakSet<object>();

function allowed(options: unknown): UntrustedAppendOptions {
  if (typeof options !== 'object' || options === null) return {};
  const { expectedVersion, claim } = options as UntrustedAppendOptions;
  return { ...(expectedVersion !== undefined ? { expectedVersion } : {}), ...(claim !== undefined ? { claim } : {}) };
}
