/**
 * Hybrid retrieval helpers: turning free text into a safe FTS5 query, reciprocal-rank fusion of the
 * vector and BM25 rankings (the order), and a relevance score in [0, 1] for each fused result (how
 * good a match it is, so callers can set a threshold; RRF numbers cannot say that).
 */

/** RRF's damping constant (the value from Cormack et al., also used by most hybrid-search engines). */
export const RRF_K = 60;

/** Share of the relevance score taken by the vector side when the query had a vector. */
export const VECTOR_WEIGHT = 0.7;
/**
 * BM25 (FTS5's bm25(), sign flipped) at which the lexical side scores 0.5: about one rare query word
 * matched once in a chunk of average length. Common words (in half the rows or more) add ~nothing.
 */
export const BM25_HALF = 1;

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

/** A vector hit (cosine distance, 0 = same direction) and a lexical hit (FTS5 bm25(), lower = better). */
export interface VectorCandidate {
  id: number;
  distance: number;
}
export interface LexicalCandidate {
  id: number;
  bm25: number;
}

/**
 * Hybrid results in RRF order (vector ranking first, as before), each scored in [0, 1]:
 * VECTOR_WEIGHT × cosine similarity (clamped at 0; 0 when not among the vector hits) +
 * (1 − VECTOR_WEIGHT) × saturated BM25 (b / (b + BM25_HALF)). With no vector side the score is the
 * lexical part alone. The order is unchanged by the score; the score says how good each match is.
 */
export function fuseHybrid(
  vector: readonly VectorCandidate[] | undefined,
  lexical: readonly LexicalCandidate[] | undefined,
  k: number,
): { id: number; score: number }[] {
  const rankings: number[][] = [];
  if (vector) rankings.push(vector.map((h) => h.id));
  if (lexical) rankings.push(lexical.map((h) => h.id));
  const similarity = new Map(vector?.map((h) => [h.id, Math.max(0, Math.min(1, 1 - h.distance))]));
  const bm25 = new Map(lexical?.map((h) => [h.id, Math.max(0, -h.bm25)]));
  const vectorWeight = vector && vector.length > 0 ? VECTOR_WEIGHT : 0;
  return reciprocalRankFusion(rankings, k).map(({ id }) => {
    const b = bm25.get(id) ?? 0;
    const score = vectorWeight * (similarity.get(id) ?? 0) + (1 - vectorWeight) * (b / (b + BM25_HALF));
    return { id, score: Math.max(0, Math.min(1, score)) };
  });
}
