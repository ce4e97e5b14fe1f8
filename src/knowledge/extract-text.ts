import { documentPool, DocumentRefusedError, type DocumentPool } from './document-pool.ts';

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
 * PDF is read in a worker of the document pool (document-worker.mjs: pdfjs, page by page, line breaks
 * where the PDF's text items end a line, a blank line between pages), within the pool's limits.
 * Rejects with DocumentRefusedError (why) or DocumentPoolBusyError.
 */
export async function extractText(bytes: Uint8Array, contentType: KnowledgeContentType, pool: DocumentPool = documentPool()): Promise<string> {
  if (contentType === 'application/pdf') return pool.read('pdf', bytes);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/^\uFEFF/, '');
  if (text.length > pool.limits.maxChars) throw new DocumentRefusedError(`extracted text exceeds ${pool.limits.maxChars} characters`);
  return text;
}
