import { int8DotWasm } from './int8-dot.wasm.ts';

/**
 * An in-memory copy of one big vector scope, searched by a full scan instead of sqlite-vec.
 *
 * Why: sqlite-vec's float search is exact but scans ~50–150 ms per 100k vectors of 512 dimensions here, and
 * cell-based approximate search (the IVF tried in session 2) needed to probe a third to a half of the cells
 * to reach recall 0.95 on real sentence embeddings. This keeps every vector twice: as int8 codes scanned by
 * a WebAssembly SIMD kernel (~6 ms per 100k × 512), and as floats to re-rank the best candidates exactly.
 * The result is exact except when the true top n falls outside the int8 top `candidates` (see the tests
 * and bench/RESULTS-vectors.md for measured recall). The mirror is a cache of the vec0 table: the
 * VectorIndex writes both, drops the mirror when a transaction rolls back, and can always reload it.
 */

const kernel = new WebAssembly.Module(Buffer.from(int8DotWasm, 'base64'));
const PAGE = 65_536;
const align = (n: number, to: number) => Math.ceil(n / to) * to;

export interface ScanHit {
  rowid: number;
  /** Cosine distance, as sqlite-vec reports it (1 − cosine similarity). */
  distance: number;
}

export class ScopeMirror {
  /** Row length of the codes: dims rounded up to the kernel's 32-byte step, zero-padded. */
  readonly stride: number;
  private count = 0;
  private capacity = 0;
  private rowids = new Float64Array(0);
  private readonly slotOf = new Map<number, number>();
  private floats = new Float32Array(0);
  private norms = new Float32Array(0);
  private memory!: WebAssembly.Memory;
  /** Views of the WebAssembly memory (made once per grow: making a view per row cost more than the row). */
  private codes = new Int8Array(0);
  private scales = new Float32Array(0);
  private scoresFn!: (q: number, codes: number, scales: number, n: number, stride: number, out: number) => void;
  private quantizeFn!: (src: number, dst: number, n: number, k: number) => void;
  /** Byte offsets: query codes at 0, then a float row to quantize from, scales, scores, codes. */
  private layout = { scratch: 0, scales: 0, out: 0, codes: 0 };
  private scratch = new Float32Array(0);

