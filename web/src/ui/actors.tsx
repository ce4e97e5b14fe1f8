import { useEffect, useState } from 'preact/hooks';
import { describeError } from '../api/errors.ts';
import type { ActorNode } from '../api/types.ts';
import { ErrorText, ScreenTitle } from './common.tsx';
import { useApp } from './context.ts';

const REFRESH_MS = 2000;

/** The live actor graph as a tree (system → agents, rooms, services), each with its current state. */
export function ActorsScreen() {
  const { api } = useApp();
  const [actors, setActors] = useState<ActorNode[]>([]);
  const [error, setError] = useState<string>();
  const [live, setLive] = useState(true);
  const [at, setAt] = useState<Date>();
  const [names, setNames] = useState<Map<string, string>>(new Map());

  // Names for agent-<id> and room-<id> actors (rooms: those the operator belongs to).
  useEffect(() => {
    Promise.all([api.agents(), api.rooms()]).then(([agents, rooms]) => {
      setNames(new Map([...agents.map((a) => [`agent-${a.id}`, a.name] as const), ...rooms.map((r) => [`room-${r.id}`, r.name] as const)]));
    }, () => undefined);
  }, [actors.length]);

  useEffect(() => {
    let on = true;
    let timer: ReturnType<typeof setTimeout>;
    const load = async () => {
      try {
        const a = await api.actors();
        if (!on) return;
        setActors(a);
        setAt(new Date());
        setError(undefined);
      } catch (err) {
        if (on) setError(describeError(err));
      }
      if (on && live) timer = setTimeout(load, REFRESH_MS);
    };
    void load();
    return () => { on = false; clearTimeout(timer); };
  }, [live]);

  const byId = new Map(actors.map((a) => [a.id, a]));
  const roots = actors.filter((a) => !a.parent || !byId.has(a.parent));

  return (
    <div class="screen">
      <ScreenTitle>Actors</ScreenTitle>
      <p class="row">
        <label class="inline"><input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} /> Refresh live</label>
        <span class="muted">{actors.length} actors{at ? `, as of ${at.toLocaleTimeString()}` : ''}</span>
      </p>
      <ErrorText error={error} />
      <ul class="tree" role="tree" aria-label="Actor graph">
        {roots.map((a) => <ActorItem key={a.id} node={a} byId={byId} names={names} depth={0} />)}
      </ul>
    </div>
  );
}

function ActorItem({ node, byId, names, depth }: { node: ActorNode; byId: Map<string, ActorNode>; names: Map<string, string>; depth: number }) {
  const kids = depth > 8 ? [] : node.children.map((c) => byId.get(c)).filter((c): c is ActorNode => !!c);
  return (
    <li role="treeitem" aria-expanded={kids.length ? true : undefined} data-testid="actor">
      <span class={`kind kind-${node.kind}`}>{node.kind}</span> {names.has(node.id) && <strong>{names.get(node.id)} </strong>}<code>{node.id}</code>{' '}
      <span class="state">{stateText(node.state)}</span>
      {kids.length > 0 && (
        <ul role="group">{kids.map((k) => <ActorItem key={k.id} node={k} byId={byId} names={names} depth={depth + 1} />)}</ul>
      )}
    </li>
  );
}

/** XState states are strings or nested objects ({running: 'idle'}): shown as running.idle. */
export function stateText(state: unknown): string {
  if (typeof state === 'string') return state;
  if (state && typeof state === 'object') {
    return Object.entries(state as Record<string, unknown>).map(([k, v]) => {
      const inner = stateText(v);
      return inner ? `${k}.${inner}` : k;
    }).join(', ');
  }
  return state === undefined || state === null ? '' : String(state);
}
