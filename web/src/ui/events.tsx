import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/errors.ts';
import type { LogEvent } from '../api/types.ts';
import { ErrorText, ScreenTitle } from './common.tsx';
import { useApp } from './context.ts';
import { actorOfEvent } from '../api/actor-graph.ts';
import { href } from './route.ts';

const KEEP = 500;
const POLL_MS = 1000;

/**
 * The event log, newest first (what arrives while following live appears at the top, where the eye
 * is): the latest events for a stream/type filter, and (following live) the ones appended since,
 * polled with `after` = the last seq shown. The state keeps log order; only the table is reversed.
 */
export function EventsScreen() {
  const { api } = useApp();
  const [stream, setStream] = useState('');
  const [type, setType] = useState('');
  const [filter, setFilter] = useState({ stream: '', type: '' });
  const [follow, setFollow] = useState(true);
  // Correlation: every event of one turn or request shares it; filtered among the events loaded here.
  const [correlation, setCorrelation] = useState('');
  const [events, setEvents] = useState<LogEvent[]>([]);
  const [error, setError] = useState<string>();
  const last = useRef(0);

  // A new filter: start from the latest KEEP events of the log.
  useEffect(() => {
    let live = true;
    setEvents([]);
    setError(undefined);
    (async () => {
      try {
        const head = (await api.health()).seq;
        const q = { stream: filter.stream || undefined, type: filter.type || undefined };
        // Unfiltered: the last KEEP events of the log. Filtered: the matches are sparse, so read the
        // whole history of the filter (paged, bounded) and keep its last KEEP.
        let after = q.stream || q.type ? 0 : Math.max(0, head - KEEP);
        let found: LogEvent[] = [];
        let complete = false;
        for (let page = 0; page < 20; page++) {
          const batch = await api.events({ ...q, after, limit: 1000 });
          found = [...found, ...batch].slice(-KEEP);
          if (batch.length < 1000) {
            complete = true;
            break;
          }
          after = batch[batch.length - 1].seq;
        }
        if (!live) return;
        const lastSeen = found.at(-1)?.seq ?? after;
        last.current = complete ? Math.max(head, lastSeen) : lastSeen;
        setEvents(found);
      } catch (err) {
        if (live) setError(describeError(err));
      }
    })();
    return () => {
      live = false;
    };
  }, [filter]);

  useEffect(() => {
    if (!follow) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const more = await api.events({ after: last.current, limit: 1000, stream: filter.stream || undefined, type: filter.type || undefined });
        if (!live) return;
        if (more.length) {
          last.current = more[more.length - 1].seq;
          setEvents((cur) => [...cur, ...more].slice(-KEEP));
        }
        setError(undefined);
      } catch (err) {
        if (live) setError(describeError(err));
      }
      if (live) timer = setTimeout(tick, POLL_MS);
    };
    timer = setTimeout(tick, POLL_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [follow, filter]);

  const shown = correlation ? events.filter((e) => e.meta.correlationId === correlation) : events;
  return (
    <div class="screen">
      <ScreenTitle>Event log</ScreenTitle>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({ stream: stream.trim(), type: type.trim() });
        }}
      >
        <label class="grow">
          Stream
          <input name="stream" placeholder="e.g. room-…, agent-…, system" value={stream} onInput={(e) => setStream(e.currentTarget.value)} />
        </label>
        <label class="grow">
          Types
          <input name="type" placeholder="e.g. message.posted,reply.traced" value={type} onInput={(e) => setType(e.currentTarget.value)} />
        </label>
        <button type="submit">Apply</button>
        <label class="inline">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow live
        </label>
      </form>
      <p class="row">
        <label class="grow">
          Correlation id
          <input
            name="correlation"
            placeholder="click one in the table, or paste it"
            value={correlation}
            onInput={(e) => setCorrelation(e.currentTarget.value.trim())}
          />
        </label>
        {correlation && (
          <button type="button" onClick={() => setCorrelation('')}>
            Clear
          </button>
        )}
      </p>
      <ErrorText error={error} />
      <p class="muted" aria-live="polite">
        {shown.length} events shown, newest first{follow ? ', following live' : ''}
        {correlation ? `, of correlation ${correlation}` : ''}.
      </p>
      <div class="table-wrap">
        <table class="table events">
          <thead>
            <tr>
              <th scope="col">Seq</th>
              <th scope="col">Time</th>
              <th scope="col">Type</th>
              <th scope="col">Stream</th>
              <th scope="col">Data</th>
              <th scope="col">Actor</th>
              <th scope="col">Correlation</th>
            </tr>
          </thead>
          <tbody>
            {[...shown].reverse().map((e) => (
              <tr key={e.seq} data-testid="event">
                <td>{e.seq}</td>
                <td>{typeof e.meta.timestamp === 'number' ? new Date(e.meta.timestamp).toLocaleTimeString() : ''}</td>
                <td>
                  <code>{e.type}</code>
                </td>
                <td>
                  <button
                    type="button"
                    class="link"
                    title="Filter by this stream"
                    onClick={() => {
                      setStream(e.stream);
                      setFilter({ stream: e.stream, type: filter.type });
                    }}
                  >
                    {e.stream}
                  </button>
                </td>
                <td>
                  <details>
                    <summary>
                      <span class="preview">{preview(e.data)}</span>{' '}
                      <span class="sr-only">(version {e.version} of the stream; expand for the whole event)</span>
                    </summary>
                    <pre>{JSON.stringify({ data: e.data, meta: e.meta }, abbreviate, 2)}</pre>
                  </details>
                </td>
                <td>
                  {actorOfEvent(e) ? (
                    <a data-testid="event-actor" href={href('actors', actorOfEvent(e))}>
                      {actorOfEvent(e)}
                    </a>
                  ) : (
                    ''
                  )}
                </td>
                <td>
                  {typeof e.meta.correlationId === 'string' ? (
                    <button
                      type="button"
                      class="link"
                      data-testid="event-correlation"
                      title="Show only this correlation"
                      onClick={() => setCorrelation(String(e.meta.correlationId))}
                    >
                      {String(e.meta.correlationId).slice(0, 8)}
                    </button>
                  ) : (
                    ''
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** Long strings (base64 vectors) are cut so a row stays readable. */
function abbreviate(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.length > 300 ? `${value.slice(0, 300)}… (${value.length} chars)` : value;
}

/** A one-line glimpse of an event's data for the collapsed row. */
function preview(data: Record<string, unknown>): string {
  const parts = Object.entries(data)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    .map(([k, v]) => `${k}=${String(v)}`);
  const line = parts.join(' ');
  return line.length > 80 ? `${line.slice(0, 80)}…` : line || '{…}';
}
