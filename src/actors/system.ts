import { Subject, type Subscription } from 'rxjs';
import type { Actor, AnyStateMachine } from 'xstate';
import bootstrapPlugin from '../../plugins/bootstrap/index.ts';
import type { Character } from '../characters/schema.ts';
import { characterSetting } from '../characters/secrets.ts';
import type { AnyRecordedEvent } from '../events/envelope.ts';
import { createPluginHost } from '../plugin-host/host.ts';
import { followGrants } from '../plugin-host/isolation/defaults.ts';
import { stopIsolatedPlugins } from '../plugin-host/isolation/isolated-plugin.ts';
import { derivedId } from '../shared/ids.ts';
import { silentLogger, type Logger } from '../shared/logger.ts';
import { AGENT_MACHINE_VERSION, agentMachine, type MailboxPolicy, type Pending } from './machines/agent.machine.ts';
import { depthOf, recipients, ROOM_MACHINE_VERSION, roomMachine } from './machines/room.machine.ts';
import { SYSTEM_MACHINE_VERSION, systemMachine } from './machines/system.machine.ts';
import { persist, persistSnapshot, spawnActor, stateName, type Inspector } from './runtime.ts';
import { AgentContexts } from './agent-contexts.ts';
import { ServiceManager } from './services.ts';
import { streams } from './streams.ts';
import { runTurn, type TurnDeps } from './turn/run-turn.ts';
import type { ActorNode, ActorSettings, ActorSystem, ActorSystemDeps, EphemeralEvent } from './types.ts';

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

type AgentActor = Actor<typeof agentMachine>;
type RoomActor = Actor<typeof roomMachine>;

interface Entry<A> {
  actor: A;
  /** Last snapshot known good (immutable in XState 5): a crashed actor restarts from it. */
  good: unknown;
}

interface SystemSnapshotState {
  actors: { id: string; kind: 'agent' | 'room'; seq: number }[];
}

const SYSTEM_SNAPSHOT_ID = 'system';

function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(t));
}
const mailboxOf = (c: Character | undefined): MailboxPolicy => {
  const v = String((c && characterSetting(c, 'MAILBOX')) ?? 'enqueue').toLowerCase();
  return v === 'reject' || v === 'interrupt' ? v : 'enqueue';
};

/**
 * The system actor and everything it supervises. It folds the log, in order, into room and agent
 * actors (pure machines), and runs the effects they ask for (turns) only once it has caught up with
 * the log, so replay never calls a model.
 */
export class ChronicleActorSystem implements ActorSystem {
  readonly ephemeral$ = new Subject<EphemeralEvent>();
  private readonly settings: ActorSettings;
  private readonly logger: Logger;
  private readonly agents = new Map<string, Entry<AgentActor>>();
  private readonly rooms = new Map<string, Entry<RoomActor>>();
  private readonly turns = new Map<string, { agentId: string; roomId: string; controller: AbortController; done: Promise<void> }>();
  private readonly contexts: AgentContexts;
  private readonly dirty = new Set<string>();
  private readonly restarts = new Set<NodeJS.Timeout>();
  private readonly waiters: { seq: number; resolve: () => void }[] = [];
  private changeWaiters: (() => void)[] = [];
  private readonly system: Actor<typeof systemMachine>;
  private readonly services: ServiceManager;
  private readonly inspect?: Inspector;
  private subscription?: Subscription;
  private grants?: Subscription;
  private snapshotTimer?: NodeJS.Timeout;
  private processedSeq = 0;
  private live = false;
  private stopped = false;
  private headAtStart = 0;
  private goneLive?: () => void;
  private liveError?: (err: unknown) => void;
  private readonly turnDeps: TurnDeps;

