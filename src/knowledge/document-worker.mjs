// Reads one document in a worker thread of the document pool (document-pool.ts): the text of a PDF
// (pdfjs-dist's legacy build, the one meant for Node) or of an HTML page (html-text.mjs). Parsing
// runs on the thread it is called on; a big or hostile document must not stall every room.
// Plain JavaScript so it starts without the TypeScript loader.
// Input (workerData): {kind: 'pdf' | 'html', bytes: Uint8Array, limits: {maxPages, maxChars, maxInflatedBytes}}.
// Output: one message, {text}, {refused} (a limit of the document pool, the reason) or {error}.
import { parentPort, workerData } from 'node:worker_threads';
import { htmlToText } from './html-text.mjs';
import { inflatesBeyond } from './pdf-streams.mjs';

const { kind, bytes, limits } = workerData;

class Refused extends Error {}

const mb = (n) => Math.round(n / 1_048_576);
const tooLong = () => new Refused(`extracted text exceeds ${limits.maxChars} characters`);

async function pdfText() {
  if (await inflatesBeyond(bytes, limits.maxInflatedBytes)) throw new Refused(`PDF streams decompress to more than ${mb(limits.maxInflatedBytes)} MB`);
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({ data: bytes, isEvalSupported: false, useSystemFonts: false, verbosity: 0 });
  const doc = await task.promise;
  try {
    if (doc.numPages > limits.maxPages) throw new Refused(`PDF has more than ${limits.maxPages} pages (${doc.numPages})`);
    const pages = [];
    let length = 0;
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        // Line breaks where the PDF's text items end a line; a blank line between pages.
        text += item.str;
        if (item.hasEOL) text += '\n';
        if (length + text.length > limits.maxChars) throw tooLong();
      }
      text = text.trim();
      length += text.length + 2;
      pages.push(text);
      page.cleanup();
    }
    return pages.filter(Boolean).join('\n\n');
  } finally {
    await doc.destroy();
  }
}

try {
  const text = kind === 'pdf' ? await pdfText() : htmlToText(new TextDecoder().decode(bytes));
  if (text.length > limits.maxChars) throw tooLong();
  parentPort.postMessage({ text });
} catch (err) {
  parentPort.postMessage(err instanceof Refused ? { refused: err.message } : { error: err instanceof Error ? err.message : String(err) });
}
