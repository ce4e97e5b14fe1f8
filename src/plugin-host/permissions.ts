import { Subscription } from '../shared/rx.ts';
import type { AnyRecordedEvent, NewEvent } from '../events/envelope.ts';
import { LogFollower } from '../events/follower.ts';
import type { EventStore } from '../events/store.ts';
import { derivedId } from '../shared/ids.ts';

/**
 * Plugin permissions. A third-party plugin declares what it needs in its manifest (`permissions`), an
 * operator grants them per agent with `plugin.permissions_granted/revoked` events (REST, or
 * `chronicle plugins grant`), and the isolated host enforces them at the message channel: a plugin may
 * use a capability only when it both declared it and was granted it for the agent it is working for.
 * A plugin that declares nothing runs with what it was granted. Grammar (one string per permission):
 *
 *   events:read:<event type>     read that kind of event (queries, plugin event handlers)
 *   events:append:<event type>   have the agent record that kind of event (runtime.record)
 *   net:<host>                   reach a host over fetch (`host` or `host:port`; `*.example.com`)
 *   settings:<KEY>               read a non-secret setting with runtime.getSetting
 *   secrets:<KEY>                read a secret with runtime.getSetting
 *   models:use                   call runtime.useModel
 *   services:register            start services
 *   routes:register              serve its HTTP routes (plugin.routes; checked for sandboxed plugins)
 *
 * A trailing `*` in the last part is a wildcard in declarations and grants (`events:read:*`,
 * `net:*.example.com`), except for secrets, which must be named one by one.
 */

const PATTERNS: [RegExp, string][] = [
  [/^events:(read|append):[a-z*][a-z0-9_.*]*$/, 'events:read|append:<event type>'],
  [/^net:(\*\.)?[a-z0-9.-]+(:\d{1,5})?$|^net:\*$/, 'net:<host>[:port]'],
  [/^settings:[A-Za-z0-9_.*-]+$/, 'settings:<KEY>'],
  [/^secrets:[A-Za-z0-9_.-]+$/, 'secrets:<KEY>'],
  [/^(models:use|services:register|routes:register)$/, 'models:use | services:register | routes:register'],
];

/** Problems with a list of permission strings (empty when all are well formed). */
export function checkPermissionList(list: unknown): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return ['permissions: must be an array of strings'];
  const problems: string[] = [];
  list.forEach((p, i) => {
    if (typeof p !== 'string') return void problems.push(`permissions[${i}]: must be a string`);
    if (!PATTERNS.some(([re]) => re.test(p))) problems.push(`permissions[${i}]: "${p}" is not a permission (${PATTERNS.map(([, h]) => h).join(', ')})`);
  });
  return problems;
}

/** Does a declared or granted entry cover a needed permission? */
export function covers(entry: string, needed: string): boolean {
  if (entry === needed) return true;
  // net:*.example.com covers sub.example.com (any port), not example.com itself.
  if (entry.startsWith('net:*.')) return needed.startsWith('net:') && needed.slice(4).split(':')[0]!.endsWith(entry.slice(5));
  if (!entry.endsWith('*') || entry.startsWith('secrets:')) return false;
  return needed.startsWith(entry.slice(0, -1));
}

/** Refused at the channel: the message names the permission, and whether it was undeclared or ungranted. */
export class PermissionDeniedError extends Error {
  override readonly name = 'PermissionDeniedError';
  constructor(
    readonly plugin: string,
    readonly permission: string,
    readonly reason: 'undeclared' | 'not_granted',
    readonly agentId?: string,
  ) {
    super(
      reason === 'undeclared'
        ? `plugin "${plugin}" needs permission "${permission}", which its manifest does not declare`
        : `plugin "${plugin}" needs permission "${permission}", which is not granted${agentId ? ` for agent ${agentId}` : ''}`,
    );
  }
}

/**
 * What a plugin may do for one agent: declared ∩ granted. A plugin that declares nothing (`permissions`
 * absent, as in every ElizaOS plugin) gets exactly what the operator granted; an explicit empty list
 * means "needs nothing", so nothing a grant says widens it.
 */
export class PermissionSet {
  constructor(
    readonly plugin: string,
    readonly declared: readonly string[] | undefined,
    readonly granted: readonly string[],
    readonly agentId?: string,
  ) {}

  private isDeclared(permission: string): boolean {
    return this.declared === undefined || this.declared.some((d) => covers(d, permission));
  }

  allows(permission: string): boolean {
    return this.isDeclared(permission) && this.granted.some((g) => covers(g, permission));
  }

  /** Throws PermissionDeniedError naming the permission when it is not allowed. */
  require(permission: string): void {
    if (!this.isDeclared(permission)) throw new PermissionDeniedError(this.plugin, permission, 'undeclared', this.agentId);
    if (!this.granted.some((g) => covers(g, permission))) throw new PermissionDeniedError(this.plugin, permission, 'not_granted', this.agentId);
  }

  /** The effective list, for handing to a child (declared entries that some grant covers or equals; the grants when nothing is declared). */
  effective(): string[] {
    if (this.declared === undefined) return [...this.granted];
    return this.declared.filter((d) => this.granted.some((g) => covers(g, d) || covers(d, g)));
  }
}

