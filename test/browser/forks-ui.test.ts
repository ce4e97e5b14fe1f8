import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApiServer, type MockServer } from '../support/mock-api-server.ts';
import { browserMissing, ensureWebBuilt, launchBrowser } from './browser.ts';

// Branch from here, edit and resend, re-ask side by side (issue 18 items 2 and 4) in the web client,
// against the mock of docs/API.md "Time travel and forks" (the mock agent answers "You said: …", and
// "[model] You said: …" when a re-ask gave it a model). The screenshots come from forks-ui-real.test.ts.

describe.skipIf(browserMissing)('web client: branches and re-asks (mock API)', () => {
  let browser: Browser;
  let server: MockServer;

  beforeAll(async () => {
    ensureWebBuilt();
    [browser, server] = await Promise.all([launchBrowser(), startMockApiServer({ registerRole: 'operator', tokenDelayMs: 5 })]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const texts = (page: Page) => page.locator('[data-testid="message"] .text').allTextContents();
  const message = (page: Page, text: string) =>
    page.getByTestId('message').filter({ has: page.locator('.text', { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });

  /** A new operator with a room "name" holding two questions and their replies. */
  async function roomWithTwoTurns(name: string, user: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.url + '/');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Register' }).click();
    await expect.poll(() => page.getByRole('checkbox', { name: 'Eliza', exact: true }).isChecked()).toBe(true);
    await page.getByLabel('Room name').fill(name);
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('heading', { name }).waitFor();
    await expect.poll(() => page.getByTestId('connection-status').textContent()).toContain('Live');
    for (const q of ['Where is the harbour?', 'And the lighthouse?']) {
      await page.getByLabel('Message', { exact: true }).fill(q);
      await page.keyboard.press('Enter');
      await message(page, `You said: ${q}`).waitFor({ timeout: 10_000 });
    }
    return page;
  }

  it('branches from a message: a new room holding the history up to it, saying whose branch it is; the source is unchanged', async () => {
    const page = await roomWithTwoTurns('Harbour', 'branch-user');
    const sourceHash = new URL(page.url()).hash;
    await message(page, 'You said: Where is the harbour?').getByRole('button', { name: 'Branch from here' }).click();
    await page.getByRole('heading', { name: 'Harbour (branch)' }).waitFor();
    expect(new URL(page.url()).hash).not.toBe(sourceHash);
    await expect.poll(() => page.getByTestId('branch-of').textContent()).toContain('Branch of Harbour');
    await expect.poll(() => texts(page)).toEqual(['Where is the harbour?', 'You said: Where is the harbour?']);
    // The fork point is marked, and the branch is in the room list.
    expect(await page.locator('.msg-fork-point .text').textContent()).toBe('You said: Where is the harbour?');
    await page
      .getByRole('complementary', { name: 'Rooms' })
      .getByRole('link', { name: /Harbour \(branch\)/ })
      .waitFor();
    // The branch goes its own way; the agent answers there.
    await page.getByLabel('Message', { exact: true }).fill('Is there a ferry?');
    await page.keyboard.press('Enter');
    await message(page, 'You said: Is there a ferry?').waitFor({ timeout: 10_000 });
    await page.getByTestId('branch-of').getByRole('link', { name: 'Harbour' }).click();
    await page.getByRole('heading', { name: 'Harbour', exact: true }).waitFor();
    await expect
      .poll(() => texts(page))
      .toEqual(['Where is the harbour?', 'You said: Where is the harbour?', 'And the lighthouse?', 'You said: And the lighthouse?']);
    expect(await page.getByTestId('branch-of').count()).toBe(0);
    await page.close();
  });

  it('edits and resends a message in a branch made just before it; the first message gets a new room with the same agents', async () => {
    const page = await roomWithTwoTurns('Coast', 'edit-user');
    const second = message(page, 'And the lighthouse?');
    await second.getByRole('button', { name: 'Edit and resend' }).click();
    await second.getByLabel('Edited message').fill('And the old mill?');
    await second.getByRole('button', { name: 'Send in a branch' }).click();
    await page.getByRole('heading', { name: 'Coast (edited)' }).waitFor();
    await expect.poll(() => page.getByTestId('branch-of').textContent()).toContain('Branch of Coast');
    await message(page, 'You said: And the old mill?').waitFor({ timeout: 10_000 });
    expect(await texts(page)).toEqual(['Where is the harbour?', 'You said: Where is the harbour?', 'And the old mill?', 'You said: And the old mill?']);

    // The first message: nothing to branch at, so a new room with the room's agent.
    await page.getByTestId('branch-of').getByRole('link', { name: 'Coast' }).click();
    await page.getByRole('heading', { name: 'Coast', exact: true }).waitFor();
    const first = message(page, 'Where is the harbour?');
    await first.getByRole('button', { name: 'Edit and resend' }).click();
    await first.getByLabel('Edited message').fill('Where is the beach?');
    await first.getByRole('button', { name: 'Send in a branch' }).click();
    await message(page, 'You said: Where is the beach?').waitFor({ timeout: 10_000 });
    expect(await texts(page)).toEqual(['Where is the beach?', 'You said: Where is the beach?']);
    // An agent's reply offers no edit.
    expect(await message(page, 'You said: Where is the beach?').getByRole('button', { name: 'Edit and resend' }).count()).toBe(0);
    await page.close();
  });

  it('re-asks a reply with another model and shows both replies with their traces side by side', async () => {
    const page = await roomWithTwoTurns('Lighthouse', 'reask-user');
    const reply = message(page, 'You said: And the lighthouse?');
    await reply.getByRole('button', { name: 'Re-ask' }).click();
    await reply.getByLabel('Model').fill('bigger-model');
    await reply.getByLabel('System prompt').fill('Answer like a lighthouse keeper.');
    await reply.getByRole('form', { name: 'Re-ask this reply' }).getByRole('button', { name: 'Re-ask' }).click();
    await page.getByRole('heading', { name: 'Re-asked reply' }).waitFor();
    const original = page.getByTestId('original');
    const reasked = page.getByTestId('reasked');
    await expect.poll(() => original.getByTestId('reply-text').textContent({ timeout: 10_000 })).toBe('You said: And the lighthouse?');
    await expect.poll(() => reasked.getByTestId('reply-text').textContent({ timeout: 15_000 })).toBe('[bigger-model] You said: And the lighthouse?');
    expect(await original.getByTestId('trace').textContent()).toContain('mock / echo-1');
    expect(await reasked.getByTestId('trace').textContent()).toContain('mock / bigger-model');
    // Both traces name the same question, resolved to its text (the branch's copy of it).
    expect(await reasked.getByTestId('trace').textContent()).toContain('In answer toAnd the lighthouse?');
    expect(await reasked.locator('.sources').first().textContent()).toContain('And the lighthouse?');
    // The branch of the re-ask holds the history before the question, then the question again.
    await reasked.getByRole('link', { name: 'The branch' }).click();
    await expect.poll(() => page.getByTestId('branch-of').textContent()).toContain('Branch of Lighthouse, from just before a question');
    await expect
      .poll(() => texts(page))
      .toEqual(['Where is the harbour?', 'You said: Where is the harbour?', 'And the lighthouse?', '[bigger-model] You said: And the lighthouse?']);
    await page.close();
  });

  it("shows the API's refusals next to the action: a re-ask's invalid model, a branch the server refuses", async () => {
    const page = await roomWithTwoTurns('Refusals', 'refused-user');
    const reply = message(page, 'You said: Where is the harbour?');
    await reply.getByRole('button', { name: 'Re-ask' }).click();
    await reply.getByLabel('Model').fill('m'.repeat(201));
    await reply.getByRole('form', { name: 'Re-ask this reply' }).getByRole('button', { name: 'Re-ask' }).click();
    await reply
      .getByRole('alert')
      .filter({ hasText: /model: must be 1 to 200 characters.*validation_error, 400/ })
      .waitFor();
    // A refusal of the fork itself (as a server would answer for a message no longer in the room).
    await page.route('**/api/v1/rooms/*/fork', (route) =>
      route.fulfill({
        status: 400,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'validation_error', message: 'atMessageId: m1 is not a message of room r1' } }),
      }),
    );
    const question = message(page, 'And the lighthouse?');
    await question.getByRole('button', { name: 'Branch from here' }).click();
    await question.getByRole('alert').filter({ hasText: 'atMessageId: m1 is not a message of room r1 (validation_error, 400)' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Refusals', exact: true }).count()).toBe(1);
    await page.close();
  });
});
