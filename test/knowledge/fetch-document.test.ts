import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentRefusedError, DocumentUnavailableError, fetchDocument, urlAllowed } from '../../src/knowledge/fetch-document.ts';
import { htmlToText } from '../../src/knowledge/html-text.mjs';
import { minimalPdf } from '../support/minimal-pdf.ts';

describe('htmlToText', () => {
  it('keeps the readable text: headings as Markdown, list items, paragraphs; drops scripts, styles, comments and the head', () => {
    const html = `<!doctype html><html><head><title>T</title><style>p{color:red}</style></head><body>
      <nav><a href="/">Home</a></nav><!-- a comment with <p>markup</p> -->
      <h1>Kettles</h1><p>A kettle switches off at <b>100&nbsp;&deg;C</b> &amp; clicks.</p>
      <script>var x = "<p>not text</p>";</script><ul><li>Fill it</li><li>Boil &#8211; wait</li></ul>
      <h2 class="x">Care</h2><p>Descale&#x21;<br>Monthly.</p></body></html>`;
    expect(htmlToText(html)).toBe(
      'Home\n\n# Kettles\n\nA kettle switches off at 100 °C & clicks.\n\n- Fill it\n- Boil – wait\n\n## Care\n\nDescale!\nMonthly.',
    );
  });

  it('stays linear on a page of unclosed script tags, dropping the rest of the page (a lazy regex would run past the test timeout)', () => {
    const hostile = 'before ' + '<script>'.repeat(50_000) + ' after';
    expect(htmlToText(hostile)).toBe('before');
  });
});

describe('which URLs may be fetched', () => {
  const allowed = (u: string, allow: string[]) => urlAllowed(new URL(u), allow);
  it('only http(s) from a listed host, a *.subdomain pattern, an exact origin, or * for any', () => {
    expect(allowed('https://docs.example.com/a.md', ['docs.example.com'])).toBe(true);
    expect(allowed('https://evil.com/a.md', ['docs.example.com'])).toBe(false);
    expect(allowed('https://a.b.example.com/x', ['*.example.com'])).toBe(true);
    expect(allowed('https://example.com/x', ['*.example.com'])).toBe(false);
    expect(allowed('https://notexample.com/x', ['*.example.com'])).toBe(false);
    expect(allowed('http://127.0.0.1:8080/x', ['http://127.0.0.1:8080'])).toBe(true);
    expect(allowed('http://127.0.0.1:9090/x', ['http://127.0.0.1:8080'])).toBe(false);
    expect(allowed('file:///etc/passwd', ['*'])).toBe(false);
    expect(allowed('https://anything.org/', ['*'])).toBe(true);
    expect(allowed('https://docs.example.com/', [])).toBe(false);
  });
});

describe('fetchDocument', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const send = (type: string, body: string | Uint8Array, status = 200) => (res.writeHead(status, { 'content-type': type }), res.end(body));
      switch (req.url) {
        case '/guide.md':
          return send('text/markdown; charset=utf-8', '# Guide\n\nUse cursors.');
        case '/raw/notes.md':
          return send('text/plain', '# Notes\n\nPlain-served Markdown.');
        case '/page.html':
          return send('text/html', '<h1>Page</h1><p>Hello &amp; welcome.</p>');
        case '/doc.pdf':
          return send('application/pdf', minimalPdf([['PDF by URL.']]));
        case '/image.png':
          return send('image/png', 'x');
        case '/missing':
          return send('text/plain', 'nope', 404);
        case '/moved':
          return res.writeHead(302, { location: '/guide.md' }), res.end();
        case '/away':
          return res.writeHead(302, { location: 'http://localhost:1/secret' }), res.end();
        case '/loop':
          return res.writeHead(302, { location: '/loop' }), res.end();
        case '/big': {
          res.writeHead(200, { 'content-type': 'text/plain' });
          for (let i = 0; i < 40; i++) res.write('x'.repeat(1024));
          return res.end();
        }
        case '/slow':
          return void setTimeout(() => send('text/plain', 'late'), 2_000);
        default:
          return send('text/plain', '', 404);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const opts = (o: Partial<Parameters<typeof fetchDocument>[1]> = {}) => ({ allow: ['127.0.0.1'], maxBytes: 16 * 1024, timeoutMs: 1_000, ...o });

  it('reads Markdown, text served .md, HTML and PDF; follows a redirect within the allowed hosts', async () => {
    expect((await fetchDocument(`${base}/guide.md`, opts())).text).toBe('# Guide\n\nUse cursors.');
    expect(await fetchDocument(`${base}/raw/notes.md`, opts())).toMatchObject({ text: '# Notes\n\nPlain-served Markdown.', contentType: 'text/plain' });
    expect((await fetchDocument(`${base}/page.html`, opts())).text).toBe('# Page\n\nHello & welcome.');
    expect((await fetchDocument(`${base}/doc.pdf`, opts())).text).toContain('PDF by URL.');
    expect(await fetchDocument(`${base}/moved`, opts())).toMatchObject({ url: `${base}/guide.md`, text: '# Guide\n\nUse cursors.' });
  });

  it('refuses what the caller can fix: a host not allowed (also after a redirect), an unsupported type, too big', async () => {
    await expect(fetchDocument(`${base}/guide.md`, opts({ allow: ['docs.example.com'] }))).rejects.toThrow(DocumentRefusedError);
    await expect(fetchDocument(`${base}/away`, opts())).rejects.toThrow(/localhost:1 is not in KNOWLEDGE_URL_ALLOW/);
    await expect(fetchDocument(`${base}/image.png`, opts())).rejects.toThrow(/unsupported content type "image\/png"/);
    await expect(fetchDocument(`${base}/big`, opts())).rejects.toThrow(/larger than 16384 bytes/);
    await expect(fetchDocument('not a url', opts())).rejects.toThrow(DocumentRefusedError);
  });

  it('reports the other server’s failures apart: an error status, a redirect loop, no answer in time', async () => {
    await expect(fetchDocument(`${base}/missing`, opts())).rejects.toThrow(DocumentUnavailableError);
    await expect(fetchDocument(`${base}/missing`, opts())).rejects.toThrow(/answered 404/);
    await expect(fetchDocument(`${base}/loop`, opts())).rejects.toThrow(/too many redirects/);
    await expect(fetchDocument(`${base}/slow`, opts({ timeoutMs: 300 }))).rejects.toThrow(/no answer within 0.3 s/);
  });
});
