// The dependency check of `npm test` (`npm run check:deps`): the arrows between the layers run one way
// (docs/DESIGN.md, "Layers"). dependency-cruiser checks the rules below; it reads JavaScript, and its
// TypeScript support needs the `typescript` package's JavaScript compiler API, which TypeScript 7 (the
// native compiler this repository uses) does not ship. So the sources are first copied into a temporary
// mirror with their types stripped by esbuild: `a/b.ts` becomes `a/b.ts.js`, and the resolver appends
// `.js`, so the `.ts` specifiers resolve unchanged. Type-only imports are arrows too: their `type`
// markers are removed first, so esbuild keeps them (verbatimModuleSyntax).
//
//   node scripts/check-deps.mjs [--root DIR]    exit 0: no arrow runs up; 1: each wrong edge, by rule
import { cruise } from 'dependency-cruiser';
import { transform } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What is checked: the core, the plugins, the program entry and the browser client (build output and packages aside). */
export const CHECKED_DIRS = ['src', 'plugins', 'bin', 'web'];

/**
 * The rules. "Above" a layer is everything that may import it; a rule forbids the arrow back up.
 * Paths are relative to the repository root.
 */
export const rules = [
  {
    name: 'shared-imports-nothing-of-src',
    comment: 'src/shared (ids, logger, secrets) is the bottom: everything may import it, so it imports nothing else of src/',
    severity: 'error',
    from: { path: '^src/shared/' },
    to: { path: '^src/', pathNot: '^src/shared/' },
  },
  {
    name: 'events-import-nothing-above',
    comment: 'src/events (the log) sits on src/shared alone: the domain, projections, actors… are all above it',
    severity: 'error',
    from: { path: '^src/events/' },
    to: { path: '^src/', pathNot: '^src/(events|shared)/' },
  },
  {
    name: 'characters-import-nothing-above',
    comment:
      'src/characters (the character model: schema, v0.x conversion, secrets) sits on src/shared alone; what it must ask (is a plugin installed?) is handed in',
    severity: 'error',
    from: { path: '^src/characters/' },
    to: { path: '^src/', pathNot: '^src/(characters|shared)/' },
  },
  {
    name: 'projections-import-no-actors-or-transport',
    comment: 'the read models are rebuilt from the log alone; actors and the transport read them, not the reverse',
    severity: 'error',
    from: { path: '^src/projections/' },
    to: { path: '^src/(actors|transport)/' },
  },
  {
    name: 'actors-import-no-transport-or-plugin',
    comment: 'actors decide from events; the transport talks to them through the log, plugins are handed to them',
    severity: 'error',
    from: { path: '^src/actors/' },
    to: { path: '^(src/transport|plugins|bin)/' },
  },
  {
    name: 'core-imports-no-plugin',
    comment: 'src/ imports no plugin and not the program entry: bin/main.ts hands plugins/built-in.ts to the core',
    severity: 'error',
    from: { path: '^src/', pathNot: '^src/actors/' },
    to: { path: '^(plugins|bin)/' },
  },
  {
    name: 'web-imports-no-server-code',
    comment: 'the browser client speaks to the server over HTTP and WebSocket only',
    severity: 'error',
    from: { path: '^web/' },
    to: { path: '^(src|plugins|bin)/' },
  },
];

const TS = /\.(ts|tsx|mts)$/;
const DECLARATION = /\.d\.m?ts$/;
const JS = /\.(js|mjs|cjs)$/;

function walk(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(path, out);
    } else out.push(path);
  }
  return out;
}

/** `import type …`, `export type … from`, and `type` before a name in braces of an import/export-from become plain imports. */
export function unmarkTypeImports(source) {
  return source
    .replace(/^(\s*)import\s+type\s+(?=[\w${*])/gm, '$1import ')
    .replace(/^(\s*)export\s+type\s+(?=[{*][^;]*?\bfrom\s*['"])/gm, '$1export ')
    .replace(/((?:^|;)\s*(?:import|export)\s+(?:[\w$]+\s*,\s*)?)\{([^}]*)\}(\s*from\s*['"])/gm, (_, head, names, tail) => {
      return `${head}{${names.replace(/\btype\s+(?=[\w$])/g, '')}}${tail}`;
    });
}

async function mirror(root, into) {
  const sources = CHECKED_DIRS.filter((d) => existsSync(join(root, d)))
    .flatMap((d) => walk(join(root, d)))
    .map((file) => relative(root, file))
    .filter((rel) => !DECLARATION.test(rel) && (TS.test(rel) || JS.test(rel)));
  // All at once: esbuild's service transforms them in parallel.
  await Promise.all(
    sources.map(async (rel) => {
      const target = join(into, TS.test(rel) ? `${rel}.js` : rel);
      mkdirSync(dirname(target), { recursive: true });
      if (!TS.test(rel)) return copyFileSync(join(root, rel), target);
      const { code } = await transform(unmarkTypeImports(readFileSync(join(root, rel), 'utf8')), {
        loader: rel.endsWith('x') ? 'tsx' : 'ts',
        format: 'esm',
        jsx: 'transform',
        sourcefile: rel,
        tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
      });
      writeFileSync(target, code);
    }),
  );
  return sources.length;
}

const original = (path) => path.replace(/\.(ts|tsx|mts)\.js$/, '.$1');

/**
 * Checks the tree at `root`. Returns every wrong edge with the rule it breaks (empty: the arrows run
 * one way), and how many modules were read.
 */
export async function checkDependencies(root) {
  const work = mkdtempSync(join(tmpdir(), 'chronicle-deps-'));
  try {
    const files = await mirror(root, work);
    const present = CHECKED_DIRS.filter((d) => existsSync(join(work, d)));
    const result = await cruise(
      present,
      {
        baseDir: work,
        validate: true,
        ruleSet: { forbidden: rules },
        doNotFollow: { path: 'node_modules' },
        exclude: { path: 'node_modules' },
        moduleSystems: ['es6'],
      },
      { extensions: ['.js', '.mjs', '.cjs'] },
    );
    const violations = result.output.summary.violations.map((v) => ({ rule: v.rule.name, from: original(v.from), to: original(v.to) }));
    // A relative import of a TypeScript source the mirror cannot resolve is an edge the rules never saw:
    // the check fails on it rather than pass blind. (Stylesheets, dist/ and scripts/ are not mirrored.)
    for (const m of result.output.modules)
      for (const d of m.dependencies)
        if (d.couldNotResolve && /^\.\.?\//.test(d.module) && (TS.test(d.module) || !/\.\w+$/.test(d.module)))
          violations.push({ rule: 'unresolved-import', from: original(m.source), to: d.module });
    return { violations, modules: files, dependencies: result.output.summary.totalDependenciesCruised };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--root');
  const root = at > 0 ? process.argv[at + 1] : join(dirname(fileURLToPath(import.meta.url)), '..');
  const { violations, modules, dependencies } = await checkDependencies(root);
  if (violations.length === 0) {
    process.stdout.write(
      `check:deps: ${modules} modules, ${dependencies} imports, every arrow runs one way (${rules.length} rules, docs/DESIGN.md "Layers")\n`,
    );
  } else {
    for (const v of violations) process.stderr.write(`check:deps: ${v.rule}: ${v.from} → ${v.to}\n`);
    process.stderr.write(`check:deps: ${violations.length} import(s) break the layering (docs/DESIGN.md "Layers")\n`);
    process.exitCode = 1;
  }
}
