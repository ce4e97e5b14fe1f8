import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as UwsTypes from 'uWebSockets.js';

export type Uws = typeof UwsTypes;

export class UwsFallbackError extends Error {
  override readonly name = 'UwsFallbackError';
}

/**
 * Which implementation the `uWebSockets.js` package (the trufflesuite wrapper) handed us. Its
 * src/uws.js requires binaries/uws_<platform>_<arch>_<abi>.node and, if that throws (or
 * UWS_USE_FALLBACK is set), silently returns a slow pure-JS implementation built on `ws` from
 * dist/index.js. Two independent signs tell them apart: the native App is a C++ function
 * ("[native code]"), and a .node addon from the package's folder sits in the require cache.
 */
export function describeUws(mod: { App?: unknown }, loadedModules: readonly string[], packageDir: string): { native: boolean; reason: string } {
  const app = mod.App;
  const nativeApp = typeof app === 'function' && Function.prototype.toString.call(app).includes('[native code]');
  const addon = loadedModules.find((p) => p.startsWith(packageDir) && p.endsWith('.node'));
  if (nativeApp && addon) return { native: true, reason: `native addon ${addon}` };
  const fallback = loadedModules.find((p) => p.startsWith(packageDir) && /[\\/]dist[\\/]index\.js$/.test(p));
  return {
    native: false,
    reason: fallback
      ? `the JavaScript fallback (${fallback}) was loaded instead of the native addon`
      : `App is ${nativeApp ? 'native but no addon was found in the require cache' : 'not native code'}`,
  };
}

/**
 * Loads uWebSockets.js and refuses to go on with its JS fallback: it would work, slowly, and nobody
 * would notice — so start-up fails with a clear message instead.
 */
export function loadNativeUws(): Uws {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('uWebSockets.js');
  const packageDir = dirname(dirname(entry));
  const mod = require('uWebSockets.js') as Uws;
  const verdict = describeUws(mod, Object.keys(require.cache), packageDir);
  if (!verdict.native) {
    throw new UwsFallbackError(
      `uWebSockets.js native addon did not load: ${verdict.reason}. ` +
        `Chronicle refuses to run on the slow fallback. Check that Node ${process.versions.node} (ABI ${process.versions.modules}) on ` +
        `${process.platform}-${process.arch} has a binary in ${packageDir}/binaries and that UWS_USE_FALLBACK is not set.`,
    );
  }
  return mod;
}
