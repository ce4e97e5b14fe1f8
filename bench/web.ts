// Web client numbers: build time, bundle size (raw and gzip), and page timings in Debian's chromium
// against the in-memory mock API (so the server's own speed is not measured here):
//   cold load → login form shown; sign-in → chat screen; Enter → first streamed token shown → final message.
// Run: npx tsx bench/web.ts   (needs /usr/bin/chromium)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startMockApiServer } from '../test/support/mock-api-server.ts';
import { launchBrowser } from '../test/browser/browser.ts';
// @ts-expect-error plain JS module
import { buildWeb } from '../web/build-if-stale.mjs';

const RUNS = 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const t0 = performance.now();
(buildWeb as () => void)();
const buildMs = performance.now() - t0;

const assets = join('web', 'dist', 'assets');
const files = ['index.html', ...readdirSync(assets).map((f) => join('assets', f))];
let raw = 0;
let gz = 0;
const sizes = files.map((f) => {
  const bytes = readFileSync(join('web', 'dist', f));
  raw += bytes.length;
  const g = gzipSync(bytes).length;
  gz += g;
  return `| ${f.replace(/-[\w-]{8}\./, '-*.')} | ${statSync(join('web', 'dist', f)).size} | ${g} |`;
});

const server = await startMockApiServer({ tokenDelayMs: 10, registerRole: 'operator' });
const browser = await launchBrowser();
const load: number[] = [];
const signIn: number[] = [];
const firstToken: number[] = [];
const finalMsg: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    let t = performance.now();
    await page.goto(server.url + '/');
    await page.getByRole('heading', { name: 'Sign in to Chronicle' }).waitFor();
    load.push(performance.now() - t);
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByLabel('Username').fill(`user${i}`);
    await page.getByLabel('Password').fill('bench-password');
    t = performance.now();
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('heading', { name: 'Chat', level: 1 }).waitFor();
    signIn.push(performance.now() - t);
    await page.getByRole('checkbox', { name: /Eliza/, checked: true }).waitFor();
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await page.getByTestId('connection-status').getByText('Live').waitFor();
    await page.getByLabel('Message', { exact: true }).fill('one two three four five six seven eight');
    // Timed inside the page: a MutationObserver notes when the first draft and the final reply appear.
    await page.evaluate(`(() => {
      const w = window; w.__t = {};
      new MutationObserver(() => {
        const now = performance.now();
        if (!w.__t.draft && document.querySelector('.msg-draft')) w.__t.draft = now;
        if (!w.__t.final && document.querySelector('[data-testid="message"].msg-agent')) w.__t.final = now;
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
      document.addEventListener('keydown', (e) => { if (e.key === 'Enter') w.__t.start = performance.now(); }, { capture: true, once: true });
    })()`);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="message"].msg-agent').first().waitFor();
    const times = (await page.evaluate('window.__t')) as { start: number; draft: number; final: number };
    firstToken.push(times.draft - times.start);
    finalMsg.push(times.final - times.start);
    await ctx.close();
  }
} finally {
  await browser.close();
  await server.close();
}

const ms = (xs: number[]) => `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
console.log(`# Web client — bench results

Machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, ${new Date().toISOString()}.
Command: \`npx tsx bench/web.ts\` (chromium headless, mock API on 127.0.0.1, ${RUNS} runs, medians).

Build (vite 8, production): ${buildMs.toFixed(0)} ms (includes starting node and vite).

| file | bytes | gzip bytes |
|---|---|---|
${sizes.join('\n')}
| **total** | **${raw}** | **${gz}** |

| step | median |
|---|---|
| cold load → login form | ${ms(load)} |
| register → chat screen | ${ms(signIn)} |
| Enter → first streamed token on screen (mock streams every 10 ms) | ${ms(firstToken)} |
| Enter → final message on screen (8 tokens) | ${ms(finalMsg)} |
`);
