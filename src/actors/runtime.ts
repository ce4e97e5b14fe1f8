import { createActor, type Actor, type AnyStateMachine, type InspectionEvent, type SnapshotFrom } from 'xstate';

/**
 * The one place actors are created and restored. XState 6 changes how a persisted snapshot is turned
 * back into an actor; keeping every create/restore/persist call here means that upgrade touches one
 * small file.
 */

export type Inspector = (event: InspectionEvent) => void;

export interface SpawnOptions<M extends AnyStateMachine> {
  input: unknown;
  /** A persisted snapshot (from `persist`), or undefined for a fresh actor. */
  snapshot?: unknown;
  inspect?: Inspector;
  id?: string;
  machine: M;
}

/**
 * Creates and starts an actor, from a persisted snapshot when one is given and usable. Returns
 * `restored: false` when the snapshot was refused (unknown state, wrong shape): the caller then
 * rebuilds the actor from the log instead.
 */
export function spawnActor<M extends AnyStateMachine>(options: SpawnOptions<M>): { actor: Actor<M>; restored: boolean } {
  const base = { input: options.input, ...(options.inspect ? { inspect: options.inspect } : {}), ...(options.id ? { id: options.id } : {}) };
  if (options.snapshot !== undefined && looksRestorable(options.machine, options.snapshot)) {
    try {
      const actor = createActor(options.machine, { ...base, snapshot: options.snapshot as SnapshotFrom<M> } as never) as Actor<M>;
      actor.start();
      const status = (actor.getSnapshot() as { status: string }).status;
      if (status === 'active' || status === 'done') return { actor, restored: true };
      actor.stop();
    } catch {
      // Unusable snapshot: fall through to a fresh actor (the log is the truth).
    }
  }
  const actor = createActor(options.machine, base as never) as Actor<M>;
  actor.start();
  return { actor, restored: false };
}

/**
 * A persisted snapshot XState can restore: the right shape, and a state value the machine has.
 * Checked before createActor, because XState reports a bad snapshot as an uncaught error.
 */
function looksRestorable(machine: AnyStateMachine, snapshot: unknown): boolean {
  if (snapshot === null || typeof snapshot !== 'object') return false;
  const s = snapshot as { value?: unknown; context?: unknown; status?: unknown };
  if (s.status !== 'active' || s.value === undefined || s.context === null || typeof s.context !== 'object') return false;
  try {
    machine.resolveState({ value: s.value as never, context: s.context as never });
    return true;
  } catch {
    return false;
  }
}

/** The serialisable form of an actor's state, for SnapshotStore. */
export function persist(actor: Actor<AnyStateMachine>): unknown {
  return actor.getPersistedSnapshot();
}

/** The persisted form of a given (earlier) snapshot of the actor: used to restart a crashed actor from its last good state. */
export function persistSnapshot(actor: Actor<AnyStateMachine>, snapshot: unknown): unknown {
  return (actor.logic as AnyStateMachine).getPersistedSnapshot(snapshot as never);
}

/** "running", "stopped", or "a.b" for nested states. */
export function stateName(actor: Actor<AnyStateMachine>): string {
  const value = actor.getSnapshot().value as unknown;
  const flat = (v: unknown): string =>
    typeof v === 'string'
      ? v
      : Object.entries(v as Record<string, unknown>)
          .map(([k, c]) => `${k}.${flat(c)}`)
          .join(',');
  return flat(value);
}
