/**
 * Sets `key` as the most recent entry of `map` (a Map iterates in insertion order) and drops the
 * oldest entries beyond `max`: the one bounded least-recently-used map, for caches and bounded records.
 */
export function setMostRecent<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}
