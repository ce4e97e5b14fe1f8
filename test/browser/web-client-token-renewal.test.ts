import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, ensureWebBuilt, launchBrowser } from './browser.ts';
import { startRealServer, type RealServer } from './real-server.ts';

// The server closes a socket when its access token expires; the client presents a refreshed token on
// the open socket shortly before, so a chat outlives many tokens without reconnecting.
describe.skipIf(browserMissing)('web client with short-lived access tokens', () => {
  let browser: Browser;
  let server: RealServer;

  beforeAll(async () => {
    ensureWebBuilt();
    [browser, server] = await Promise.all([launchBrowser(), startRealServer({ ACCESS_TOKEN_TTL: '3' })]);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('keeps one socket open past several token lifetimes by re-authenticating on it', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    let sockets = 0;
    let authFrames = 0;
    page.on('websocket', (ws) => {
      sockets++;
      ws.on('framesent', (f) => {
        if (typeof f.payload === 'string' && f.payload.includes('"type":"auth"')) authFrames++;
      });
    });
    await page.goto(server.url + '/');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByLabel('Username').fill('grace');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('heading', { name: 'Chat', level: 1 }).waitFor();
    await expect.poll(() => page.getByRole('checkbox', { name: /Chronicle/ }).isChecked()).toBe(true);
    await page.getByLabel('Room name').fill('Long chat');
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('heading', { name: 'Long chat' }).waitFor();
    await expect.poll(() => page.getByTestId('connection-status').textContent()).toContain('Live');

    await page.waitForTimeout(7_000); // at least two 3-second tokens
    expect(authFrames).toBeGreaterThanOrEqual(2);
    expect(sockets).toBe(1);
    await page.getByLabel('Message', { exact: true }).fill('still connected?');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="message"].msg-agent').first().waitFor({ timeout: 30_000 });
    expect(sockets).toBe(1);
    await page.close();
  }, 60_000);
});
