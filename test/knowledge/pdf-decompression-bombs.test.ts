import { describe, expect, it } from 'vitest';
import { DEFAULT_DOCUMENT_LIMITS } from '../../src/settings/document-limits.ts';
import { disguisedFlateBombs, flateBomb, lzwBomb } from './document-bombs.ts';
import { pool, reason, watched } from './pool-watch.ts';

/**
 * Decompression bombs: a PDF stream of a few hundred KB that decodes to hundreds of MB, held in
 * ArrayBuffers outside the worker's V8 heap limit. Flate (zlib) streams are measured before pdfjs
 * opens the file; anything else (here LZW) is caught by the pool's watch on the process's RSS.
 */
describe('PDF decompression bombs are refused within bounds', () => {
  it('a 300 KB flate bomb (300 MB inflated) and a 1 KB double-deflated one: "decompress to more than N MB", without inflating them', async () => {
    const p = pool();
    for (const layers of [1, 2] as const) {
      const bomb = await flateBomb(300, layers);
      expect(bomb.length).toBeLessThan(400 * 1024);
      const w = await watched(p, () => p.read('pdf', bomb));
      expect(reason(w.result)).toBe(`PDF streams decompress to more than ${DEFAULT_DOCUMENT_LIMITS.maxInflatedMb} MB`);
      expect(w.rssGrowthMb).toBeLessThan(150);
    }
    // Under the budget, the same construction is an ordinary (blank) page.
    expect(await p.read('pdf', await flateBomb(2))).toBe('');
  });

  it('a flate bomb behind a decoy `stream` keyword or with `endstream` planted in its data is measured all the same', async () => {
    const { decoy, planted } = await disguisedFlateBombs(300);
    expect(planted.includes(Buffer.from(' endstream endobj '))).toBe(true);
    const p = pool();
    for (const bomb of [decoy, planted]) {
      const w = await watched(p, () => p.read('pdf', bomb));
      expect(reason(w.result)).toBe(`PDF streams decompress to more than ${DEFAULT_DOCUMENT_LIMITS.maxInflatedMb} MB`);
      expect(w.rssGrowthMb).toBeLessThan(150);
    }
  });

  it('a 250 KB LZW bomb (600 MB decoded; not zlib, so unmeasured before reading) is stopped by the pool’s memory watch', async () => {
    const p = pool({ memoryMb: 32, maxInflatedMb: 32 });
    const w = await watched(p, () => p.read('pdf', lzwBomb(600)));
    // Allowance per worker: heap 32 + decompressed 32 + 64 overhead.
    expect(reason(w.result)).toBe('document needed more than 128 MB of memory to read');
    expect(w.rssGrowthMb).toBeLessThan(350);
    expect(await p.read('pdf', lzwBomb(1))).toBe('');
  });
});
