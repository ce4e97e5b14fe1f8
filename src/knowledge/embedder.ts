/** Turns texts into vectors. The models layer provides the real one (src/models); tests use a fake. */
export interface Embedder {
  /** Model name, recorded with every vector (a change of model is visible in the log). */
  readonly model: string;
  embed(texts: string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
}
