import type { Actor } from 'xstate';
import type { Character } from '../../characters/schema.ts';
import type { EventStore } from '../../events/store.ts';
import { derivedId } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import type { MailboxPolicy, Pending } from '../machines/agent.machine.ts';
import { systemMachine } from '../machines/system.machine.ts';
import { persistSnapshot, spawnActor, type Inspector } from '../runtime.ts';
import { actorIds, streams } from '../../domain/streams.ts';
import type { ActorTable } from './actor-table.ts';

export type FailedKind = 'agent' | 'room' | 'service' | 'system';

export interface SupervisionDeps {
  store: EventStore;
  logger: Logger;
  inspect?: Inspector;
  restartBaseMs: number;
  restartMaxMs: number;
  /** The position the system has handled (part of a failure's deterministic id). */
  position(): number;
  stopped(): boolean;
  /** Relaunches a turn of a restarted agent. */
  launchTurn(agentId: string, pending: Pending): void;
  /** Something the system's idle() waits for changed. */
  notifyChange(): void;
}

/**
 * The system actor's supervision: a crashed room or agent actor (or a crashed turn) is reported to
 * the system machine, which decides the backoff; the restart respawns the actor from its last good
 * snapshot and relaunches the turns still pending. Every failure is an `actor.failed` event.
 */
export class Supervisor {
  readonly system: Actor<typeof systemMachine>;
  /** Restart timers not yet fired (idle() waits for them). */
  readonly restarts = new Set<NodeJS.Timeout>();
  /** Turns that crashed, by agent actor id, waiting for the supervisor's restart. */
  private readonly pendingRelaunch = new Map<string, Pending[]>();
  private table?: ActorTable;

  constructor(private readonly deps: SupervisionDeps) {
    this.system = spawnActor({
      machine: systemMachine.provide({
        actions: {
          scheduleRestart: (_, p) => this.scheduleRestart(p.actorId, p.kind, p.error, p.restartInMs),
        },
      }),
      input: { baseMs: deps.restartBaseMs, maxMs: deps.restartMaxMs },
      inspect: deps.inspect,
      id: 'system',
    }).actor;
  }

  /** The actors to restart (the table is built after the supervisor: it reports crashes here). */
  supervise(table: ActorTable): void {
    this.table = table;
  }

  childFailed(actorId: string, kind: 'agent' | 'room', error: string): void {
    if (this.deps.stopped()) return;
    this.system.send({ type: 'CHILD_FAILED', actorId, kind, error });
  }

  /** A turn crashed (e.g. the log refused a write): supervised like a crashed child, relaunched on restart. */
  turnCrashed(agentId: string, pending: Pending, error: string): void {
    const list = this.pendingRelaunch.get(actorIds.agent(agentId)) ?? [];
    list.push(pending);
    this.pendingRelaunch.set(actorIds.agent(agentId), list);
    this.system.send({ type: 'CHILD_FAILED', actorId: actorIds.agent(agentId), kind: 'agent', error });
  }

  recovered(actorId: string): void {
    this.system.send({ type: 'CHILD_RECOVERED', actorId });
  }

  stop(): void {
    for (const t of this.restarts) clearTimeout(t);
    this.restarts.clear();
  }

  private scheduleRestart(actorId: string, kind: FailedKind, error: string, restartInMs: number): void {
    void this.recordFailure(actorId, kind, error, restartInMs);
    if (kind === 'service') return; // services run their own backoff (service machine)
    const timer = setTimeout(() => {
      this.restarts.delete(timer);
      if (this.deps.stopped()) return;
      this.restartActor(actorId);
      this.deps.notifyChange();
    }, restartInMs);
    this.restarts.add(timer);
  }

  private restartActor(actorId: string): void {
    const table = this.table;
    if (!table) return;
    const [kind, ...rest] = actorId.split('-');
    const id = rest.join('-');
    if (kind === 'agent') {
      const entry = table.agents.get(id);
      if (entry && entry.actor.getSnapshot().status === 'error') {
        const snapshot = persistSnapshot(entry.actor, entry.good);
        const ctx = (entry.good as { context: { name: string; character: Character; mailbox: MailboxPolicy } }).context;
        table.spawnAgent(id, ctx.name, ctx.character, ctx.mailbox, snapshot);
      }
      const relaunch = this.pendingRelaunch.get(actorId) ?? [];
      this.pendingRelaunch.delete(actorId);
      const actor = table.agents.get(id)?.actor;
      for (const pending of actor ? relaunch : []) {
        // Relaunch only if the message is still pending (its outcome may have reached the log meanwhile).
        const room = actor!.getSnapshot().context.rooms[pending.roomId];
        const still = room && (room.current?.messageId === pending.messageId || room.side.some((p) => p.messageId === pending.messageId));
        if (still) this.deps.launchTurn(id, pending);
      }
    } else if (kind === 'room') {
      const entry = table.rooms.get(id);
      if (entry && entry.actor.getSnapshot().status === 'error') table.spawnRoom(id, persistSnapshot(entry.actor, entry.good));
    }
  }

  /** The failure becomes an event (operators see it in the log); its id is deterministic per failure. */
  async recordFailure(actorId: string, kind: FailedKind, error: string, restartInMs?: number): Promise<void> {
    this.deps.logger.warn('actor failed', { actorId, kind, error, restartInMs });
    try {
      await this.deps.store.append(
        streams.system,
        [
          {
            id: derivedId('actor.failed', actorId, String(this.deps.position()), error, String(Date.now())),
            type: 'actor.failed',
            data: { actorId, kind, error: error.slice(0, 1000), ...(restartInMs !== undefined ? { restartInMs: Math.round(restartInMs) } : {}) },
            meta: { author: { kind: 'system', id: 'system' } },
          },
        ],
        { trusted: true },
      ); // the supervisor's own record: typed fields, the error already a string
    } catch (err) {
      this.deps.logger.error('could not record actor failure', { actorId, error: String(err) });
    }
  }
}
