/**
 * Hybrid retrieval helpers: turning free text into a safe FTS5 query, and reciprocal-rank fusion of the
 * vector and BM25 rankings.
 */

/** RRF's damping constant (the value from Cormack et al., also used by most hybrid-search engines). */
export const RRF_K = 60;

/**
 * Free text → FTS5 query: each word quoted (so user input can never be FTS syntax), OR-ed, so any
 * matching word counts and BM25 ranks documents matching more (and rarer) words higher.
 */
export function ftsQuery(text: string, maxTerms = 32): string | undefined {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  if (!words) return undefined;
  const unique = [...new Set(words)].slice(0, maxTerms);
  return unique.map((w) => `"${w}"`).join(' OR ');
}

/** Fuses rankings (each best first) by reciprocal rank: score = Σ 1 / (RRF_K + rank). */
export function reciprocalRankFusion(rankings: readonly (readonly number[])[], k: number): { id: number; score: number }[] {
  const scores = new Map<number, number>();
  for (const ranking of rankings) {
    ranking.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + 1 / (RRF_K + i + 1)));
  }
  return [...scores.entries()]
    .map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || a.id - b.id)
    .slice(0, k);
}
