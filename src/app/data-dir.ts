import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * Files in DATA_DIR. The log (events.db) is the truth; read.db is derived and may be deleted at any
 * time; the two key files must be backed up with the log (without data.key, sealed secrets in the log
 * cannot be opened again). Every file here is the owner's alone (0600, the directory 0700 when we
 * create it): the log holds sealed secrets and every message.
 */
export function dataPaths(dataDir: string) {
  return {
    events: join(dataDir, 'events.db'),
    read: join(dataDir, 'read.db'),
    jwtSecret: join(dataDir, 'jwt.secret'),
    dataKey: join(dataDir, 'data.key'),
    /** The last position whose hash chain was verified at a start (see log-check.ts); not part of the log. */
    verifiedHead: join(dataDir, 'verified-head.json'),
  };
}

export type DataPaths = ReturnType<typeof dataPaths>;

export function ensureDataDir(dataDir: string): void {
  if (existsSync(dataDir)) return;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700); // mkdir's mode passes through the umask
}

/**
 * Makes the SQLite files owner-only before they are opened: a missing database file is created empty
 * with mode 0600 (SQLite then gives its -wal and -shm files the same mode), and files an older version
 * left world-readable are tightened.
 */
export function secureDataFiles(paths: DataPaths): void {
  for (const db of [paths.events, paths.read, `${paths.events}-writer.lock`]) {
    if (!existsSync(db)) closeSync(openSync(db, 'a', 0o600));
  }
  const files = [paths.events, paths.read].flatMap((db) => [db, `${db}-wal`, `${db}-shm`, `${db}-writer.lock`]);
  for (const file of [...files, paths.jwtSecret, paths.dataKey, paths.verifiedHead]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

/** Reads a key file, creating it with 32 random bytes (hex, mode 0600) the first time. */
export function readOrCreateKey(path: string): string {
  if (existsSync(path)) return checkedKey(readFileSync(path, 'utf8'), path);
  const key = randomBytes(32).toString('hex');
  writeFileSync(path, key + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return key;
}

function checkedKey(raw: string, source: string): string {
  const key = raw.trim();
  if (key.length < 32) throw new Error(`${source} holds a key shorter than 32 characters; refusing to use it`);
  return key;
}

/** The data key: DATA_KEY (the content of a data.key file) when set, else DATA_DIR/data.key (created if missing). */
export function dataKeyOf(settings: { dataKey?: string }, paths: DataPaths): string {
  return settings.dataKey !== undefined ? checkedKey(settings.dataKey, 'DATA_KEY') : readOrCreateKey(paths.dataKey);
}

/** The data key if one exists (DATA_KEY, or an existing data.key), without creating one. */
export function existingDataKey(settings: { dataKey?: string }, paths: DataPaths): { key: string; source: string } | undefined {
  if (settings.dataKey !== undefined) return { key: checkedKey(settings.dataKey, 'DATA_KEY'), source: 'DATA_KEY' };
  if (existsSync(paths.dataKey)) return { key: checkedKey(readFileSync(paths.dataKey, 'utf8'), paths.dataKey), source: paths.dataKey };
  return undefined;
}

/**
 * Refuses a data key that does not open the log's sealed data. The admin account's current password
 * hash is the sample: every log past its first start has one, and `chronicle admin reset-password
 * admin` re-seals it with the key in use, which is the way out when the original key is lost.
 */
export function checkDataKeyOpens(
  admin: { passwordHash: string } | undefined,
  secrets: { open(sealed: string): string },
  keySource: string,
  dataDir: string,
): void {
  if (!admin) return;
  try {
    secrets.open(admin.passwordHash);
  } catch {
    throw new Error(
      `the data key (${keySource}) does not open the sealed data in this log (the admin account's password): it is not the key the log was written with. ` +
        `Put the original data.key in ${dataDir} (or set DATA_KEY to its content). If it is lost, \`chronicle admin reset-password admin\` seals a new admin password with this key ` +
        '(other passwords and agent secrets stay unreadable until they are set again).',
    );
  }
}
