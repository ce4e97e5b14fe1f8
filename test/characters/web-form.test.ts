import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, ensureWebBuilt, launchBrowser } from '../browser/browser.ts';
import { startRealServer, type RealServer } from '../browser/real-server.ts';

const fixtures = join(__dirname, '../fixtures/characters');

// The create-agent form of the built web client on the real server, in Debian's chromium.
describe.skipIf(browserMissing)('web client: create an agent from a character file of either generation', () => {
  let browser: Browser;
  let server: RealServer;

  beforeAll(async () => {
    ensureWebBuilt();
    [browser, server] = await Promise.all([launchBrowser(), startRealServer()]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a v0.x file uploaded: created, with the conversion shown by field; a broken one: every problem listed by field', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(server.url + '/');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Chat', level: 1 }).waitFor();
    await page.goto(server.url + '/#/agents');
    await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();

    const form = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Create an agent' }) });
    await form.getByLabel('Or load a character file (.json)').setInputFiles(join(fixtures, 'mayor-gale.v0.character.json'));
    await expect.poll(() => form.getByRole('textbox').inputValue()).toContain('"modelProvider": "openai"');
    await form.getByRole('button', { name: 'Create agent' }).click();
    const report = page.getByTestId('conversion-report');
    await report.waitFor();
    expect(await report.textContent()).toContain('read as an ElizaOS v0.x character');
    const items = await report.locator('li').allTextContents();
    expect(items).toContain('converted modelProvider → settings.MODEL_PROVIDER ("openai" → "openai")');
    expect(items.some((t) => t.startsWith('dropped clients.0: client "discord" is not available'))).toBe(true);
    await page.getByTestId('agent').filter({ hasText: 'Mayor Gale' }).waitFor();

    await form.getByLabel('Or load a character file (.json)').setInputFiles(join(fixtures, 'broken.v0.character.json'));
    await expect.poll(() => form.getByRole('textbox').inputValue()).toContain('"bio": 42');
    await form.getByRole('button', { name: 'Create agent' }).click();
    const problems = form.getByTestId('character-problems').locator('li');
    await expect.poll(() => problems.count()).toBe(11);
    expect(await problems.first().textContent()).toBe('name: name must not be empty — give the agent a name: a non-empty string of at most 100 characters');
    expect(await problems.allTextContents()).toContain('style.tone: unknown field — remove it; the fields here are: all, chat, post');
    await page.close();
  }, 90_000);
});
