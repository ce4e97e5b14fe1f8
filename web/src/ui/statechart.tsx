import { useEffect, useState } from 'preact/hooks';
import { describeError } from '../api/errors.ts';
import { actorOfEvent } from '../api/actor-graph.ts';
import type { ActorMachine, ChartState } from '../api/types.ts';
import { ErrorText } from './common.tsx';
import { useApp } from './context.ts';
import { href } from './route.ts';

const REFRESH_MS = 2000;

/**
 * One actor's statechart, drawn from its machine definition (GET /api/v1/actors/:id/machine): nested
 * states as boxes with their transitions, the states it is in now lit, and its last events.
 */
export function ActorChart({ actorId, live, names }: { actorId: string; live: boolean; names: Map<string, string> }) {
  const { api } = useApp();
  const [chart, setChart] = useState<ActorMachine>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let on = true;
    let timer: ReturnType<typeof setTimeout>;
    setChart(undefined);
    const load = async () => {
      try {
        const c = await api.actorMachine(actorId);
        if (on) {
          setChart(c);
          setError(undefined);
        }
      } catch (err) {
        if (on) setError(describeError(err));
      }
      if (on && live) timer = setTimeout(load, REFRESH_MS);
    };
    void load();
    return () => {
      on = false;
      clearTimeout(timer);
    };
  }, [actorId, live]);

  const active = new Set(chart?.active ?? []);
  return (
    <section aria-label="Statechart" data-testid="statechart">
      <h2>{names.get(actorId) ?? actorId}</h2>
      <p class="muted">
        <code>{actorId}</code>
        {live ? '' : ' — the statechart shows the live state (there is no past XState state)'}
      </p>
      <ErrorText error={error} />
      {chart && (
        <>
          <ChartBox state={chart.machine} active={active} />
          <h3>Last events</h3>
          <ol class="last-events" reversed>
            {chart.lastEvents.map((e) => (
              <li key={e.seq} data-testid="actor-event">
                <code>{e.type}</code>{' '}
                <small class="muted">
                  seq {e.seq}
                  {typeof e.meta.timestamp === 'number' ? `, ${new Date(e.meta.timestamp).toLocaleTimeString()}` : ''}
                </small>{' '}
                {actorOfEvent(e) && actorOfEvent(e) !== actorId && (
                  <a href={href('actors', actorOfEvent(e))}>{names.get(actorOfEvent(e)!) ?? actorOfEvent(e)}</a>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

const short = (id: string) => id.split('.').slice(1).join('.') || id;

function ChartBox({ state, active }: { state: ChartState; active: Set<string> }) {
  const on = active.has(state.id);
  return (
    <div
      class={`chart-state${on ? ' chart-active' : ''}${state.type === 'final' ? ' chart-final' : ''}`}
      data-testid="chart-state"
      data-state-id={state.id}
      aria-current={on ? 'true' : undefined}
    >
      <div class="chart-key">
        {state.key}
        {on ? <span class="sr-only"> (current)</span> : null}
        {state.type === 'final' ? <small> final</small> : null}
      </div>
      {state.transitions.length > 0 && (
        <ul class="chart-transitions">
          {state.transitions.map((t, i) => (
            <li key={i}>
              <code>{t.event}</code> → {t.targets.length ? t.targets.map(short).join(', ') : <em>stays</em>}
              {t.guard ? <small class="muted"> [{t.guard}]</small> : null}
            </li>
          ))}
        </ul>
      )}
      {state.states.length > 0 && (
        <div class="chart-children">
          {state.states.map((s) => (
            <ChartBox key={s.id} state={s} active={active} />
          ))}
        </div>
      )}
    </div>
  );
}
