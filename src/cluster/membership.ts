import pg from 'pg';
import type { AppendClaim } from '../events/envelope.ts';
import { LeaseLostError } from '../events/errors.ts';
import { applySchemaExclusively } from '../events/postgres/apply-schema.ts';
import type { AppendFence } from '../events/postgres/postgres-event-store.ts';
import { silentLogger, type Logger } from '../shared/logger.ts';
import { ownerOf } from './rendezvous.ts';
import { createClusterSchema } from './schema.sql.ts';

export interface NodeRow {
  nodeId: string;
  token: number;
  url: string | null;
  pid: number | null;
  /** The seq its actors have folded (its lag is the log's head minus this). */
  position: number;
  /** Actors it owned at its last heartbeat. */
  owned: number;
  /** Positive while its lease holds (PostgreSQL's clock). */
  expiresInMs: number;
  heartbeatAgoMs: number;
  live: boolean;
}

export interface MembershipOptions {
  url: string;
  nodeId: string;
  /** The log's schema (default "chronicle"): the lease table sits beside the log. */
  schema?: string;
  /** How long a lease lasts without a heartbeat (default 5,000 ms): the failover time's main term. */
  leaseMs?: number;
  /** How often the node renews its lease and reads the others' (default leaseMs / 4). */
  heartbeatMs?: number;
  logger?: Logger;
}

/** What the node tells the others at every heartbeat. */
export interface NodeReport {
  url?: string;
  position?: () => number;
  owned?: () => number;
}

const parseRow = (r: Record<string, unknown>): NodeRow => ({
  nodeId: String(r.node_id),
  token: Number(r.token),
  url: (r.url as string | null) ?? null,
  pid: r.pid === null ? null : Number(r.pid),
  position: Number(r.position),
  owned: Number(r.owned),
  expiresInMs: Number(r.expires_in_ms),
  heartbeatAgoMs: Number(r.heartbeat_ago_ms),
  live: Number(r.expires_in_ms) > 0,
});

/**
 * This node's lease in PostgreSQL, renewed by a heartbeat, and its view of the live nodes, from which
 * every actor's owner follows by rendezvous hashing (rendezvous.ts).
 *
 * Why a lease table and not advisory locks: an advisory lock lives as long as the connection that
 * holds it, and a paused process (SIGSTOP, a long GC, a VM migration) keeps its TCP connection open —
 * the kernel still answers for it — so the lock would never pass to another node; a partitioned node's
 * lock lasts until TCP keepalive gives up (hours by default). A lease row expires on PostgreSQL's clock
 * whatever happens to the connection. Fencing needs a token checked at append either way, and the
 * token here is the lease's own (a new one at every join).
 *
 * The node notices a lost lease two ways: a renewal that finds its row expired or re-taken, and its
 * own watch (no renewal for leaseMs since the last one was sent, e.g. after SIGCONT). Either way it
 * drops its lease at once (owns() is false for everything, listeners hear it), then joins again
 * with a new token.
 */
export class Membership {
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  private readonly t: string;
  private readonly logger: Logger;
  private report: NodeReport = {};
  private tokenHeld: number | undefined;
  /** performance.now() when the renewal that last succeeded was sent: the lease holds until that + leaseMs at least. */
  private renewedSentAt = 0;
  private liveIds: string[] = [];
  private rows: NodeRow[] = [];
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private watch: NodeJS.Timeout | undefined;
  private stopped = false;
  private beating: Promise<void> = Promise.resolve();

