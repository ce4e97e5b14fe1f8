import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const VALID_NODE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/**
 * The node's name in the cluster: NODE_ID when set, else the one generated at this DATA_DIR's first
 * clustered start (DATA_DIR/node-id), so a restarted node comes back as itself and gets its actors
 * back (rendezvous hashing is by node id). Two processes must never share one: the second's join
 * takes the lease over and the first one fences itself off.
 */
export function nodeIdentity(dataDir: string, nodeId: string | undefined): string {
  if (nodeId !== undefined) {
    if (!VALID_NODE_ID.test(nodeId)) throw new Error(`NODE_ID "${nodeId}" must match ${VALID_NODE_ID}`);
    return nodeId;
  }
  const file = join(dataDir, 'node-id');
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (VALID_NODE_ID.test(saved)) return saved;
  }
  const generated = `node-${randomBytes(4).toString('hex')}`;
  writeFileSync(file, `${generated}\n`, { mode: 0o600 });
  return generated;
}
