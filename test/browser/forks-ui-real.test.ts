import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, ensureWebBuilt, launchBrowser } from './browser.ts';
import { startRealServer, type RealServer } from './real-server.ts';

// Branch from here and re-ask in the web client against the real server (its fork and re-ask routes,
// src/time-travel): the branch holds the source's history up to the message and its agent answers
// there; a re-ask shows the original and the new reply, each with its trace read from the log.
// SCREENSHOTS=1 refreshes docs/screenshots/branch-from-here.png and reask-side-by-side.png.
const SHOTS = 'docs/screenshots';
const shot = async (page: Page, name: string) => {
  if (process.env.SCREENSHOTS === '1') await page.screenshot({ path: `${SHOTS}/${name}.png` });
};
describe.skipIf(browserMissing)('web client: branches and re-asks (real server)', () => {
  let browser: Browser;
  let real: RealServer;

  beforeAll(async () => {
    ensureWebBuilt();
    if (process.env.SCREENSHOTS === '1') mkdirSync(SHOTS, { recursive: true });
    [browser, real] = await Promise.all([launchBrowser(), startRealServer()]);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await real?.stop();
  });

  const texts = (page: Page) => page.locator('[data-testid="message"] .text').allTextContents();
  const agentReplies = (page: Page) => page.locator('[data-testid="message"].msg-agent');

  it('branches at a reply, answers in the branch, and re-asks a reply side by side', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    await page.goto(real.url + '/');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(real.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('checkbox', { name: /Chronicle/ }).isChecked(), { timeout: 15_000 }).toBe(true);
    await page.getByLabel('Room name').fill('Quay');
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('heading', { name: 'Quay' }).waitFor();
    await expect.poll(() => page.getByTestId('connection-status').textContent()).toContain('Live');
    const questions = ['What is the tide doing?', 'Where do the boats moor?'];
    for (const [i, q] of questions.entries()) {
      await page.getByLabel('Message', { exact: true }).fill(q);
      await page.keyboard.press('Enter');
      await expect.poll(() => agentReplies(page).count(), { timeout: 40_000 }).toBe(i + 1);
    }
    const source = await texts(page);
    expect(source).toHaveLength(4);

    await agentReplies(page).first().getByRole('button', { name: 'Branch from here' }).click();
    await page.getByRole('heading', { name: 'Quay (branch)' }).waitFor({ timeout: 15_000 });
    await expect.poll(() => page.getByTestId('branch-of').textContent()).toContain('Branch of Quay');
    await expect.poll(() => texts(page)).toEqual(source.slice(0, 2));
    await page.getByLabel('Message', { exact: true }).fill('Is there a ferry?');
    await page.keyboard.press('Enter');
    await expect.poll(() => agentReplies(page).count(), { timeout: 40_000 }).toBe(2);
    expect((await texts(page)).slice(0, 3)).toEqual([...source.slice(0, 2), 'Is there a ferry?']);
    await shot(page, 'branch-from-here');

    // Back in the source, re-ask its second reply with another model name.
    await page.getByTestId('branch-of').getByRole('link', { name: 'Quay' }).click();
    await page.getByRole('heading', { name: 'Quay', exact: true }).waitFor();
    await expect.poll(() => texts(page)).toEqual(source);
    const reply = agentReplies(page).nth(1);
    await reply.getByRole('button', { name: 'Re-ask' }).click();
    await reply.getByLabel('Model').fill('another-model');
    await reply.getByRole('form', { name: 'Re-ask this reply' }).getByRole('button', { name: 'Re-ask' }).click();
    await page.getByRole('heading', { name: 'Re-asked reply' }).waitFor({ timeout: 15_000 });
    await expect.poll(() => page.getByTestId('original').getByTestId('reply-text').textContent({ timeout: 15_000 })).toBe(source[3]);
    const reasked = page.getByTestId('reasked');
    await reasked.getByTestId('trace').waitFor({ timeout: 60_000 });
    expect((await reasked.getByTestId('reply-text').textContent())?.length).toBeGreaterThan(0);
    // The re-asked turn answers the same question, and its prompt's messages resolve to their text
    // through the branch's source (the history before the question is the source room's).
    expect(await reasked.getByTestId('trace').textContent()).toContain(`In answer to${questions[1]}`);
    const cited = await reasked.locator('ol.sources').first().textContent();
    expect(cited).toContain(questions[0]);
    await shot(page, 'reask-side-by-side');
    await page.close();
  }, 180_000);
});