/** Where grants come from: (agent, plugin) → granted permission strings. */
export type PermissionSource = (agentId: string, plugin: string) => readonly string[];

/**
 * Grants folded from the log. Feed it events (or let `follow` subscribe it to a store); `granted` is
 * then what the latest grants and revocations say for an agent and plugin.
 */
export class PermissionLedger {
  private readonly grants = new Map<string, Set<string>>();

  apply(event: Pick<AnyRecordedEvent, 'type' | 'data'>): void {
    if (event.type !== 'plugin.permissions_granted' && event.type !== 'plugin.permissions_revoked') return;
    const data = event.data as { agentId: string; plugin: string; permissions: string[] };
    const key = `${data.agentId}\u0000${data.plugin}`;
    const set = this.grants.get(key) ?? new Set<string>();
    for (const p of data.permissions) event.type === 'plugin.permissions_granted' ? set.add(p) : set.delete(p);
    this.grants.set(key, set);
  }

  granted(agentId: string, plugin: string): string[] {
    return [...(this.grants.get(`${agentId}\u0000${plugin}`) ?? [])];
  }

  /** A PermissionSource bound to this ledger. */
  readonly source: PermissionSource = (agentId, plugin) => this.granted(agentId, plugin);

  /**
   * Catch up with the log and stay live (a LogFollower reading only grant events on its catch-up).
   * Unsubscribe to stop.
   */
  follow(store: EventStore): Subscription {
    const follower = new LogFollower(store, {
      name: 'permission-ledger',
      from: 0,
      types: ['plugin.permissions_granted', 'plugin.permissions_revoked'],
      handle: (events) => {
        for (const e of events) this.apply(e);
      },
    });
    follower.start().catch(() => undefined); // rejected only when stopped first
    return new Subscription(() => follower.stop());
  }
}

/** The event that grants permissions to a plugin for one agent (append it to the agent's stream). */
export function grantEvent(agentId: string, plugin: string, permissions: string[], grantedBy: string): NewEvent {
  const problems = checkPermissionList(permissions);
  if (problems.length) throw new Error(problems.join('; '));
  return {
    id: derivedId('plugin.permissions_granted', agentId, plugin, permissions.join(','), grantedBy, String(Date.now())),
    type: 'plugin.permissions_granted',
    data: { agentId, plugin, permissions, grantedBy },
    meta: { author: { kind: 'user', id: grantedBy } },
  };
}

export function revokeEvent(agentId: string, plugin: string, permissions: string[], revokedBy: string): NewEvent {
  return {
    id: derivedId('plugin.permissions_revoked', agentId, plugin, permissions.join(','), revokedBy, String(Date.now())),
    type: 'plugin.permissions_revoked',
    data: { agentId, plugin, permissions, revokedBy },
    meta: { author: { kind: 'user', id: revokedBy } },
  };
}

/** Which permission a runtime capability needs. One table, used by the host side of the channel. */
export const needs = {
  recentMessages: 'events:read:message.posted',
  knowledge: 'events:read:knowledge.chunk_embedded',
  facts: 'events:read:agent.fact_recorded',
  roomMode: 'events:append:agent.room_mode_changed',
  fact: 'events:append:agent.fact_recorded',
  model: 'models:use',
  services: 'services:register',
  net: (host: string) => `net:${host}`,
  setting: (key: string, secret: boolean) => `${secret ? 'secrets' : 'settings'}:${key}`,
  /** ElizaOS event names → the log event they stand for. */
  pluginEvent: (name: string) =>
    `events:read:${({ MESSAGE_RECEIVED: 'message.posted', ACTION_COMPLETED: 'action.completed', RUN_STARTED: 'reply.traced', RUN_ENDED: 'reply.traced' } as Record<string, string>)[name] ?? `plugin_event.${name.toLowerCase()}`}`,
} as const;

/**
 * The events for an operator's change `{plugin, grant?: [...], revoke?: [...]}` to one agent's plugin
 * permissions (the REST route appends them to the agent's stream). Throws with every problem named.
 */
export function permissionChangeEvents(agentId: string, input: unknown, by: string): NewEvent[] {
  const body = (input ?? {}) as { plugin?: unknown; grant?: unknown; revoke?: unknown };
  const problems: string[] = [];
  if (typeof body.plugin !== 'string' || !body.plugin.trim() || body.plugin.length > 214) problems.push('plugin: a plugin name is required');
  for (const key of ['grant', 'revoke'] as const) problems.push(...checkPermissionList(body[key]).map((p) => p.replace(/^permissions/, key)));
  const grant = (body.grant ?? []) as string[];
  const revoke = (body.revoke ?? []) as string[];
  if (!problems.length && !grant.length && !revoke.length) problems.push('grant or revoke: at least one permission is required');
  if (problems.length) throw new Error(problems.join('; '));
  const plugin = body.plugin as string;
  return [...(grant.length ? [grantEvent(agentId, plugin, grant, by)] : []), ...(revoke.length ? [revokeEvent(agentId, plugin, revoke, by)] : [])];
}
