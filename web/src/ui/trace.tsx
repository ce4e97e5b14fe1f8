import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client.ts';
import { describeError } from '../api/errors.ts';
import type { LogEvent } from '../api/types.ts';
import { ErrorText, ScreenTitle } from './common.tsx';
import { useApp } from './context.ts';
import { href } from './route.ts';

interface Trace {
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

interface Loaded { trace: Trace; seq: number; messages: Map<string, { text: string; authorKind: string }>; chunks: Map<string, string> }

/** Reads every event of a filter, page by page (bounded: a trace view must not walk a huge log forever). */
async function readAll(api: ApiClient, q: { stream?: string; type: string }, stop?: (e: LogEvent) => boolean, maxPages = 20): Promise<LogEvent[]> {
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
export function TraceScreen({ arg }: { arg: string }) {
  const { api } = useApp();
  const [roomId, replyId] = arg.split('/');
  const [loaded, setLoaded] = useState<Loaded>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let live = true;
    (async () => {
      try {
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
        if (live) setLoaded({ trace, seq: ev.seq, messages, chunks });
      } catch (err) {
        if (live) setError(describeError(err));
      }
    })();
    return () => { live = false; };
  }, [arg]);

  const t = loaded?.trace;
  return (
    <div class="screen">
      <ScreenTitle>Reply trace</ScreenTitle>
      <p><a href={href('chat', roomId)}>Back to the room</a></p>
      <ErrorText error={error} />
      {!t && !error && <p class="muted" role="status">Reading the log…</p>}
      {t && loaded && (
        <>
          <dl class="facts" data-testid="trace">
            <dt>Reply</dt><dd><code>{t.replyId}</code> (event #{loaded.seq})</dd>
            <dt>In answer to</dt><dd>{loaded.messages.get(t.messageId)?.text ?? t.messageId}</dd>
            <dt>Model</dt><dd>{t.provider} / {t.model}</dd>
            <dt>Tokens</dt><dd>{t.usage.promptTokens} prompt + {t.usage.completionTokens} completion</dd>
            <dt>Latency</dt><dd>{Math.round(t.latencyMs)} ms</dd>
            {t.actions.length > 0 && <><dt>Actions</dt><dd>{t.actions.join(', ')}</dd></>}
            {t.thought && <><dt>Thought</dt><dd>{t.thought}</dd></>}
          </dl>
          <h2>Messages in the prompt ({t.sources.messageIds.length})</h2>
          <ol class="sources">
            {t.sources.messageIds.map((id) => {
              const m = loaded.messages.get(id);
              return <li key={id}>{m ? <><small>{m.authorKind}</small> {m.text}</> : <code>{id}</code>}</li>;
            })}
          </ol>
          <h2>Knowledge chunks ({t.sources.knowledgeChunkIds.length})</h2>
          {t.sources.knowledgeChunkIds.length === 0 ? <p class="muted">None.</p> : (
            <ol class="sources">
              {t.sources.knowledgeChunkIds.map((id) => <li key={id}>{loaded.chunks.get(id) ?? <code>{id}</code>}</li>)}
            </ol>
          )}
          {t.sources.factIds.length > 0 && (
            <>
              <h2>Facts ({t.sources.factIds.length})</h2>
              <ul>{t.sources.factIds.map((id) => <li key={id}><code>{id}</code></li>)}</ul>
            </>
          )}
          <h2>Provider outputs</h2>
          <table class="table">
            <thead><tr><th scope="col">Provider</th><th scope="col">Characters</th><th scope="col">SHA-256</th></tr></thead>
            <tbody>
              {t.providers.map((p) => (
                <tr key={p.name}><td>{p.name}</td><td>{p.chars}</td><td><code class="hash">{p.sha256}</code></td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
