import type { SnapshotStore } from '../../events/store.ts';
import type { Logger } from '../../shared/logger.ts';
import { AGENT_MACHINE_VERSION } from '../machines/agent.machine.ts';
import { ROOM_MACHINE_VERSION } from '../machines/room.machine.ts';
import { SYSTEM_MACHINE_VERSION } from '../machines/system.machine.ts';
import { persist } from '../runtime.ts';
import type { ActorTable } from './actor-table.ts';
import { actorIds } from '../../domain/streams.ts';

interface SystemSnapshotState {
  actors: { id: string; kind: 'agent' | 'room'; seq: number }[];
}

const SYSTEM_SNAPSHOT_ID = 'system';
const SYSTEM_VERSION = `${SYSTEM_MACHINE_VERSION}/${AGENT_MACHINE_VERSION}/${ROOM_MACHINE_VERSION}`;

export interface SnapshotDeps {
  snapshots: SnapshotStore;
  table: ActorTable;
  logger: Logger;
  /** Snapshots are written this long after the last change (and on stop); never while idle. */
  delayMs: number;
  /** The position (seq) the actors' state includes. */
  position(): number;
  stopped(): boolean;
}

/**
 * Actor snapshots, a cache for fast restarts: written a while after changes as a consistent cut (the
 * `system` record names every actor and the seq of its snapshot), read back once at start.
 */
export class SnapshotKeeper {
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: SnapshotDeps) {}

  /**
   * Restores from a consistent cut: the system snapshot lists every actor with the seq of its own
   * snapshot. Any missing, corrupt, stale-version or inconsistent snapshot means a full replay from
   * the log (the log is the truth; snapshots are a cache). Returns the seq to follow the log from.
   */
  async restore(): Promise<number> {
    const { snapshots: snaps, table, logger } = this.deps;
    const sys = await snaps.load(SYSTEM_SNAPSHOT_ID).catch(() => undefined);
    if (!sys || sys.machineVersion !== SYSTEM_VERSION) return 0;
    const state = sys.state as SystemSnapshotState;
    if (!state || !Array.isArray(state.actors)) return 0;
    const loaded: { id: string; kind: 'agent' | 'room'; state: unknown }[] = [];
    for (const a of state.actors) {
      const s = await snaps.load(a.id).catch(() => undefined);
      const version = a.kind === 'agent' ? AGENT_MACHINE_VERSION : ROOM_MACHINE_VERSION;
      if (!s || s.seq !== a.seq || s.seq > sys.seq || s.machineVersion !== version) {
        logger.info('snapshot unusable; replaying the log from the start', { actorId: a.id });
        return 0;
      }
      loaded.push({ id: a.id, kind: a.kind, state: s.state });
    }
    for (const a of loaded) {
      const id = a.id.slice(a.kind.length + 1);
      const ok =
        a.kind === 'agent'
          ? table.spawnAgent(id, (a.state as { context?: { name?: string } })?.context?.name ?? id, undefined, 'enqueue', a.state)
          : table.spawnRoom(id, a.state);
      if (!ok) {
        logger.info('snapshot refused by the machine; replaying the log from the start', { actorId: a.id });
        table.clear();
        return 0;
      }
    }
    table.dirty.clear();
    return sys.seq;
  }

  schedule(): void {
    if (this.timer || this.deps.stopped()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch((err) => this.deps.logger.warn('snapshot flush failed', { error: String(err) }));
    }, this.deps.delayMs);
    this.timer.unref();
  }

  cancel(): void {
    clearTimeout(this.timer);
  }

  /** Writes the changed actors, then the system record naming every actor and its snapshot seq. */
  flush(): Promise<void> {
    const { snapshots, table } = this.deps;
    const run = this.flushing.then(async () => {
      if (table.dirty.size === 0) return;
      const seq = this.deps.position();
      const writes: { actorId: string; state: unknown; version: string }[] = [];
      const gone: string[] = [];
      for (const id of table.dirty) {
        const [kind, ...rest] = id.split('-');
        const entry = kind === 'agent' ? table.agents.get(rest.join('-')) : table.rooms.get(rest.join('-'));
        if (entry && entry.actor.getSnapshot().status === 'active')
          writes.push({ actorId: id, state: persist(entry.actor), version: kind === 'agent' ? AGENT_MACHINE_VERSION : ROOM_MACHINE_VERSION });
        else if (!entry) gone.push(id);
      }
      table.dirty.clear();
      const previous = (await snapshots.load(SYSTEM_SNAPSHOT_ID).catch(() => undefined))?.state as SystemSnapshotState | undefined;
      const seqs = new Map((previous?.actors ?? []).map((a) => [a.id, a.seq] as const));
      for (const w of writes) {
        await snapshots.save({ actorId: w.actorId, seq, machineVersion: w.version, state: w.state });
        seqs.set(w.actorId, seq);
      }
      const actors: SystemSnapshotState['actors'] = [];
      for (const id of table.agents.keys())
        if (seqs.has(actorIds.agent(id))) actors.push({ id: actorIds.agent(id), kind: 'agent', seq: seqs.get(actorIds.agent(id))! });
      for (const id of table.rooms.keys())
        if (seqs.has(actorIds.room(id))) actors.push({ id: actorIds.room(id), kind: 'room', seq: seqs.get(actorIds.room(id))! });
      for (const id of gone) await snapshots.delete(id); // deleted agents leave no snapshot behind
      await snapshots.save({ actorId: SYSTEM_SNAPSHOT_ID, seq, machineVersion: SYSTEM_VERSION, state: { actors } satisfies SystemSnapshotState });
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }
}
