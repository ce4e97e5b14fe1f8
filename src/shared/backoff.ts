/**
 * The one exponential backoff: after the n-th failure in a row wait base, 2×base, 4×base … capped at
 * max. Supervised actors (system.machine.ts), services (service.machine.ts) and log followers
 * (src/events/follower.ts) restart after it.
 */
export function backoffMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}
