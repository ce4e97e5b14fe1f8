import { setMostRecent } from '../../shared/recent-map.ts';

/**
 * `getCache`/`setCache`: an explicitly ephemeral store per agent, in memory, gone on restart.
 *
 * Why not the log: what ElizaOS plugins cache is derived and re-fetchable (API responses, computed
 * summaries, tokens with an expiry, "already processed" markers that their memories make durable
 * anyway); writing it as events would make the log grow with data nothing replays, and would put
 * provider tokens into an append-only store. What must last is a memory (memories.ts), which is an event.
 * Values are copied in and out (structuredClone), as if they crossed a worker boundary; the oldest
 * keys go first beyond MAX_KEYS.
 */
const MAX_KEYS = 10_000;

export function cacheMethods(cache: Map<string, unknown>) {
  return {
    async getCache<T>(key: string): Promise<T | undefined> {
      return cache.has(key) ? (structuredClone(cache.get(key)) as T) : undefined;
    },
    async setCache<T>(key: string, value: T): Promise<boolean> {
      setMostRecent(cache, key, structuredClone(value), MAX_KEYS);
      return true;
    },
    async deleteCache(key: string): Promise<boolean> {
      return cache.delete(key);
    },
  };
}
