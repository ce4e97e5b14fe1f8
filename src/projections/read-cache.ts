import type { Projection } from './projection.ts';

/** Entries per group before the group is simply emptied (a bound, not an LRU: these tables are small). */
const MAX_ENTRIES = 10_000;

/**
 * Read-through cache for the read model's point lookups of rarely changing tables (accounts, rooms,
 * agents, facts, knowledge documents). Each group belongs to one projection and is emptied whenever the
 * projector has applied an event that projection handles, so a read after a write never sees the old
 * row. Why: every SQLite statement costs 10–40 µs in the busy server (read-transaction locks and cold
 * caches), and a reply read the same room, agent and "no facts" answers on every turn.
 * Cached values are frozen: they are shared by every caller.
 */
export class ReadCache {
  private readonly groups = new Map<string, Map<string, unknown>>();
  /** Event type → the cached groups (projection names) it invalidates. */
  private readonly invalidates = new Map<string, string[]>();

  constructor(projections: readonly Projection[], cachedProjections: readonly string[]) {
    for (const p of projections) {
      if (!cachedProjections.includes(p.name)) continue;
      this.groups.set(p.name, new Map());
      for (const type of p.handles) this.invalidates.set(type, [...(this.invalidates.get(type) ?? []), p.name]);
    }
  }

  get<T>(group: string, key: string, load: () => T): T {
    const entries = this.groups.get(group);
    if (!entries) return load();
    if (entries.has(key)) return entries.get(key) as T;
    const value = deepFreeze(load());
    if (entries.size >= MAX_ENTRIES) entries.clear();
    entries.set(key, value);
    return value;
  }

  /** Called after the projector has committed these events. */
  applied(events: readonly { type: string }[]): void {
    for (const e of events) {
      const groups = this.invalidates.get(e.type);
      if (groups) for (const g of groups) this.groups.get(g)!.clear();
    }
  }

  /** Everything goes (the read tables were reset for a rebuild). */
  clear(): void {
    for (const entries of this.groups.values()) entries.clear();
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
