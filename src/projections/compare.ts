import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Projector } from './projector.ts';

/** Every projected table as key → canonical row text, for comparing two read databases row by row. */
export type TableDump = Map<string, Map<string, string>>;

export function dumpTables(projector: Projector): TableDump {
  const db = projector.db;
  // vector_scope_puts: the put counts that decide when a scope is searched in memory must match too.
  const names = ['projection_checkpoints', 'vector_tables', 'vector_scope_puts'];
  for (const p of projector.projections) names.push(...p.tables);
  names.push(...projector.vectors.tables().map((t) => t.name));
  const out: TableDump = new Map();
  for (const name of names) out.set(name, dumpTable(db, name));
  return out;
}

function dumpTable(db: Database.Database, table: string): Map<string, string> {
  const cols = db.prepare(`SELECT name, pk FROM pragma_table_info(?)`).all(table) as { name: string; pk: number }[];
  const rows = new Map<string, string>();
  if (cols.length === 0) return rows;
  const pk = cols
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
  // FTS and vec0 tables have no declared key: their rowid is the key (a message seq, a chunk rid…).
  const keyCols = pk.length > 0 ? pk : ['rowid'];
  const select = (pk.length > 0 ? [] : ['rowid']).concat(cols.map((c) => `"${c.name}"`)).join(', ');
  for (const r of db.prepare(`SELECT ${select} FROM "${table}"`).all() as Record<string, unknown>[]) {
    const key = keyCols.map((k) => String(r[k])).join('|');
    rows.set(key, canonical(r));
  }
  return rows;
}

/**
 * Blobs (vectors: 2 KB each at 512 d) by digest, converted before JSON.stringify: stringify calls
 * Buffer#toJSON before any replacer sees the value, so blobs used to be written out as arrays of byte
 * numbers — 60 % of a verify's time.
 */
function canonical(row: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = Buffer.isBuffer(v) ? `sha256:${createHash('sha256').update(v).digest('base64')}` : typeof v === 'bigint' ? v.toString() : v;
  }
  return JSON.stringify(out);
}

/** Row-by-row differences, as human-readable lines ("" when equal). */
export function diffDumps(live: TableDump, rebuilt: TableDump, limit = 10_000): string[] {
  const out: string[] = [];
  const tables = [...new Set([...live.keys(), ...rebuilt.keys()])].sort();
  for (const t of tables) {
    const a = live.get(t);
    const b = rebuilt.get(t);
    if (!a || !b) {
      out.push(`table ${t}: only in the ${a ? 'live' : 'rebuilt'} database`);
      continue;
    }
    for (const [k, row] of a) {
      if (out.length >= limit) return out;
      const other = b.get(k);
      if (other === undefined) out.push(`${t} [${k}]: only in live: ${row}`);
      else if (other !== row) out.push(`${t} [${k}]: live ${row} ≠ rebuilt ${other}`);
    }
    for (const [k, row] of b) {
      if (out.length >= limit) return out;
      if (!a.has(k)) out.push(`${t} [${k}]: missing from live: ${row}`);
    }
  }
  return out;
}