  constructor(
    readonly dims: number,
    initialCapacity = 1024,
  ) {
    this.stride = align(dims, 32);
    this.grow(Math.max(16, initialCapacity));
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held (codes, scales, floats, norms, rowids), for the cache budget. */
  get bytes(): number {
    return ScopeMirror.bytesFor(this.dims, this.capacity);
  }

  static bytesFor(dims: number, rows: number): number {
    return rows * (align(dims, 32) + 4 + 4 + dims * 4 + 4 + 8);
  }

  has(rowid: number): boolean {
    return this.slotOf.has(rowid);
  }

  /** Inserts or replaces the vector of a rowid. */
  set(rowid: number, vector: Float32Array): void {
    if (vector.length !== this.dims) throw new Error(`vector of ${vector.length} dimensions in a ${this.dims}-dimension mirror`);
    let slot = this.slotOf.get(rowid);
    if (slot === undefined) {
      if (this.count === this.capacity) this.grow(this.capacity * 2);
      slot = this.count++;
      this.slotOf.set(rowid, slot);
      this.rowids[slot] = rowid;
    }
    this.write(slot, vector);
  }

  delete(rowid: number): void {
    const slot = this.slotOf.get(rowid);
    if (slot === undefined) return;
    this.slotOf.delete(rowid);
    const last = --this.count;
    if (slot !== last) {
      // Move the last row into the hole so the scan stays one dense range.
      const moved = this.rowids[last];
      this.rowids[slot] = moved;
      this.slotOf.set(moved, slot);
      this.floats.copyWithin(slot * this.dims, last * this.dims, (last + 1) * this.dims);
      this.norms[slot] = this.norms[last];
      this.codes.copyWithin(slot * this.stride, last * this.stride, (last + 1) * this.stride);
      this.scales[slot] = this.scales[last];
    }
  }

  /**
   * The `n` nearest rows by cosine distance, nearest first (ties by rowid): the int8 scan picks
   * `candidates` rows, which are then ranked by their exact float distance.
   */
  search(query: Float32Array, n: number, candidates = Math.max(4 * n, 200)): ScanHit[] {
    if (n <= 0 || this.count === 0) return [];
    const qn = norm(query);
    const { scales, out, codes } = this.layout;
    this.quantize(query, qn, 0);
    this.scoresFn(0, codes, scales, this.count, this.stride, out);
    const scores = new Float32Array(this.memory.buffer, out, this.count);
    const slots = topSlots(scores, Math.min(this.count, candidates));
    const hits: ScanHit[] = new Array(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      const denom = qn * this.norms[s];
      hits[i] = { rowid: this.rowids[s], distance: denom === 0 ? 1 : 1 - dotAt(query, this.floats, s * this.dims) / denom };
    }
    hits.sort((a, b) => a.distance - b.distance || a.rowid - b.rowid);
    return hits.length > n ? hits.slice(0, n) : hits;
  }

  private write(slot: number, vector: Float32Array): void {
    this.floats.set(vector, slot * this.dims);
    const n = norm(vector);
    this.norms[slot] = n;
    this.scales[slot] = this.quantize(vector, n, this.layout.codes + slot * this.stride);
  }

  /**
   * Writes v / |v| as int8 at byte `at`, scaled so its largest component is ±127; returns the factor that
   * turns an int8 dot product back into (a multiple of) cosine similarity. A zero vector gets zero codes
   * and factor 0. The rounding runs in WebAssembly (see int8-dot.wat).
   */
  private quantize(v: Float32Array, n: number, at: number): number {
    let max = 0;
    for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]));
    this.scratch.set(v); // the padding after dims stays zero: every row and query has the same dims
    const k = n === 0 || max === 0 ? 0 : 127 / max;
    this.quantizeFn(this.layout.scratch, at, this.stride, k);
    return k === 0 ? 0 : max / (127 * n);
  }

  /** Moves everything into a bigger WebAssembly memory (a new instance: the module is tiny and compiled once). */
  private grow(capacity: number): void {
    const scratch = align(this.stride, 64);
    const scales = scratch + align(this.stride * 4, 64);
    const out = scales + align(capacity * 4, 64);
    const codes = out + align(capacity * 4, 64);
    const memory = new WebAssembly.Memory({ initial: Math.ceil((codes + capacity * this.stride) / PAGE) });
    if (this.memory) {
      new Float32Array(memory.buffer, scales, capacity).set(new Float32Array(this.memory.buffer, this.layout.scales, this.count));
      new Uint8Array(memory.buffer, codes, capacity * this.stride).set(new Uint8Array(this.memory.buffer, this.layout.codes, this.count * this.stride));
    }
    const instance = new WebAssembly.Instance(kernel, { env: { memory } });
    this.scoresFn = instance.exports.scores as typeof this.scoresFn;
    this.quantizeFn = instance.exports.quantize as typeof this.quantizeFn;
    this.memory = memory;
    this.layout = { scratch, scales, out, codes };
    this.scratch = new Float32Array(memory.buffer, scratch, this.dims);
    this.codes = new Int8Array(memory.buffer, codes, capacity * this.stride);
    this.scales = new Float32Array(memory.buffer, scales, capacity);
    this.rowids = copyInto(new Float64Array(capacity), this.rowids);
    this.norms = copyInto(new Float32Array(capacity), this.norms);
    this.floats = copyInto(new Float32Array(capacity * this.dims), this.floats);
    this.capacity = capacity;
  }
}

function copyInto<T extends Float32Array | Float64Array>(target: T, source: T): T {
  target.set(source.subarray(0, Math.min(source.length, target.length)) as never);
  return target;
}

function norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function dotAt(q: Float32Array, floats: Float32Array, at: number): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) s += q[i] * floats[at + i];
  return s;
}

/** Slots of the `k` highest scores (any order): a min-heap of size k over one pass. */
function topSlots(scores: Float32Array, k: number): Int32Array {
  const heapSlot = new Int32Array(k);
  const heapScore = new Float32Array(k);
  let size = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (size < k) {
      let at = size++;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (heapScore[parent] <= s) break;
        heapScore[at] = heapScore[parent];
        heapSlot[at] = heapSlot[parent];
        at = parent;
      }
      heapScore[at] = s;
      heapSlot[at] = i;
    } else if (s > heapScore[0]) {
      let at = 0;
      for (;;) {
        const l = 2 * at + 1;
        if (l >= k) break;
        const c = l + 1 < k && heapScore[l + 1] < heapScore[l] ? l + 1 : l;
        if (heapScore[c] >= s) break;
        heapScore[at] = heapScore[c];
        heapSlot[at] = heapSlot[c];
        at = c;
      }
      heapScore[at] = s;
      heapSlot[at] = i;
    }
  }
  return heapSlot.subarray(0, size);
}
