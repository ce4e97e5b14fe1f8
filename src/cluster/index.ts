import type { AppendClaim } from '../events/envelope.ts';
import type { Ownership } from '../actors/types.ts';
import type { Logger } from '../shared/logger.ts';
import { Membership } from './membership.ts';
import { nodeIdentity } from './node-identity.ts';

export { Membership, readNodeRows, type NodeRow } from './membership.ts';
export { ownerOf } from './rendezvous.ts';
export { nodeIdentity } from './node-identity.ts';

export interface ClusterHealth {
  nodeId: string;
  /** The fencing token of its lease; null while it holds none (it lost it and has not joined again). */
  token: number | null;
  /** Seq its read models have reached, and how far that is behind the log's head. */
  position: number;
  lag: number;
  live: string[];
  owned: string[];
}

/** This process as a node of the cluster: its lease (Membership) and the actors it owns. */
export class ClusterNode implements Ownership {
  private position: () => number = () => 0;
  private actorIds: () => readonly string[] = () => [];

  constructor(readonly membership: Membership) {}

  /** Joins the cluster of everyone sharing DATABASE_URL (see membership.ts for the lease and its fencing). */
  static async join(options: { databaseUrl: string; dataDir: string; nodeId?: string; leaseMs: number; logger: Logger }): Promise<ClusterNode> {
    const membership = await Membership.start({
      url: options.databaseUrl,
      nodeId: nodeIdentity(options.dataDir, options.nodeId),
      leaseMs: options.leaseMs,
      logger: options.logger,
    });
    return new ClusterNode(membership);
  }

  get nodeId(): string {
    return this.membership.nodeId;
  }

  /** Where the node's read models are and which actors exist, published with every heartbeat. */
  track(position: () => number, actorIds: () => readonly string[]): void {
    this.position = position;
    this.actorIds = actorIds;
    this.membership.setReport({ position, owned: () => this.owned().length });
  }

  owns(actorId: string): boolean {
    return this.membership.owns(actorId);
  }

  claim(actorId: string): AppendClaim | undefined {
    return this.membership.claim(actorId);
  }

  ownerOf(actorId: string): string | undefined {
    return this.membership.ownerOf(actorId);
  }

  onChange(listener: () => void): () => void {
    return this.membership.onChange(listener);
  }

  owned(): string[] {
    return this.actorIds().filter((id) => this.membership.owns(id));
  }

  health(head: number): ClusterHealth {
    const position = this.position();
    return {
      nodeId: this.nodeId,
      token: this.membership.token ?? null,
      position,
      lag: Math.max(0, head - position),
      live: [...this.membership.live],
      owned: this.owned(),
    };
  }

  stop(): Promise<void> {
    return this.membership.stop();
  }
}
