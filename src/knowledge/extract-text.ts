import { Worker } from 'node:worker_threads';

export type KnowledgeContentType = 'text/plain' | 'text/markdown' | 'application/pdf';

/** Document files by extension: what extractText reads. */
export const KNOWLEDGE_FILE_TYPES: Readonly<Record<string, KnowledgeContentType>> = {
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.mdx': 'text/markdown',
  '.txt': 'text/plain',
  '.text': 'text/plain',
  '.pdf': 'application/pdf',
};

/**
 * Plain text of an uploaded document. Markdown is kept as it is (the chunker understands headings);
 * PDF goes through pdfjs-dist's legacy build (the one meant for Node) in a worker thread, page by page,
 * with line breaks where the PDF's text items end a line and a blank line between pages.
 */
export async function extractText(bytes: Uint8Array, contentType: KnowledgeContentType): Promise<string> {
  if (contentType === 'application/pdf') return extractPdf(bytes);
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/^\uFEFF/, '');
}

/** Longest a PDF may take to read; past it the worker is stopped and the upload refused. */
const PDF_TIMEOUT_MS = 120_000;

/** In a worker thread (pdf-text-worker.mjs), with a memory cap, so a big or hostile PDF cannot stall or sink the server. */
function extractPdf(bytes: Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    // pdfjs transfers (detaches) the buffer it is given: the worker gets a copy, the caller's bytes survive.
    const worker = new Worker(new URL('./pdf-text-worker.mjs', import.meta.url), { workerData: { bytes: new Uint8Array(bytes) }, resourceLimits: { maxOldGenerationSizeMb: 1024 } });
    const timer = setTimeout(() => {
      reject(new Error(`reading the PDF took longer than ${PDF_TIMEOUT_MS / 1000} s`));
      void worker.terminate();
    }, PDF_TIMEOUT_MS);
    const done = () => clearTimeout(timer);
    worker.once('message', (m: { text?: string; error?: string }) => {
      done();
      if (typeof m.text === 'string') resolve(m.text);
      else reject(new Error(m.error ?? 'the PDF reader gave no text'));
      void worker.terminate();
    });
    worker.once('error', (err) => (done(), reject(err)));
    worker.once('exit', (code) => (done(), reject(new Error(`the PDF reader stopped (exit code ${code})`))));
  });
}
