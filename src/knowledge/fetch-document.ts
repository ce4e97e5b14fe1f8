import { extname } from 'node:path';
import { documentPool, DocumentPoolBusyError, DocumentRefusedError, type DocumentPool } from './document-pool.ts';
import { extractText, KNOWLEDGE_FILE_TYPES, type KnowledgeContentType } from './extract-text.ts';

/** The request cannot be served as asked (not allowed, not a document, too big, past a reading limit): the client's to fix. */
export { DocumentRefusedError };

/** The other server failed (status, timeout, connection): maybe worth a retry later. */
export class DocumentUnavailableError extends Error {
  override readonly name = 'DocumentUnavailableError';
}

export interface FetchDocumentOptions {
  /** KNOWLEDGE_URL_ALLOW entries: `docs.example.com`, `*.example.com`, an origin `http://127.0.0.1:8080`, or `*`. */
  allow: readonly string[];
  maxBytes: number;
  timeoutMs?: number;
  /** Redirects followed, each to an allowed URL too. */
  maxRedirects?: number;
  /** Where PDF and HTML are read (the server's, with its limits). */
  pool?: DocumentPool;
}

/**
 * Whether a URL may be fetched: only http(s), and only hosts the operator listed. The server fetching
 * whatever a client names would let any operator token probe the server's own network.
 */
export function urlAllowed(url: URL, allow: readonly string[]): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = url.hostname.toLowerCase();
  return allow.some((raw) => {
    const entry = raw.trim().toLowerCase();
    if (!entry) return false;
    if (entry === '*') return true;
    if (entry.includes('://')) return url.origin.toLowerCase() === entry.replace(/\/+$/, '');
    if (entry.startsWith('*.')) return host.endsWith(entry.slice(1)) && host.length > entry.length - 1;
    return host === entry;
  });
}

/**
 * Fetches a document for the knowledge base and returns its text: Markdown and plain text as they are,
 * PDF and HTML read in the document pool (document-pool.ts). Size, time and redirects are bounded;
 * rejects with DocumentRefusedError, DocumentUnavailableError or DocumentPoolBusyError.
 */
export async function fetchDocument(url: string, options: FetchDocumentOptions): Promise<{ text: string; url: string; contentType: string }> {
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw new DocumentRefusedError('not a URL');
  }
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  for (let hop = 0; ; hop++) {
    if (!urlAllowed(current, options.allow)) throw new DocumentRefusedError(`${current.origin} is not in KNOWLEDGE_URL_ALLOW`);
    let res: Response;
    try {
      res = await fetch(current, {
        redirect: 'manual',
        signal: deadline,
        headers: { accept: 'text/markdown, text/plain, application/pdf, text/html;q=0.9, */*;q=0.1', 'user-agent': 'chronicle' },
      });
    } catch (err) {
      throw new DocumentUnavailableError(
        deadline.aborted ? `no answer within ${(options.timeoutMs ?? 30_000) / 1000} s` : `cannot reach ${current.origin}: ${(err as Error).message}`,
      );
    }
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      await res.body?.cancel();
      if (hop >= (options.maxRedirects ?? 5)) throw new DocumentUnavailableError('too many redirects');
      current = new URL(res.headers.get('location')!, current);
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new DocumentUnavailableError(`${current.href} answered ${res.status}`);
    }
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    const kind = kindOf(contentType, current.pathname);
    if (!kind) {
      await res.body?.cancel();
      throw new DocumentRefusedError(`unsupported content type "${contentType || 'none'}" (Markdown, text, PDF or HTML)`);
    }
    const bytes = await readCapped(res, options.maxBytes, deadline);
    // HTML is reduced in the document pool too: a page of tens of MB takes seconds of CPU.
    const pool = options.pool ?? documentPool();
    const text = await (kind === 'text/html' ? pool.read('html', bytes) : extractText(bytes, kind, pool)).catch((err: Error) => {
      if (err instanceof DocumentRefusedError || err instanceof DocumentPoolBusyError) throw err;
      throw new DocumentRefusedError(`cannot read it as ${kind}: ${err.message}`);
    });
    if (!text.trim()) throw new DocumentRefusedError('no text in it');
    return { text, url: current.href, contentType };
  }
}

function kindOf(contentType: string, path: string): KnowledgeContentType | 'text/html' | undefined {
  if (contentType === 'application/pdf') return 'application/pdf';
  if (contentType === 'text/html' || contentType === 'application/xhtml+xml') return 'text/html';
  if (contentType === 'text/markdown' || contentType === 'text/x-markdown') return 'text/markdown';
  // Servers of raw files often say text/plain (or nothing) for Markdown and PDF: the extension decides.
  if (contentType === 'text/plain' || contentType === 'application/octet-stream' || contentType === '') {
    return KNOWLEDGE_FILE_TYPES[extname(path).toLowerCase()] ?? (contentType === 'text/plain' ? 'text/plain' : undefined);
  }
  return undefined;
}

async function readCapped(res: Response, maxBytes: number, signal: AbortSignal): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new DocumentRefusedError(`larger than ${maxBytes} bytes`);
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += part.byteLength;
      if (size > maxBytes) {
        await res.body?.cancel().catch(() => undefined);
        throw new DocumentRefusedError(`larger than ${maxBytes} bytes`);
      }
      parts.push(part);
    }
  } catch (err) {
    if (err instanceof DocumentRefusedError) throw err;
    throw new DocumentUnavailableError(signal.aborted ? 'the download took too long' : `the download broke off: ${(err as Error).message}`);
  }
  return Buffer.concat(parts);
}
