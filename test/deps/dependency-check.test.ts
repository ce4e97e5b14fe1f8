import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDependencies, rules, type Violation } from '../../scripts/check-deps.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts/check-deps.mjs');

/** A small tree in the repository's shape: every file given, with the imports it is given. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'chronicle-deps-fixture-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const run = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [script, ...args], (err, stdout, stderr) => resolve({ code: err ? ((err.code as number) ?? 1) : 0, stdout, stderr })),
  );

// One wrong import per rule (type-only and dynamic imports are arrows too), beside imports that are allowed.
const fixture = tree({
  'src/shared/ids.ts': "import { system } from '../actors/system.ts';\nexport const id = () => system;\n",
  'src/events/store.ts':
    "import type { Catalogue } from '../domain/catalogue.ts';\nimport { id } from '../shared/ids.ts';\nexport const append = (c: Catalogue) => id() + c;\n",
  'src/domain/catalogue.ts': "import { append } from '../events/store.ts';\nexport type Catalogue = string;\nexport const a = append;\n",
  'src/characters/convert.ts':
    "import { installed } from '../plugin-host/installed.ts';\nimport { id } from '../shared/ids.ts';\nexport const c = [installed, id];\n",
  'src/plugin-host/installed.ts': "import { c } from '../characters/convert.ts';\nexport const installed = () => c;\n",
  'src/projections/projector.ts':
    "import { serve } from '../transport/server.ts';\nimport { append } from '../events/store.ts';\nexport const p = [serve, append];\n",
  'src/actors/system.ts':
    "import { type Server, serve } from '../transport/server.ts';\nimport { append } from '../events/store.ts';\nexport const system: [Server, unknown] = [serve(), append];\n",
  'src/actors/turn.ts': "import { bootstrap } from '../../plugins/bootstrap/index.ts';\nexport const t = bootstrap;\n",
  'src/transport/server.ts':
    "import { system } from '../actors/system.ts';\nexport type Server = string;\nexport const serve = (): Server => String(system);\n",
  'src/models/registry.ts': "import { OpenAI } from '../../plugins/openai/index.ts';\nexport const r = OpenAI;\n",
  'src/cli/main.ts': "export const load = () => import('../../plugins/built-in.ts');\n",
  'plugins/bootstrap/index.ts': "import { append } from '../../src/events/store.ts';\nexport const bootstrap = append;\n",
  'plugins/openai/index.ts': 'export class OpenAI {}\n',
  'plugins/built-in.ts': "import { bootstrap } from './bootstrap/index.ts';\nexport const builtIns = { bootstrap };\n",
  'bin/main.ts': "import { load } from '../src/cli/main.ts';\nimport { builtIns } from '../plugins/built-in.ts';\nexport const m = [load, builtIns];\n",
  'web/src/app.tsx':
    "import { serve } from '../../src/transport/server.ts';\nimport { view } from './view.tsx';\nexport const App = () => <div>{view(serve())}</div>;\n",
  'web/src/view.tsx': 'export const view = (s: string) => <b>{s}</b>;\n',
});
afterAll(() => rmSync(fixture, { recursive: true, force: true }));

const expected: Violation[] = [
  { rule: 'shared-imports-nothing-of-src', from: 'src/shared/ids.ts', to: 'src/actors/system.ts' },
  { rule: 'events-import-nothing-above', from: 'src/events/store.ts', to: 'src/domain/catalogue.ts' },
  { rule: 'characters-import-nothing-above', from: 'src/characters/convert.ts', to: 'src/plugin-host/installed.ts' },
  { rule: 'projections-import-no-actors-or-transport', from: 'src/projections/projector.ts', to: 'src/transport/server.ts' },
  { rule: 'actors-import-no-transport-or-plugin', from: 'src/actors/system.ts', to: 'src/transport/server.ts' },
  { rule: 'actors-import-no-transport-or-plugin', from: 'src/actors/turn.ts', to: 'plugins/bootstrap/index.ts' },
  { rule: 'core-imports-no-plugin', from: 'src/models/registry.ts', to: 'plugins/openai/index.ts' },
  { rule: 'core-imports-no-plugin', from: 'src/cli/main.ts', to: 'plugins/built-in.ts' },
  { rule: 'web-imports-no-server-code', from: 'web/src/app.tsx', to: 'src/transport/server.ts' },
];
const key = (v: Violation) => `${v.rule} ${v.from} ${v.to}`;

describe('dependency check (scripts/check-deps.mjs, run by npm test)', () => {
  it('passes on the real tree: every arrow runs one way', async () => {
    const result = await checkDependencies(root);
    expect(result.violations).toEqual([]);
    // It read the tree, not an empty mirror: src, plugins, bin and web, with their imports.
    expect(result.modules).toBeGreaterThan(250);
    expect(result.dependencies).toBeGreaterThan(1000);
    // A few CPU-seconds for the whole tree; the bound only guards a box shared with other test files.
  }, 120_000);

  it('finds each wrong import of a fixture tree, by rule and edge, and nothing that is allowed', async () => {
    const { violations } = await checkDependencies(fixture);
    expect(violations.map(key).sort()).toEqual(expected.map(key).sort());
    // Every rule has a wrong import in the fixture.
    expect(new Set(violations.map((v) => v.rule))).toEqual(new Set(rules.map((r) => r.name)));
  });

  it('the command exits 1 and names the rule and the edge of each wrong import', async () => {
    const { code, stderr } = await run(['--root', fixture]);
    expect(code).toBe(1);
    for (const v of expected) expect(stderr).toContain(`check:deps: ${v.rule}: ${v.from} → ${v.to}`);
  });

  it('a relative import it cannot resolve fails the check instead of passing unseen', async () => {
    const dir = tree({ 'src/events/store.ts': "import { gone } from './missing.ts';\nexport const s = gone;\n" });
    try {
      const { violations } = await checkDependencies(dir);
      expect(violations).toEqual([{ rule: 'unresolved-import', from: 'src/events/store.ts', to: './missing.ts' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
