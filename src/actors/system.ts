import type { Subscription } from 'rxjs';
import { Subject } from '../shared/rx.ts';
import type { Character } from '../characters/schema.ts';
import type { AnyRecordedEvent } from '../events/envelope.ts';
import { LogFollower } from '../events/follower.ts';
import { LeaseLostError } from '../events/errors.ts';
import type { EventStore } from '../events/store.ts';
import { createPluginHost } from '../plugin-host/host.ts';
import { followGrants } from '../plugin-host/isolation/defaults.ts';
import { stopIsolatedPlugins } from '../plugin-host/isolation/isolated-plugin.ts';
import { silentLogger, type Logger } from '../shared/logger.ts';
import { agentMachine, type Pending } from './machines/agent.machine.ts';
import { stateName, type Inspector } from './runtime.ts';
import { AgentContexts } from './agent-contexts.ts';
import { ServiceManager } from './services.ts';
import { ActorTable } from './system/actor-table.ts';
import { routeEvent, type RoutingEffects } from './system/log-routing.ts';
import { SnapshotKeeper } from './system/snapshots.ts';
import { Supervisor } from './system/supervision.ts';
import { runTurn, type TurnDeps } from './turn/run-turn.ts';
import type { TurnInput } from './turn/turn-input.ts';
import type { ActorNode, ActorSettings, ActorSystem, ActorSystemDeps, EphemeralEvent } from './types.ts';
import { withDeadline } from '../shared/deadline.ts';
import { actorIds } from '../domain/streams.ts';

export const DEFAULT_ACTOR_SETTINGS: ActorSettings = {
  modelTimeoutMs: 60_000,
  modelAttempts: 3,
  retryBaseMs: 500,
  maxAgentDepth: 3,
  recentMessages: 32,
  knowledgeK: 5,
  factsK: 10,
  restartBaseMs: 200,
  restartMaxMs: 30_000,
  snapshotDelayMs: 1_000,
};

/**
 * The system actor and everything it supervises. It folds the log, in order, into room and agent
 * actors (pure machines; system/log-routing.ts), and runs the effects they ask for (turns) only once
 * it has caught up with the log, so replay never calls a model. Supervision (system/supervision.ts)
 * and snapshots (system/snapshots.ts) live beside it.
 */
export class ChronicleActorSystem implements ActorSystem {
  readonly ephemeral$ = new Subject<EphemeralEvent>();
  private readonly settings: ActorSettings;
  private readonly logger: Logger;
  private readonly table: ActorTable;
  private readonly supervisor: Supervisor;
  private readonly snapshots: SnapshotKeeper;
  private readonly routing: RoutingEffects;
  private readonly turns = new Map<string, { agentId: string; roomId: string; controller: AbortController; done: Promise<void> }>();
  private readonly contexts: AgentContexts;
  private changeWaiters: (() => void)[] = [];
  private readonly services: ServiceManager;
  private readonly inspect?: Inspector;
  private follower?: LogFollower;
  private grants?: Subscription;
  /** The seq of the event being folded (or the last one folded): where a turn launched now stands in the log. */
  private foldingSeq = 0;
  private live = false;
  private stopped = false;
  private readonly turnDeps: TurnDeps;

