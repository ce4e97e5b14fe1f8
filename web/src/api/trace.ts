import type { ApiClient } from './client.ts';
import type { LogEvent } from './types.ts';

/** A reply's `reply.traced` event data. */
export interface Trace {
  agentId: string;
  messageId: string;
  replyId: string;
  provider: string;
  model: string;
  usage: { promptTokens: number; completionTokens: number };
  latencyMs: number;
  sources: { messageIds: string[]; knowledgeChunkIds: string[]; factIds: string[] };
  providers: Array<{ name: string; sha256: string; chars: number }>;
  actions: string[];
  thought?: string;
}

export interface LoadedTrace { trace: Trace; seq: number; messages: Map<string, { text: string; authorKind: string }>; chunks: Map<string, string> }

/** Reads every event of a filter, page by page (bounded: a trace view must not walk a huge log forever). */
export async function readAll(api: ApiClient, q: { stream?: string; type: string }, stop?: (e: LogEvent) => boolean, maxPages = 20): Promise<LogEvent[]> {
  const out: LogEvent[] = [];
  let after = 0;
  for (let i = 0; i < maxPages; i++) {
    const page = await api.events({ ...q, after, limit: 1000 });
    out.push(...page);
    if (page.length < 1000 || (stop && page.some(stop))) break;
    after = page[page.length - 1].seq;
  }
  return out;
}

/**
 * The trace of one agent reply: the `reply.traced` event of the room's stream for that reply, with the
 * messages and knowledge chunks it cites resolved to their text from the log.
 */
export async function loadTrace(api: ApiClient, roomId: string, replyId: string): Promise<LoadedTrace> {
  const stream = `room-${roomId}`;
  const traces = await readAll(api, { stream, type: 'reply.traced' }, (e) => e.data.replyId === replyId);
  const ev = traces.find((e) => e.data.replyId === replyId);
  if (!ev) throw new Error('No trace was recorded for this reply (it may predate tracing, or have failed).');
  const trace = ev.data as unknown as Trace;
  const posted = await readAll(api, { stream, type: 'message.posted' });
  const messages = new Map(posted.map((e) => [String(e.data.messageId), { text: String(e.data.text), authorKind: String(e.data.authorKind) }]));
  const chunks = new Map<string, string>();
  if (trace.sources.knowledgeChunkIds.length) {
    const wanted = new Set(trace.sources.knowledgeChunkIds);
    const embedded = await readAll(api, { type: 'knowledge.chunk_embedded' });
    for (const e of embedded) if (wanted.has(String(e.data.chunkId))) chunks.set(String(e.data.chunkId), String(e.data.text));
  }
  return { trace, seq: ev.seq, messages, chunks };
}
