import { describe, expect, it } from 'vitest';
import { extractText } from '../../src/knowledge/ingest.ts';
import { minimalPdf } from '../support/minimal-pdf.ts';

describe('extractText', () => {
  it('reads the text of every page of a PDF, pages separated by a blank line', async () => {
    const pdf = minimalPdf([['Chronicle keeps every fact in the log.', 'Projections can be rebuilt (by replay).'], ['Second page: vectors live in events.']]);
    const text = await extractText(pdf, 'application/pdf');
    expect(text).toContain('Chronicle keeps every fact in the log.');
    expect(text).toContain('Projections can be rebuilt (by replay).');
    expect(text).toMatch(/log\.\s*\n[^\n]*Projections/);
    expect(text).toMatch(/replay\)\.\s*\n\n\s*Second page/);
    // The caller's bytes are not detached by pdfjs.
    expect(pdf.byteLength).toBeGreaterThan(0);
  });

  it('rejects bytes that are not a PDF', async () => {
    await expect(extractText(new TextEncoder().encode('not a pdf at all'), 'application/pdf')).rejects.toThrow();
  });

  it('decodes UTF-8 text and Markdown as they are, without a BOM', async () => {
    const md = '\uFEFF# Title\n\nCafé — naïve text.';
    expect(await extractText(new TextEncoder().encode(md), 'text/markdown')).toBe('# Title\n\nCafé — naïve text.');
    expect(await extractText(new TextEncoder().encode('plain'), 'text/plain')).toBe('plain');
  });
});
