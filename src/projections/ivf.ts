/**
 * Inverted-file cells for one big vector scope: k-means centroids and nearest-cell lookup, in plain JS.
 *
 * Used by VectorIndex to split a big scope into cells (bench/RESULTS-vectors.md). Everything here is a pure
 * function of its inputs in their given order — no clock, no Math.random — because the cells are meant to
 * live in the read DB, which must come out identical from an incremental projection and a full rebuild.
 * Vectors are assumed unit length (the embedders' output), so cosine ranking is dot-product ranking.
 */

/** Dot product; the loop is unrolled by 4 because assignment runs it cells × dims times per insert. */
export function dot(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return s0 + s1 + s2 + s3;
}

function normalised(v: Float64Array | Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  n = Math.sqrt(n) || 1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}

/** Indices of the `nprobe` centroids closest to `v`, closest first; ties go to the lower index. */
export function nearestCells(centroids: readonly Float32Array[], v: Float32Array, nprobe: number): number[] {
  const k = Math.min(nprobe, centroids.length);
  const best: { cell: number; score: number }[] = [];
  for (let c = 0; c < centroids.length; c++) {
    const score = dot(centroids[c], v);
    if (best.length === k && score <= best[k - 1].score) continue;
    if (best.length === k) best.pop();
    let at = best.length;
    while (at > 0 && best[at - 1].score < score) at--;
    best.splice(at, 0, { cell: c, score });
  }
  return best.map((b) => b.cell);
}

export interface TrainOptions {
  cells: number;
  /** Lloyd iterations; a fixed count (not "until stable") keeps the stall bounded and predictable. */
  iterations?: number;
}

/**
 * Spherical k-means over `sample` (in its given order). Initial centroids are evenly spaced sample
 * points rather than random ones, so the result depends on the sample alone; an empty cell keeps its
 * previous centroid. Sums are accumulated in float64 in sample order, so the same sample always gives
 * bit-identical centroids.
 */
export function trainCentroids(sample: readonly Float32Array[], opts: TrainOptions): Float32Array[] {
  const cells = Math.min(opts.cells, sample.length);
  if (cells === 0) return [];
  const dims = sample[0].length;
  const step = sample.length / cells;
  let centroids = Array.from({ length: cells }, (_, c) => normalised(sample[Math.floor(c * step)]));
  for (let iter = 0; iter < (opts.iterations ?? 6); iter++) {
    const sums = Array.from({ length: cells }, () => new Float64Array(dims));
    const counts = new Int32Array(cells);
    for (let i = 0; i < sample.length; i++) {
      const v = sample[i];
      const c = nearestCells(centroids, v, 1)[0];
      counts[c]++;
      const sum = sums[c];
      for (let d = 0; d < dims; d++) sum[d] += v[d];
    }
    centroids = sums.map((sum, c) => (counts[c] ? normalised(sum) : centroids[c]));
  }
  return centroids;
}
