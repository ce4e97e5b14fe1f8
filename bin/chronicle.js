#!/usr/bin/env node
// The `chronicle` command. It runs the compiled JavaScript in dist/ in this very process (no TypeScript
// loader, no child process: signals sent to `chronicle start` or `npm start` reach the server), and
// compiles src/ and plugins/ first when dist/ is missing or older than them (scripts/build-server.mjs).
import { buildIfStale } from '../scripts/build-server.mjs';

await buildIfStale();
await import('../dist/src/cli/main.js');
