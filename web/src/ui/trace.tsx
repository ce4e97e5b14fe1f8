import { useEffect, useState } from 'preact/hooks';
import { describeError } from '../api/errors.ts';
import { loadTrace, type LoadedTrace } from '../api/trace.ts';
import { ErrorText, ScreenTitle } from './common.tsx';
import { useApp } from './context.ts';
import { href } from './route.ts';

/** The trace screen of one agent reply (`#/trace/<roomId>/<replyId>`). */
export function TraceScreen({ arg }: { arg: string }) {
  const { api } = useApp();
  const [roomId, replyId] = arg.split('/');
  const [loaded, setLoaded] = useState<LoadedTrace>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const loaded = await loadTrace(api, roomId, replyId);
        if (live) setLoaded(loaded);
      } catch (err) {
        if (live) setError(describeError(err));
      }
    })();
    return () => {
      live = false;
    };
  }, [arg]);

  return (
    <div class="screen">
      <ScreenTitle>Reply trace</ScreenTitle>
      <p>
        <a href={href('chat', roomId)}>Back to the room</a>
      </p>
      <ErrorText error={error} />
      {!loaded && !error && (
        <p class="muted" role="status">
          Reading the log…
        </p>
      )}
      {loaded && <TraceDetails loaded={loaded} />}
    </div>
  );
}

/** What a trace says: the model and its usage, the messages and knowledge in the prompt, the provider outputs. */
export function TraceDetails({ loaded }: { loaded: LoadedTrace }) {
  const t = loaded.trace;
  return (
    <>
      <dl class="facts" data-testid="trace">
        <dt>Reply</dt>
        <dd>
          <code>{t.replyId}</code> (event #{loaded.seq})
        </dd>
        <dt>In answer to</dt>
        <dd>{loaded.messages.get(t.messageId)?.text ?? t.messageId}</dd>
        <dt>Model</dt>
        <dd>
          {t.provider} / {t.model}
        </dd>
        <dt>Tokens</dt>
        <dd>
          {t.usage.promptTokens} prompt + {t.usage.completionTokens} completion
        </dd>
        <dt>Latency</dt>
        <dd>{Math.round(t.latencyMs)} ms</dd>
        {t.actions.length > 0 && (
          <>
            <dt>Actions</dt>
            <dd>{t.actions.join(', ')}</dd>
          </>
        )}
        {t.thought && (
          <>
            <dt>Thought</dt>
            <dd>{t.thought}</dd>
          </>
        )}
      </dl>
      <h2>Messages in the prompt ({t.sources.messageIds.length})</h2>
      <ol class="sources">
        {t.sources.messageIds.map((id) => {
          const m = loaded.messages.get(id);
          return (
            <li key={id}>
              {m ? (
                <>
                  <small>{m.authorKind}</small> {m.text}
                </>
              ) : (
                <code>{id}</code>
              )}
            </li>
          );
        })}
      </ol>
      <h2>Knowledge chunks ({t.sources.knowledgeChunkIds.length})</h2>
      {t.sources.knowledgeChunkIds.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <ol class="sources">
          {t.sources.knowledgeChunkIds.map((id) => (
            <li key={id}>{loaded.chunks.get(id) ?? <code>{id}</code>}</li>
          ))}
        </ol>
      )}
      {t.sources.factIds.length > 0 && (
        <>
          <h2>Facts ({t.sources.factIds.length})</h2>
          <ul>
            {t.sources.factIds.map((id) => (
              <li key={id}>
                <code>{id}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>Provider outputs</h2>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col">Characters</th>
            <th scope="col">SHA-256</th>
          </tr>
        </thead>
        <tbody>
          {t.providers.map((p) => (
            <tr key={p.name}>
              <td>{p.name}</td>
              <td>{p.chars}</td>
              <td>
                <code class="hash">{p.sha256}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
