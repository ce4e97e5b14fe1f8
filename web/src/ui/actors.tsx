import { useEffect, useRef, useState } from 'preact/hooks';
import { BOW, flowingEdges, layoutGraph, NODE_H, NODE_W, stateText } from '../api/actor-graph.ts';
import { describeError } from '../api/errors.ts';
import type { ActorNode, LogEvent } from '../api/types.ts';
import { ErrorText, ScreenTitle } from './common.tsx';
import { useApp } from './context.ts';
import { href } from './route.ts';
import { ActorChart } from './statechart.tsx';
import { TimeTravel, type Position } from './time-travel.tsx';

export { stateText };

const REFRESH_MS = 2000;
/** How long after a message its edge stays lit as "flowing". */
const FLOW_MS = 10_000;

/**
 * The actor graph: system → rooms → agents (and services), with membership edges, the edges a message
 * crossed lately, each actor's state and mailbox depth (and its cluster node when there is one). A
 * click opens the actor's statechart; the time slider shows the graph and a room at a past position.
 */
export function ActorsScreen({ selected: initial }: { selected?: string }) {
  const { api } = useApp();
  const [liveActors, setLiveActors] = useState<ActorNode[]>([]);
  const [error, setError] = useState<string>();
  const [at, setAt] = useState<Date>();
  const [selected, setSelected] = useState<string | undefined>(initial);
  const [position, setPosition] = useState<Position>({ live: true });
  const [messages, setMessages] = useState<LogEvent[]>([]);
  const lastSeq = useRef(0);
  const messagesRef = useRef<LogEvent[]>([]);
  messagesRef.current = messages;
  useEffect(() => setSelected(initial), [initial]);

  // Live: the graph and the messages of the last moments (for the flowing edges), polled.
  useEffect(() => {
    if (!position.live) return;
    let on = true;
    let timer: ReturnType<typeof setTimeout>;
    const load = async () => {
      try {
        const [a, recent] = await Promise.all([api.actors(), recentMessages()]);
        if (!on) return;
        setLiveActors(a);
        setMessages(recent);
        setAt(new Date());
        setError(undefined);
      } catch (err) {
        if (on) setError(describeError(err));
      }
      if (on) timer = setTimeout(load, REFRESH_MS);
    };
    const recentMessages = async () => {
      if (lastSeq.current === 0) lastSeq.current = Math.max(0, (await api.health()).seq - 200);
      const more = await api.events({ after: lastSeq.current, type: 'message.posted', limit: 200 });
      if (more.length) lastSeq.current = more[more.length - 1].seq;
      const cutoff = Date.now() - FLOW_MS;
      return [...messagesRef.current, ...more].filter((e) => typeof e.meta.timestamp === 'number' && e.meta.timestamp >= cutoff);
    };
    void load();
    return () => {
      on = false;
      clearTimeout(timer);
    };
  }, [position.live]);

  const actors = position.live ? liveActors : position.actors;
  const names = new Map(actors.map((a) => [a.id, a.name ?? a.id]));
  const flowing = position.live ? flowingEdges(messages, actors, Date.now(), FLOW_MS) : new Set<string>();
  const roomId = selected?.startsWith('room-') ? selected.slice('room-'.length) : undefined;

  return (
    <div class="screen actors-screen">
      <ScreenTitle>Actors</ScreenTitle>
      <TimeTravel position={position} onPosition={setPosition} roomId={roomId} />
      <p class="muted" aria-live="polite">
        {actors.length} actors{position.live ? (at ? `, live as of ${at.toLocaleTimeString()}` : '') : `, as the log stood at seq ${position.asOf}`}
      </p>
      <ErrorText error={error} />
      <div class={`actors-layout${selected ? ' with-panel' : ''}`}>
        <ActorGraph actors={actors} flowing={flowing} selected={selected} onSelect={setSelected} />
        {selected && (
          <aside class="actor-panel" aria-label="Selected actor">
            {!position.live && roomId && <RoomAsOf messages={position.messages} names={names} asOf={position.asOf} note={position.roomNote} />}
            <ActorChart actorId={selected} live={position.live} names={names} />
          </aside>
        )}
      </div>
    </div>
  );
}

