// Extracts the text of one PDF in a worker thread (see extract-text.ts): pdfjs parses on the thread
// it runs on, and a big PDF uploaded to a live server must not stall every room for seconds.
// Plain JavaScript so it starts without the TypeScript loader. Input: workerData.bytes (Uint8Array);
// output: one message, {text} or {error}.
import { parentPort, workerData } from 'node:worker_threads';

try {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({ data: workerData.bytes, isEvalSupported: false, useSystemFonts: false, verbosity: 0 });
  const doc = await task.promise;
  try {
    const pages = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        // Line breaks where the PDF's text items end a line; a blank line between pages.
        text += item.str;
        if (item.hasEOL) text += '\n';
      }
      pages.push(text.trim());
      page.cleanup();
    }
    parentPort.postMessage({ text: pages.filter(Boolean).join('\n\n') });
  } finally {
    await doc.destroy();
  }
} catch (err) {
  parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
}
