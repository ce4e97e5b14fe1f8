/**
 * Seeded synthetic vectors for vector-search tests and benchmarks: the same data on every run.
 * mulberry32 for uniforms, Box–Muller for gaussians; points are unit vectors scattered around unit
 * cluster centres.
 */
export interface SeededRandom {
  rand(): number;
  gauss(): number;
}

export function seededRandom(seed: number): SeededRandom {
  let s = seed;
  const rand = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { rand, gauss: () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand()) };
}

/** v scaled to length 1 (a new array). */
export function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}

/**
 * A source of clustered unit vectors: `clusters` random unit centres, each point a centre plus
 * gaussian noise of standard deviation `sigma` per coordinate, normalised. Draws from `random`.
 */
export function clusteredPoints(o: { dims: number; clusters: number; sigma: number; random: SeededRandom }): () => Float32Array {
  const { rand, gauss } = o.random;
  const centres = Array.from({ length: o.clusters }, () => unit(Float32Array.from({ length: o.dims }, gauss)));
  return () => {
    const c = centres[Math.floor(rand() * o.clusters)];
    return unit(Float32Array.from({ length: o.dims }, (_, i) => c[i] + o.sigma * gauss()));
  };
}
