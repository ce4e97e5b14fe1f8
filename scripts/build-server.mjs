// Compiles the server (src/, plugins/ and the program entry bin/main.ts) to plain JavaScript in dist/, so
// `npm start` and the `chronicle` bin run node directly instead of a TypeScript loader: the program as one
// bundle (buildProgramBundle below, what bin/chronicle.js runs), and beside it one output file per source
// file. Each file keeps its place in the tree (dist/src/…, dist/plugins/…, dist/bin/main.js), so `import.meta.url`-relative paths (workers,
// bundled plugin children) still point where they did; the .mjs/.json/.wasm files beside the sources
// are copied as they are. esbuild in bundle mode with every import marked external gives exactly that:
// one file per entry point, relative `.ts` specifiers rewritten to `.js`.
//
// Run by `npm install` (prepare), by `npm start` (prestart) and by bin/chronicle.js when the sources are
// newer than dist/.stamp; a full build of ~220 files takes about a second. Concurrent callers (parallel
// CLI runs in tests) serialise on a lock directory; the stamp is written last, so a half-written dist is
// never taken for a fresh one.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const distDir = join(root, 'dist');
const SOURCE_DIRS = ['src', 'plugins', 'bin'];
const COPIED = /\.(mjs|cjs|json|wasm)$/;
const stampFile = join(distDir, '.stamp');
const lockDir = join(root, '.dist.lock');

function walk(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

function sourceFiles() {
  return SOURCE_DIRS.flatMap((d) => walk(join(root, d)));
}

/** True when dist/ is missing or any source (or this script) is newer than the last complete build. */
export function isStale() {
  let built;
  try {
    built = statSync(stampFile).mtimeMs;
  } catch {
    return true;
  }
  const self = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  if (self > built) return true;
  for (const dir of SOURCE_DIRS) {
    // A directory's mtime changes when a file is added, removed or renamed in it.
    for (const file of [join(root, dir), ...walkWithDirs(join(root, dir))]) if (statSync(file).mtimeMs > built) return true;
  }
  return false;
}

function walkWithDirs(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push(path);
    if (entry.isDirectory()) walkWithDirs(path, out);
  }
  return out;
}

const relativeTsToJs = {
  name: 'relative-ts-to-js',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const path = /^\.\.?\//.test(args.path) ? args.path.replace(/\.(m?)ts$/, '.$1js') : args.path;
      return { path, external: true };
    });
  },
};

export async function buildServer() {
  // Imported here, not at the top: every `chronicle` command runs the stale check, and loading esbuild's
  // JavaScript API costs more than the check itself; only a build needs it.
  const { build, stop: stopEsbuild } = await import('esbuild');
  const files = sourceFiles().filter((f) => !f.endsWith('.test.ts'));
  const entryPoints = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.d.mts'));
  rmSync(stampFile, { force: true });
  await build({
    entryPoints,
    outdir: distDir,
    outbase: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    legalComments: 'none',
    plugins: [relativeTsToJs],
  });
  await buildProgramBundle(build);
  // esbuild keeps a service process (~80 MB) alive for further builds; this process (often the server
  // itself, via bin/chronicle.js) will not build again.
  await stopEsbuild();
  for (const file of files.filter((f) => COPIED.test(f))) {
    const target = join(distDir, relative(root, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
  writeFileSync(join(distDir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(stampFile, `${new Date().toISOString()} ${entryPoints.length} modules\n`);
}

/**
 * The program itself (bin/main.ts and everything it imports, with zod, xstate and rxjs) as one ES module
 * plus the chunks its lazy `import()`s split into: Node then opens, compiles and links a few files at
 * start instead of ~240 of dist/ and ~100 of zod's and rxjs's (about a third of the start's CPU). The
 * per-file tree above stays: the plugin child, the workers and a plugin folder are still found beside
 * their sources, so each bundled module's `import.meta.url` is rewritten to the URL its own file has in
 * that tree. Packages with native code or files of their own, and the lazily loaded SDKs, stay imports.
 * meta.json (esbuild's metafile) says which sources each chunk holds; the module-load tests read it.
 */
export const bundleDir = join(distDir, 'bundle');
const BUNDLED_PACKAGES = new Set(['zod', 'xstate', 'rxjs']);

const sourceUrlsInTree = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const name = /^(@[^/]+\/)?[^/]+/.exec(args.path)[0];
      return BUNDLED_PACKAGES.has(name) ? undefined : { path: args.path, external: true };
    });
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      let contents = readFileSync(args.path, 'utf8');
      if (contents.includes('import.meta.url')) {
        const inTree = relative(bundleDir, join(distDir, relative(root, args.path))).replace(/\.ts$/, '.js');
        contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(inTree)}, import.meta.url).href`);
      }
      return { contents, loader: 'ts' };
    });
  },
};

async function buildProgramBundle(build) {
  rmSync(bundleDir, { recursive: true, force: true });
  const { metafile } = await build({
    entryPoints: { main: join(root, 'bin', 'main.ts') },
    absWorkingDir: root,
    outdir: bundleDir,
    bundle: true,
    splitting: true,
    chunkNames: '[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    // rxjs is CommonJS: its require() of Node's built-ins needs a real `require` in an ES module.
    banner: { js: "import { createRequire as __chronicleRequire } from 'node:module'; const require = __chronicleRequire(import.meta.url);" },
    plugins: [sourceUrlsInTree],
  });
  writeFileSync(join(bundleDir, 'meta.json'), JSON.stringify(metafile));
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds when stale; one builder at a time, the others wait for its stamp (at most 60 s). */
export async function buildIfStale({ quiet = false } = {}) {
  if (!isStale()) return false;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      // A lock older than the deadline belongs to a builder that died: take it over.
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 60_000) rmSync(lockDir, { recursive: true, force: true });
      } catch {}
      if (Date.now() > deadline) throw new Error(`another build of dist/ holds ${lockDir} for over 60 s; remove it if no build is running`);
      sleep(50);
    }
  }
  try {
    if (!isStale()) return false;
    const started = Date.now();
    await buildServer();
    if (!quiet) process.stderr.write(`chronicle: compiled src/, plugins/ and bin/ to dist/ in ${Date.now() - started} ms\n`);
    return true;
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  if (force) {
    await buildServer();
    process.stderr.write('chronicle: dist/ rebuilt\n');
  } else {
    await buildIfStale();
  }
}
