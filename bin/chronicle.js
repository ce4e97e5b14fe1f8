#!/usr/bin/env node
// The `chronicle` command. It runs the compiled JavaScript in dist/ (the program's bundle) in this very process (no TypeScript
// loader, no child process: signals sent to `chronicle start` or `npm start` reach the server), and
// compiles src/, plugins/ and bin/main.ts first when dist/ is missing or older than them
// (scripts/build-server.mjs). bin/main.ts is the program entry: it hands the built-in plugins to the core.
import { buildIfStale } from '../scripts/build-server.mjs';

await buildIfStale();
// `npm start` also builds the web client when it is missing or stale, here rather than in a prestart
// hook: that hook cost a second node process (and npm's shell around it) on every start.
if (process.env.npm_lifecycle_event === 'start' && process.argv[2] === 'start') {
  const web = await import('../web/build-if-stale.mjs');
  if (web.isStale()) {
    web.buildWeb();
    process.stderr.write('chronicle: web client built into web/dist\n');
  }
}
await import('../dist/bundle/main.js');
