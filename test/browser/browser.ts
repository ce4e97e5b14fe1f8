import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
// @ts-expect-error plain JS module without types (it is also run by `npm start`'s prestart hook)
import { buildWeb, isStale } from '../../web/build-if-stale.mjs';

export const CHROMIUM = '/usr/bin/chromium';

/** Skipped only when Debian's chromium is missing on a developer machine; in CI its absence is a failure. */
export const browserMissing = !existsSync(CHROMIUM) && !process.env.CI;
if (browserMissing) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: 30_000,
  });
}

/** The tests run against web/dist: build it first when it is missing or older than web/src. */
export function ensureWebBuilt(): void {
  if ((isStale as () => boolean)()) (buildWeb as () => void)();
}
