import type { ServerContext } from '../call.ts';

/** The query's embedding, or undefined (text-only retrieval) when the embedder fails. */
export async function embedQuery(server: ServerContext, q: string): Promise<Float32Array | undefined> {
  try {
    const [vector] = await server.chronicle.models.embedder().embed([q]);
    return vector;
  } catch (err) {
    server.chronicle.logger.warn('query embedding failed; searching by text only', { error: String(err) });
    return undefined;
  }
}
