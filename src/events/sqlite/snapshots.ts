import { sha256Hex } from '../../shared/ids.ts';
import type Database from 'better-sqlite3';
import type { Snapshot, SnapshotStore } from '../store.ts';

/** Snapshots live beside the log but are only a cache: anything unreadable is treated as absent. */
export class SqliteSnapshotStore implements SnapshotStore {
  private readonly upsert: Database.Statement;
  private readonly select: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(
      `INSERT INTO snapshots (actor_id, seq, machine_version, state, checksum) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (actor_id) DO UPDATE SET seq = excluded.seq, machine_version = excluded.machine_version,
       state = excluded.state, checksum = excluded.checksum`,
    );
    this.select = db.prepare('SELECT actor_id, seq, machine_version, state, checksum FROM snapshots WHERE actor_id = ?');
    this.remove = db.prepare('DELETE FROM snapshots WHERE actor_id = ?');
  }

  async save(snapshot: Snapshot): Promise<void> {
    const state = JSON.stringify(snapshot.state);
    this.upsert.run(snapshot.actorId, snapshot.seq, snapshot.machineVersion, state, sha256Hex(state));
  }

  async load(actorId: string): Promise<Snapshot | undefined> {
    const row = this.select.get(actorId) as { actor_id: string; seq: number; machine_version: string; state: string; checksum: string } | undefined;
    if (!row || sha256Hex(row.state) !== row.checksum) return undefined;
    try {
      return { actorId: row.actor_id, seq: row.seq, machineVersion: row.machine_version, state: JSON.parse(row.state) };
    } catch {
      return undefined;
    }
  }

  async delete(actorId: string): Promise<void> {
    this.remove.run(actorId);
  }
}