  constructor(private readonly deps: ActorSystemDeps & { inspect?: Inspector }) {
    const s = deps.settings ?? {};
    this.settings = {
      ...DEFAULT_ACTOR_SETTINGS,
      ...(Object.fromEntries(
        Object.entries(s).filter(([k, v]) => k in DEFAULT_ACTOR_SETTINGS || ((k === 'pluginsDir' || k === 'pluginsPreferInstalled') && v)),
      ) as Partial<ActorSettings>),
    };
    this.logger = deps.logger ?? silentLogger;
    this.inspect = deps.inspect;
    this.supervisor = new Supervisor({
      store: deps.store,
      logger: this.logger,
      inspect: this.inspect,
      restartBaseMs: this.settings.restartBaseMs,
      restartMaxMs: this.settings.restartMaxMs,
      position: () => this.position,
      stopped: () => this.stopped,
      launchTurn: (agentId, pending) => this.launchTurn(agentId, pending),
      notifyChange: () => this.notifyChange(),
    });
    this.table = new ActorTable({
      agentLogic: this.agentLogic,
      inspect: this.inspect,
      onCrash: (actorId, kind, error) => this.supervisor.childFailed(actorId, kind, error),
      onChange: () => this.snapshots.schedule(),
    });
    this.supervisor.supervise(this.table);
    this.snapshots = new SnapshotKeeper({
      snapshots: deps.store.snapshots,
      table: this.table,
      logger: this.logger,
      delayMs: this.settings.snapshotDelayMs,
      position: () => this.position,
      stopped: () => this.stopped,
    });
    this.routing = {
      table: this.table,
      live: () => this.live,
      maxAgentDepth: this.settings.maxAgentDepth,
      warm: (agentId) => this.warm(agentId),
      forget: (agentId) => void this.contexts.forget(agentId),
    };
    this.contexts = new AgentContexts({
      ...deps,
      logger: this.logger,
      pluginsDir: this.settings.pluginsDir,
      preferInstalled: this.settings.pluginsPreferInstalled,
      inspect: this.inspect,
      restartBaseMs: this.settings.restartBaseMs,
      restartMaxMs: this.settings.restartMaxMs,
      service: (type) => this.services.get(type),
    });
    this.services = new ServiceManager({
      runtime: () => this.contexts.systemRuntime(),
      logger: this.logger,
      inspect: this.inspect,
      restartBaseMs: this.settings.restartBaseMs,
      restartMaxMs: this.settings.restartMaxMs,
      onFailure: (type, error, restartInMs) => void this.supervisor.recordFailure(`service-${type}`, 'service', error, restartInMs),
    });
    this.turnDeps = {
      store: deps.store,
      readModel: deps.readModel,
      // A read model that never catches up must not hang a room forever: the turn fails and is retried.
      waitFor: (seq) => withDeadline(deps.waitFor(seq), 30_000, () => `the read model did not reach seq ${seq} within 30 s`),
      models: deps.models,
      settings: this.settings,
      logger: this.logger,
      ephemeral: this.ephemeral$,
      agentContext: (id, character) => this.contexts.get(id, character),
      // An agent's own services first (its plugins'), then the system-level ones.
      service: (type, agentId) => (agentId ? this.contexts.current(agentId)?.services.get(type) : undefined) ?? this.services.get(type),
      serviceApi: (agentId) => this.contexts.current(agentId)?.runtime,
    };
    this.unOwnership = deps.ownership?.onChange(() => this.ownershipChanged());
  }

  private readonly unOwnership?: () => void;

  /** One node, or the owner of this actor in a cluster: runs its effects. */
  private owns(actorId: string): boolean {
    return !this.deps.ownership || this.deps.ownership.owns(actorId);
  }

  /**
   * Ownership moved (src/cluster): turns of agents this node no longer owns are aborted (anything they
   * would append is refused by the store's fence anyway), their plugin services stop; agents it now
   * owns resume their mailboxes from the actor state every node folds from the log.
   */
  private ownershipChanged(): void {
    if (!this.live || this.stopped) return;
    for (const t of this.turns.values()) if (!this.owns(actorIds.agent(t.agentId))) t.controller.abort();
    for (const agentId of this.table.agents.keys()) {
      if (this.owns(actorIds.agent(agentId))) this.resumeOwned(agentId);
      else void this.contexts.forget(agentId);
    }
  }

  /** An agent this node (now) owns: its plugin services run and its mailboxes' pending messages are answered. */
  private resumeOwned(agentId: string): void {
    const snap = this.table.agents.get(agentId)?.actor.getSnapshot();
    if (!snap?.matches('running')) return;
    this.warm(agentId);
    for (const room of Object.values(snap.context.rooms)) {
      if (room.current) this.launchTurn(agentId, room.current);
      for (const p of room.side) this.launchTurn(agentId, p);
    }
  }

