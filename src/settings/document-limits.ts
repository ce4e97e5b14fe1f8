/**
 * What reading one document may cost. PDF and HTML are read in worker threads of one pool, never on
 * the main thread, so a hostile document (a page-tree bomb, a flate bomb, a 24 MB page) costs at most
 * `workers` × these limits, and a full pool answers "busy" at once instead of piling up.
 */
export interface DocumentLimits {
  /** Documents read at the same time (one worker thread each). */
  workers: number;
  /** Documents waiting for a worker; past them a read is refused as busy (503 + Retry-After). */
  queue: number;
  /** V8 heap of each worker (resourceLimits.maxOldGenerationSizeMb). */
  memoryMb: number;
  /** Total decompressed size of a PDF's Flate streams (off the V8 heap, so checked apart). */
  maxInflatedMb: number;
  /** Wall-clock time one document may take in its worker. */
  timeoutMs: number;
  maxPages: number;
  /** Characters of extracted text (every type, plain text too). */
  maxChars: number;
  /** Size of an HTML page given to the reducer. */
  maxHtmlBytes: number;
}

export const DEFAULT_DOCUMENT_LIMITS: Readonly<DocumentLimits> = {
  workers: 2,
  queue: 8,
  memoryMb: 256,
  maxInflatedMb: 256,
  timeoutMs: 60_000,
  maxPages: 2_000,
  maxChars: 10_000_000,
  maxHtmlBytes: 32 * 1_048_576,
};
