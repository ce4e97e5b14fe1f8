import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { AppError } from '../app/errors.ts';
import type { Reply } from './http.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/**
 * The built web client (web/dist) at /: index.html for `/`, files by path, and 404 for anything else
 * (the client routes itself by the URL's #fragment, so no other path is a page: a scraper asking for
 * /metrics must not get the page with 200). Paths are normalised and must stay inside the root.
 */
export class StaticFiles {
  constructor(private readonly root: string) {}

  async serve(urlPath: string, reply: Reply): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath.split('?')[0]);
    } catch {
      rel = '/';
    }
    const candidate = rel === '/' ? join(this.root, 'index.html') : normalize(join(this.root, rel));
    const inside = candidate.startsWith(this.root + sep);
    const file = inside && (await isFile(candidate)) ? candidate : undefined;
    if (!file) return void reply.error(new AppError(404, 'not_found', `no page or file ${rel.slice(0, 200)} (the web client is at /)`));
    try {
      const bytes = await readFile(file);
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      const cache = file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
      reply.send(200, bytes, { 'content-type': type, 'cache-control': cache, 'x-content-type-options': 'nosniff' });
    } catch {
      reply.error(new AppError(404, 'not_found', 'not found'));
    }
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