function ActorGraph({ actors, flowing, selected, onSelect }: { actors: ActorNode[]; flowing: Set<string>; selected?: string; onSelect: (id: string) => void }) {
  const layout = layoutGraph(actors);
  const at = new Map(layout.nodes.map((n) => [n.node.id, n]));
  return (
    <div class="graph-wrap">
      <svg
        class="actor-graph"
        width={layout.width}
        height={layout.height}
        style={{ maxWidth: '100%', height: 'auto' }}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="group"
        aria-label="Actor graph"
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" />
          </marker>
        </defs>
        {layout.edges.map((e) => {
          const a = at.get(e.from)!;
          const b = at.get(e.to)!;
          const flow = e.kind === 'member' && flowing.has(`${e.from}|${e.to}`);
          return (
            <path
              key={`${e.kind}:${e.from}:${e.to}`}
              data-testid="edge"
              data-kind={e.kind}
              data-from={e.from}
              data-to={e.to}
              class={`edge edge-${e.kind}${flow ? ' edge-flow' : ''}`}
              d={edgePath(a.x + NODE_W, a.y + NODE_H / 2, b.x, b.y + NODE_H / 2)}
              fill="none"
              marker-end={e.kind === 'member' ? undefined : 'url(#arrow)'}
            />
          );
        })}
        {layout.nodes.map(({ node, x, y }) => (
          <g
            key={node.id}
            class={`node node-${node.kind}${node.id === selected ? ' node-selected' : ''}`}
            transform={`translate(${x},${y})`}
            data-testid="actor"
            data-actor-id={node.id}
            data-state={stateText(node.value ?? node.state)}
            role="button"
            tabIndex={0}
            aria-pressed={node.id === selected}
            aria-label={`${node.kind} ${node.name ?? node.id}, state ${stateText(node.state)}${node.mailbox ? `, ${node.mailbox} in mailbox` : ''}`}
            onClick={() => onSelect(node.id)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                onSelect(node.id);
              }
            }}
          >
            <rect width={NODE_W} height={NODE_H} rx="8" />
            <text x="10" y="18" class="node-title">
              <tspan class="node-kind">{node.kind}</tspan> {clip(node.name ?? (node.kind === 'system' ? '' : node.id), 20)}
            </text>
            <text x="10" y="36" class="node-state">
              {clip(stateText(node.state), 26)}
            </text>
            <text x="10" y="51" class="node-meta">
              {[node.mailbox !== undefined ? `mailbox ${node.mailbox}` : '', node.owner ? `on ${node.owner}` : ''].filter(Boolean).join(' · ')}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}

/** A curve from one node's right side to another's left; one that skips a column bows below the nodes between. */
function edgePath(x1: number, y1: number, x2: number, y2: number): string {
  const bow = x2 - x1 > NODE_W ? BOW : 0;
  return `M ${x1} ${y1} C ${x1 + 70} ${y1 + bow}, ${x2 - 70} ${y2 + bow}, ${x2} ${y2}`;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function RoomAsOf({
  messages,
  names,
  asOf,
  note,
}: {
  messages: { id: string; authorId: string; authorKind: string; text: string; seq: number }[];
  names: Map<string, string>;
  asOf: number;
  note?: string;
}) {
  return (
    <section aria-label="Room at this position">
      <h2>Room at seq {asOf}</h2>
      {note ? <p class="muted">{note}</p> : <p class="muted">{messages.length} messages</p>}
      <ol class="asof-messages">
        {messages.map((m) => (
          <li key={m.id} data-testid="asof-message">
            <small class="muted">
              #{m.seq} {m.authorKind === 'agent' ? (names.get(`agent-${m.authorId}`) ?? 'agent') : 'user'}
            </small>{' '}
            {m.text}
          </li>
        ))}
      </ol>
      <p>
        <a href={href('events')}>Event log</a>
      </p>
    </section>
  );
}
