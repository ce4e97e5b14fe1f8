/** Turns texts into vectors: the one Embedder type lives in src/models/embedder.ts (tests use a fake). */
export type { Embedder, EmbedOptions } from '../models/embedder.ts';
