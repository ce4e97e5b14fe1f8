import { setMostRecent } from '../shared/recent-map.ts';

/** A bounded map that forgets the least recently used entry (Map keeps insertion order). */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(readonly capacity: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    setMostRecent(this.map, key, value, this.capacity);
  }

  get size(): number {
    return this.map.size;
  }
}
