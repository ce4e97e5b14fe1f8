import { isAbsolute, relative, sep } from 'node:path';

/**
 * Whether `path` is `dir` itself or below it (both absolute). Decided on the relative path between
 * them, so `..` segments are resolved rather than matched as text: `/a/b/../../etc` is not inside `/a`.
 */
export function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
