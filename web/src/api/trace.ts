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

export interface LoadedTrace {
  trace: Trace;
  seq: number;
  messages: Map<string, { text: string; authorKind: string }>;
  chunks: Map<string, string>;
}

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
  await addBranchSources(api, roomId, trace.sources.messageIds, messages);
  const chunks = new Map<string, string>();
  if (trace.sources.knowledgeChunkIds.length) {
    const wanted = new Set(trace.sources.knowledgeChunkIds);
    const embedded = await readAll(api, { type: 'knowledge.chunk_embedded' });
    for (const e of embedded) if (wanted.has(String(e.data.chunkId))) chunks.set(String(e.data.chunkId), String(e.data.text));
  }
  return { trace, seq: ev.seq, messages, chunks };
}

/**
 * A branch's history before its own messages is its source's (by reference, not copied), so messages a
 * reply in a branch cites may be in the source room's stream, or its source's: followed up the chain
 * (a few levels at most) while some cited message is still unresolved.
 */
async function addBranchSources(api: ApiClient, roomId: string, cited: string[], messages: LoadedTrace['messages']): Promise<void> {
  let current = roomId;
  for (let depth = 0; depth < 5 && cited.some((id) => !messages.has(id)); depth++) {
    const source = (await api.room(current).catch(() => undefined))?.forkOf?.roomId;
    if (!source) return;
    for (const e of await readAll(api, { stream: `room-${source}`, type: 'message.posted' })) {
      const id = String(e.data.messageId);
      if (!messages.has(id)) messages.set(id, { text: String(e.data.text), authorKind: String(e.data.authorKind) });
    }
    current = source;
  }
}

/**
 * The id of the reply that answers `questionId` in a room, once its `reply.traced` is in the log: asked
 * every `intervalMs` until `timeoutMs` (a re-ask's reply comes from a model, after the 202). Undefined
 * if none came in time; `stopped()` ends the wait early (the screen was left).
 */
export async function waitForReplyTo(
  api: ApiClient,
  roomId: string,
  questionId: string,
  opts: { intervalMs?: number; timeoutMs?: number; stopped?: () => boolean } = {},
): Promise<string | undefined> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  while (!opts.stopped?.()) {
    const traced = await api.events({ stream: `room-${roomId}`, type: 'reply.traced', limit: 1000 });
    const hit = traced.find((e) => e.data.messageId === questionId);
    if (hit) return String(hit.data.replyId);
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
  return undefined;
}