  /** An agent's plugins as loaded (report, routes, runtime, services), building them if needed. */
  agentPlugins(agentId: string): ReturnType<AgentContexts['get']> {
    // A stopped agent's plugins (and their services) do not run: nothing to report or route to.
    return this.table.running(agentId) ? this.contexts.get(agentId, this.characterOf(agentId)) : Promise.resolve(undefined);
  }

  /** Records a plugin's error caught at process level (see plugin-host/process-errors.ts). */
  recordPluginError(owner: { plugin: string; agentId?: string }, component: string, error: string): Promise<void> {
    return this.contexts.recordPluginError(owner.agentId, owner.plugin, component, error);
  }

  /** Builds the agent's context (plugins, services) for the character its actor holds from the log. */
  private warm(agentId: string): void {
    // In a cluster only the agent's owner runs its plugin services.
    if (this.stopped || !this.table.running(agentId) || !this.owns(actorIds.agent(agentId))) return;
    this.contexts.get(agentId, this.characterOf(agentId)).catch((err) => this.logger.warn('agent plugins failed to start', { agentId, error: String(err) }));
  }

  /** The agent's character as its own events (agent.created / agent.updated) carried it. */
  private characterOf(agentId: string): Character | undefined {
    return this.table.agents.get(agentId)?.actor.getSnapshot().context.character;
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────────────────────

  /** The last position of the log folded into the actors. */
  private get position(): number {
    return this.follower?.position ?? 0;
  }

  async start(): Promise<void> {
    if (this.live || this.follower) return;
    this.supervisor.system.send({ type: 'START' });
    await this.services.start([...createPluginHost([this.deps.bootstrap, ...(this.deps.plugins ?? [])]).services()]);
    // Plugin permission grants are events; isolated plugins check them on every call.
    this.grants = followGrants(this.deps.store);
    const fromSeq = await this.snapshots.restore();
    this.foldingSeq = fromSeq;
    this.follower = new LogFollower(this.deps.store, {
      name: 'actor-system',
      from: fromSeq,
      logger: this.logger,
      handle: (events) => {
        for (const e of events) this.onEvent(e);
      },
      onLive: () => this.goLive(),
    });
    await this.follower.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.live = false;
    this.unOwnership?.();
    this.supervisor.system.send({ type: 'STOP' });
    this.follower?.stop();
    this.grants?.unsubscribe();
    this.supervisor.stop();
    // In-flight turns are abandoned: nothing they did is in the log, so the restarted system resumes them.
    const inflight = [...this.turns.values()];
    for (const t of inflight) t.controller.abort();
    await Promise.allSettled(inflight.map((t) => t.done));
    this.snapshots.cancel();
    await this.snapshots.flush().catch((err) => this.logger.warn('snapshot flush at stop failed', { error: String(err) }));
    await this.contexts.stopAll();
    await this.services.stop();
    // Sandboxed plugin children die with the system: nothing of theirs keeps the process alive.
    await stopIsolatedPlugins();
    this.table.stopAll();
    const system = this.supervisor.system;
    if (system.getSnapshot().matches('stopping')) system.send({ type: 'STOPPED' });
    system.stop();
    this.ephemeral$.complete();
    this.notifyChange();
  }

  async idle(): Promise<void> {
    for (;;) {
      if (this.stopped || !this.follower) return; // never started: nothing can be in flight
      const head = await this.deps.store.head();
      await this.follower.waitFor(head).catch(() => undefined); // rejected only when stopped
      if (this.turns.size === 0 && this.supervisor.restarts.size === 0) {
        if ((await this.deps.store.head()) === head) return;
        continue;
      }
      await new Promise<void>((resolve) => this.changeWaiters.push(resolve));
    }
  }

  /** Writes the changed actors' snapshots now (tests; stop does it too). */
  flushSnapshots(): Promise<void> {
    return this.snapshots.flush();
  }

  graph(): ActorNode[] {
    const { agents, rooms } = this.table;
    const agentIds = [...agents.keys()].map((id) => actorIds.agent(id));
    const roomIds = [...rooms.keys()].map((id) => actorIds.room(id));
    const services = this.services.nodes();
    const nodes: ActorNode[] = [
      {
        id: 'system',
        kind: 'system',
        state: stateName(this.supervisor.system),
        value: this.supervisor.system.getSnapshot().value,
        children: [...roomIds, ...agentIds, ...services.map((s) => s.id)],
      },
    ];
    const owner = (actorId: string) => this.deps.ownership?.ownerOf(actorId);
    for (const [id, { actor }] of rooms) {
      const snapshot = actor.getSnapshot();
      const participants = snapshot.context.participants.map((p) => ({ id: p.id, kind: p.kind, name: p.name }));
      nodes.push({
        id: actorIds.room(id),
        kind: 'room',
        state: stateName(actor),
        value: snapshot.value,
        name: this.deps.readModel.roomById(id)?.name,
        participants,
        parent: 'system',
        children: [],
        owner: owner(actorIds.room(id)),
      });
    }
    for (const [id, { actor }] of agents) {
      const snapshot = actor.getSnapshot();
      const held = Object.values(snapshot.context.rooms);
      const busy = held.filter((r) => r.current).length;
      // Mailbox depth: every message the agent holds (the one in hand, the queued, the refused being recorded).
      const mailbox = held.reduce((n, r) => n + (r.current ? 1 : 0) + r.queue.length + r.side.length, 0);
      nodes.push({
        id: actorIds.agent(id),
        kind: 'agent',
        state: stateName(actor) + (busy ? `(busy in ${busy} room${busy > 1 ? 's' : ''})` : ''),
        value: snapshot.value,
        name: snapshot.context.name,
        mailbox,
        parent: 'system',
        children: [],
        owner: owner(actorIds.agent(id)),
      });
    }
    for (const s of services) nodes.push({ id: s.id, kind: 'service', state: s.state, parent: 'system', children: [] });
    // An agent's own plugin services are its children.
    for (const node of nodes.filter((n) => n.kind === 'agent')) {
      for (const s of this.contexts.current(actorIds.agentOf(node.id))?.services.nodes() ?? []) {
        node.children.push(s.id);
        nodes.push({ id: s.id, kind: 'service', state: s.state, parent: node.id, children: [] });
      }
    }
    return nodes;
  }

  // ── following the log ────────────────────────────────────────────────────────────────────────

  private onEvent(e: AnyRecordedEvent): void {
    this.foldingSeq = e.seq;
    try {
      routeEvent(e, this.routing);
    } catch (err) {
      // A bug in folding one event must not stop the system from following the log.
      this.logger.error('failed to apply event', { seq: e.seq, type: e.type, error: String(err) });
    }
    this.notifyChange();
  }

  private goLive(): void {
    if (this.live || this.stopped) return;
    this.live = true;
    this.supervisor.system.send({ type: 'RESTORED' });
    // Resume everything accepted but not yet settled: the restored mailboxes say what that is.
    for (const [agentId, { actor }] of this.table.agents) {
      const snap = actor.getSnapshot();
      if (!snap.matches('running') || !this.owns(actorIds.agent(agentId))) continue;
      // Running agents' plugin services start now (connectors must listen before anyone writes).
      this.warm(agentId);
      for (const room of Object.values(snap.context.rooms)) {
        if (room.current) this.launchTurn(agentId, room.current);
        for (const p of room.side) this.launchTurn(agentId, p);
      }
    }
  }

  // ── turns (the agent's effects) ──────────────────────────────────────────────────────────────

  /** One machine (effects bound to this system) shared by every agent actor: cheap to spawn by the thousand. */
  private readonly agentLogic = agentMachine.provide({
    actions: {
      startTurns: ({ context }, p) => {
        for (const pending of p.pendings) this.launchTurn(context.agentId, pending);
      },
      abortTurn: ({ context }, p) => this.turns.get(`${context.agentId}:${p.messageId}:answer`)?.controller.abort(),
      abortAll: ({ context }) => {
        for (const t of this.turns.values()) if (t.agentId === context.agentId) t.controller.abort();
      },
    },
  });

  private launchTurn(agentId: string, pending: Pending): void {
    if (!this.live || this.stopped) return;
    // In a cluster only the agent's owner runs its turns, and appends under its claim (fenced in the store).
    let deps = this.turnDeps;
    if (this.deps.ownership) {
      const claim = this.deps.ownership.claim(actorIds.agent(agentId));
      if (!claim) return;
      deps = { ...deps, store: claimingStore(deps.store, claim) };
    }
    // Keyed with the disposition: a superseded message's refusal runs while its aborted answer winds down.
    const key = `${agentId}:${pending.messageId}:${pending.disposition}`;
    if (this.turns.has(key)) return;
    const controller = new AbortController();
    const input = this.turnInput(agentId, pending);
    this.deps.onTurnLaunched?.(input, this.foldingSeq);
    const done = runTurn(deps, input, controller.signal)
      .then((outcome) => {
        this.logger.debug('turn finished', { agentId, messageId: pending.messageId, outcome });
        this.supervisor.recovered(actorIds.agent(agentId));
      })
      .catch((err) => {
        if (controller.signal.aborted || this.stopped) return;
        // Fenced: another node owns the agent now and answers; nothing of this turn was written.
        if (err instanceof LeaseLostError)
          return this.logger.warn('turn dropped: this node lost the agent', { agentId, messageId: pending.messageId, error: err.message });
        // The turn itself crashed (e.g. the log refused a write): supervise it like a crashed child.
        this.logger.warn('turn crashed', { agentId, messageId: pending.messageId, error: String(err) });
        this.supervisor.turnCrashed(agentId, pending, String((err as Error)?.message ?? err));
      })
      .finally(() => {
        this.turns.delete(key);
        // Cut short by a move of ownership that has already moved back (the lease flapped): resume here,
        // since the relaunch at the move back found this turn still winding down.
        if (this.deps.ownership && controller.signal.aborted && this.live && !this.stopped && this.owns(actorIds.agent(agentId))) this.resumeOwned(agentId);
        this.notifyChange();
      });
    this.turns.set(key, { agentId, roomId: pending.roomId, controller, done });
  }

  /**
   * What a turn is handed, taken from the actors at launch: the message (its mailbox entry), the agent's
   * name and character (its actor), the room's participants (its actor) and the agent's mode there.
   * All of it comes from the log as folded so far, so a turn decides without asking the projections.
   */
  private turnInput(agentId: string, pending: Pending): TurnInput {
    const agent = this.table.agents.get(agentId)?.actor.getSnapshot().context;
    return {
      agent: { agentId, name: agent?.name ?? agentId, character: agent?.character ?? { name: agentId, bio: [] } },
      pending,
      participants: this.table.rooms.get(pending.roomId)?.actor.getSnapshot().context.participants ?? [],
      mode: agent?.rooms[pending.roomId]?.mode,
    };
  }

  // ── small helpers ────────────────────────────────────────────────────────────────────────────

  private notifyChange(): void {
    const w = this.changeWaiters;
    this.changeWaiters = [];
    for (const f of w) f();
  }
}

/** The store as a turn sees it: every append carries the claim it was launched under. */
function claimingStore(store: EventStore, claim: NonNullable<ReturnType<NonNullable<ActorSystemDeps['ownership']>['claim']>>): EventStore {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'append')
        return (stream: string, events: Parameters<EventStore['append']>[1], options?: Parameters<EventStore['append']>[2]) =>
          target.append(stream, events, { ...options, claim });
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
