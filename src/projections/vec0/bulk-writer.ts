import type Database from 'better-sqlite3';
import { int8Codes } from './int8.ts';

/**
 * Fills an EMPTY vec0 table (one partition key, one int8 vector column, no metadata) by writing its
 * shadow tables directly, whole chunks at a time.
 *
 * Why: an INSERT into vec0 costs ~40–55 µs here whatever the chunk size or page size (it opens and
 * patches three blobs per row), which made vector rows most of a projection rebuild's time. Written
 * this way a row costs one small insert plus 1/chunk_size of a chunk insert.
 *
 * What it writes is what vec0 itself writes when the same rows are inserted one partition after the
 * other, each in rowid order (sqlite-vec 0.1.x, pinned in package.json): per chunk a `_chunks` row
 * (size, validity bitmap with a bit per used slot — low bit first —, `size` int64 LE rowids, the
 * partition value) and a `_vector_chunks00` row keyed by the chunk id (its user `rowid` column set too,
 * as vec0 does), and per vector a `_rowids` row (rowid, chunk_id, chunk_offset). The test
 * test/projections/vec0-bulk.test.ts checks the shadow tables come out byte-identical to vec0's own.
 */
export class Vec0BulkWriter {
  constructor(
    private readonly db: Database.Database,
    private readonly table: string,
    private readonly dims: number,
    private readonly chunkSize: number,
  ) {}

  /**
   * Writes each partition's rows (ascending rowid, every rowid new to the table) as full chunks and a
   * last partial one, partitions in the given order. better-sqlite3 opens connections in SQLite's
   * defensive mode, which refuses writes to shadow tables; it is lifted for this call only.
   */
  write(partitions: Iterable<{ scope: string; rows: readonly { rowid: number; vector: Float32Array }[] }>): void {
    const db = this.db;
    db.unsafeMode(true);
    try {
      const chunk = db.prepare(`INSERT INTO "${this.table}_chunks" (size, validity, rowids, partition00) VALUES (?, ?, ?, ?)`);
      const vectors = db.prepare(`INSERT INTO "${this.table}_vector_chunks00" (_rowid_, rowid, vectors) VALUES (?, ?, ?)`);
      const rowid = db.prepare(`INSERT INTO "${this.table}_rowids" (rowid, chunk_id, chunk_offset) VALUES (?, ?, ?)`);
      const n = this.chunkSize;
      for (const { scope, rows } of partitions) {
        for (let at = 0; at < rows.length; at += n) {
          const part = rows.slice(at, at + n);
          const validity = Buffer.alloc(n / 8);
          const ids = Buffer.alloc(n * 8);
          const data = new Int8Array(n * this.dims);
          part.forEach((r, i) => {
            validity[i >> 3] |= 1 << (i & 7);
            ids.writeBigInt64LE(BigInt(r.rowid), i * 8);
            data.set(int8Codes(r.vector), i * this.dims);
          });
          const chunkId = BigInt(chunk.run(n, validity, ids, scope).lastInsertRowid);
          vectors.run(chunkId, chunkId, Buffer.from(data.buffer));
          part.forEach((r, i) => rowid.run(BigInt(r.rowid), chunkId, i));
        }
      }
    } finally {
      db.unsafeMode(false);
    }
  }
}
