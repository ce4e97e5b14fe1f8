import { createRequire } from 'node:module';
import { join } from 'node:path';
import { localPluginDir } from './loader.ts';

/**
 * Whether a plugin could be loaded here: a folder of Chronicle's plugins/, or an npm package that
 * resolves from the working directory or from Chronicle's own install. Only answers "is it there"
 * — loading (and isolating) it stays the plugin host's job.
 */
export function isPluginInstalled(name: string): boolean {
  if (localPluginDir(name)) return true;
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name)) return false;
  for (const from of [join(process.cwd(), 'package.json'), import.meta.url]) {
    try {
      createRequire(from).resolve(name);
      return true;
    } catch (err) {
      // The package is there but exports nothing to require(): still installed (an ESM-only plugin).
      const code = (err as { code?: string }).code;
      if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return true;
    }
  }
  return false;
}
