import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sha256Hex } from '../../shared/ids.ts';

/**
 * The sandboxed child cannot run a TypeScript loader: Node's module hooks need a worker thread and
 * esbuild's transform a child process, both refused to the plugin. So the host bundles the child's
 * code (child-main.ts and what it imports) into one plain .mjs once per server process, and does the
 * same for a plugin file written in TypeScript. The bundles live in a private temp folder that the
 * child may read; npm packages are plain JavaScript and load from where they are installed.
 */

let dir: string | undefined;
let childScript: Promise<string> | undefined;
const pluginBundles = new Map<string, Promise<string>>();

function bundleDir(): string {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'chronicle-plugin-child-'));
    const made = dir;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return dir;
}

async function bundle(entry: string, outfile: string): Promise<string> {
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent', legalComments: 'none' });
  return outfile;
}

/** The folder the bundles are written to (the child is allowed to read it). */
export function childBundleDir(): string {
  return bundleDir();
}

/** The child's entry script, bundled on first use. */
export function childScriptPath(): Promise<string> {
  childScript ??= bundle(fileURLToPath(new URL('./child-main.ts', import.meta.url)), join(bundleDir(), 'child-main.mjs'));
  childScript.catch(() => (childScript = undefined));
  return childScript;
}

/** A plugin file the child can import: TypeScript is bundled to JavaScript, anything else as is. */
export function loadablePluginFile(file: string): Promise<string> {
  if (!/\.(ts|mts|cts|tsx)$/.test(file)) return Promise.resolve(file);
  let p = pluginBundles.get(file);
  if (!p) {
    p = bundle(file, join(bundleDir(), `plugin-${sha256Hex(file).slice(0, 12)}-${basename(file).replace(/\.\w+$/, '')}.mjs`));
    pluginBundles.set(file, p);
    p.catch(() => pluginBundles.delete(file));
  }
  return p;
}
