// Builds the web client into web/dist when it is missing or older than its sources: run by `npm start`
// (prestart) so a fresh clone serves the page, and by the browser tests. A fresh build costs ~2 s; the
// check costs a few stat calls.
import { spawnSync } from 'node:child_process';
import { renameSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = dirname(fileURLToPath(import.meta.url));

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

export function isStale() {
  let built;
  try {
    built = statSync(join(web, 'dist', 'index.html')).mtimeMs;
  } catch {
    return true;
  }
  const sources = Math.max(newest(join(web, 'src')), newest(join(web, 'index.html')), newest(join(web, 'vite.config.ts')));
  return sources > built;
}

export function buildWeb() {
  const vite = join(web, '..', 'node_modules', 'vite', 'bin', 'vite.js');
  // Built beside web/dist and swapped in, so a server (or a parallel build) never sees a half-written dist.
  const tmp = join(web, `.dist-${process.pid}-${Date.now()}`);
  const r = spawnSync(process.execPath, [vite, 'build', '--config', join(web, 'vite.config.ts'), '--outDir', tmp], { stdio: 'inherit' });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`web client build failed (exit ${r.status})`);
  }
  const old = `${tmp}-old`;
  try {
    renameSync(join(web, 'dist'), old);
  } catch {
    // no previous build
  }
  renameSync(tmp, join(web, 'dist'));
  rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--force') || isStale()) {
    buildWeb();
    console.error('web client built into web/dist');
  }
}
