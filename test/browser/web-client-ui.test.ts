import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApiServer, type MockServer } from '../support/mock-api-server.ts';
import { browserMissing, ensureWebBuilt, launchBrowser } from './browser.ts';

// The web client against the in-memory mock of API.md: fast checks of the UI's behaviour (the e2e
// test against the real server is web-client-e2e.test.ts).
describe.skipIf(browserMissing)('web client (mock API)', () => {
  let browser: Browser;
  let server: MockServer;
  /** Access tokens that expire after 1.5 s, for the refresh tests. */
  let shortLived: MockServer;

  beforeAll(async () => {
    ensureWebBuilt();
    [browser, server, shortLived] = await Promise.all([
      launchBrowser(),
      startMockApiServer({ registerRole: 'operator', tokenDelayMs: 60 }),
      // Also a server without KNOWLEDGE_URL_ALLOW: fetching by URL is off there.
      startMockApiServer({ registerRole: 'operator', accessTtlMs: 1500, knowledgeUrlAllow: [] }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await shortLived?.close();
  });

  async function signUp(page: Page, username: string, on: MockServer = server) {
    await page.goto(on.url + '/');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('heading', { name: 'Chat', level: 1 }).waitFor();
    // The agents load asynchronously; the default one is preselected for a new room once they have.
    await expect.poll(() => page.getByRole('checkbox', { name: /Eliza/ }).isChecked()).toBe(true);
  }

  it('registers, creates a room with the default agent, and shows the reply streamed then final', async () => {
    const page = await browser.newPage();
    await signUp(page, 'ada');
    await expect.poll(() => page.getByTestId('connection-status').textContent()).toContain('Live');
    await page.getByLabel('Room name').fill('First room');
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('heading', { name: 'First room' }).waitFor();
    await page.getByLabel('Message', { exact: true }).fill('hello there friend');
    await page.keyboard.press('Enter');
    // While streaming, a draft holds part of the reply; then the final message replaces it.
    await page.getByTestId('draft').first().waitFor({ timeout: 5000 });
    const final = page.getByTestId('message').filter({ hasText: 'You said: hello there friend' });
    await final.waitFor({ timeout: 5000 });
    await expect.poll(() => page.getByTestId('draft').count()).toBe(0);
    expect(await page.getByTestId('message').count()).toBe(2);
    await page.close();
  });

  it('resumes after a dropped connection without losing the messages posted meanwhile', async () => {
    const page = await browser.newPage();
    await signUp(page, 'grace');
    await page.getByLabel('Room name').fill('Resume room');
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('heading', { name: 'Resume room' }).waitFor();
    await expect.poll(() => page.getByTestId('connection-status').textContent()).toContain('Live');
    const roomId = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
    server.setRefuseSockets(true);
    server.dropSockets();
    await expect.poll(() => page.getByTestId('connection-status').textContent()).toContain('Reconnecting');
    server.postAs('grace', roomId, 'posted while you were away');
    server.setRefuseSockets(false);
    await expect.poll(() => page.getByTestId('connection-status').textContent(), { timeout: 20_000 }).toContain('Live');
    await page.getByTestId('message').getByText('posted while you were away', { exact: true }).waitFor({ timeout: 5000 });
    // …and the agent's reply to it, delivered live after the resume; each message shown once.
    await page.getByTestId('message').filter({ hasText: 'You said: posted while you were away' }).waitFor({ timeout: 5000 });
    expect(await page.getByTestId('message').filter({ hasText: 'posted while you were away' }).count()).toBe(2);
    await page.close();
  });

  it('refreshes an expired access token once and carries on', async () => {
    const page = await browser.newPage();
    await signUp(page, 'linus', shortLived);
    await new Promise((r) => setTimeout(r, 1700));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByTestId('agent').filter({ hasText: 'Eliza' }).waitFor();
    await expect(page.getByRole('heading', { name: 'Agents', level: 1 }).isVisible()).resolves.toBe(true);
    // The socket too: after a drop its expired token is refused with 4401, refreshed, and it comes back.
    await new Promise((r) => setTimeout(r, 1700));
    shortLived.dropSockets();
    await expect.poll(() => page.getByTestId('connection-status').textContent(), { timeout: 15_000 }).toContain('Reconnecting');
    await expect.poll(() => page.getByTestId('connection-status').textContent(), { timeout: 15_000 }).toContain('Live');
    await expect.poll(() => shortLived.socketCount()).toBe(1);
    await page.close();
  });

  it('shares a rotated token pair between tabs instead of reusing a spent refresh token', async () => {
    const context = await browser.newContext();
    const a = await context.newPage();
    await a.goto(shortLived.url + '/');
    await a.getByRole('button', { name: 'Register' }).click();
    await a.getByLabel('Username').fill('tabby');
    await a.getByLabel('Password').fill('correct horse battery');
    await a.getByLabel('Keep me signed in on this device').check();
    await a.getByRole('button', { name: 'Register' }).click();
    await a.getByRole('heading', { name: 'Chat', level: 1 }).waitFor();
    const b = await context.newPage();
    await b.goto(shortLived.url + '/#/agents');
    await b.getByTestId('agent').first().waitFor();
    await new Promise((r) => setTimeout(r, 1700));
    // Tab A refreshes first; tab B, still holding the spent refresh token in memory, must not use it.
    // (Each tab is brought to the front before it acts: background tabs are throttled.)
    await a.bringToFront();
    await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents', exact: true }).click();
    await a.getByTestId('agent').first().waitFor();
    await b.bringToFront();
    await b.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat', exact: true }).click();
    await b.getByRole('heading', { name: 'Your rooms' }).waitFor();
    await b.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents', exact: true }).click();
    await b.getByTestId('agent').first().waitFor();
    expect(await b.getByRole('heading', { name: 'Sign in to Chronicle' }).count()).toBe(0);
    await context.close();
  }, 60_000);

  it('goes back to the login screen when the refresh token is refused', async () => {
    const page = await browser.newPage();
    await signUp(page, 'barbara');
    // Spoil both tokens in storage, as a revoked family would look to the client.
    await page.evaluate(
      `(() => { const k = 'chronicle.session'; const s = JSON.parse(sessionStorage.getItem(k)); s.accessToken = 'x'; s.refreshToken = 'y'; sessionStorage.setItem(k, JSON.stringify(s)); })()`,
    );
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Chronicle' }).waitFor({ timeout: 10_000 });
    await page.close();
  });

  it('shows the API error envelope when a character is refused, and creates a valid one', async () => {
    const page = await browser.newPage();
    await signUp(page, 'margaret');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents', exact: true }).click();
    const box = page.getByLabel('Character JSON (ElizaOS format)');
    await box.fill('{"bio": "no name"}');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('alert').filter({ hasText: 'character.name' }).waitFor();
    await box.fill('{not json');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('alert').filter({ hasText: 'Not valid JSON' }).waitFor();
    await box.fill('{"name": "Ada", "bio": ["<img src=x onerror=alert(1)> tutor"]}');
    await page.getByRole('button', { name: 'Create agent' }).click();
    const card = page.getByTestId('agent').filter({ hasText: 'Ada' });
    await card.waitFor();
    // Text is escaped: the markup shows as text and no <img> element is created.
    expect(await card.locator('img').count()).toBe(0);
    expect(await card.textContent()).toContain('<img src=x onerror=alert(1)> tutor');
    await box.fill('{"name": "Quill", "bio": "docs", "knowledge": ["Quill was a technical writer.", {"path": "docs/guide.md"}]}');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByText(/Quill created, with 1 knowledge document; skipped \{path: docs\/guide\.md\} \(files are only read by/).waitFor();
    await card.getByRole('button', { name: 'Stop' }).click();
    await card.getByText('stopped').waitFor();
    await page.close();
  });

  /** A new page, signed up as `name`, on the Knowledge screen. */
  async function knowledgePage(name: string): Promise<Page> {
    const page = await browser.newPage();
    await signUp(page, name);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Knowledge', exact: true }).click();
    return page;
  }

  it('adds, searches and deletes a knowledge document', async () => {
    const page = await knowledgePage('katherine');
    await page.getByLabel('Title').fill('Orbits');
    await page.getByLabel('Text', { exact: true }).fill('A geostationary orbit has a period of one sidereal day.');
    await page.getByRole('button', { name: 'Add document' }).click();
    await page.getByTestId('document').filter({ hasText: 'Orbits' }).waitFor();
    await page.getByLabel('Query').fill('geostationary');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('list', { name: 'Search results' }).getByText('sidereal day', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Delete Orbits' }).click();
    await expect.poll(() => page.getByTestId('document').count()).toBe(0);
    await page.close();
  });

  it('adds a document from a URL, and shows the server’s refusal of a host it does not allow', async () => {
    const page = await knowledgePage('ida');
    await page.getByLabel('Title').fill('Guide');
    await page.getByLabel('Or fetch it from a URL').fill('https://elsewhere.org/guide.md');
    await page.getByRole('button', { name: 'Add document' }).click();
    await page.getByRole('alert').filter({ hasText: 'not in KNOWLEDGE_URL_ALLOW' }).waitFor();
    await page.getByLabel('Or fetch it from a URL').fill('https://docs.example.com/guide.md');
    await page.getByRole('button', { name: 'Add document' }).click();
    await page.getByTestId('document').filter({ hasText: 'Guide' }).waitFor();
    await page.close();
  });

  it('shows how many chunks of a long document are embedded while it is being added', async () => {
    const page = await knowledgePage('leopold');
    await page.getByLabel('Title').fill('Slow manual');
    await page.getByLabel('Text', { exact: true }).fill('A long manual. '.repeat(300));
    await page.getByRole('button', { name: 'Add document' }).click();
    await page.getByText(/3 of 9 chunks embedded/).waitFor({ timeout: 5_000 });
    expect(await page.getByRole('progressbar', { name: 'Ingesting the document' }).getAttribute('value')).toBe('3');
    await page.getByTestId('document').filter({ hasText: 'Slow manual' }).waitFor({ timeout: 10_000 });
    await page.getByText('"Slow manual" added: 9 chunks embedded').waitFor();
    expect(await page.getByRole('progressbar', { name: 'Ingesting the document' }).count()).toBe(0);
    await page.close();
  });

  it('follows the event log live and filters it by stream', async () => {
    const page = await browser.newPage();
    await signUp(page, 'frances');
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    const roomId = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Event log', exact: true }).click();
    await page.getByTestId('event').filter({ hasText: 'room.created' }).first().waitFor();
    server.postAs('frances', roomId, 'appended while watching');
    // Following live: the new event shows up without any action on the page.
    await page.getByTestId('event').filter({ hasText: 'appended while watching' }).first().waitFor({ timeout: 10_000 });
    // Newest first: what arrived while following is at the top, and the seqs fall down the table.
    const seqs = (await page.getByTestId('event').locator('td:nth-child(1)').allTextContents()).map(Number);
    expect(seqs.length).toBeGreaterThan(2);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(await page.getByTestId('event').first().textContent()).not.toContain('account.registered');
    await page.getByLabel('Stream').fill(`room-${roomId}`);
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect
      .poll(async () => {
        const streams = await page.getByTestId('event').locator('td:nth-child(4)').allTextContents();
        return streams.length > 0 && streams.every((x) => x === `room-${roomId}`);
      })
      .toBe(true);
    await page.close();
  });

  it('works at phone width: the composer and the room fit in 390 px', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 800 } });
    await signUp(page, 'hedy');
    await page.getByRole('button', { name: 'Create room' }).click();
    const composer = page.getByRole('button', { name: 'Send' });
    await composer.waitFor();
    const box = await composer.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    const scrollWidth = await page.evaluate('document.documentElement.scrollWidth');
    expect(scrollWidth).toBeLessThanOrEqual(390);
    await page.close();
  });

  it('puts "Create an agent" above the list, and shows bio and lore as paragraphs', async () => {
    server.addAgent({
      name: 'Sage',
      bio: 'Sage grew up by the sea.\n\nLater Sage taught sailing.',
      lore: ['Once crossed the Atlantic alone.', 'Keeps a logbook of every storm.'],
    });
    const page = await browser.newPage();
    await signUp(page, 'rosalind');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents', exact: true }).click();
    const card = page.getByTestId('agent').filter({ hasText: 'Sage' });
    await card.waitFor();
    const create = await page.getByRole('heading', { name: 'Create an agent' }).boundingBox();
    const firstCard = await page.getByTestId('agent').first().boundingBox();
    expect(create!.y).toBeLessThan(firstCard!.y);
    expect(await card.getByTestId('bio').locator('p').allTextContents()).toEqual(['Sage grew up by the sea.', 'Later Sage taught sailing.']);
    expect(await card.getByTestId('lore').locator('p').allTextContents()).toEqual(['Once crossed the Atlantic alone.', 'Keeps a logbook of every storm.']);
    await page.close();
  });

  it('edits an agent’s model settings and write-only secrets in a form, with problems listed by field', async () => {
    server.addAgent({ name: 'Tuner', bio: 'Tunes things.', settings: { MODEL_PROVIDER: 'ollama', voice: 'alto', secrets: { FILE_SECRET: 'from-the-file' } } });
    const page = await browser.newPage();
    await signUp(page, 'mary');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByRole('button', { name: 'Settings of Tuner' }).click();
    const form = page.getByRole('form', { name: 'Settings of Tuner' });
    expect(await form.getByLabel('Model provider').inputValue()).toBe('ollama');
    await form.getByLabel('Model provider').fill('openai');
    await form.getByLabel('Large model (replies)').fill('gpt-4o');
    await form.getByLabel('Small model (quick decisions)').fill('gpt-4o-mini');
    await form.getByLabel('Temperature of replies (0–2)').fill('3');
    await form.getByLabel('Secret value').fill('sk-test-123');
    await form.getByRole('button', { name: 'Save settings' }).click();
    const problems = form.getByTestId('problems').locator('li');
    await expect
      .poll(() => problems.allTextContents())
      .toEqual([
        'settings.TEXT_LARGE_TEMPERATURE: must be a number from 0 to 2 — e.g. 0.7; leave empty for the default',
        'secrets.0: a secret value needs a name — e.g. OPENAI_API_KEY',
      ]);
    expect(server.storedCharacter('Tuner')!.settings).toMatchObject({ MODEL_PROVIDER: 'ollama' });
    await form.getByLabel('Temperature of replies (0–2)').fill('0.4');
    await form.getByLabel('Secret name').fill('OPENAI_API_KEY');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Tuner: settings saved').waitFor();
    const stored = server.storedCharacter('Tuner')!;
    expect(stored.settings).toEqual({
      MODEL_PROVIDER: 'openai',
      TEXT_LARGE_MODEL: 'gpt-4o',
      TEXT_SMALL_MODEL: 'gpt-4o-mini',
      TEXT_LARGE_TEMPERATURE: 0.4,
      voice: 'alto',
      secrets: { FILE_SECRET: 'from-the-file' },
    });
    expect(stored.secrets).toEqual({ OPENAI_API_KEY: 'sk-test-123' });
    // Reopened: the settings read back, the secret never (its input starts empty, the page holds no copy).
    await page.getByRole('button', { name: 'Settings of Tuner' }).click();
    expect(await form.getByLabel('Large model (replies)').inputValue()).toBe('gpt-4o');
    expect(await form.getByLabel('Temperature of replies (0–2)').inputValue()).toBe('0.4');
    expect(await form.getByLabel('Secret value').inputValue()).toBe('');
    expect(await page.content()).not.toContain('sk-test-123');
    await page.close();
  });

  it('lists a refused document’s problems by field', async () => {
    const page = await knowledgePage('emmy');
    await page.getByLabel('Title').fill('   ');
    await page.getByLabel('Text', { exact: true }).fill('   ');
    await page.getByRole('button', { name: 'Add document' }).click();
    await expect.poll(() => page.getByTestId('problems').locator('li').allTextContents()).toEqual(['title: must not be empty', 'text: must not be empty']);
    await page.close();
  });

  it('offers knowledge by URL only when the server fetches documents by URL', async () => {
    const on = await knowledgePage('alan');
    await on.getByLabel('Or fetch it from a URL').waitFor();
    await on.close();
    const page = await browser.newPage();
    await signUp(page, 'claude', shortLived);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Knowledge', exact: true }).click();
    await page.getByLabel('Title').waitFor();
    await page.getByRole('heading', { name: 'Documents' }).waitFor();
    expect(await page.getByLabel('Or fetch it from a URL').count()).toBe(0);
    await page.close();
  });

  it('says in a multi-agent room’s header which agent answers when', async () => {
    server.addAgent({ name: 'Bob', bio: 'Thinks first.', settings: { SHOULD_RESPOND_MODEL: 'true' } });
    server.addAgent({ name: 'Cleo', bio: 'Waits to be asked.' });
    const page = await browser.newPage();
    await signUp(page, 'dorothy');
    await page.getByLabel('Room name').fill('Panel');
    await page.getByRole('checkbox', { name: /Bob/ }).check();
    await page.getByRole('checkbox', { name: /Cleo/ }).check();
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('heading', { name: 'Panel' }).waitFor();
    const header = page.getByTestId('who-answers');
    await header.waitFor();
    expect(await header.textContent()).toBe(
      'Who answers: an agent named in a message answers it. Otherwise Eliza always (every message that names no other agent; the room’s first agent); ' +
        'Bob decides (its small model chooses whether to answer); Cleo when named. Agents answer each other only when named.',
    );
    // A room with one agent needs no such line: that agent answers everything.
    // (Chat without a room open shows the new-room form unfolded.)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat', exact: true }).click();
    await page.getByLabel('Room name').fill('Solo');
    await page.getByRole('checkbox', { name: /Bob/ }).uncheck();
    await page.getByRole('checkbox', { name: /Cleo/ }).uncheck();
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('heading', { name: 'Solo' }).waitFor();
    await page.getByText('With dorothy, Eliza').waitFor();
    expect(await page.getByTestId('who-answers').count()).toBe(0);
    await page.close();
  });
});