  private constructor(
    private readonly pool: pg.Pool,
    options: MembershipOptions,
  ) {
    this.nodeId = options.nodeId;
    this.leaseMs = options.leaseMs ?? 5_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.floor(this.leaseMs / 4));
    this.t = `"${options.schema ?? 'chronicle'}"`;
    this.logger = options.logger ?? silentLogger;
  }

  /** Creates the lease table if needed, joins (takes a lease) and starts the heartbeat. */
  static async start(options: MembershipOptions): Promise<Membership> {
    // Its own two connections: a heartbeat must never queue behind appends or long reads.
    const pool = new pg.Pool({ connectionString: options.url, max: 2 });
    pool.on('error', (err) => options.logger?.warn('cluster connection', { error: String(err) }));
    const m = new Membership(pool, options);
    try {
      await applySchemaExclusively(pool, options.schema ?? 'chronicle', createClusterSchema(options.schema ?? 'chronicle'));
      await m.beat();
      if (m.tokenHeld === undefined) throw new Error('could not take a lease in the cluster table');
    } catch (err) {
      await pool.end();
      throw err;
    }
    m.schedule();
    return m;
  }

  /** What this node publishes with each heartbeat (its URL once it listens, its position, its actor count). */
  setReport(report: NodeReport): void {
    this.report = { ...this.report, ...report };
  }

  /** The fencing token of the lease held now; undefined while the node holds none. */
  get token(): number | undefined {
    return this.tokenHeld;
  }

  /** Ids of the live nodes as of the last heartbeat (this one included while it holds its lease). */
  get live(): readonly string[] {
    return this.liveIds;
  }

  /** Every node row as of the last heartbeat, dead ones too. */
  get nodes(): readonly NodeRow[] {
    return this.rows;
  }

  owns(actorId: string): boolean {
    return this.tokenHeld !== undefined && ownerOf(actorId, this.liveIds) === this.nodeId;
  }

  ownerOf(actorId: string): string | undefined {
    return ownerOf(actorId, this.liveIds);
  }

  /** The claim to append under for an actor this node owns now; undefined if it does not own it. */
  claim(actorId: string): AppendClaim | undefined {
    return this.owns(actorId) ? { actorId, token: this.tokenHeld! } : undefined;
  }

  /** Called whenever the live set or this node's lease changes: ownership may have moved. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The store's append fence: inside the append transaction (under the head lock), an append made
   * under a claim goes through only if the claim's token is this node's live lease now and the live
   * set now, on PostgreSQL's clock, still makes this node the actor's owner.
   */
  readonly fence: AppendFence = async (tx, claims) => {
    const { rows } = await tx.query<{ node_id: string; token: string }>(
      `SELECT node_id, token FROM ${this.t}.cluster_nodes WHERE expires_at > clock_timestamp()`,
    );
    const live = rows.map((r) => r.node_id);
    const mine = rows.find((r) => r.node_id === this.nodeId);
    return claims.map((c) => {
      if (!mine || Number(mine.token) !== c.token)
        return new LeaseLostError(c.actorId, `the lease of node ${this.nodeId} under token ${c.token} has expired or been replaced`);
      const owner = ownerOf(c.actorId, live);
      return owner === this.nodeId ? undefined : new LeaseLostError(c.actorId, `it is now owned by node ${owner}`);
    });
  };

  /** Every node row, read now (the CLI's `cluster status`). */
  async readNodes(): Promise<NodeRow[]> {
    return readNodeRows(this.pool, this.t);
  }

  /** Leaves: drops the lease now (the others take the actors over at their next heartbeat, not after leaseMs). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.watch);
    await this.beating.catch(() => undefined);
    const token = this.tokenHeld;
    this.drop('stopped');
    if (token !== undefined) {
      await this.pool
        .query(`UPDATE ${this.t}.cluster_nodes SET expires_at = clock_timestamp() WHERE node_id = $1 AND token = $2`, [this.nodeId, token])
        .catch((err) => this.logger.warn('could not release the lease', { error: String(err) }));
    }
    await this.pool.end();
  }

  // ── heartbeat ───────────────────────────────────────────────────────────────────────────────

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.beating = this.beat()
        .catch((err) => this.logger.warn('cluster heartbeat failed', { error: String(err) }))
        .finally(() => this.schedule());
    }, this.heartbeatMs);
  }

  /** Renews (or takes) the lease, then reads every node's row. */
  private async beat(): Promise<void> {
    const sentAt = performance.now();
    const position = this.report.position?.() ?? 0;
    const owned = this.report.owned?.() ?? 0;
    const held = this.tokenHeld;
    if (held !== undefined) {
      const { rowCount } = await this.pool.query(
        `UPDATE ${this.t}.cluster_nodes SET heartbeat_at = clock_timestamp(), expires_at = clock_timestamp() + $3 * interval '1 millisecond', position = $4, owned = $5, url = coalesce($6, url)
         WHERE node_id = $1 AND token = $2 AND expires_at > clock_timestamp()`,
        [this.nodeId, held, this.leaseMs, position, owned, this.report.url ?? null],
      );
      // A result that arrives after the lease could have run out is no proof of holding it.
      if (this.tokenHeld !== held || this.stopped) return;
      if (rowCount === 1 && performance.now() < sentAt + this.leaseMs) this.renewed(sentAt);
      else this.drop(rowCount === 1 ? 'the renewal came back too late' : 'the lease had expired or was taken by another process with this NODE_ID');
    }
    if (this.tokenHeld === undefined && !this.stopped) {
      const { rows } = await this.pool.query<{ token: string }>(
        `INSERT INTO ${this.t}.cluster_nodes (node_id, token, url, pid, joined_at, heartbeat_at, expires_at, position, owned)
         VALUES ($1, nextval('${this.t}.cluster_tokens'), $2, $3, clock_timestamp(), clock_timestamp(), clock_timestamp() + $4 * interval '1 millisecond', $5, 0)
         ON CONFLICT (node_id) DO UPDATE SET token = EXCLUDED.token, url = coalesce(EXCLUDED.url, ${this.t}.cluster_nodes.url), pid = EXCLUDED.pid,
           joined_at = EXCLUDED.joined_at, heartbeat_at = EXCLUDED.heartbeat_at, expires_at = EXCLUDED.expires_at, position = EXCLUDED.position, owned = 0
         RETURNING token`,
        [this.nodeId, this.report.url ?? null, process.pid, this.leaseMs, position],
      );
      if (this.stopped) return;
      if (performance.now() < sentAt + this.leaseMs) {
        this.tokenHeld = Number(rows[0].token);
        this.renewed(sentAt);
        this.logger.info('joined the cluster', { nodeId: this.nodeId, token: this.tokenHeld });
      }
    }
    const rows = await readNodeRows(this.pool, this.t);
    const live = rows.filter((r) => r.live).map((r) => r.nodeId);
    this.rows = rows;
    if (this.tokenHeld !== undefined && !live.includes(this.nodeId)) return this.drop('its row is not live');
    if (live.join() !== this.liveIds.join()) {
      this.logger.info('cluster membership changed', { nodeId: this.nodeId, live });
      this.liveIds = live;
      this.changed();
    }
  }

  private renewed(sentAt: number): void {
    this.renewedSentAt = sentAt;
    clearTimeout(this.watch);
    // The node's own watch: past this moment PostgreSQL may already count the lease as expired.
    this.watch = setTimeout(() => this.checkLocalExpiry(), Math.max(0, sentAt + this.leaseMs - performance.now()));
  }

  private checkLocalExpiry(): void {
    if (this.tokenHeld !== undefined && performance.now() >= this.renewedSentAt + this.leaseMs)
      this.drop(`no renewal for ${this.leaseMs} ms (was the process paused?)`);
  }

  /** Gives the lease up locally: nothing is owned until the next join. */
  private drop(reason: string): void {
    if (this.tokenHeld === undefined) return;
    if (!this.stopped) this.logger.warn('lost the cluster lease: dropping every actor', { nodeId: this.nodeId, token: this.tokenHeld, reason });
    this.tokenHeld = undefined;
    clearTimeout(this.watch);
    this.liveIds = this.liveIds.filter((id) => id !== this.nodeId);
    this.changed();
  }

  private changed(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch (err) {
        this.logger.error('cluster listener failed', { error: String(err) });
      }
    }
  }
}

/** Every node row with its lease's remaining time on PostgreSQL's clock. */
export async function readNodeRows(db: pg.Pool | pg.ClientBase, table: string): Promise<NodeRow[]> {
  const { rows } = await db.query(
    `SELECT node_id, token, url, pid, position, owned,
            floor(extract(epoch FROM (expires_at - clock_timestamp())) * 1000) AS expires_in_ms,
            floor(extract(epoch FROM (clock_timestamp() - heartbeat_at)) * 1000) AS heartbeat_ago_ms
       FROM ${table}.cluster_nodes ORDER BY node_id`,
  );
  return rows.map(parseRow);
}
