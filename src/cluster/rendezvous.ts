import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest-random-weight) hashing: an actor belongs to the live node whose hash of
 * (node, actor) is highest. Every node computes the same owner from the same live set with no
 * coordination, and when a node joins or leaves only the actors it wins or held move (about 1/N of
 * them), not a reshuffle of everything as with `hash mod N`.
 */
export function ownerOf(actorId: string, liveNodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const node of liveNodes) {
    const score = weight(node, actorId);
    // Ties (astronomically rare) go to the smaller node id, so every node still agrees.
    if (score > bestScore || (score === bestScore && best !== undefined && node < best)) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}

/** The first 48 bits of SHA-256(node \0 actor): uniform, and the same on every machine. */
function weight(node: string, actorId: string): number {
  return createHash('sha256').update(`${node}\u0000${actorId}`).digest().readUIntBE(0, 6);
}
