import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin as EsbuildPlugin } from 'esbuild';
import { sha256Hex } from '../../shared/ids.ts';

/**
 * The sandboxed child cannot run a TypeScript loader: Node's module hooks need a worker thread and
 * esbuild's transform a child process, both refused to the plugin. So the host bundles the child's
 * code (child-main.ts and what it imports) into one plain .mjs once per server process, and does the
 * same for a plugin file written in TypeScript. The bundles live in a private temp folder that the
 * child may read; npm packages are plain JavaScript and load from where they are installed.
 */

// esbuild's JavaScript API loads with the first bundle, not with the server (most servers run no
// sandboxed or TypeScript plugin).
const esbuild = () => import('esbuild');

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
  const { build } = await esbuild();
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent', legalComments: 'none' });
  return outfile;
}

/** The folder the bundles are written to (the child is allowed to read it). */
export function childBundleDir(): string {
  return bundleDir();
}

/** The child's entry script, bundled on first use. */
export function childScriptPath(): Promise<string> {
  // Beside this file: child-main.ts in a checkout run from source, child-main.js in the compiled dist/.
  const entry = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './child-main.ts' : './child-main.js', import.meta.url));
  childScript ??= bundle(entry, join(bundleDir(), 'child-main.mjs'));
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

/**
 * A plugin folder's TypeScript entry for a process that runs compiled JavaScript (dist/, no TypeScript
 * loader): its own files are bundled into one .mjs, while every npm import stays an import of the
 * very file Node would load for it (resolved from the plugin's folder with Node's `import`
 * conditions), so the plugin shares the server's @elizaos/core instance instead of carrying a copy.
 * Each plugin gets its own folder, which the caller registers for error attribution by stack.
 */
export function inProcessPluginFile(file: string): Promise<{ file: string; folder: string }> {
  let p = inProcessBundles.get(file);
  if (!p) {
    const folder = join(bundleDir(), `in-process-${sha256Hex(file).slice(0, 12)}`);
    const outfile = join(folder, `${basename(file).replace(/\.\w+$/, '')}.mjs`);
    p = esbuild()
      .then(({ build }) =>
        build({
          entryPoints: [file],
          outfile,
          bundle: true,
          platform: 'node',
          format: 'esm',
          target: 'node20',
          conditions: [],
          logLevel: 'silent',
          plugins: [packagesByAbsolutePath],
        }),
      )
      .then(() => ({ file: outfile, folder }));
    inProcessBundles.set(file, p);
    p.catch(() => inProcessBundles.delete(file));
  }
  return p;
}

const inProcessBundles = new Map<string, Promise<{ file: string; folder: string }>>();

const packagesByAbsolutePath: EsbuildPlugin = {
  name: 'packages-by-absolute-path',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'inner') return undefined; // esbuild's own resolver, asked below
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'inner' });
      if (resolved.errors.length > 0 || !resolved.path) return { path: args.path, external: true };
      return { path: resolved.path, external: true };
    });
  },
};
