import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * Files in DATA_DIR. The log (events.db) is the truth; read.db is derived and may be deleted at any
 * time; the two key files must be backed up with the log (without data.key, sealed secrets in the log
 * cannot be opened again).
 */
export function dataPaths(dataDir: string) {
  return {
    events: join(dataDir, 'events.db'),
    read: join(dataDir, 'read.db'),
    jwtSecret: join(dataDir, 'jwt.secret'),
    dataKey: join(dataDir, 'data.key'),
  };
}

export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
}

/** Reads a key file, creating it with 32 random bytes (hex, mode 0600) the first time. */
export function readOrCreateKey(path: string): string {
  if (existsSync(path)) {
    const key = readFileSync(path, 'utf8').trim();
    if (key.length < 32) throw new Error(`${path} holds a key shorter than 32 characters; refusing to use it`);
    return key;
  }
  const key = randomBytes(32).toString('hex');
  writeFileSync(path, key + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return key;
}
