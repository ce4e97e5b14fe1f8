import { describe, expect, it } from 'vitest';
import { dot, nearestCells, trainCentroids } from '../../src/projections/ivf.js';
import { clusteredPoints, seededRandom, unit } from '../support/clustered-vectors.ts';

function clustered(n: number, dims: number, clusters: number, noise: number, seed: number): Float32Array[] {
  const point = clusteredPoints({ dims, clusters, sigma: noise / Math.sqrt(dims), random: seededRandom(seed) });
  return Array.from({ length: n }, point);
}

const exactTop = (data: Float32Array[], q: Float32Array, k: number) =>
  data.map((v, i) => ({ i, s: dot(v, q) })).sort((a, b) => b.s - a.s).slice(0, k).map((h) => h.i);

describe('IVF cells', () => {
  it('nearestCells ranks by dot product, closest first, lower index on ties', () => {
    const cs = [Float32Array.of(1, 0), Float32Array.of(0, 1), Float32Array.of(1, 0), Float32Array.of(-1, 0)];
    expect(nearestCells(cs, Float32Array.of(1, 0), 3)).toEqual([0, 2, 1]);
    expect(nearestCells(cs, Float32Array.of(-1, 0), 1)).toEqual([3]);
    expect(nearestCells(cs, Float32Array.of(0, 1), 10)).toHaveLength(4);
  });

  it('training is a pure function of the sample: same sample, bit-identical centroids', () => {
    const data = clustered(600, 32, 12, 1, 7);
    const a = trainCentroids(data, { cells: 16 });
    const b = trainCentroids(data.map((v) => new Float32Array(v)), { cells: 16 });
    expect(a.map((c) => Buffer.from(c.buffer).toString('hex'))).toEqual(b.map((c) => Buffer.from(c.buffer).toString('hex')));
  });

  it('probing the nearest cells finds recall@10 >= 0.95 of exact search on clustered data', () => {
    const data = clustered(3000, 64, 30, 1, 42);
    const centroids = trainCentroids(data.slice(0, 1000), { cells: 32 });
    const members = centroids.map(() => [] as number[]);
    data.forEach((v, i) => members[nearestCells(centroids, v, 1)[0]].push(i));
    const queries = Array.from({ length: 40 }, (_, i) => data[(i * 73) % data.length]).map((v, i) => {
      const { gauss } = seededRandom(1000 + i);
      return unit(v.map((x) => x + 0.05 * gauss()));
    });
    let recall = 0;
    for (const q of queries) {
      const cand = nearestCells(centroids, q, 4).flatMap((c) => members[c]);
      const got = cand.map((i) => ({ i, s: dot(data[i], q) })).sort((a, b) => b.s - a.s).slice(0, 10).map((h) => h.i);
      const truth = exactTop(data, q, 10);
      recall += got.filter((i) => truth.includes(i)).length / 10;
    }
    expect(recall / queries.length).toBeGreaterThanOrEqual(0.95);
  });
});
