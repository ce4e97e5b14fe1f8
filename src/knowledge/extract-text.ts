export type KnowledgeContentType = 'text/plain' | 'text/markdown' | 'application/pdf';

/**
 * Plain text of an uploaded document. Markdown is kept as it is (the chunker understands headings);
 * PDF goes through pdfjs-dist's legacy build (the one meant for Node), page by page, with line breaks
 * where the PDF's text items end a line and a blank line between pages.
 */
export async function extractText(bytes: Uint8Array, contentType: KnowledgeContentType): Promise<string> {
  if (contentType === 'application/pdf') return extractPdf(bytes);
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/^\uFEFF/, '');
}

async function extractPdf(bytes: Uint8Array): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  // pdfjs transfers (detaches) the buffer it is given: hand it a copy so the caller's bytes survive.
  const task = pdfjs.getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, useSystemFonts: false, verbosity: 0 });
  const doc = await task.promise;
  try {
    const pages: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str;
        if (item.hasEOL) text += '\n';
      }
      pages.push(text.trim());
      page.cleanup();
    }
    return pages.filter(Boolean).join('\n\n');
  } finally {
    await doc.destroy();
  }
}
