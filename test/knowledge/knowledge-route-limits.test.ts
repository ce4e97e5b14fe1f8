import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DOCUMENT_LIMITS } from '../../src/settings/document-limits.ts';
import { apiClient } from '../support/http-client.ts';
import { minimalPdf } from '../support/minimal-pdf.ts';
import { startTestServer } from '../support/transport-harness.ts';
import { bigHtml, flateBomb, pageTreeBomb } from './document-bombs.ts';

/**
 * POST /api/v1/agents/:id/knowledge with a hostile document: a 400 saying which limit it broke, or a
 * 503 with Retry-After when every document worker is busy; nothing appended either way.
 */
async function serverWithAgent(overrides: Parameters<typeof startTestServer>[0] = {}) {
  const t = await startTestServer(overrides);
  const api = apiClient(t.url);
  const token = (await api.login('admin', t.adminPassword)).accessToken as string;
  const agent = (await api.post('/api/v1/agents', { name: 'Reader', bio: 'reads' }, { token })).body.agent.id as string;
  const upload = (pdf: Uint8Array) =>
    api.post(
      `/api/v1/agents/${agent}/knowledge`,
      { title: 'Doc', file: { contentType: 'application/pdf', base64: Buffer.from(pdf).toString('base64') } },
      { token },
    );
  return { t, api, token, agent, upload };
}

describe('knowledge documents past the reading limits', () => {
  it('a page-tree bomb and a flate bomb: 400 with the reason, nothing appended; a normal PDF still goes in', async () => {
    const { t, upload } = await serverWithAgent();
    try {
      const head = await t.store.head();
      const tree = await upload(pageTreeBomb());
      expect(tree.status).toBe(400);
      expect(tree.body.error.message).toBe(`file: PDF has more than ${DEFAULT_DOCUMENT_LIMITS.maxPages} pages (1000000000)`);
      const flate = await upload(await flateBomb(300));
      expect(flate.status).toBe(400);
      expect(flate.body.error.message).toBe(`file: PDF streams decompress to more than ${DEFAULT_DOCUMENT_LIMITS.maxInflatedMb} MB`);
      expect(await t.store.head()).toBe(head);
      expect((await upload(minimalPdf([['Owls swallow their prey whole.']]))).status).toBe(201);
    } finally {
      await t.close();
    }
  });

  it('every worker busy and no room in the queue: 503 with Retry-After, nothing appended', async () => {
    const { t, upload } = await serverWithAgent({ documents: { ...DEFAULT_DOCUMENT_LIMITS, workers: 1, queue: 0 } });
    try {
      const head = await t.store.head();
      const [a, b] = await Promise.all([upload(pageTreeBomb()), upload(pageTreeBomb())]);
      const busy = a.status === 503 ? a : b;
      expect([a.status, b.status].sort()).toEqual([400, 503]);
      expect(busy.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(busy.body.error).toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/reading too many documents at once \(1 at a time, 0 waiting\); retry in \d+ s/),
      });
      expect(await t.store.head()).toBe(head);
    } finally {
      await t.close();
    }
  });

  it('an HTML page by URL past DOCUMENT_MAX_HTML_MB: 400 with the reason', async () => {
    const page = bigHtml(2);
    const docs = createServer((_req, res) => (res.writeHead(200, { 'content-type': 'text/html' }), res.end(page)));
    await new Promise<void>((r) => docs.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(docs.address() as AddressInfo).port}`;
    const { t, api, token, agent } = await serverWithAgent({ knowledgeUrlAllow: [origin], documents: { ...DEFAULT_DOCUMENT_LIMITS, maxHtmlBytes: 1_048_576 } });
    try {
      const head = await t.store.head();
      const r = await api.post(`/api/v1/agents/${agent}/knowledge`, { title: 'Big', url: `${origin}/big.html` }, { token });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toBe('url: HTML page larger than 1 MB');
      expect(await t.store.head()).toBe(head);
    } finally {
      await t.close();
      await new Promise<void>((r) => docs.close(() => r()));
    }
  });
});
