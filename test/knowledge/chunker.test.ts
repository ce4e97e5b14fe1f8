import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chunkText } from '../../src/knowledge/chunker.ts';

const sentence = (i: number) => `Sentence number ${i} talks about topic ${i % 7} in some detail.`;

describe('chunkText', () => {
  it('keeps a short text as one chunk', () => {
    const chunks = chunkText('Hello world. This is short.');
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ index: 0, text: 'Hello world. This is short.' });
    expect(chunks[0].contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('splits on sentence boundaries within the size limit, with overlap between chunks', () => {
    const text = Array.from({ length: 60 }, (_, i) => sentence(i)).join(' ');
    const chunks = chunkText(text, { maxChars: 400, overlapChars: 120 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(400);
      expect(c.text).toMatch(/^Sentence number \d+/); // starts at a sentence start
      expect(c.text).toMatch(/detail\.$/); // ends at a sentence end
    }
    for (let i = 1; i < chunks.length; i++) {
      const firstOfNext = chunks[i].text.match(/^Sentence number \d+[^.]*\./)![0];
      expect(chunks[i - 1].text).toContain(firstOfNext); // overlap: the next chunk repeats a sentence
    }
    // Nothing lost: every sentence is in some chunk.
    for (let i = 0; i < 60; i++) expect(chunks.some((c) => c.text.includes(sentence(i)))).toBe(true);
  });

  it('keeps Markdown headings with the text under them', () => {
    const para = (n: number) => Array.from({ length: 4 }, (_, i) => `Paragraph ${n} line ${i} has words.`).join(' ');
    const md = ['# Intro', para(1), para(2), '## Details', para(3), '## Final', para(4), para(5)].join('\n\n');
    const chunks = chunkText(md, { maxChars: 300, overlapChars: 60 });
    for (const c of chunks) expect(c.text).not.toMatch(/#{1,6} \w+$/); // never ends with a heading
    for (const h of ['# Intro', '## Details', '## Final']) {
      expect(chunks.filter((x) => x.text.includes(h))).toHaveLength(1); // no overlap across sections
      const c = chunks.find((x) => x.text.includes(h));
      expect(c, h).toBeDefined();
      // The heading's own text follows it in the same chunk.
      expect(c!.text.slice(c!.text.indexOf(h) + h.length)).toMatch(/^\n\nParagraph \d line 0/);
    }
  });

  it('deduplicates identical chunks by content hash and renumbers', () => {
    const block = 'Same paragraph repeated here.';
    const chunks = chunkText([block, '# A', 'Alpha text.', '# A', 'Alpha text.'].join('\n\n'), { maxChars: 100, overlapChars: 0 });
    const texts = chunks.map((c) => c.text);
    expect(new Set(texts).size).toBe(texts.length);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
  });

  it('cuts an over-long sentence at word boundaries and never drops characters (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z]{1,30}$/), { minLength: 1, maxLength: 300 }), fc.integer({ min: 100, max: 500 }), (words, max) => {
        const text = words.join(' ');
        const chunks = chunkText(text, { maxChars: max, overlapChars: 0 });
        for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(max);
        // Without overlap or duplicates, the chunks joined give back the words in order.
        const joined = chunks
          .map((c) => c.text)
          .join(' ')
          .split(/\s+/);
        const unique = new Set(chunks.map((c) => c.text)).size === chunks.length;
        if (unique) expect(joined.join(' ').length).toBeLessThanOrEqual(text.length);
        for (const w of new Set(words)) expect(joined.join(' ')).toContain(w);
      }),
      { numRuns: 100 },
    );
  });

  it("every chunk is the document's own text: dots inside words, versions and URLs are not sentence ends (property)", () => {
    expect(chunkText('Copy .env.example to .env. Version 1.2.3 is at example.com/a.html today.')[0].text).toBe(
      'Copy .env.example to .env. Version 1.2.3 is at example.com/a.html today.',
    );
    const token = fc.oneof(
      fc.stringMatching(/^[a-z]{1,12}$/),
      fc.stringMatching(/^[a-z0-9]{1,6}(\.[a-z0-9]{1,6}){1,3}$/),
      fc.stringMatching(/^[a-z]{1,10}[.!?]$/),
    );
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 200 }), fc.integer({ min: 100, max: 400 }), (tokens, max) => {
        const text = tokens.join(' ');
        for (const c of chunkText(text, { maxChars: max, overlapChars: 40 })) {
          // Long words may be cut, so compare against the document with the chunk's own word breaks.
          if (c.text.split(' ').every((w) => w.length < max - 40)) expect(text).toContain(c.text);
        }
      }),
      { numRuns: 150 },
    );
  });
});
