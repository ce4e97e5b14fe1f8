import { sha256Hex } from '../../shared/ids.ts';
import type pg from 'pg';
import type { Snapshot, SnapshotStore } from '../store.ts';

/** Snapshots live beside the log but are only a cache: anything unreadable is treated as absent. */
export class PostgresSnapshotStore implements SnapshotStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
  ) {}

  async save(snapshot: Snapshot): Promise<void> {
    const state = JSON.stringify(snapshot.state);
    await this.pool.query(
      `INSERT INTO "${this.schema}".snapshots (actor_id, seq, machine_version, state, checksum) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (actor_id) DO UPDATE SET seq = excluded.seq, machine_version = excluded.machine_version,
       state = excluded.state, checksum = excluded.checksum`,
      [snapshot.actorId, snapshot.seq, snapshot.machineVersion, state, sha256Hex(state)],
    );
  }

  async load(actorId: string): Promise<Snapshot | undefined> {
    const { rows } = await this.pool.query<{ seq: number; machine_version: string; state: string; checksum: string }>(
      `SELECT seq, machine_version, state, checksum FROM "${this.schema}".snapshots WHERE actor_id = $1`,
      [actorId],
    );
    const row = rows[0];
    if (!row || sha256Hex(row.state) !== row.checksum) return undefined;
    try {
      return { actorId, seq: row.seq, machineVersion: row.machine_version, state: JSON.parse(row.state) };
    } catch {
      return undefined;
    }
  }

  async delete(actorId: string): Promise<void> {
    await this.pool.query(`DELETE FROM "${this.schema}".snapshots WHERE actor_id = $1`, [actorId]);
  }
}