  constructor(private readonly deps: ActorSystemDeps & { inspect?: Inspector }) {
    const s = deps.settings ?? {};
    this.settings = { ...DEFAULT_ACTOR_SETTINGS, ...(Object.fromEntries(Object.entries(s).filter(([k, v]) => k in DEFAULT_ACTOR_SETTINGS || ((k === 'pluginsDir' || k === 'pluginsPreferInstalled') && v))) as Partial<ActorSettings>) };
    this.logger = deps.logger ?? silentLogger;
    this.inspect = deps.inspect;
    this.system = spawnActor({
      machine: systemMachine.provide({
        actions: {
          scheduleRestart: (_, p) => this.scheduleRestart(p.actorId, p.kind, p.error, p.restartInMs),
        },
      }),
      input: { baseMs: this.settings.restartBaseMs, maxMs: this.settings.restartMaxMs },
      inspect: this.inspect,
      id: 'system',
    }).actor;
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
      onFailure: (type, error, restartInMs) => void this.recordFailure(`service-${type}`, 'service', error, restartInMs),
    });
    this.turnDeps = {
      store: deps.store,
      readModel: deps.readModel,
      // A read model that never catches up must not hang a room forever: the turn fails and is retried.
      waitFor: (seq) => withDeadline(deps.waitFor(seq), 30_000, `the read model did not reach seq ${seq} within 30 s`),
      models: deps.models,
      settings: this.settings,
      logger: this.logger,
      ephemeral: this.ephemeral$,
      agentContext: (id) => this.contexts.get(id),
      roomMode: (agentId, roomId) => this.agents.get(agentId)?.actor.getSnapshot().context.rooms[roomId]?.mode,
      // The room actor follows joins, leaves and renames from the log: no read-model query per turn.
      participants: (roomId) => this.rooms.get(roomId)?.actor.getSnapshot().context.participants,
      // An agent's own services first (its plugins'), then the system-level ones.
      service: (type, agentId) => (agentId ? this.contexts.current(agentId)?.services.get(type) : undefined) ?? this.services.get(type),
      serviceApi: (agentId) => this.contexts.current(agentId)?.runtime,
    };
  }

  /** An agent's plugins as loaded (report, routes, runtime, services), building them if needed. */
  agentPlugins(agentId: string): ReturnType<AgentContexts['get']> {
    // A stopped agent's plugins (and their services) do not run: nothing to report or route to.
    return this.running(agentId) ? this.contexts.get(agentId) : Promise.resolve(undefined);
  }

  /** Records a plugin's error caught at process level (see plugin-host/process-errors.ts). */
  recordPluginError(owner: { plugin: string; agentId?: string }, component: string, error: string): Promise<void> {
    return this.contexts.recordPluginError(owner.agentId, owner.plugin, component, error);
  }

  /** Builds the agent's context (plugins, services) once the read model has the event that changed it. */
  private warm(agentId: string, seq: number): void {
    void this.deps
      .waitFor(seq)
      .then(() => (this.stopped || !this.running(agentId) ? undefined : this.contexts.get(agentId)))
      .catch((err) => this.logger.warn('agent plugins failed to start', { agentId, error: String(err) }));
  }

  private running(agentId: string): boolean {
    return !!this.agents.get(agentId)?.actor.getSnapshot().matches('running');
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    if (this.live || this.subscription) return;
    this.system.send({ type: 'START' });
    await this.services.start([...createPluginHost([bootstrapPlugin, ...(this.deps.plugins ?? [])]).services()]);
    // Plugin permission grants are events; isolated plugins check them on every call.
    this.grants = followGrants(this.deps.store);
    const fromSeq = await this.restoreSnapshots();
    this.headAtStart = await this.deps.store.head();
    this.processedSeq = fromSeq;
    const caughtUp = new Promise<void>((resolve, reject) => ((this.goneLive = resolve), (this.liveError = reject)));
    this.subscription = this.deps.store.subscribe(fromSeq).subscribe({
      next: (e) => this.onEvent(e),
      error: (err) => {
        this.logger.error('log subscription failed', { error: String(err) });
        this.liveError?.(err);
      },
    });
    if (this.headAtStart <= fromSeq) this.goLive();
    await caughtUp;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.live = false;
    this.system.send({ type: 'STOP' });
    this.subscription?.unsubscribe();
    this.grants?.unsubscribe();
    for (const t of this.restarts) clearTimeout(t);
    this.restarts.clear();
    // In-flight turns are abandoned: nothing they did is in the log, so the restarted system resumes them.
    const inflight = [...this.turns.values()];
    for (const t of inflight) t.controller.abort();
    await Promise.allSettled(inflight.map((t) => t.done));
    clearTimeout(this.snapshotTimer);
    await this.flushSnapshots().catch((err) => this.logger.warn('snapshot flush at stop failed', { error: String(err) }));
    await this.contexts.stopAll();
    await this.services.stop();
    // Sandboxed plugin children die with the system: nothing of theirs keeps the process alive.
    await stopIsolatedPlugins();
    for (const e of [...this.agents.values(), ...this.rooms.values()]) e.actor.stop();
    if (this.system.getSnapshot().matches('stopping')) this.system.send({ type: 'STOPPED' });
    this.system.stop();
    this.ephemeral$.complete();
    this.notifyChange();
  }

  async idle(): Promise<void> {
    for (;;) {
      if (this.stopped || !this.subscription) return; // never started: nothing can be in flight
      const head = await this.deps.store.head();
      await this.reached(head);
      if (this.turns.size === 0 && this.restarts.size === 0) {
        if ((await this.deps.store.head()) === head) return;
        continue;
      }
      await new Promise<void>((resolve) => this.changeWaiters.push(resolve));
    }
  }

  graph(): ActorNode[] {
    const agentIds = [...this.agents.keys()].map((id) => `agent-${id}`);
    const roomIds = [...this.rooms.keys()].map((id) => `room-${id}`);
    const services = this.services.nodes();
    const nodes: ActorNode[] = [{ id: 'system', kind: 'system', state: stateName(this.system), children: [...roomIds, ...agentIds, ...services.map((s) => s.id)] }];
    for (const [id, { actor }] of this.rooms) nodes.push({ id: `room-${id}`, kind: 'room', state: stateName(actor), parent: 'system', children: [] });
    for (const [id, { actor }] of this.agents) {
      const busy = Object.values(actor.getSnapshot().context.rooms).filter((r) => r.current).length;
      nodes.push({ id: `agent-${id}`, kind: 'agent', state: stateName(actor) + (busy ? `(busy in ${busy} room${busy > 1 ? 's' : ''})` : ''), parent: 'system', children: [] });
    }
    for (const s of services) nodes.push({ id: s.id, kind: 'service', state: s.state, parent: 'system', children: [] });
    // An agent's own plugin services are its children.
    for (const node of nodes.filter((n) => n.kind === 'agent')) {
      for (const s of this.contexts.current(node.id.slice('agent-'.length))?.services.nodes() ?? []) {
        node.children.push(s.id);
        nodes.push({ id: s.id, kind: 'service', state: s.state, parent: node.id, children: [] });
      }
    }
    return nodes;
  }

  // ── folding the log ──────────────────────────────────────────────────────────────────────────

  private onEvent(e: AnyRecordedEvent): void {
    try {
      this.apply(e);
    } catch (err) {
      // A bug in folding one event must not stop the system from following the log.
      this.logger.error('failed to apply event', { seq: e.seq, type: e.type, error: String(err) });
    }
    this.processedSeq = e.seq;
    for (let i = this.waiters.length - 1; i >= 0; i--)
      if (this.waiters[i].seq <= e.seq) {
        this.waiters[i].resolve();
        this.waiters.splice(i, 1);
      }
    if (!this.live && e.seq >= this.headAtStart) this.goLive();
    this.notifyChange();
  }

  private apply(e: AnyRecordedEvent): void {
    switch (e.type) {
      case 'agent.created': {
        const { agentId, name, character } = e.data;
        if (!this.agents.has(agentId)) this.spawnAgent(agentId, name, mailboxOf(character));
        else this.sendAgent(agentId, { type: 'CONFIGURED', name, mailbox: mailboxOf(character) });
        if (this.live && this.running(agentId)) this.warm(agentId, e.seq);
        return;
      }
      case 'agent.updated':
        // The context is rebuilt (old services stopped first) when the character really changed.
        if (!this.running(e.data.agentId)) void this.contexts.forget(e.data.agentId);
        // Agents address each other by name: the rooms learn the new one.
        for (const [roomId, { actor }] of this.rooms)
          if (actor.getSnapshot().context.participants.some((p) => p.id === e.data.agentId && p.name !== e.data.name)) this.sendRoom(roomId, { type: 'RENAMED', participantId: e.data.agentId, name: e.data.name });
        this.sendAgent(e.data.agentId, { type: 'CONFIGURED', name: e.data.name, mailbox: mailboxOf(e.data.character) });
        if (this.live && this.running(e.data.agentId)) this.warm(e.data.agentId, e.seq);
        return;
      case 'agent.started':
        this.sendAgent(e.data.agentId, { type: 'STARTED' });
        // The agent's plugin services run while it runs.
        if (this.live) this.warm(e.data.agentId, e.seq);
        return;
      case 'agent.stopped':
        this.sendAgent(e.data.agentId, { type: 'STOPPED' });
        void this.contexts.forget(e.data.agentId);
        return;
      case 'agent.deleted': {
        this.sendAgent(e.data.agentId, { type: 'DELETED' });
        const entry = this.agents.get(e.data.agentId);
        entry?.actor.stop();
        this.agents.delete(e.data.agentId);
        void this.contexts.forget(e.data.agentId);
        this.dirty.add(`agent-${e.data.agentId}`);
        return;
      }
      case 'agent.room_mode_changed':
        return this.sendAgent(e.data.agentId, { type: 'MODE', roomId: e.data.roomId, mode: e.data.mode });
      case 'room.created':
        if (!this.rooms.has(e.data.roomId)) this.spawnRoom(e.data.roomId);
        return;
      case 'room.participant_joined':
        if (!this.rooms.has(e.data.roomId)) this.spawnRoom(e.data.roomId);
        return this.sendRoom(e.data.roomId, { type: 'JOINED', participant: { id: e.data.participantId, kind: e.data.kind, name: e.data.name } });
      case 'room.participant_left':
        return this.sendRoom(e.data.roomId, { type: 'LEFT', participantId: e.data.participantId });
      case 'message.posted': {
        const d = e.data;
        const room = this.rooms.get(d.roomId);
        if (d.authorKind === 'agent' && d.inReplyTo) this.sendAgent(d.authorId, { type: 'SETTLED', roomId: d.roomId, messageId: d.inReplyTo });
        if (!room) return;
        const ctx = room.actor.getSnapshot().context;
        const depth = depthOf(ctx, d.authorKind, d.inReplyTo);
        const told = recipients(ctx, { authorId: d.authorId, authorKind: d.authorKind, text: d.text, depth }, this.settings.maxAgentDepth);
        // Only agents' messages change the room's context (their reply depth).
        if (d.authorKind === 'agent') this.sendRoom(d.roomId, { type: 'POSTED', messageId: d.messageId, authorKind: d.authorKind, inReplyTo: d.inReplyTo });
        for (const agent of told) this.sendAgent(agent.id, { type: 'TOLD', message: { messageId: d.messageId, roomId: d.roomId, seq: e.seq, depth } });
        return;
      }
      case 'reply.decided':
        if (!e.data.respond) this.sendAgent(e.data.agentId, { type: 'SETTLED', roomId: e.data.roomId, messageId: e.data.messageId });
        return;
      default:
        return;
    }
  }

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

  private spawnAgent(agentId: string, name: string, mailbox: MailboxPolicy, snapshot?: unknown): boolean {
    const machine = this.agentLogic;
    const { actor, restored } = spawnActor({ machine, input: { agentId, name, mailbox }, snapshot, inspect: this.inspect, id: `agent-${agentId}` });
    this.watch(`agent-${agentId}`, 'agent', actor);
    this.agents.set(agentId, { actor, good: actor.getSnapshot() });
    this.dirty.add(`agent-${agentId}`);
    return restored;
  }

  private spawnRoom(roomId: string, snapshot?: unknown): boolean {
    const { actor, restored } = spawnActor({ machine: roomMachine, input: { roomId }, snapshot, inspect: this.inspect, id: `room-${roomId}` });
    this.watch(`room-${roomId}`, 'room', actor);
    this.rooms.set(roomId, { actor, good: actor.getSnapshot() });
    this.dirty.add(`room-${roomId}`);
    return restored;
  }

  /** A crashed actor (an exception inside the machine) is reported to the supervisor. */
  private watch(actorId: string, kind: 'agent' | 'room', actor: Actor<AnyStateMachine>): void {
    actor.subscribe({
      error: (err) => {
        if (this.stopped) return;
        this.system.send({ type: 'CHILD_FAILED', actorId, kind, error: String((err as Error)?.message ?? err) });
      },
    });
  }

  private sendAgent(agentId: string, event: Parameters<AgentActor['send']>[0]): void {
    const entry = this.agents.get(agentId);
    if (!entry) return;
    entry.actor.send(event);
    const snap = entry.actor.getSnapshot();
    if (snap.status !== 'error') entry.good = snap;
    this.dirty.add(`agent-${agentId}`);
    this.scheduleSnapshots();
  }

  private sendRoom(roomId: string, event: Parameters<RoomActor['send']>[0]): void {
    const entry = this.rooms.get(roomId);
    if (!entry) return;
    entry.actor.send(event);
    const snap = entry.actor.getSnapshot();
    if (snap.status !== 'error') entry.good = snap;
    this.dirty.add(`room-${roomId}`);
    this.scheduleSnapshots();
  }

  private goLive(): void {
    if (this.live || this.stopped) return;
    this.live = true;
    this.system.send({ type: 'RESTORED' });
    // Resume everything accepted but not yet settled: the restored mailboxes say what that is.
    for (const [agentId, { actor }] of this.agents) {
      const snap = actor.getSnapshot();
      if (!snap.matches('running')) continue;
      // Running agents' plugin services start now (connectors must listen before anyone writes).
      void this.contexts.get(agentId).catch((err) => this.logger.warn('agent plugins failed to start', { agentId, error: String(err) }));
      for (const room of Object.values(snap.context.rooms)) {
        if (room.current) this.launchTurn(agentId, room.current);
        for (const p of room.side) this.launchTurn(agentId, p);
      }
    }
    this.goneLive?.();
  }

  // ── turns (the agent's effects) ──────────────────────────────────────────────────────────────

  private launchTurn(agentId: string, pending: Pending): void {
    if (!this.live || this.stopped) return;
    // Keyed with the disposition: a superseded message's refusal runs while its aborted answer winds down.
    const key = `${agentId}:${pending.messageId}:${pending.disposition}`;
    if (this.turns.has(key)) return;
    const controller = new AbortController();
    const name = this.agents.get(agentId)?.actor.getSnapshot().context.name ?? agentId;
    const done = runTurn(this.turnDeps, { agentId, name }, pending, controller.signal)
      .then((outcome) => {
        this.logger.debug('turn finished', { agentId, messageId: pending.messageId, outcome });
        this.system.send({ type: 'CHILD_RECOVERED', actorId: `agent-${agentId}` });
      })
      .catch((err) => {
        if (controller.signal.aborted || this.stopped) return;
        // The turn itself crashed (e.g. the log refused a write): supervise it like a crashed child.
        this.logger.warn('turn crashed', { agentId, messageId: pending.messageId, error: String(err) });
        const list = this.pendingRelaunch.get(`agent-${agentId}`) ?? [];
        list.push(pending);
        this.pendingRelaunch.set(`agent-${agentId}`, list);
        this.system.send({ type: 'CHILD_FAILED', actorId: `agent-${agentId}`, kind: 'agent', error: String((err as Error)?.message ?? err) });
      })
      .finally(() => {
        this.turns.delete(key);
        this.notifyChange();
      });
    this.turns.set(key, { agentId, roomId: pending.roomId, controller, done });
  }

  /** Turns that crashed, by agent actor id, waiting for the supervisor's restart. */
  private readonly pendingRelaunch = new Map<string, Pending[]>();

  // ── supervision ──────────────────────────────────────────────────────────────────────────────

  private scheduleRestart(actorId: string, kind: 'agent' | 'room' | 'service' | 'system', error: string, restartInMs: number): void {
    void this.recordFailure(actorId, kind, error, restartInMs);
    if (kind === 'service') return; // services run their own backoff (service machine)
    const timer = setTimeout(() => {
      this.restarts.delete(timer);
      if (this.stopped) return;
      this.restartActor(actorId);
      this.notifyChange();
    }, restartInMs);
    this.restarts.add(timer);
  }

  private restartActor(actorId: string): void {
    const [kind, ...rest] = actorId.split('-');
    const id = rest.join('-');
    if (kind === 'agent') {
      const entry = this.agents.get(id);
      if (entry && entry.actor.getSnapshot().status === 'error') {
        const snapshot = persistSnapshot(entry.actor, entry.good);
        const ctx = (entry.good as { context: { name: string; mailbox: MailboxPolicy } }).context;
        this.spawnAgent(id, ctx.name, ctx.mailbox, snapshot);
      }
      const relaunch = this.pendingRelaunch.get(actorId) ?? [];
      this.pendingRelaunch.delete(actorId);
      const actor = this.agents.get(id)?.actor;
      for (const pending of actor ? relaunch : []) {
        // Relaunch only if the message is still pending (its outcome may have reached the log meanwhile).
        const room = actor!.getSnapshot().context.rooms[pending.roomId];
        const still = room && (room.current?.messageId === pending.messageId || room.side.some((p) => p.messageId === pending.messageId));
        if (still) this.launchTurn(id, pending);
      }
    } else if (kind === 'room') {
      const entry = this.rooms.get(id);
      if (entry && entry.actor.getSnapshot().status === 'error') this.spawnRoom(id, persistSnapshot(entry.actor, entry.good));
    }
  }

  /** The failure becomes an event (operators see it in the log); its id is deterministic per failure. */
  private async recordFailure(actorId: string, kind: 'agent' | 'room' | 'service' | 'system', error: string, restartInMs?: number): Promise<void> {
    this.logger.warn('actor failed', { actorId, kind, error, restartInMs });
    try {
      await this.deps.store.append(streams.system, [
        {
          id: derivedId('actor.failed', actorId, String(this.processedSeq), error, String(Date.now())),
          type: 'actor.failed',
          data: { actorId, kind, error: error.slice(0, 1000), ...(restartInMs !== undefined ? { restartInMs: Math.round(restartInMs) } : {}) },
          meta: { author: { kind: 'system', id: 'system' } },
        },
      ]);
    } catch (err) {
      this.logger.error('could not record actor failure', { actorId, error: String(err) });
    }
  }

  // ── snapshots ────────────────────────────────────────────────────────────────────────────────

  /**
   * Restores from a consistent cut: the system snapshot lists every actor with the seq of its own
   * snapshot. Any missing, corrupt, stale-version or inconsistent snapshot means a full replay from
   * the log (the log is the truth; snapshots are a cache).
   */
  private async restoreSnapshots(): Promise<number> {
    const snaps = this.deps.store.snapshots;
    const sys = await snaps.load(SYSTEM_SNAPSHOT_ID).catch(() => undefined);
    if (!sys || sys.machineVersion !== `${SYSTEM_MACHINE_VERSION}/${AGENT_MACHINE_VERSION}/${ROOM_MACHINE_VERSION}`) return 0;
    const state = sys.state as SystemSnapshotState;
    if (!state || !Array.isArray(state.actors)) return 0;
    const loaded: { id: string; kind: 'agent' | 'room'; state: unknown }[] = [];
    for (const a of state.actors) {
      const s = await snaps.load(a.id).catch(() => undefined);
      const version = a.kind === 'agent' ? AGENT_MACHINE_VERSION : ROOM_MACHINE_VERSION;
      if (!s || s.seq !== a.seq || s.seq > sys.seq || s.machineVersion !== version) {
        this.logger.info('snapshot unusable; replaying the log from the start', { actorId: a.id });
        return 0;
      }
      loaded.push({ id: a.id, kind: a.kind, state: s.state });
    }
    for (const a of loaded) {
      const id = a.id.slice(a.kind.length + 1);
      const ok =
        a.kind === 'agent'
          ? this.spawnAgent(id, (a.state as { context?: { name?: string } })?.context?.name ?? id, 'enqueue', a.state)
          : this.spawnRoom(id, a.state);
      if (!ok) {
        this.logger.info('snapshot refused by the machine; replaying the log from the start', { actorId: a.id });
        for (const e of [...this.agents.values(), ...this.rooms.values()]) e.actor.stop();
        this.agents.clear();
        this.rooms.clear();
        return 0;
      }
    }
    this.dirty.clear();
    return sys.seq;
  }

  private scheduleSnapshots(): void {
    if (this.snapshotTimer || this.stopped) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined;
      void this.flushSnapshots().catch((err) => this.logger.warn('snapshot flush failed', { error: String(err) }));
    }, this.settings.snapshotDelayMs);
    this.snapshotTimer.unref();
  }

  private flushing: Promise<void> = Promise.resolve();

  /** Writes the changed actors, then the system record naming every actor and its snapshot seq. */
  flushSnapshots(): Promise<void> {
    const run = this.flushing.then(async () => {
      if (this.dirty.size === 0) return;
      const seq = this.processedSeq;
      const writes: { actorId: string; state: unknown; version: string }[] = [];
      const gone: string[] = [];
      for (const id of this.dirty) {
        const [kind, ...rest] = id.split('-');
        const entry = kind === 'agent' ? this.agents.get(rest.join('-')) : this.rooms.get(rest.join('-'));
        if (entry && entry.actor.getSnapshot().status === 'active') writes.push({ actorId: id, state: persist(entry.actor), version: kind === 'agent' ? AGENT_MACHINE_VERSION : ROOM_MACHINE_VERSION });
        else if (!entry) gone.push(id);
      }
      this.dirty.clear();
      const previous = (await this.deps.store.snapshots.load(SYSTEM_SNAPSHOT_ID).catch(() => undefined))?.state as SystemSnapshotState | undefined;
      const seqs = new Map((previous?.actors ?? []).map((a) => [a.id, a.seq] as const));
      for (const w of writes) {
        await this.deps.store.snapshots.save({ actorId: w.actorId, seq, machineVersion: w.version, state: w.state });
        seqs.set(w.actorId, seq);
      }
      const actors: SystemSnapshotState['actors'] = [];
      for (const id of this.agents.keys()) if (seqs.has(`agent-${id}`)) actors.push({ id: `agent-${id}`, kind: 'agent', seq: seqs.get(`agent-${id}`)! });
      for (const id of this.rooms.keys()) if (seqs.has(`room-${id}`)) actors.push({ id: `room-${id}`, kind: 'room', seq: seqs.get(`room-${id}`)! });
      for (const id of gone) await this.deps.store.snapshots.delete(id); // deleted agents leave no snapshot behind
      await this.deps.store.snapshots.save({ actorId: SYSTEM_SNAPSHOT_ID, seq, machineVersion: `${SYSTEM_MACHINE_VERSION}/${AGENT_MACHINE_VERSION}/${ROOM_MACHINE_VERSION}`, state: { actors } satisfies SystemSnapshotState });
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  // ── small helpers ────────────────────────────────────────────────────────────────────────────

  private reached(seq: number): Promise<void> {
    if (this.processedSeq >= seq || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  private notifyChange(): void {
    const w = this.changeWaiters;
    this.changeWaiters = [];
    for (const f of w) f();
  }
}
