import { z } from 'zod';
import { parseInput } from '../../app/commands/validate.ts';
import { AppError, badRequest } from '../../app/errors.ts';
import type { Settings } from '../../settings/settings.ts';
import { documentPool, DocumentPoolBusyError, DocumentRefusedError } from '../../knowledge/document-pool.ts';
import { extractText, type KnowledgeContentType } from '../../knowledge/extract-text.ts';
import { DocumentUnavailableError, fetchDocument } from '../../knowledge/fetch-document.ts';

/**
 * The three bodies of `POST /api/v1/agents/:id/knowledge` — `{title, text}`, `{title, url}`,
 * `{title, file: {contentType, base64}}` — and the document text each gives. Every refusal here comes
 * before anything is appended.
 */
const Title = z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters');
const TextDocument = z.object({ title: Title, text: z.string().refine((t) => t.trim().length > 0, 'must not be empty') });
const UrlDocument = z.object({ title: Title, url: z.string().url('must be a URL') });
const FileDocument = z.object({
  title: Title,
  file: z.object({
    contentType: z.enum(['application/pdf', 'text/markdown', 'text/plain'], 'must be application/pdf, text/markdown or text/plain'),
    base64: z
      .string()
      .regex(/^[A-Za-z0-9+/\s]*={0,2}\s*$/, 'must be base64')
      .refine((s) => s.trim().length > 0, 'must not be empty'),
  }),
});

/** One of the three shapes, chosen by its key so a mistake is named by field (a zod union only says "Invalid input"). */
export function parseKnowledgeBody(body: unknown): z.infer<typeof TextDocument> | z.infer<typeof UrlDocument> | z.infer<typeof FileDocument> {
  const has = (k: string) => body !== null && typeof body === 'object' && k in body;
  return has('file') ? parseInput(FileDocument, body) : has('url') && !has('text') ? parseInput(UrlDocument, body) : parseInput(TextDocument, body);
}

/** A document fetched by URL from an allowed host: 400 for what the caller can fix, 502 when the other server failed. */
async function fetchedText(settings: Settings, url: string): Promise<{ text: string; source: 'url'; url: string }> {
  if (settings.knowledgeUrlAllow.length === 0)
    throw badRequest(
      'url: fetching documents by URL is off on this server (the operator lists allowed hosts in KNOWLEDGE_URL_ALLOW); send {title, text} or {title, file}',
    );
  try {
    const doc = await fetchDocument(url, { allow: settings.knowledgeUrlAllow, maxBytes: settings.maxUploadBytes, pool: documentPool(settings.documents) });
    return { text: doc.text, source: 'url', url: doc.url };
  } catch (err) {
    if (err instanceof DocumentPoolBusyError) throw poolBusy(err);
    if (err instanceof DocumentRefusedError) throw badRequest(`url: ${err.message}`);
    if (err instanceof DocumentUnavailableError) throw new AppError(502, 'unavailable', `url: ${err.message}`);
    throw err;
  }
}

/** Every document worker busy and the queue full: 503 with Retry-After, nothing appended. */
const poolBusy = (err: DocumentPoolBusyError) => new AppError(503, 'unavailable', err.message, { 'retry-after': String(err.retryAfterS) });

/** The text of an uploaded file, or a 400 saying why there is none (nothing is appended before this). */
async function uploadedText(settings: Settings, file: { contentType: KnowledgeContentType; base64: string }): Promise<string> {
  let text: string;
  try {
    text = await extractText(Buffer.from(file.base64, 'base64'), file.contentType, documentPool(settings.documents));
  } catch (err) {
    if (err instanceof DocumentPoolBusyError) throw poolBusy(err);
    if (err instanceof DocumentRefusedError) throw badRequest(`file: ${err.message}`);
    throw badRequest(`file: cannot read it as ${file.contentType}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!text.trim())
    throw badRequest(`file: no text in it${file.contentType === 'application/pdf' ? ' (a scanned PDF holds only images; Chronicle does no OCR)' : ''}`);
  return text;
}

export type KnowledgeBody = ReturnType<typeof parseKnowledgeBody>;

/** The document's text and where it came from. */
export async function knowledgeText(
  settings: Settings,
  input: KnowledgeBody,
): Promise<{ title: string; text: string; source: 'text' | 'url' | 'file'; url?: string }> {
  if ('url' in input) return { title: input.title, ...(await fetchedText(settings, input.url)) };
  if ('file' in input) return { title: input.title, text: await uploadedText(settings, input.file), source: 'file' };
  return { title: input.title, text: input.text, source: 'text' };
}
