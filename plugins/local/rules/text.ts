/** Small text utilities for the rules generator: words, stems, overlap scores, deterministic picks. */
import { createHash } from 'node:crypto';

const STOP = new Set(
  'a an the and or but if of to in on at by for with from as is are was were be been being am do does did have has had i me my mine you your yours he she it its we our they them their this that these those what which who whom whose when where why how can could would should will shall may might must not no yes so than then there here about into over under up down out just also very too please tell know like get got'.split(
    ' ',
  ),
);

export function words(text: string): string[] {
  return (
    text
      .toLowerCase()
      .normalize('NFKC')
      .match(/[\p{L}\p{N}']+/gu) ?? []
  );
}

/** Crude suffix stripping: enough for "writers" ≈ "writer", "explains" ≈ "explain". */
export function stem(w: string): string {
  return w.replace(/'s$/, '').replace(/(ing|ed|es|s)$/, (m, _g, i: number) => (i >= 3 ? '' : m));
}

export function contentTerms(text: string): Set<string> {
  return new Set(
    words(text)
      .filter((w) => !STOP.has(w) && w.length > 1)
      .map(stem),
  );
}

/** Share of the query's content terms found in the candidate (0..1). */
export function coverage(query: Set<string>, candidate: Set<string>): number {
  if (query.size === 0) return 0;
  let hit = 0;
  for (const t of query) if (candidate.has(t)) hit++;
  return hit / query.size;
}

/** Symmetric overlap (Dice) over content terms, falling back to all words for stop-word-only texts. */
export function similarity(a: string, b: string): number {
  let x = contentTerms(a);
  let y = contentTerms(b);
  if (x.size === 0 || y.size === 0) {
    x = new Set(words(a));
    y = new Set(words(b));
  }
  if (x.size === 0 || y.size === 0) return 0;
  let hit = 0;
  for (const t of x) if (y.has(t)) hit++;
  return (2 * hit) / (x.size + y.size);
}

export function sentences(text: string): string[] {
  return (text.replace(/\s+/g, ' ').match(/[^.!?]+[.!?]*/g) ?? []).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Picks one of several phrasings from the input's hash: varied, yet the same input gives the same answer. */
export function pick<T>(options: readonly T[], seed: string): T {
  const h = createHash('sha256').update(seed).digest();
  return options[h.readUInt32BE(0) % options.length];
}

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
