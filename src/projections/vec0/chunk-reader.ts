import type Database from 'better-sqlite3';

/**
 * Reads one partition of a vec0 table straight from its shadow tables, a slice of chunks at a time.
 *
 * Why not `SELECT rowid, embedding FROM t WHERE scope = ?`: vec0 answers that row by row (~25–50 µs a
 * row here, 2.4–5 s for 100k vectors, all in one call), and it has no way to resume part-way, so loading
 * a big scope into memory would stall the server. The chunk tables are keyed by chunk_id, so a slice
 * costs only its own rows and loading can yield between slices.
 *
 * This depends on sqlite-vec 0.1.x's storage layout (pinned in package.json): `<t>_chunks(chunk_id, size,
 * partition00, validity, rowids)` where validity is a bitmap (bit i of byte i/8, low bit first) of used
 * slots and rowids is `size` int64 LE; `<t>_vector_chunks00(rowid = chunk_id, vectors)` holding `size`
 * int8 vectors back to back (see VectorIndex: the read model keeps int8 codes). Rows come back as
 * their codes in a Float32Array, unscaled: cosine does not see the scale. test/projections/vector-scan.test.ts checks it against vec0's own answer,
 * so an upgrade that changes the layout fails there, not in production.
 */
export class Vec0ChunkReader {
  private readonly slice: Database.Statement;

  constructor(
    db: Database.Database,
    table: string,
    private readonly dims: number,
  ) {
    this.slice = db
      .prepare(
        `SELECT c.chunk_id, c.size, c.validity, c.rowids, v.vectors FROM "${table}_chunks" c JOIN "${table}_vector_chunks00" v ON v.rowid = c.chunk_id
         WHERE c.partition00 = ? AND c.chunk_id > ? ORDER BY c.chunk_id LIMIT ?`,
      )
      .raw();
  }

  /** Up to `chunks` chunks after `afterChunk`: their live rows, and where to resume (undefined: done). */
  read(scope: string, afterChunk: number, chunks: number): { rows: { rowid: number; vector: Float32Array }[]; next: number | undefined } {
    const found = this.slice.all(scope, afterChunk, chunks) as [number, number, Buffer, Buffer, Buffer][];
    const rows: { rowid: number; vector: Float32Array }[] = [];
    for (const [, size, validity, rowids, vectors] of found) {
      const all = Float32Array.from(new Int8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
      for (let i = 0; i < size; i++) {
        if ((validity[i >> 3] & (1 << (i & 7))) === 0) continue;
        rows.push({ rowid: Number(rowids.readBigInt64LE(i * 8)), vector: all.subarray(i * this.dims, (i + 1) * this.dims) });
      }
    }
    return { rows, next: found.length === chunks ? found[found.length - 1][0] : undefined };
  }
}
