import type { Actor, AnyStateMachine } from 'xstate';
import type { Character } from '../../characters/schema.ts';
import type { agentMachine, MailboxPolicy } from '../machines/agent.machine.ts';
import { roomMachine } from '../machines/room.machine.ts';
import { spawnActor, type Inspector } from '../runtime.ts';
import { actorIds } from '../../domain/streams.ts';

export type AgentLogic = typeof agentMachine;
export type AgentActor = Actor<AgentLogic>;
export type RoomActor = Actor<typeof roomMachine>;

export interface Entry<A> {
  actor: A;
  /** Last snapshot known good (immutable in XState 5): a crashed actor restarts from it. */
  good: unknown;
}

export interface ActorTableDeps {
  /** The agent machine with the system's effects bound (one logic shared by every agent actor). */
  agentLogic: AgentLogic;
  inspect?: Inspector;
  /** A child crashed (an exception inside its machine). */
  onCrash(actorId: string, kind: 'agent' | 'room', error: string): void;
  /** An actor's state changed (snapshots are due). */
  onChange(): void;
}

/**
 * The room and agent actors the system holds, with the last good snapshot of each and the ids of
 * those changed since the last snapshot flush. Spawning and sending go through here, so every
 * change is tracked in one place.
 */
export class ActorTable {
  readonly agents = new Map<string, Entry<AgentActor>>();
  readonly rooms = new Map<string, Entry<RoomActor>>();
  /** Actor ids ("agent-…", "room-…") changed since the last snapshot flush. */
  readonly dirty = new Set<string>();

  constructor(private readonly deps: ActorTableDeps) {}

  spawnAgent(agentId: string, name: string, character: Character | undefined, mailbox: MailboxPolicy, snapshot?: unknown): boolean {
    const machine = this.deps.agentLogic;
    const { actor, restored } = spawnActor({
      machine,
      input: { agentId, name, character, mailbox },
      snapshot,
      inspect: this.deps.inspect,
      id: actorIds.agent(agentId),
    });
    this.watch(actorIds.agent(agentId), 'agent', actor);
    this.agents.set(agentId, { actor, good: actor.getSnapshot() });
    this.dirty.add(actorIds.agent(agentId));
    return restored;
  }

  spawnRoom(roomId: string, snapshot?: unknown): boolean {
    const { actor, restored } = spawnActor({ machine: roomMachine, input: { roomId }, snapshot, inspect: this.deps.inspect, id: actorIds.room(roomId) });
    this.watch(actorIds.room(roomId), 'room', actor);
    this.rooms.set(roomId, { actor, good: actor.getSnapshot() });
    this.dirty.add(actorIds.room(roomId));
    return restored;
  }

  /** A crashed actor (an exception inside the machine) is reported to the supervisor. */
  private watch(actorId: string, kind: 'agent' | 'room', actor: Actor<AnyStateMachine>): void {
    actor.subscribe({
      error: (err) => this.deps.onCrash(actorId, kind, String((err as Error)?.message ?? err)),
    });
  }

  sendAgent(agentId: string, event: Parameters<AgentActor['send']>[0]): void {
    const entry = this.agents.get(agentId);
    if (!entry) return;
    entry.actor.send(event);
    const snap = entry.actor.getSnapshot();
    if (snap.status !== 'error') entry.good = snap;
    this.dirty.add(actorIds.agent(agentId));
    this.deps.onChange();
  }

  sendRoom(roomId: string, event: Parameters<RoomActor['send']>[0]): void {
    const entry = this.rooms.get(roomId);
    if (!entry) return;
    entry.actor.send(event);
    const snap = entry.actor.getSnapshot();
    if (snap.status !== 'error') entry.good = snap;
    this.dirty.add(actorIds.room(roomId));
    this.deps.onChange();
  }

  /** A deleted agent leaves the table (its snapshot is deleted at the next flush). */
  removeAgent(agentId: string): void {
    this.agents.get(agentId)?.actor.stop();
    this.agents.delete(agentId);
    this.dirty.add(actorIds.agent(agentId));
  }

  running(agentId: string): boolean {
    return !!this.agents.get(agentId)?.actor.getSnapshot().matches('running');
  }

  stopAll(): void {
    for (const e of [...this.agents.values(), ...this.rooms.values()]) e.actor.stop();
  }

  /** Stops and forgets every actor (a refused snapshot: the log is replayed from the start). */
  clear(): void {
    this.stopAll();
    this.agents.clear();
    this.rooms.clear();
  }
}
