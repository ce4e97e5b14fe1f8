import { describe, expect, it } from 'vitest';
import { DocumentPoolBusyError, DocumentRefusedError } from '../../src/knowledge/document-pool.ts';
import { DEFAULT_DOCUMENT_LIMITS } from '../../src/settings/document-limits.ts';
import { extractText } from '../../src/knowledge/extract-text.ts';
import { minimalPdf } from '../support/minimal-pdf.ts';
import { bigHtml, pageTreeBomb, selfReferentialPageTree } from './document-bombs.ts';
import { pool, reason, watched } from './pool-watch.ts';

/**
 * Reading documents is bounded: hostile PDFs and HTML pages are refused within the pool's limits
 * (memory, time, pages, text, decompressed size), with the reason; at most `workers` are read at
 * once; the main thread keeps answering while a big page is reduced. Memory is asserted as growth of
 * the process's RSS sampled during the read (the bombs cost gigabytes without the limits).
 */

describe('PDF bombs are refused within bounds', () => {
  it('a 2 KB page tree claiming 10^9 pages: "more than N pages"; three at once stay within the pool (2 at a time) and a few hundred MB', async () => {
    const bomb = pageTreeBomb();
    expect(bomb.length).toBeLessThan(2048);
    const p = pool();
    const w = await watched(p, () => Promise.allSettled([1, 2, 3].map(() => p.read('pdf', bomb))));
    const results = (w.result as PromiseFulfilledResult<PromiseSettledResult<string>[]>).value;
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DocumentRefusedError);
      expect(reason(r)).toBe(`PDF has more than ${DEFAULT_DOCUMENT_LIMITS.maxPages} pages (1000000000)`);
    }
    expect(w.mostRunning).toBeLessThanOrEqual(DEFAULT_DOCUMENT_LIMITS.workers);
    expect(w.rssGrowthMb).toBeLessThan(400);
    expect(p.load).toEqual({ running: 0, waiting: 0 });
  });

  it('a page tree listing itself is refused, not walked forever', async () => {
    await expect(pool().read('pdf', selfReferentialPageTree())).rejects.toThrow(/circular|more than \d+ pages/);
  });

  it('pages and extracted text are capped; a normal PDF still reads', async () => {
    const pdf = minimalPdf([['First page of the manual.'], ['Second page.'], ['Third page.']]);
    expect(await extractText(pdf, 'application/pdf', pool())).toBe('First page of the manual.\n\nSecond page.\n\nThird page.');
    await expect(extractText(pdf, 'application/pdf', pool({ maxPages: 2 }))).rejects.toThrow('PDF has more than 2 pages (3)');
    await expect(extractText(pdf, 'application/pdf', pool({ maxChars: 20 }))).rejects.toThrow('extracted text exceeds 20 characters');
    await expect(extractText(new TextEncoder().encode('x'.repeat(30)), 'text/plain', pool({ maxChars: 20 }))).rejects.toThrow(
      'extracted text exceeds 20 characters',
    );
  });
});

describe('the pool', () => {
  it('refuses at once when its workers and its queue are full (busy, with a retry delay), then serves again', async () => {
    const p = pool({ workers: 1, queue: 1 });
    const bomb = pageTreeBomb();
    const w = await watched(p, () => Promise.allSettled([p.read('pdf', bomb), p.read('pdf', bomb), p.read('pdf', bomb)]));
    const [a, b, c] = (w.result as PromiseFulfilledResult<PromiseSettledResult<string>[]>).value;
    expect([reason(a), reason(b)]).toEqual([expect.stringMatching(/more than \d+ pages/), expect.stringMatching(/more than \d+ pages/)]);
    expect((c as PromiseRejectedResult).reason).toBeInstanceOf(DocumentPoolBusyError);
    expect(reason(c)).toMatch(/reading too many documents at once \(1 at a time, 1 waiting\); retry in \d+ s/);
    expect(w.mostRunning).toBe(1);
    expect(await p.read('pdf', minimalPdf([['Back to normal.']]))).toBe('Back to normal.');
  });

  it('stops a document past its deadline or its memory, with the reason', async () => {
    const html = bigHtml(24);
    await expect(pool({ timeoutMs: 200 }).read('html', html)).rejects.toThrow('document took longer than 0.2 s to read');
    await expect(pool({ memoryMb: 16 }).read('html', html)).rejects.toThrow('document needed more than 16 MB of memory to read');
    await expect(pool({ maxHtmlBytes: 1_048_576 }).read('html', bigHtml(2))).rejects.toThrow('HTML page larger than 1 MB');
  });
});
