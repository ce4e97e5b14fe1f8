/**
 * Vitest global setup: compiles dist/ once before any test runs when the sources are newer, so the
 * CLI tests (which run bin/chronicle.js as a user does) never build it in the middle of a test — a
 * build would show up in the module-load traces (esbuild) and cost one test its time.
 */
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildIfStale } from '../../scripts/build-server.mjs';

export async function setup(): Promise<void> {
  await buildIfStale({ quiet: true });
}
