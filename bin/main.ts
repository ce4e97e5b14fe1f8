/**
 * The program entry, and Chronicle's composition root: the one place that hands the built-in plugins
 * and model providers (plugins/built-in.ts) to the core. The core (src/) imports no plugin; the
 * dependency check in `npm test` (scripts/check-deps.mjs) keeps it so. bin/chronicle.js runs this file
 * compiled (dist/bin/main.js); `tsx bin/main.ts` runs it from source.
 *
 * The built-ins load on first use, so commands that never open the core (`--help`, `verify`, `chat`)
 * do not load the model SDKs.
 */
import { runCli } from '../src/cli/main.ts';

await runCli(process.argv.slice(2), { builtIns: async () => (await import('../plugins/built-in.ts')).builtIns });
