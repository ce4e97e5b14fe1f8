import type { Author, NewEvent } from '../events/envelope.ts';
import type { EventStore } from '../events/store.ts';
import { derivedId, newId, sha256Hex } from '../shared/ids.ts';
import { chunkText, type ChunkOptions } from './chunker.ts';
import type { Embedder } from './embedder.ts';
import { QuantizedVector } from '../events/quantized-vector.ts';
import { streams } from '../domain/streams.ts';

export type { Embedder } from './embedder.ts';
export { extractText, type KnowledgeContentType } from './extract-text.ts';
export { chunkText, type Chunk, type ChunkOptions } from './chunker.ts';

export interface KnowledgeDeps {
  store: EventStore;
  embedder: Embedder;
}

export interface IngestInput {
  agentId: string;
  /** Give one to make a retry idempotent (same id → same chunk ids and event ids); default: a new id. */
  documentId?: string;
  title: string;
  text: string;
  source?: 'text' | 'url' | 'file' | 'character';
  /** For `source: 'url'`: the address it was fetched from, kept in `knowledge.document_added`. */
  url?: string;
  author?: Author;
  /** Called after each batch of chunks is embedded and recorded. */
  onProgress?: (done: number, total: number) => void;
  chunking?: ChunkOptions;
  /** Chunks per embedding call and per append (default 32). */
  batchSize?: number;
  signal?: AbortSignal;
}

export interface RemoveInput {
  agentId: string;
  documentId: string;
  author?: Author;
}
export const chunkIdFor = (documentId: string, index: number): string => derivedId(documentId, String(index));

/**
 * Ingests a document for an agent: chunk (with overlap, Markdown-aware, deduplicated) → embed in
 * batches → `knowledge.document_added`, then `knowledge.chunk_embedded` per batch, then
 * `knowledge.document_ready`. Every id is derived from the document id and the content, so a retried
 * ingestion never writes anything twice; a new embedding model writes new chunk events (the old
 * vectors stay in the log and in their own vector table).
 */
export async function ingestDocument(deps: KnowledgeDeps, input: IngestInput): Promise<{ documentId: string; chunks: number }> {
  const documentId = input.documentId ?? newId();
  const stream = streams.document(documentId);
  const contentHash = sha256Hex(input.text);
  const chunks = chunkText(input.text, input.chunking);
  const model = deps.embedder.model;
  const meta = input.author ? { author: input.author } : {};
  const title = input.title.trim().slice(0, 500) || 'Untitled';

  const added: NewEvent<'knowledge.document_added'> = {
    id: derivedId('knowledge.document_added', documentId, contentHash),
    type: 'knowledge.document_added',
    data: {
      documentId,
      agentId: input.agentId,
      title,
      source: input.source ?? 'text',
      ...(input.url ? { url: input.url } : {}),
      contentHash,
      chars: input.text.length,
      totalChunks: chunks.length,
    },
    meta: { ...meta, correlationId: documentId },
  };
  await deps.store.append(stream, [added]);
  const causationId = added.id;
  const batchSize = Math.max(1, input.batchSize ?? 32);
  let done = 0;
  input.onProgress?.(0, chunks.length);
  try {
    for (let i = 0; i < chunks.length; i += batchSize) {
      const batch = chunks.slice(i, i + batchSize);
      const vectors = await deps.embedder.embed(
        batch.map((c) => c.text),
        input.signal ? { signal: input.signal } : undefined,
      );
      if (vectors.length !== batch.length) throw new Error(`embedder returned ${vectors.length} vectors for ${batch.length} texts`);
      const events: NewEvent<'knowledge.chunk_embedded'>[] = batch.map((c, j) => {
        const chunkId = chunkIdFor(documentId, c.index);
        return {
          id: derivedId('knowledge.chunk_embedded', chunkId, c.contentHash, model),
          type: 'knowledge.chunk_embedded',
          data: {
            documentId,
            agentId: input.agentId,
            chunkId,
            index: c.index,
            text: c.text,
            contentHash: c.contentHash,
            model,
            vector: QuantizedVector.quantize(new Float32Array(vectors[j])),
          },
          meta: { ...meta, causationId, correlationId: documentId },
        };
      });
      // Trusted: the ids are those document_added was validated with, the text a chunk of it (never
      // empty), the vector quantized (QuantizedVector.quantize refuses what the log would refuse).
      await deps.store.append(stream, events, { trusted: true });
      done += batch.length;
      input.onProgress?.(done, chunks.length);
    }
  } catch (err) {
    await deps.store.append(stream, [
      {
        id: newId(),
        type: 'knowledge.document_failed',
        data: { documentId, agentId: input.agentId, error: err instanceof Error ? err.message : String(err) },
        meta: { ...meta, causationId, correlationId: documentId },
      },
    ]);
    throw err;
  }
  await deps.store.append(stream, [
    {
      id: derivedId('knowledge.document_ready', documentId, contentHash, model),
      type: 'knowledge.document_ready',
      data: { documentId, agentId: input.agentId, chunks: chunks.length },
      meta: { ...meta, causationId, correlationId: documentId },
    },
  ]);
  return { documentId, chunks: chunks.length };
}

/** Removes a document from the agent's knowledge (by event: the log keeps it; search no longer sees it). */
export async function removeDocument(deps: KnowledgeDeps | { store: EventStore }, input: RemoveInput): Promise<void> {
  await deps.store.append(streams.document(input.documentId), [
    {
      id: newId(),
      type: 'knowledge.document_removed',
      data: { documentId: input.documentId, agentId: input.agentId },
      meta: input.author ? { author: input.author } : {},
    },
  ]);
}
